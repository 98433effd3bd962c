// [SECTION] Out of service: every language at once, since nobody can choose one here.
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
}

}  // namespace app
