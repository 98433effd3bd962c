// [SECTION] Touch widgets over ImDrawList and the text engine. See ui.h for the rules.
#include "ui.h"

#include "text_draw.h"

#include <SDL.h>

#include <algorithm>
#include <cmath>

namespace ui {

static bool is_rtl_language(const std::string& lang) {
  return lang == "ar" || lang == "fa" || lang == "ps" || lang == "ur";
}

Metrics metrics_for(int width, int height, float px_per_mm) {
  Metrics m;
  m.px_per_mm = px_per_mm;
  m.min_target = 9.0f * px_per_mm;
  // Scale type with the shorter side so portrait and landscape kiosks read the same; never let
  // a touch target drop below 9 mm whatever the resolution.
  float s = (float)std::min(width, height) / 1080.0f;
  m.body = std::round(30 * s);
  m.small = std::round(24 * s);
  m.heading = std::round(42 * s);
  m.title = std::round(60 * s);
  m.pad = std::round(28 * s);
  m.button_h = std::max(m.min_target, std::round(84 * s));
  m.nav_h = std::max(m.min_target + 2 * 8, std::round(104 * s));
  return m;
}

Context::Context(text::Engine& engine, Theme theme) : engine_(engine), theme_(theme) {}

// [SECTION] Input --------------------------------------------------------------------------------
bool Context::handle_event(const SDL_Event& e, int screen_w, int screen_h) {
  switch (e.type) {
    case SDL_MOUSEBUTTONDOWN:
      if (e.button.which == SDL_TOUCH_MOUSEID || e.button.button != SDL_BUTTON_LEFT) return false;
      pointer_down((float)e.button.x, (float)e.button.y);
      return true;
    case SDL_MOUSEMOTION:
      if (e.motion.which == SDL_TOUCH_MOUSEID || !down_) return false;
      return pointer_move((float)e.motion.x, (float)e.motion.y);
    case SDL_MOUSEBUTTONUP:
      if (e.button.which == SDL_TOUCH_MOUSEID || e.button.button != SDL_BUTTON_LEFT) return false;
      pointer_up((float)e.button.x, (float)e.button.y);
      return true;
    case SDL_FINGERDOWN:
      pointer_down(e.tfinger.x * screen_w, e.tfinger.y * screen_h);
      return true;
    case SDL_FINGERMOTION:
      if (!down_) return false;
      return pointer_move(e.tfinger.x * screen_w, e.tfinger.y * screen_h);
    case SDL_FINGERUP:
      pointer_up(e.tfinger.x * screen_w, e.tfinger.y * screen_h);
      return true;
    case SDL_TEXTINPUT:
      type_text(e.text.text);
      return true;
    case SDL_KEYDOWN: {
      const char* name = SDL_GetKeyName(e.key.keysym.sym);
      std::string lower;
      for (const char* c = name; *c; c++) lower += (char)tolower((unsigned char)*c);
      key(lower);
      return true;
    }
    default:
      return false;
  }
}

static const Element* hit(const std::vector<Element>& elements, size_t from, float x, float y, bool tappable_only) {
  // Later elements are drawn on top: search backwards.
  for (auto it = elements.rbegin(); it != elements.rend() - (ptrdiff_t)std::min(from, elements.size()); ++it) {
    if (!it->rect.contains(x, y)) continue;
    if (!tappable_only) return &*it;
    const std::string& r = it->role;
    if (r == "button" || r == "tile" || r == "key" || r == "field" || r == "card" || r == "toggle" || r == "checkbox" ||
        r == "hotspot" || r == "office-marker")
      return &*it;
  }
  return nullptr;
}

void Context::pointer_down(float x, float y) {
  down_ = true;
  px_ = x;
  py_ = y;
  last_input_ms_ = now_ms_;
  press_ = Press{x, y, {}, {}, false};
  if (const Element* target = hit(prev_elements_, prev_modal_from_, x, y, true)) press_.target = target->id;
  for (auto it = prev_scroll_areas_.rbegin(); it != prev_scroll_areas_.rend(); ++it)
    if (it->second.contains(x, y)) {
      press_.scroll = it->first;
      ScrollState& s = scrolls_[it->first];
      // A finger on a moving list stops it, and that touch is not a tap on what passes by.
      if (std::fabs(s.velocity) > 0.05f) press_.target.clear();
      s.velocity = 0;
      break;
    }
  drag_samples_.clear();
  drag_samples_.push_back({y, now_ms_});
}

// A resting finger jitters and a drag over something that cannot scroll moves nothing: neither
// asks for a frame. Only the start of a drag (the press highlight goes) and a moving list do.
bool Context::pointer_move(float x, float y) {
  if (!down_) return false;
  last_input_ms_ = now_ms_;
  bool changed = false;
  float slop = std::max(10.0f, 2.5f * metrics_.px_per_mm);
  if (!press_.dragging && std::hypot(x - press_.x, y - press_.y) > slop) {
    press_.dragging = true;   // from here on this touch can only scroll
    press_.target.clear();
    changed = true;
  }
  if (press_.dragging && !press_.scroll.empty()) {
    ScrollState& s = scrolls_[press_.scroll];
    float before = s.offset;
    s.offset = std::clamp(s.offset - (y - py_), 0.0f, std::max(0.0f, s.content_h - s.view_h));
    changed = changed || s.offset != before;
  }
  px_ = x;
  py_ = y;
  drag_samples_.push_back({y, now_ms_});
  if (drag_samples_.size() > 32) drag_samples_.erase(drag_samples_.begin());
  return changed;
}

void Context::pointer_up(float x, float y) {
  if (!down_) return;
  pointer_move(x, y);
  last_input_ms_ = now_ms_;
  if (!press_.dragging && !press_.target.empty()) {
    const Element* under = hit(prev_elements_, prev_modal_from_, x, y, true);
    if (under && under->id == press_.target) tapped_ = press_.target;
  }
  const ScrollState* area = press_.scroll.empty() ? nullptr : scroll_state(press_.scroll);
  if (press_.dragging && area && area->content_h > area->view_h) {
    // Release velocity from the last ~100 ms of movement: a flick keeps the list going.
    uint64_t t1 = drag_samples_.back().second;
    float y1 = drag_samples_.back().first;
    for (auto& [sy, st] : drag_samples_)
      if (t1 - st <= 100 && t1 > st) {
        ScrollState& s = scrolls_[press_.scroll];
        s.velocity = -(y1 - sy) / (float)(t1 - st);
        s.last_ms = now_ms_;
        break;
      }
  }
  down_ = false;
  // A lifted finger leaves no hover behind.
  px_ = py_ = -1e9f;
}

void Context::cancel_press() {
  down_ = false;
  press_ = Press{};
  drag_samples_.clear();
  px_ = py_ = -1e9f;
}

bool Context::take_tap(const std::string& id) {
  if (tapped_.empty() || tapped_ != id) return false;
  tapped_.clear();
  return true;
}

void Context::type_text(const std::string& utf8) {
  last_input_ms_ = now_ms_;
  if (focused_field) *focused_field += utf8;
}

void Context::key(const std::string& name) {
  last_input_ms_ = now_ms_;
  if (!focused_field) return;
  if (name == "backspace" && !focused_field->empty()) {
    // Remove one whole UTF-8 sequence.
    size_t n = focused_field->size() - 1;
    while (n > 0 && ((unsigned char)(*focused_field)[n] & 0xC0) == 0x80) n--;
    focused_field->erase(n);
  }
}

// [SECTION] Frame --------------------------------------------------------------------------------
void Context::begin_frame(ImDrawList* draw_list, float width, float height, const Metrics& metrics,
                          bool rtl, uint64_t now_ms) {
  dl_ = draw_list;
  width_ = width;
  height_ = height;
  metrics_ = metrics;
  rtl_ = rtl;
  now_ms_ = now_ms;
  elements_.clear();
  scroll_areas_.clear();
  modal_from_ = 0;
  step_inertia();
}

void Context::end_frame() {
  prev_elements_.swap(elements_);
  prev_scroll_areas_.swap(scroll_areas_);
  prev_modal_from_ = modal_from_;
  // Under a modal nothing scrolls either.
  if (modal_from_ > 0) prev_scroll_areas_.clear();
  elements_ = prev_elements_;   // keep the tree readable until the next frame
  tapped_.clear();              // a tap on something no longer drawn is dropped
}

const Element* Context::find(const std::string& id) const {
  for (const Element& e : prev_elements_)
    if (e.id == id) return &e;
  return nullptr;
}

void Context::reset_scroll() {
  scrolls_.clear();
  press_.scroll.clear();
}

void Context::begin_modal() { modal_from_ = elements_.size(); }

ScrollState* Context::scroll_state(const std::string& id) {
  auto it = scrolls_.find(id);
  return it == scrolls_.end() ? nullptr : &it->second;
}

void Context::step_inertia() {
  animating_ = false;
  for (auto& [id, s] : scrolls_) {
    if (s.velocity == 0 || (down_ && press_.scroll == id)) continue;
    uint64_t dt = now_ms_ > s.last_ms ? now_ms_ - s.last_ms : 0;
    s.last_ms = now_ms_;
    if (dt == 0) {
      animating_ = true;
      continue;
    }
    // Exponential decay with a 325 ms time constant, the feel people know from phones.
    float decay = std::exp(-(float)dt / 325.0f);
    s.offset += s.velocity * 325.0f * (1 - decay);
    s.velocity *= decay;
    float max_offset = std::max(0.0f, s.content_h - s.view_h);
    if (s.offset <= 0 || s.offset >= max_offset) {
      s.offset = std::clamp(s.offset, 0.0f, max_offset);
      s.velocity = 0;
    }
    if (std::fabs(s.velocity) < 0.02f) s.velocity = 0;
    if (s.velocity != 0) animating_ = true;
  }
}

// [SECTION] Geometry -----------------------------------------------------------------------------
Rect Context::mirror(Rect r) const {
  if (rtl_ && mirroring_) r.x = width_ - r.x - r.w;
  return r;
}

Rect Context::to_screen(Rect logical) const { return mirror(logical); }

bool Context::visible(const Rect& s) const {
  Rect clip{0, 0, width_, height_};
  if (!scroll_stack_.empty()) clip = scroll_stack_.back().screen;
  return s.right() > clip.x && s.x < clip.right() && s.bottom() > clip.y && s.y < clip.bottom();
}

// [SECTION] Widgets ------------------------------------------------------------------------------
text::Style Context::style(const std::string& lang, float size, bool bold) const {
  text::Style st;
  st.size_px = size;
  st.bold = bold;
  st.lang = lang;
  st.direction = is_rtl_language(lang) ? text::Direction::RightToLeft : text::Direction::LeftToRight;
  return st;
}

void Context::record(const std::string& id, const char* role, const std::string& text_utf8,
                     const std::string& lang, Rect logical, bool selected) {
  Rect s = to_screen(logical);
  if (!visible(s)) return;
  if (!scroll_stack_.empty()) {  // what is visible of it: taps land on the visible part
    const Rect& c = scroll_stack_.back().screen;
    float y0 = std::max(s.y, c.y), y1 = std::min(s.bottom(), c.bottom());
    s.y = y0;
    s.h = y1 - y0;
  }
  elements_.push_back(Element{id, role, text_utf8, lang, is_rtl_language(lang), selected, s});
}

void Context::fill(Rect logical, ImU32 color, float rounding) {
  Rect s = to_screen(logical);
  if (visible(s)) dl_->AddRectFilled({s.x, s.y}, {s.right(), s.bottom()}, color, rounding);
}

void Context::outline(Rect logical, ImU32 color, float rounding, float thickness) {
  Rect s = to_screen(logical);
  if (visible(s)) dl_->AddRect({s.x, s.y}, {s.right(), s.bottom()}, color, rounding, 0, thickness);
}

float Context::measure(const std::string& utf8, const std::string& lang, float width, float size, bool bold) {
  return engine_.layout(utf8, style(lang, size, bold), width)->height;
}

float Context::text(const std::string& id, const std::string& utf8, const std::string& lang, Rect logical,
                    float size, ImU32 color, bool bold, text::Align align, const char* role) {
  auto layout = engine_.layout(utf8, style(lang, size, bold), logical.w);
  logical.h = layout->height;
  Rect s = to_screen(logical);
  if (!visible(s)) return layout->height;
  text::draw_layout(dl_, engine_, atlas_, *layout, {s.x, s.y}, s.w, align, color);
  if (!id.empty()) {
    record(id, role, layout->text, lang, logical);
    elements_.back().rtl = layout->rtl;
  }
  return layout->height;
}

bool Context::button(const std::string& id, const std::string& label, const std::string& lang, Rect logical,
                     const ButtonStyle& bs, const char* role) {
  Rect s = to_screen(logical);
  bool was_tapped = !tapped_.empty() && tapped_ == id;
  if (was_tapped) tapped_.clear();
  if (!visible(s)) return was_tapped;
  bool pressed = down_ && !press_.dragging && press_.target == id;
  float rounding = std::min(12.0f, s.h * 0.2f);
  ImU32 bg = 0, fg = theme_.ink;
  switch (bs.selected ? Variant::Primary : bs.variant) {
    case Variant::Primary: bg = pressed ? theme_.primary_pressed : theme_.primary; fg = theme_.on_primary; break;
    // Outlined, not filled, at rest: the page shows through, and a software rasterizer is
    // spared a large blended fill per button on every frame.
    case Variant::Surface: bg = pressed ? theme_.surface_pressed : 0; break;
    case Variant::Quiet: bg = pressed ? theme_.surface_pressed : 0; fg = theme_.primary; break;
  }
  if (bg) dl_->AddRectFilled({s.x, s.y}, {s.right(), s.bottom()}, bg, rounding);
  if (bs.variant == Variant::Surface) dl_->AddRect({s.x, s.y}, {s.right(), s.bottom()}, theme_.outline, rounding, 0, 2);
  float size = bs.text_size > 0 ? bs.text_size : metrics_.body;
  float inner_w = std::max(1.0f, s.w - 2 * metrics_.pad * 0.6f);
  auto layout = engine_.layout(label, style(lang, size, bs.bold), inner_w);
  if (layout->height > s.h - 8 && size > metrics_.small)  // long translations: one step smaller
    layout = engine_.layout(label, style(lang, metrics_.small, bs.bold), inner_w);
  float ty = s.y + (s.h - layout->height) * 0.5f;
  float tx = s.x + (s.w - inner_w) * 0.5f;
  text::draw_layout(dl_, engine_, atlas_, *layout, {tx, ty}, inner_w, bs.align, fg);
  record(id, role, layout->text, lang, logical);
  if (!elements_.empty() && elements_.back().id == id) elements_.back().selected = bs.selected;
  return was_tapped;
}

// [SECTION] Scroll areas -------------------------------------------------------------------------
float Context::begin_scroll(const std::string& id, Rect logical) {
  Rect s = to_screen(logical);
  ScrollState& st = scrolls_[id];
  st.view_h = s.h;
  scroll_areas_.push_back({id, s});
  dl_->PushClipRect({s.x, s.y}, {s.right(), s.bottom()}, true);
  scroll_stack_.push_back({id, s, st.offset});
  return s.y - st.offset;
}

void Context::end_scroll(float content_height) {
  if (scroll_stack_.empty()) return;
  ScrollState& st = scrolls_[scroll_stack_.back().id];
  st.content_h = content_height;
  st.offset = std::clamp(st.offset, 0.0f, std::max(0.0f, st.content_h - st.view_h));
  const Rect& s = scroll_stack_.back().screen;
  // A thin position indicator while the content is longer than the view.
  if (st.content_h > st.view_h + 1) {
    float bar_h = std::max(metrics_.min_target, s.h * st.view_h / st.content_h);
    float bar_y = s.y + (s.h - bar_h) * (st.offset / (st.content_h - st.view_h));
    float bar_x = rtl_ ? s.x + 4 : s.right() - 10;
    dl_->AddRectFilled({bar_x, bar_y}, {bar_x + 6, bar_y + bar_h}, theme_.outline, 3);
  }
  dl_->PopClipRect();
  scroll_stack_.pop_back();
}

}  // namespace ui
