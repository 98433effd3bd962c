// [SECTION] Out of service and waiting for content: every language at once, since nobody can
// choose one here.
#include "app.h"

#include <algorithm>
#include <cmath>

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
  for (const locale::Language& l : locale::languages()) {
    locale::Text title = strings_.get("waiting.title", l.code), body = strings_.get("waiting.body", l.code);
    if (title.lang != l.code) continue;
    std::string line = title.text + " — " + fill(body.text, {{"kiosk", kiosk}});
    y += ui_.text(std::string("waiting.") + l.code, line, l.code, {m.pad, y, cw, 0}, m.small, ui_.theme().ink,
                  false, text::Align::Start) + m.pad * 0.25f;
  }
  staff_corner();
}

}  // namespace app
