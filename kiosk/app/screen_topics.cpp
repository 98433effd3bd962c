// [SECTION] Topics: the visitor's home, large tiles for what people come for.
#include "app.h"

#include "content/content.h"

#include <algorithm>
#include <cmath>

namespace app {

void Kiosk::draw_topics() {
  const ui::Metrics& m = ui_.m();
  float y = 0;
  nav_bar(&y);
  ui_.text("home.topics", t("home.topics"), t_lang("home.topics"), {m.pad, y, ui_.width() - 2 * m.pad, 0}, m.heading,
           ui_.theme().ink, true, text::Align::Start, "heading");
  y += m.heading * 1.6f + m.pad;
  static const char* topics[] = {"permits", "health", "documents", "school", "italian", "work", "family"};
  int cols = 3;
  float gap = m.pad;
  float cell_w = (ui_.width() - 2 * m.pad - (cols - 1) * gap) / cols, cell_h = m.button_h * 1.8f;
  for (int i = 0; i < 7; i++) {
    std::string key = std::string("topic.") + topics[i];
    ui::Rect cell{m.pad + (i % cols) * (cell_w + gap), y + (i / cols) * (cell_h + gap), cell_w, cell_h};
    if (ui_.button(key, t(key.c_str()), t_lang(key.c_str()), cell, {ui::Variant::Surface, m.heading}, "tile")) {
      session_.topic = topics[i];
      if (services_.pack) {
        topic_list_ = services_.pack->procedures(session_.topic, session_.lang);
        go(Screen::Topic);
      } else {
        start_mediator(session_.topic);  // without content, a topic leads to a mediator who knows it
      }
    }
  }
  y += 3 * (cell_h + gap) + m.pad;
  float bw = std::min(ui_.width() - 2 * m.pad, m.px_per_mm * 140);
  if (ui_.button("nav.mediator", t("nav.mediator"), t_lang("nav.mediator"), {m.pad, y, bw, m.button_h * 1.2f},
                 {ui::Variant::Primary, m.heading}))
    start_mediator(session_.topic);
  if (services_.pack && ui_.button("nav.search", t("nav.search"), t_lang("nav.search"),
                                   {2 * m.pad + bw, y, bw, m.button_h * 1.2f}, {ui::Variant::Surface, m.heading}))
    go(Screen::Search);
  if (services_.pack && ui_.button("nav.services", t("nav.services"), t_lang("nav.services"),
                                   {3 * m.pad + 2 * bw, y, bw, m.button_h * 1.2f}, {ui::Variant::Surface, m.heading}))
    go(Screen::Services);
}

}  // namespace app
