// [SECTION] "Still there?": asked after a quiet spell, then the session is forgotten.
#include "app.h"

#include <algorithm>
#include <cmath>

namespace app {

void Kiosk::draw_idle_prompt(uint64_t now) {
  const ui::Metrics& m = ui_.m();
  float w = ui_.width(), h = ui_.height();
  ui_.begin_modal();
  ImGui::GetBackgroundDrawList()->AddRectFilled({0, 0}, {w, h}, IM_COL32(0, 0, 0, 140));
  float pw = std::min(w - 2 * m.pad, m.px_per_mm * 300), ph = std::min(h - 2 * m.pad, m.button_h * 5.5f);
  float px = (w - pw) * 0.5f, py = (h - ph) * 0.5f, y = py + m.pad;
  ui_.fill({px, py, pw, ph}, ui_.theme().surface, 16);
  y += ui_.text("idle.title", t("idle.title"), t_lang("idle.title"), {px + m.pad, y, pw - 2 * m.pad, 0}, m.heading,
                ui_.theme().ink, true, text::Align::Start, "heading");
  y += m.pad * 0.5f;
  uint64_t left_ms = idle_prompt_since_ + (uint64_t)options_.idle_grace_s * 1000 - std::min(now, idle_prompt_since_ + (uint64_t)options_.idle_grace_s * 1000);
  double seconds = std::ceil(left_ms / 1000.0);
  std::pair<std::string_view, double> args[] = {{"seconds", seconds}};
  locale::Text body = strings_.format("idle.body", session_.lang, args);
  ui_.text("idle.body", body.text, body.lang, {px + m.pad, y, pw - 2 * m.pad, 0}, m.body, ui_.theme().ink);
  float bw = (pw - 3 * m.pad) * 0.5f, by = py + ph - m.pad - m.button_h;
  if (ui_.button("idle.continue", t("idle.continue"), t_lang("idle.continue"), {px + m.pad, by, bw, m.button_h}))
    idle_prompt_ = false;
  if (ui_.button("idle.restart", t("idle.restart"), t_lang("idle.restart"), {px + 2 * m.pad + bw, by, bw, m.button_h},
                 {ui::Variant::Surface}))
    home_and_forget();
}

}  // namespace app
