// [SECTION] Language picker: the 18 languages, each in its own script and native name.
#include "app.h"

#include <algorithm>
#include <cmath>

namespace app {

void Kiosk::draw_languages() {
  const ui::Metrics& m = ui_.m();
  float y = 0;
  nav_bar(&y);
  ui_.text("lang.title", t("lang.title"), t_lang("lang.title"), {m.pad, y, ui_.width() - 2 * m.pad, 0}, m.heading,
           ui_.theme().ink, true, text::Align::Start, "heading");
  y += m.heading * 1.6f + m.pad;
  auto langs = locale::languages();
  int cols = ui_.width() > ui_.height() ? 3 : 2;
  int rows = ((int)langs.size() + cols - 1) / cols;
  float gap = m.pad * 0.6f;
  float cell_w = (ui_.width() - 2 * m.pad - (cols - 1) * gap) / cols;
  // All 18 on one screen when they fit at a comfortable size; on small screens the list scrolls
  // rather than shrinking the targets.
  float view_h = ui_.height() - y - m.pad;
  float cell_h = std::clamp((view_h - (rows - 1) * gap) / rows, m.button_h, m.button_h * 1.3f);
  static std::vector<std::string> names;  // ICU display names never change while running
  if (names.empty())
    for (const locale::Language& l : langs) names.push_back(locale::native_name(l.code));
  float top = ui_.begin_scroll("lang.list", {0, y, ui_.width(), view_h});
  for (size_t i = 0; i < langs.size(); i++) {
    int r = (int)i / cols, c = (int)i % cols;
    ui::Rect cell{m.pad + c * (cell_w + gap), top + r * (cell_h + gap), cell_w, cell_h};
    std::string code = langs[i].code;
    if (ui_.button("lang." + code, names[i], code, cell, {ui::Variant::Surface, m.heading * 0.85f})) {
      session_.lang = code;
      go(Screen::Welcome);
    }
  }
  ui_.end_scroll(rows * (cell_h + gap));
}

}  // namespace app
