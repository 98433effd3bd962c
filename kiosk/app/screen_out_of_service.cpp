// [SECTION] Out of service and waiting for content: every language at once, since nobody can
// choose one here.
#include "app.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace app {

void Kiosk::draw_out_of_service() {
  const ui::Metrics& m = ui_.m();
  float y = m.pad * 2, cw = ui_.width() - 2 * m.pad;
  // Every language at once: the visitor cannot choose one on a broken kiosk.
  for (const locale::Language& l : locale::languages()) {
    locale::Text title = strings_.get("oos.title", l.code), body = strings_.get("oos.body", l.code);
    if (title.lang != l.code) continue;
    std::string line = title.text + " — " + body.text;
    y += ui_.text(std::string("oos.") + l.code, line, l.code, {m.pad, y, cw, 0}, m.small, ui_.theme().ink,
                  false, text::Align::Start) + m.pad * 0.25f;
  }
  staff_corner();
}

// A first boot with no content yet: the kiosk id first, large, so a technician on the phone with
// the hub's admin can read it out; then the same in every language.
void Kiosk::draw_waiting() {
  const ui::Metrics& m = ui_.m();
  float y = m.pad * 2, cw = ui_.width() - 2 * m.pad;
  std::string kiosk = options_.kiosk_id.empty() ? "-" : options_.kiosk_id;
  y += ui_.text("waiting.kiosk", kiosk, "en", {m.pad, y, cw, 0}, m.title, ui_.theme().primary, true,
                text::Align::Center, "heading") + m.pad;
  std::vector<std::pair<const char*, std::string>> lines;
  for (const locale::Language& l : locale::languages()) {
    locale::Text title = strings_.get("waiting.title", l.code), body = strings_.get("waiting.body", l.code);
    if (title.lang == l.code) lines.push_back({l.code, title.text + " — " + fill(body.text, {{"kiosk", kiosk}})});
  }
  // Eighteen languages must all fit on the screen (nothing scrolls here): smaller text until they do.
  float size = m.small, gap = m.pad * 0.25f;
  for (int i = 0; i < 6; i++) {
    float total = 0;
    for (const auto& [lang, line] : lines) total += ui_.measure(line, lang, cw, size) + gap;
    if (y + total <= ui_.height() - m.pad) break;
    size *= 0.9f;
  }
  for (const auto& [lang, line] : lines)
    y += ui_.text(std::string("waiting.") + lang, line, lang, {m.pad, y, cw, 0}, size, ui_.theme().ink, false,
                  text::Align::Start) + gap;
  staff_corner();
}

}  // namespace app
