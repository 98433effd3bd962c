// [SECTION] Topic: the procedures of one topic, each a large card with its title and summary.
#include "app.h"

#include "content/content.h"

#include <algorithm>

namespace app {

void Kiosk::draw_topic() {
  const ui::Metrics& m = ui_.m();
  float y = 0;
  nav_bar(&y);
  float x = m.pad, cw = ui_.width() - 2 * m.pad;
  std::string key = "topic." + session_.topic;
  y += ui_.text("topic.title", t(key.c_str()), t_lang(key.c_str()), {x, y, cw, 0}, m.heading, ui_.theme().primary, true,
                text::Align::Start, "heading") + m.pad * 0.5f;
  float bottom = ui_.height() - m.button_h * 1.2f - 2 * m.pad;
  float top = ui_.begin_scroll("topic.list", {0, y, ui_.width(), bottom - y});
  float cy = top + 2;  // the first card's outline inside the list's clip, not cut by it
  for (const content::ProcedureSummary& p : topic_list_) {
    // The card's label is the title; the summary below it is part of what the visitor taps.
    float summary_h = ui_.measure(p.summary, p.lang, cw - 2 * m.pad, m.body);
    float h = std::max(m.button_h, m.heading * 1.4f + summary_h + m.pad);
    ui_.outline({x, cy, cw, h}, ui_.theme().outline, 10, 2);  // outlined like buttons: no full-width blended fills
    if (ui_.button("proc." + p.id, p.title, p.lang, {x, cy, cw, m.heading * 1.6f},
                   {ui::Variant::Quiet, m.heading * 0.85f, true, text::Align::Start}, "card")) {
      session_.procedure = p.id;
      go(Screen::Procedure);
    }
    ui_.text("", p.summary, p.lang, {x + m.pad * 0.6f, cy + m.heading * 1.5f, cw - 2 * m.pad, 0}, m.body, ui_.theme().ink);
    cy += h + m.pad * 0.5f;
  }
  ui_.end_scroll(cy - top);
  float bw = std::min(cw, m.px_per_mm * 140);
  if (ui_.button("nav.mediator", t("nav.mediator"), t_lang("nav.mediator"), {x, bottom + m.pad, bw, m.button_h * 1.2f},
                 {ui::Variant::Primary, m.heading}))
    start_mediator(session_.topic);
}

}  // namespace app
