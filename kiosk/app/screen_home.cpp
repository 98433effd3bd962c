// [SECTION] Home: the attract screen that waits for the next visitor.
#include "app.h"

#include <algorithm>
#include <cmath>

namespace app {

// "Touch to start" in a few of the visitors' languages, so everyone finds a way in.
static const char* kGreetingLangs[] = {"ar", "en", "fr", "bn", "zh", "uk", "ur", "ti"};

void warm_up(text::Engine& engine, const locale::Strings& strings, const Options& options) {
  text::Style style;
  for (const char* l : kGreetingLangs) {
    style.lang = l;
    engine.layout(strings.get("home.touch", l).text, style);
  }
  style.lang = options.default_lang;
  engine.layout(strings.get("app.tagline", options.default_lang).text, style);
}

void Kiosk::draw_home() {
  const ui::Metrics& m = ui_.m();
  float w = ui_.width(), cw = std::min(w - 2 * m.pad, m.px_per_mm * 400);
  float x = (w - cw) * 0.5f, y = ui_.height() * 0.14f;
  const std::string& lang = session_.lang;
  y += ui_.text("home.title", strings_.get("app.name", lang).text, lang, {x, y, cw, 0}, m.title * 1.3f,
                ui_.theme().primary, true, text::Align::Center, "heading");
  y += m.pad * 0.5f;
  y += ui_.text("home.tagline", t("app.tagline"), t_lang("app.tagline"), {x, y, cw, 0}, m.heading,
                ui_.theme().ink, false, text::Align::Center);
  y += m.pad * 2;
  for (const char* l : kGreetingLangs) {
    locale::Text s = strings_.get("home.touch", l);
    if (s.lang != l) continue;
    y += ui_.text(std::string("home.touch.") + l, s.text, l, {x, y, cw, 0}, m.body, ui_.theme().muted, false,
                  text::Align::Center);
    y += m.pad * 0.3f;
  }
  float bh = m.button_h * 1.4f, bw = std::min(cw, m.px_per_mm * 160);
  float by = std::max(y + m.pad, ui_.height() - bh - m.pad * 3);
  if (ui_.button("home.start", t("home.choose_language"), t_lang("home.choose_language"),
                 {(w - bw) * 0.5f, by, bw, bh}, {ui::Variant::Primary, m.heading}))
    go(Screen::Languages);
  staff_corner();
}

// The staff view hides behind five quick taps on the top start corner (of the home screen, and of
// the screens a kiosk without usable content shows, where staff need it most), then a PIN. With
// no PIN configured the gesture does nothing: anyone can tap a corner five times.
void Kiosk::staff_corner() {
  const ui::Metrics& m = ui_.m();
  if (ui_.button("staff.corner", "", "it", {0, 0, m.min_target * 2, m.min_target * 2}, {ui::Variant::Quiet}, "hotspot")) {
    uint64_t now = platform::now_ms();
    corner_taps_.push_back(now);
    std::erase_if(corner_taps_, [now](uint64_t t) { return now - t > 3000; });
    if (corner_taps_.size() >= 5 && !options_.staff_pin_hash.empty()) {
      corner_taps_.clear();
      session_.lang = "it";
      staff_pin_message_.clear();
      wipe(staff_pin_);
      go(Screen::StaffPin);
    }
  }
}

}  // namespace app
