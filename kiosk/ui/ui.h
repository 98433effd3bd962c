// Sportello touch widgets: buttons, tiles, text blocks and scroll areas with inertia, drawn
// through ImDrawList with every string laid out by the text engine (DESIGN.md rule 1).
//
// Screens describe their layout in *logical* coordinates: x grows from the start edge (left in
// left-to-right languages, right in right-to-left ones). The context mirrors every rectangle
// when the visitor's language is right-to-left, so a screen is written once for both.
//
// Touch rules: a press becomes a drag after it moves more than a few millimetres; a drag
// scrolls the area under it and never fires a tap; a tap fires on release inside the element
// it started on; nothing is highlighted unless a finger (or button) is down on it.
//
// Every element drawn is recorded (id, role, text, language, direction, rectangle) so scripts
// can tap by id and tests can assert on the tree (see app's automation contract).
#pragma once

#include "text.h"

#include <imgui.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

union SDL_Event;

namespace ui {

struct Rect {
  float x = 0, y = 0, w = 0, h = 0;
  bool contains(float px, float py) const { return px >= x && py >= y && px < x + w && py < y + h; }
  float right() const { return x + w; }
  float bottom() const { return y + h; }
};

// One element of the on-screen tree, in screen pixels after mirroring and scrolling.
struct Element {
  std::string id, role, text, lang;
  bool rtl = false;
  bool selected = false;   // a toggle or checkbox that is on
  Rect rect;
};

struct Theme {
  ImU32 background = IM_COL32(247, 247, 242, 255);
  ImU32 ink = IM_COL32(28, 32, 36, 255);
  ImU32 muted = IM_COL32(88, 96, 104, 255);
  ImU32 primary = IM_COL32(11, 85, 99, 255);         // buttons
  ImU32 primary_pressed = IM_COL32(6, 52, 61, 255);
  ImU32 on_primary = IM_COL32(255, 255, 255, 255);
  ImU32 surface = IM_COL32(255, 255, 255, 255);       // the idle prompt's panel
  ImU32 surface_pressed = IM_COL32(220, 232, 234, 255);
  ImU32 outline = IM_COL32(190, 198, 200, 255);
  ImU32 accent = IM_COL32(196, 120, 20, 255);         // badges and notices
  ImU32 ok = IM_COL32(30, 120, 60, 255);
  ImU32 danger = IM_COL32(170, 40, 40, 255);
};

// Text sizes derived from the display, so targets stay >= 9 mm on any kiosk screen.
struct Metrics {
  float px_per_mm = 96.0f / 25.4f;
  float min_target = 34;     // 9 mm
  float body = 28;           // text size in px
  float small = 22;
  float heading = 44;
  float title = 64;
  float pad = 24;            // outer margin and spacing
  float button_h = 80;
  float nav_h = 96;          // top navigation bar
};
Metrics metrics_for(int width, int height, float px_per_mm);

enum class Variant : uint8_t { Primary, Surface, Quiet };

struct ButtonStyle {
  Variant variant = Variant::Primary;
  float text_size = 0;       // 0 = metrics.body
  bool bold = true;
  text::Align align = text::Align::Center;
  bool selected = false;     // toggles and checkboxes: drawn as Primary and reported in the tree
};

struct ScrollState {
  float offset = 0, velocity = 0;   // px, px per ms
  float content_h = 0, view_h = 0;
  uint64_t last_ms = 0;
};

class Context {
public:
  Context(text::Engine& engine, Theme theme = {});

  // Input ---------------------------------------------------------------------------------
  // Returns true when the event changes what is on screen (the loop then draws a frame).
  bool handle_event(const SDL_Event& event, int screen_w, int screen_h);
  // The time of the input that follows. A move that changes nothing draws no frame, so the time
  // begin_frame() last gave would be stale for the idle timer and the flick velocity.
  void input_time(uint64_t now_ms) { now_ms_ = std::max(now_ms_, now_ms); }
  void pointer_down(float x, float y);
  bool pointer_move(float x, float y);        // true when the screen changes: a drag began or a list moved
  void pointer_up(float x, float y);
  void type_text(const std::string& utf8);    // committed text for the focused field
  void key(const std::string& name);          // "backspace", "return", "escape", "f12", ...
  bool pointer_is_down() const { return down_; }
  // The press becomes nothing: no tap, no drag (a second finger made it a pinch).
  void cancel_press();
  // True once when a tap completed on this element in the last frame, for elements drawn by the
  // caller and recorded with record() (a map marker) rather than drawn by button().
  bool take_tap(const std::string& id);
  float pointer_x() const { return px_; }     // where the pointer is while it is down (screen px)
  float pointer_y() const { return py_; }
  uint64_t last_input_ms() const { return last_input_ms_; }

  // Frame ---------------------------------------------------------------------------------
  void begin_frame(ImDrawList* draw_list, float width, float height, const Metrics& metrics,
                   bool rtl, uint64_t now_ms);
  void end_frame();
  bool animating() const { return animating_; }   // inertia running: keep drawing frames
  const std::vector<Element>& elements() const { return elements_; }
  const Element* find(const std::string& id) const;
  void reset_scroll();                            // a new screen starts at the top
  void begin_modal();                             // elements after this are the only tappable ones

