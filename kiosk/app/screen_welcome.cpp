// [SECTION] Welcome: what the kiosk offers, in the visitor's language.
#include "app.h"

#include <algorithm>
#include <cmath>

namespace app {

void Kiosk::draw_welcome() {
  const ui::Metrics& m = ui_.m();
  float y = 0;
  nav_bar(&y);
  float cw = std::min(ui_.width() - 2 * m.pad, m.px_per_mm * 420);
  float x = m.pad;
  y += m.pad;
  y += ui_.text("welcome.title", t("welcome.title"), t_lang("welcome.title"), {x, y, cw, 0}, m.title,
                ui_.theme().primary, true, text::Align::Start, "heading");
  y += m.pad;
  y += ui_.text("welcome.body", t("welcome.body"), t_lang("welcome.body"), {x, y, cw, 0}, m.heading * 0.85f,
                ui_.theme().ink);
  y += m.pad * 2;
  float bw = std::min(cw, m.px_per_mm * 120);
  if (ui_.button("welcome.start", t("welcome.start"), t_lang("welcome.start"), {x, y, bw, m.button_h * 1.2f},
                 {ui::Variant::Primary, m.heading}))
    go(Screen::Topics);
}

}  // namespace app
