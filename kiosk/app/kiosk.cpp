// [SECTION] Kiosk: session, idle timers, navigation and the first screens.
#include "app.h"

#include "content/content.h"
#include "map/map.h"   // the Kiosk owns map::TileImages

#include <algorithm>
#include <cmath>

namespace app {

const char* screen_id(Screen s) {
  switch (s) {
    case Screen::Home: return "home";
    case Screen::Languages: return "languages";
    case Screen::Welcome: return "welcome";
    case Screen::Topics: return "topics";
    case Screen::Topic: return "topic";
    case Screen::Procedure: return "procedure";
    case Screen::Search: return "search";
    case Screen::Services: return "services";
    case Screen::Mediator: return "mediator";
    case Screen::Check: return "check";
    case Screen::StaffPin: return "staff-pin";
    case Screen::Staff: return "staff";
    case Screen::StaffTouch: return "staff-touch";
    case Screen::OutOfService: return "out-of-service";
    case Screen::Waiting: return "waiting";
    case Screen::Map: return "map";
  }
  return "?";
}

Kiosk::Kiosk(const Options& options, text::Engine& engine, locale::Strings& strings, Services services)
    : options_(options), engine_(engine), strings_(strings), services_(services), ui_(engine) {
  session_.lang = options_.default_lang;
  if (services_.out_of_service) screen_ = Screen::OutOfService;
  else if (services_.waiting) screen_ = Screen::Waiting;
  if (services_.pack) extra_holidays_ = services_.pack->extra_holidays();
  running_version_ = services_.content_version;
  staff_pin_.reserve(64);  // never reallocated: wipe() reaches every byte it held
  load_staff_lock();
}

bool Kiosk::rtl() const {
  const locale::Language* l = locale::find_language(session_.lang);
  return l && l->rtl;
}

std::string Kiosk::t(const char* key) { return strings_.get(key, session_.lang).text; }
std::string Kiosk::t_lang(const char* key) { return strings_.get(key, session_.lang).lang; }

std::string Kiosk::fill(std::string message, std::initializer_list<std::pair<const char*, std::string>> args) {
  for (const auto& [name, value] : args) {
    std::string placeholder = std::string("{") + name + "}";
    for (size_t at = message.find(placeholder); at != std::string::npos; at = message.find(placeholder, at + value.size()))
      message.replace(at, placeholder.size(), value);
  }
  return message;
}

// The pack's days for this desk when it lists them (the operator's content wins), else the option.
std::vector<content::Weekday> Kiosk::desk_days() const {
  if (services_.pack && !options_.desk.empty()) {
    std::vector<content::Weekday> days = services_.pack->mediator_days(options_.desk);
    if (!days.empty()) return days;
  }
  return options_.mediator_days;
}

bool Kiosk::busy() const {
  return (services_.tasks && services_.tasks->busy()) || (screen_ == Screen::Map && map_tiles_busy());
}

std::string Kiosk::content_version() const {
  return running_version_ > 0 ? std::to_string(running_version_) : "-";
}

// [SECTION] Navigation and idle --------------------------------------------------------------
void Kiosk::go(Screen s) {
  if (s == screen_) return;
  ui_.focused_field = nullptr;
  session_.history.push_back(screen_);
  screen_ = s;
  ui_.reset_scroll();
}

void Kiosk::back() {
  if (session_.history.empty()) return home_and_forget();
  screen_ = session_.history.back();
  session_.history.pop_back();
  ui_.focused_field = nullptr;
  // Back out of a finished or failed request starts a fresh form next time.
  if (screen_ != Screen::Mediator) session_.mediator.clear();
  ui_.reset_scroll();
}

void Kiosk::home_and_forget() {
  // The next visitor must find nothing of this one: language, history, anything typed.
  session_.mediator.clear();  // wipes the buffers; assignment alone would free them unwiped
  wipe(session_.check.typed);
  wipe(session_.search.query);
  session_ = Session{};
  session_serial_++;
  session_.lang = options_.default_lang;
  screen_ = services_.out_of_service ? Screen::OutOfService : services_.waiting ? Screen::Waiting : Screen::Home;
  idle_prompt_ = false;
  ui_.reset_scroll();
  ui_.focused_field = nullptr;
}

bool Kiosk::update_timers(uint64_t now) {
  poll_content();
  // The PIN screen counts a lockout down in minutes, and offers the keypad again when it ends.
  bool lock_turned = false;
  if (screen_ == Screen::StaffPin) {
    int64_t left = staff_lock_.locked_until_unix_ms - platform::wall_clock_unix_ms();
    int64_t shown = left > 0 ? (left + 59999) / 60000 : 0;
    lock_turned = shown != staff_lock_shown_min_;
    staff_lock_shown_min_ = shown;
  }
  if (screen_ == Screen::Home || screen_ == Screen::OutOfService || screen_ == Screen::Waiting) return false;
  // The staff view keeps its figures (queue, hub, errors) current while someone looks at it.
  if (screen_ == Screen::Staff && now >= staff_next_refresh_) {
    staff_next_refresh_ = now + kStaffRefreshMs;
    refresh_staff();
  }
  // Office hours on screen are drawn again when one of them changes: "open now" becomes
  // "closed" at the closing minute even while the visitor reads without touching.
  const bool hours_changed = shows_office_hours() && platform::wall_clock_unix_ms() >= hours_change_ms_;
  uint64_t last = ui_.last_input_ms();
  if (idle_prompt_ && last > idle_prompt_since_) {  // any touch answers the prompt
    idle_prompt_ = false;
    return true;
  }
  uint64_t timeout = (uint64_t)options_.idle_timeout_s * 1000, grace = (uint64_t)options_.idle_grace_s * 1000;
  if (!idle_prompt_ && now >= last + timeout) {
    idle_prompt_ = true;
    idle_prompt_since_ = now;
    return true;
  }
  if (idle_prompt_ && now >= idle_prompt_since_ + grace) {
    home_and_forget();
    return true;
  }
  return idle_prompt_ || hours_changed || lock_turned;  // the countdown changes every second
}

uint64_t Kiosk::next_deadline_ms(uint64_t now) const {
  if (screen_ == Screen::Home || screen_ == Screen::OutOfService || screen_ == Screen::Waiting) return ~0ull;
  if (idle_prompt_) {
    uint64_t elapsed = now - idle_prompt_since_;
    return now + (1000 - elapsed % 1000);  // next second of the countdown
  }
  uint64_t deadline = ui_.last_input_ms() + (uint64_t)options_.idle_timeout_s * 1000;
  if (shows_office_hours() && hours_change_ms_ != INT64_MAX) {   // the next opening or closing on screen
    const int64_t wait = std::max<int64_t>(0, hours_change_ms_ - platform::wall_clock_unix_ms());
    deadline = std::min(deadline, now + (uint64_t)wait);
  }
  if (screen_ == Screen::Staff) deadline = std::min(deadline, std::max(now, staff_next_refresh_));
  int64_t locked_left = staff_lock_.locked_until_unix_ms - platform::wall_clock_unix_ms();
  if (screen_ == Screen::StaffPin && locked_left > 0)  // when the minutes shown change
    deadline = std::min(deadline, now + (uint64_t)((locked_left - 1) % 60000) + 1);
  return deadline;
}

// [SECTION] Frame ----------------------------------------------------------------------------
void Kiosk::frame(int width, int height, float px_per_mm, uint64_t now) {
  if (services_.tasks) services_.tasks->drain();
  swap_content();  // before anything is laid out: a frame shows one release, never two
  if (screen_ != Screen::StaffPin && !staff_pin_.empty()) wipe(staff_pin_);
  hours_change_ms_ = INT64_MAX;   // the office cards this frame draws set it
  ImDrawList* dl = ImGui::GetBackgroundDrawList();
  ui_.begin_frame(dl, (float)width, (float)height, ui::metrics_for(width, height, px_per_mm), rtl(), now);
  // The background is the GL clear colour (platform::Window, from ground()), not a full-screen
  // quad: on a software rasterizer a blended 1920x1080 quad costs milliseconds every frame.
  ground_ = ui_.theme().background;
  switch (screen_) {
    case Screen::Home: draw_home(); break;
    case Screen::Languages: draw_languages(); break;
    case Screen::Welcome: draw_welcome(); break;
    case Screen::Topics: draw_topics(); break;
    case Screen::Topic: draw_topic(); break;
    case Screen::Procedure: draw_procedure(); break;
    case Screen::Search: draw_search(); break;
    case Screen::Services: draw_services(); break;
    case Screen::Mediator: draw_mediator(); break;
    case Screen::Check: draw_check(); break;
    case Screen::StaffPin: draw_staff_pin(); break;
    case Screen::Staff: draw_staff(); break;
    case Screen::StaffTouch: draw_touch_test(); break;
    case Screen::OutOfService: draw_out_of_service(); break;
    case Screen::Waiting: draw_waiting(); break;
    case Screen::Map: draw_map(); break;
  }
  if (idle_prompt_) draw_idle_prompt(now);
  ui_.end_frame();
}

// Back at the start edge, Home next to it, Language at the end edge; mirrored in RTL.
void Kiosk::nav_bar(float* y) {
  const ui::Metrics& m = ui_.m();
  float h = m.nav_h, bw = std::max(m.min_target * 4, ui_.width() * 0.16f), by = (h - m.button_h) * 0.5f;
  // A line under the bar, no fill: the page colour shows through, and a software rasterizer is
  // spared a blended 1920x104 quad on every frame of a scroll (1 ms of 4 at the median, measured).
  ui_.fill({0, h - 2, ui_.width(), 2}, ui_.theme().outline);
  ui::ButtonStyle quiet{ui::Variant::Surface};
  std::string arrow_back = rtl() ? "→ " : "← ";
  if (ui_.button("nav.back", arrow_back + t("nav.back"), t_lang("nav.back"), {m.pad, by, bw, m.button_h}, quiet)) back();
  if (ui_.button("nav.home", t("nav.home"), t_lang("nav.home"), {2 * m.pad + bw, by, bw, m.button_h}, quiet))
    home_and_forget();
  if (ui_.button("nav.language", t("nav.language"), t_lang("nav.language"),
                 {ui_.width() - m.pad - bw, by, bw, m.button_h}, quiet))
    go(Screen::Languages);
  *y = h + m.pad;
}

}  // namespace app
