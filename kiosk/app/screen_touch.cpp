// [SECTION] Staff touch test: where each finger lands, and whether the panel's corners and centre
// can be reached. A panel whose touch is offset or misses an edge shows it here at a glance: the
// cross-hair is not under the finger, or a corner target never turns green. Shown in Italian.
// Drawn only when input arrives: the screen has no timer and no animation.
#include "app.h"

#include <SDL.h>

#include <algorithm>
#include <cstdio>

namespace app {

static const char* const kTargetIds[5] = {"touch.target.tl", "touch.target.tr", "touch.target.bl", "touch.target.br",
                                          "touch.target.c"};

// The five calibration targets: squares flush with the four corners, and one at the centre.
static ui::Rect touch_target(int i, float w, float h, float side) {
  switch (i) {
    case 0: return {0, 0, side, side};
    case 1: return {w - side, 0, side, side};
    case 2: return {0, h - side, side, side};
    case 3: return {w - side, h - side, side, side};
    default: return {(w - side) * 0.5f, (h - side) * 0.5f, side, side};
  }
}

// "640 × 400 px · 169,3 × 105,8 mm": millimetres with the Italian decimal comma.
static std::string touch_coords(float x, float y, float px_per_mm) {
  char buf[96];
  snprintf(buf, sizeof buf, "%d × %d px · %.1f × %.1f mm", (int)(x + 0.5f), (int)(y + 0.5f), x / px_per_mm,
           y / px_per_mm);
  std::string s = buf;
  for (char& c : s)
    if (c == '.') c = ',';
  return s;
}

// A press or move of one finger (or the pointer): its own slot, else a free one, else the slot
// pressed longest ago that is not down. An eleventh finger held at once is not shown.
void Kiosk::touch_press(int64_t finger, float x, float y, bool down) {
  int slot = -1, oldest = -1;
  for (int i = 0; i < TouchTest::kMarks && slot < 0; i++) {
    const TouchMark& k = touch_.marks[i];
    if (k.used && k.finger == finger && (k.down || down)) slot = i;
  }
  bool pressed = slot < 0 || (down && !touch_.marks[slot].down);
  for (int i = 0; i < TouchTest::kMarks && slot < 0; i++)
    if (!touch_.marks[i].used) slot = i;
  for (int i = 0; i < TouchTest::kMarks && slot < 0; i++) {
    const TouchMark& k = touch_.marks[i];
    if (!k.down && (oldest < 0 || k.serial < touch_.marks[oldest].serial)) oldest = i;
  }
  if (slot < 0) slot = oldest;
  if (slot < 0) return;
  TouchMark& k = touch_.marks[slot];
  if (pressed) k.serial = ++touch_.presses;
  k.used = true;
  k.finger = finger;
  k.x = x;
  k.y = y;
  k.down = down;
  k.fresh = true;
  touch_.last = slot;
}

// SDL fingers each get a mark; the mouse is followed through the ui context's pointer (as a
// script's taps are) when the frame is drawn.
bool Kiosk::touch_event(const SDL_Event& e, int w, int h) {
  switch (e.type) {
    case SDL_FINGERDOWN:
    case SDL_FINGERMOTION:
      touch_press((int64_t)e.tfinger.fingerId, e.tfinger.x * w, e.tfinger.y * h, true);
      return true;
    case SDL_FINGERUP:
      touch_press((int64_t)e.tfinger.fingerId, e.tfinger.x * w, e.tfinger.y * h, false);
      return true;
    case SDL_MOUSEMOTION:  // a mouse drag moves the cross-hair; hovering draws nothing
      return e.motion.which != SDL_TOUCH_MOUSEID && (e.motion.state & SDL_BUTTON_LMASK);
    default:
      return false;
  }
}

void Kiosk::draw_touch_test() {
  const ui::Metrics& m = ui_.m();
  const std::string lang = "it";
  bool mirrored = ui_.set_mirroring(false);  // screen pixels, whatever the last visitor's language
  float w = ui_.width(), h = ui_.height(), side = std::max(m.min_target * 1.5f, m.px_per_mm * 12);
  // The pointer (mouse or script) is down: it is a finger like the others. A real finger also
  // moves the pointer, so the pointer counts only while no finger is down.
  bool finger_down = false;
  for (const TouchMark& k : touch_.marks) finger_down |= k.down && k.finger != TouchTest::kPointerFinger;
  if (ui_.pointer_is_down() && !finger_down) touch_press(TouchTest::kPointerFinger, ui_.pointer_x(), ui_.pointer_y(), true);
  for (TouchMark& k : touch_.marks) {
    if (k.finger == TouchTest::kPointerFinger && k.down && !ui_.pointer_is_down()) k.down = false;
    if (!k.fresh) continue;
    k.fresh = false;
    for (int i = 0; i < 5; i++)
      if (touch_target(i, w, h, side).contains(k.x, k.y)) touch_.targets[i] = true;
  }

  for (int i = 0; i < 5; i++) {
    ui::Rect r = touch_target(i, w, h, side);
    ui_.fill(r, touch_.targets[i] ? ui_.theme().ok : ui_.theme().surface_pressed);
    ui_.outline(r, ui_.theme().ink, 0, 2);
    ui_.record(kTargetIds[i], "target", touch_.targets[i] ? "toccato" : "da toccare", lang, r, touch_.targets[i]);
  }

  float x = side + m.pad, cw = w - 2 * x, y = m.pad;
  y += ui_.text("touch.title", "Prova tocco", lang, {x, y, cw, 0}, m.heading, ui_.theme().primary, true,
                text::Align::Center, "heading") + m.pad * 0.5f;
  y += ui_.text("touch.help", "Tocca i quattro angoli e il centro: ogni bersaglio toccato diventa verde. "
                              "La croce deve comparire sotto il dito.", lang, {x, y, cw, 0}, m.body, ui_.theme().ink,
                false, text::Align::Center) + m.pad * 0.5f;
  std::string last = touch_.last < 0 ? "Nessun tocco ancora"
                                     : "Ultimo tocco: " + touch_coords(touch_.marks[touch_.last].x,
                                                                       touch_.marks[touch_.last].y, m.px_per_mm);
  ui_.text("touch.last", last, lang, {x, y, cw, 0}, m.body, ui_.theme().ink, true, text::Align::Center);

  // Cross-hairs: a line each way through the point, a ring, and the coordinates beside it.
  float arm = m.px_per_mm * 8, t = 2;
  for (int i = 0; i < TouchTest::kMarks; i++) {
    const TouchMark& k = touch_.marks[i];
    if (!k.used) continue;
    ImU32 color = k.down ? ui_.theme().danger : ui_.theme().primary;
    ui_.fill({k.x - arm, k.y - t * 0.5f, 2 * arm, t}, color);
    ui_.fill({k.x - t * 0.5f, k.y - arm, t, 2 * arm}, color);
    ui_.outline({k.x - arm * 0.5f, k.y - arm * 0.5f, arm, arm}, color, arm * 0.5f, t);
    std::string id = "touch.mark." + std::to_string(i), coords = touch_coords(k.x, k.y, m.px_per_mm);
    ui_.record(id, "marker", coords, lang, {k.x - arm, k.y - arm, 2 * arm, 2 * arm}, k.down);
    float lw = m.px_per_mm * 90, lx = k.x + arm + 4 + lw > w ? k.x - arm - 4 - lw : k.x + arm + 4;
    float ly = k.y + arm + m.small * 2 > h ? k.y - arm - m.small * 2 : k.y + arm;
    ui_.text(id + ".label", coords, lang, {lx, ly, lw, 0}, m.small, color);
  }

  float bw = m.px_per_mm * 70;
  bool leave = ui_.button("touch.back", "Indietro", lang, {(w - bw) * 0.5f, h - m.pad - m.button_h, bw, m.button_h});
  ui_.set_mirroring(mirrored);
  if (leave) back();
}

}  // namespace app
