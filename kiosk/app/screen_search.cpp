// [SECTION] Search: type in your own script (or in Italian, as the clerk says it) and see the
// procedures and offices that match, updated on every key.
#include "app.h"

#include "content/content.h"

#include <algorithm>

namespace app {

void Kiosk::draw_search() {
  const ui::Metrics& m = ui_.m();
  float y = 0;
  nav_bar(&y);
  float x = m.pad, cw = ui_.width() - 2 * m.pad;
  SearchState& s = session_.search;
  ui_.focused_field = &s.query;
  // The query field: the hint in the visitor's language until something is typed.
  bool empty = s.query.empty();
  ui_.button("search.field", empty ? t("search.hint") : s.query, empty ? t_lang("search.hint") : session_.lang,
             {x, y, cw, m.button_h}, {ui::Variant::Surface, m.heading * 0.8f, !empty, text::Align::Start}, "field");
  ui_.outline({x, y, cw, m.button_h}, ui_.theme().primary, 8, 4);
  y += m.button_h + m.pad * 0.5f;
  if (s.query != s.searched && services_.pack) {  // one query per change of the text, not per frame
    s.hits = services_.pack->search(s.query, session_.lang, 12);
    s.searched = s.query;
  }
  float keyboard_h = std::min(ui_.height() * 0.42f, m.button_h * 5.5f);
  float list_bottom = ui_.height() - keyboard_h - m.pad;
  float top = ui_.begin_scroll("search.results", {0, y, ui_.width(), list_bottom - y});
  float cy = top;
  if (!s.query.empty()) {
    std::pair<std::string_view, double> count[] = {{"count", (double)s.hits.size()}};
    locale::Text n = s.hits.empty() ? strings_.get("search.none", session_.lang)
                                    : strings_.format("search.results", session_.lang, count);
    cy += ui_.text("search.count", n.text, n.lang, {x, cy, cw, 0}, m.small, ui_.theme().muted) + m.pad * 0.3f;
  }
  for (const content::SearchHit& hit : s.hits) {
    std::string id = (hit.kind == content::HitKind::Procedure ? "proc." : "office.") + hit.id;
    if (ui_.button(id, hit.title, hit.lang, {x, cy, cw, m.button_h}, {ui::Variant::Surface, m.body, true, text::Align::Start},
                   "card") &&
        hit.kind == content::HitKind::Procedure) {
      session_.procedure = hit.id;
      go(Screen::Procedure);
    }
    cy += m.button_h + m.pad * 0.3f;
  }
  ui_.end_scroll(cy - top);
  ui::KeyboardLabels labels{t("keyboard.space"), t("keyboard.delete"), t("keyboard.done"), t("keyboard.layout"), session_.lang};
  if (s.keyboard.native == ui::KeyboardLayout::Latin && s.keyboard.layout == ui::KeyboardLayout::Latin)
    s.keyboard.native = s.keyboard.layout = ui::keyboard_for_language(session_.lang);
  ui::keyboard(ui_, s.keyboard, {x, list_bottom + m.pad * 0.5f, cw, keyboard_h - m.pad * 0.5f}, &s.query, labels, 60);
}

}  // namespace app