  // Layout helpers --------------------------------------------------------------------------
  bool rtl() const { return rtl_; }
  const Metrics& m() const { return metrics_; }
  const Theme& theme() const { return theme_; }
  float width() const { return width_; }
  float height() const { return height_; }
  Rect mirror(Rect logical) const;               // logical (start-based) -> screen rectangle
  bool set_mirroring(bool on) { bool was = mirroring_; mirroring_ = on; return was; }  // keyboards: off
  text::Engine& engine() { return engine_; }
  void set_atlas(ImTextureID atlas) { atlas_ = atlas; }
  ImTextureID atlas() const { return atlas_; }

  // Widgets -------------------------------------------------------------------------------
  // Shared text style for a language at a size.
  text::Style style(const std::string& lang, float size, bool bold = false) const;
  // A button: true on the frame a tap completes on it. `lang` is the label's language.
  bool button(const std::string& id, const std::string& label, const std::string& lang, Rect logical,
              const ButtonStyle& style = {}, const char* role = "button");
  // A paragraph wrapped to the rectangle's width; returns its height. Records an element.
  float text(const std::string& id, const std::string& utf8, const std::string& lang, Rect logical,
             float size, ImU32 color, bool bold = false, text::Align align = text::Align::Start,
             const char* role = "text");
  // Height a paragraph would take at this width, without drawing it.
  float measure(const std::string& utf8, const std::string& lang, float width, float size, bool bold = false);
  void fill(Rect logical, ImU32 color, float rounding = 0);
  void outline(Rect logical, ImU32 color, float rounding = 0, float thickness = 2);
  // An arbitrary image drawn with ImGui (e.g. a QR code), recorded as an element.
  void record(const std::string& id, const char* role, const std::string& text, const std::string& lang, Rect logical,
              bool selected = false);

  // Scroll area: content is laid out from y = 0 inside; begin returns the y offset to add.
  float begin_scroll(const std::string& id, Rect logical);
  void end_scroll(float content_height);
  ScrollState* scroll_state(const std::string& id);

  // Focused text field (for the on-screen keyboard) ------------------------------------------
  std::string* focused_field = nullptr;

private:
  struct Press {
    float x = 0, y = 0;
    std::string target;      // element under the finger at press time
    std::string scroll;      // scroll area under the finger at press time
    bool dragging = false;
  };
  Rect to_screen(Rect logical) const;
  bool visible(const Rect& screen) const;
  void step_inertia();

  text::Engine& engine_;
  Theme theme_;
  Metrics metrics_;
  ImDrawList* dl_ = nullptr;
  ImTextureID atlas_ = nullptr;
  float width_ = 0, height_ = 0;
  bool rtl_ = false, mirroring_ = true;
  uint64_t now_ms_ = 0, last_input_ms_ = 0;

  bool down_ = false, pending_release_ = false;
  float px_ = -1e9f, py_ = -1e9f;
  Press press_;
  std::string tapped_;         // element a tap completed on, consumed by button()
  std::vector<std::pair<float, uint64_t>> drag_samples_;  // (y, ms) for release velocity

  std::map<std::string, ScrollState> scrolls_;
  struct ActiveScroll { std::string id; Rect screen; float offset; };
  std::vector<ActiveScroll> scroll_stack_;
  std::vector<std::pair<std::string, Rect>> scroll_areas_;   // this frame's areas, for hit tests
  std::vector<std::pair<std::string, Rect>> prev_scroll_areas_;
  std::vector<Element> elements_, prev_elements_;
  size_t modal_from_ = 0, prev_modal_from_ = 0;
  bool animating_ = false;
};

// [SECTION] On-screen keyboards ----------------------------------------------------------------
// Layouts for the scripts visitors type: Latin with Italian/French/Spanish/Albanian accents,
// Arabic with the Persian/Pashto/Urdu letters, Cyrillic (Ukrainian and Russian), Bengali,
// Devanagari, Gurmukhi, Ethiopic (pick a consonant, then its vowel order) and a phone keypad.
enum class KeyboardLayout : uint8_t { Latin, Arabic, Cyrillic, Bengali, Devanagari, Gurmukhi, Ethiopic, Phone };
KeyboardLayout keyboard_for_language(const std::string& lang);
const char* keyboard_layout_name(KeyboardLayout layout);   // "latin", "arabic", ...

struct KeyboardState {
  KeyboardLayout layout = KeyboardLayout::Latin;
  KeyboardLayout native = KeyboardLayout::Latin;   // the visitor's script; the switch key toggles
  std::string ethiopic_base;                        // consonant chosen, waiting for its vowel
};

// Draws a keyboard in `area` (logical) editing *field (UTF-8). Keys are elements "key.<label>"
// plus key.space, key.delete, key.layout, key.done. Returns true when Done is tapped.
// `labels` gives the translated names of space/delete/done/layout keys in `lang`.
struct KeyboardLabels {
  std::string space, del, done, layout, lang;
};
bool keyboard(Context& ctx, KeyboardState& state, Rect area, std::string* field, const KeyboardLabels& labels,
              size_t max_bytes = 64);

}  // namespace ui
