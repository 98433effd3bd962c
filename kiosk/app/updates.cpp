// [SECTION] Content updates: open an installed release off the frame, and put it on screen only
// between visitors. The network process (sportello-uploader) downloads, verifies and installs;
// this process only reads the state directory, so libcurl never loads here.
#include "app.h"

#include "outbox.h"

#include <SDL.h>

#include <chrono>
#include <thread>

namespace app {

// A pack is usable when it opens (schema, integrity), is the version its signed release names,
// and has something to show. Fills the release's UI strings.
static bool validate(OpenedRelease* r, const std::string& path, int64_t version, const std::string& locales_dir,
                     std::string* why) {
  content::OpenResult opened = r->pack.open(path);
  if (!opened.ok) {
    *why = opened.error;
    return false;
  }
  if (r->pack.content_version() != version) {
    *why = "the pack inside says content version " + std::to_string(r->pack.content_version()) + ", its release " +
           std::to_string(version);
    return false;
  }
  if (r->pack.topics().empty()) {
    *why = "the pack has no topics" + (r->pack.last_error().empty() ? "" : " (" + r->pack.last_error() + ")");
    return false;
  }
  r->strings = locale::Strings();
  for (const std::string& lang : r->pack.ui_languages()) r->strings.add(r->pack.ui_catalog(lang));
  if (!r->strings.has_language("it") && !(r->strings.load_dir(locales_dir) && r->strings.has_language("it"))) {
    *why = "no Italian UI strings in the pack or in " + locales_dir;
    return false;
  }
  r->pack.release_cache();
  return true;
}

OpenedRelease open_installed(const std::string& state_dir, const release::Trust& trust, const std::string& locales_dir,
                             int64_t running) {
  OpenedRelease r;
  // Each failure rolls current.json back one release; bounded in case roll_back cannot say no.
  for (int attempt = 0; attempt < 4; attempt++) {
    update::Installed inst = update::select_installed(state_dir, trust);
    if (!inst.ok) {
      if (!inst.error.empty()) r.log.push_back("no installed release to run: " + inst.error);
      break;
    }
    if (inst.from_previous) r.log.push_back("the current release failed its checks (" + inst.error +
                                            "); using the previous one, version " + std::to_string(inst.version));
    if (inst.version == running) break;
    std::string why;
    if (validate(&r, inst.pack_path, inst.version, locales_dir, &why)) {
      r.ok = true;
      r.version = inst.version;
      r.map_path = inst.map_path;
      r.log.push_back("content release " + std::to_string(inst.version) + " opened");
      break;
    }
    r.pack.close();
    r.log.push_back("content release " + std::to_string(inst.version) + " cannot be used: " + why);
    std::string error;
    if (!update::roll_back(state_dir, inst.version, why, &error)) {
      r.log.push_back("no release to roll back to: " + error);
      break;
    }
    r.log.push_back("rolled back from content release " + std::to_string(inst.version));
  }
  return r;
}

// The Watcher's thread: flag it, and wake the loop (SDL_PushEvent is thread-safe). The frame loop
// draws on a user event, and the next update_timers() picks the flag up.
void Kiosk::content_changed() {
  content_changed_.store(true);
  SDL_Event wake{};
  wake.type = SDL_USEREVENT;
  SDL_PushEvent(&wake);
}

bool Kiosk::handle_event(const SDL_Event& event, int w, int h) {
  ui_.input_time(platform::now_ms());
  if (event.type == SDL_USEREVENT) return true;  // a task finished or content arrived: draw it
  bool touched = screen_ == Screen::StaffTouch && touch_event(event, w, h);
  if (screen_ == Screen::Map) return map_event(event, w, h);
  return ui_.handle_event(event, w, h) || touched;
}

void Kiosk::poll_content() {
  if (!content_changed_.exchange(false)) return;
  if (content_loading_) {  // installed again while the last one was being opened: look once more
    content_reload_ = true;
    return;
  }
  if (!services_.tasks || options_.state_dir.empty()) return;
  content_loading_ = true;
  int64_t known = next_ ? next_->version : running_version_;
  std::string state_dir = options_.state_dir, locales_dir = options_.locales_dir;
  release::Trust trust = options_.trust;
  services_.tasks->run([this, state_dir, trust, locales_dir, known]() -> Tasks::Done {
    auto opened = std::make_shared<OpenedRelease>(open_installed(state_dir, trust, locales_dir, known));
    return [this, opened]() {
      content_loading_ = false;
      for (const std::string& line : opened->log) platform::log(platform::LogLevel::Info, "content", "%s", line.c_str());
      if (opened->ok) {
        next_ = std::make_unique<OpenedRelease>(std::move(*opened));
        if (next_->version == running_version_) next_.reset();  // a roll back to what runs
      }
      if (content_reload_) {
        content_reload_ = false;
        content_changed_.store(true);
        poll_content();
      }
    };
  });
}

// The screens that belong to nobody: a swap there cannot change a page under a visitor's eyes.
void Kiosk::swap_content() {
  if (!next_ || idle_prompt_) return;
  if (!next_->map_path.empty() && next_->map_path != map_.path && !map_next_) {
    // A new map in the release: open it on the worker; the swap waits for it (a few ms).
    if (!map_opening_ && services_.tasks) {
      map_opening_ = true;
      std::string path = next_->map_path;
      std::string origin = "rilascio " + std::to_string(next_->version) + ":";
      services_.tasks->run([this, path, origin]() -> Tasks::Done {
        auto opened = std::make_shared<MapSource>(open_map_source(path, origin));
        return [this, opened]() {
          map_opening_ = false;
          map_next_ = std::make_unique<MapSource>(std::move(*opened));
        };
      });
    }
    if (map_opening_) return;
  }
  if (screen_ != Screen::Home && screen_ != Screen::Waiting && screen_ != Screen::OutOfService) return;
  std::unique_ptr<OpenedRelease> next = std::move(next_);
  // The old pack closes here, on the frame; closing a read-only SQLite file is cheap.
  *services_.pack_slot = std::move(next->pack);
  strings_ = std::move(next->strings);
  services_.pack = services_.pack_slot;
  services_.out_of_service = false;
  services_.waiting = false;
  running_version_ = next->version;
  // The release's map comes with it: opened on the worker first (a read), then swapped here.
  if (map_next_) {
    set_map(std::move(*map_next_));
    map_next_.reset();
  }
  reset_content_caches();
  home_and_forget();
  platform::log_event(platform::LogLevel::Info, "content", "content_shown", "", "now showing content release %lld",
                      (long long)running_version_);
  if (services_.uploader && services_.tasks) {  // the heartbeat says what the screen runs
    outbox::UploaderProcess* up = services_.uploader;
    int64_t version = running_version_;
    services_.tasks->run([up, version]() -> Tasks::Done {
      up->content_running(version);
      return nullptr;
    });
  }
}

// Everything read from the old pack, so no page shows a mix of two releases.
void Kiosk::reset_content_caches() {
  topic_list_.clear();
  procedure_.reset();
  italian_.reset();
  procedure_key_.clear();
  services_list_.clear();
  service_kinds_.clear();
  services_key_.clear();
  office_cards_.clear();
  office_cards_lang_.clear();
  hours_change_ms_ = INT64_MAX;
  extra_holidays_ = services_.pack ? services_.pack->extra_holidays() : std::vector<std::string>{};
  staff_ = StaffView{};
}

bool Kiosk::await_content(int64_t version, uint64_t timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    poll_content();
    if (services_.tasks) services_.tasks->drain();
    if (std::max(running_version_, content_pending()) >= version) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace app
