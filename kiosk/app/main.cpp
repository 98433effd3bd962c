// sportello: the kiosk process. Full screen, event driven, offline first.
// Exit codes: 0 done (SIGTERM, or "Riavvia" in the staff view: the service manager starts it
// again), 1 a script step failed, 2 bad options, 3 fonts or strings missing, 4 no display,
// 10 "Esci" in the staff view (the unit's RestartPreventExitStatus=: the kiosk stays closed).
#include "app.h"

#include "content/content.h"
#include "outbox.h"
#include "text.h"
#include "update/update.h"

#include <SDL.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <malloc.h>
#include <fstream>
#include <functional>
#include <thread>

namespace {

std::string default_locales_dir() {
  for (const char* dir : {"/usr/share/sportello/locales", SPORTELLO_SOURCE_LOCALES})
    if (std::filesystem::is_directory(dir)) return dir;
  return SPORTELLO_SOURCE_LOCALES;
}

// The interactive loop: sleep in SDL_WaitEventTimeout until input, a timer or the watchdog. The
// watchdog is fed at the bottom of the loop only: a loop stuck anywhere in it (a deadlock, an
// endless layout) stops feeding it, and the service manager kills and restarts the kiosk.
int run_interactive(app::Runner& runner, app::Kiosk& kiosk, platform::Window& window,
                    const std::function<void()>& after_first_frame) {
  int frames_wanted = 2;
  bool ready = false;
  for (;;) {
    if (app::stop_requested()) {
      platform::log_event(platform::LogLevel::Info, "app", "stopping", "", "stopping (signal)");
      return 0;
    }
    if (kiosk.exit_requested() >= 0) return kiosk.exit_requested();
    uint64_t now = platform::now_ms();
    uint64_t deadline = std::min(kiosk.next_deadline_ms(now), now + std::min<uint64_t>(platform::watchdog_due_ms(), 3600 * 1000));
    int timeout;
    if (frames_wanted > 0) timeout = 0;
    else if (kiosk.animating()) timeout = 16;  // pace inertia even where there is no vsync
    else timeout = (int)std::clamp<uint64_t>(deadline - std::min(deadline, now), 1, 3600 * 1000);
    SDL_Event e;
    bool got = timeout == 0 ? SDL_PollEvent(&e) : SDL_WaitEventTimeout(&e, timeout);
    while (got) {
      // A user event (a task done, a release installed) also asks for frames: update_timers and
      // the frame pick up what it brought.
      if (app::dispatch_event(kiosk, window, e)) frames_wanted = std::max(frames_wanted, 2);
      got = SDL_PollEvent(&e);
    }
    now = platform::now_ms();
    if (kiosk.update_timers(now)) frames_wanted = std::max(frames_wanted, 2);
    if (frames_wanted > 0 || kiosk.animating()) {
      runner.draw(now);
      frames_wanted--;
      if (!ready) {
        platform::notify_ready();
        platform::log_event(platform::LogLevel::Info, "app", "first_frame", "", "first frame presented (%s driver)", window.video_driver());
        ready = true;
        // Start-up (font discovery, shader compilation) leaves freed heap behind: give it back,
        // once the screen is up and the service manager told.
        malloc_trim(0);
        after_first_frame();
      }
    }
    platform::watchdog_kick();  // the loop went round
  }
}

// sportello-uploader, installed beside this program (the build puts both in kiosk/app/).
std::string default_uploader_program() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "sportello-uploader" : (self.parent_path() / "sportello-uploader").string();
}

// Opens the outbox and, with a hub configured, creates the uploader process (main() starts it).
// Returns an exit status.
int open_requests(const app::Options& o, int64_t content_version, int64_t base_version, outbox::Outbox* box,
                  std::unique_ptr<outbox::UploaderProcess>* uploader) {
  outbox::Config oc;
  oc.db_path = o.outbox_db;
  oc.hub_url = o.hub_url;
  oc.kiosk_id = o.kiosk_id.empty() ? "unprovisioned" : o.kiosk_id;
  oc.ref_prefix = o.ref_prefix;
  oc.hub_public_key_b64 = o.hub_public_key;
  oc.ca_file = o.hub_ca_file;
  oc.pinned_public_key = o.hub_pin;
  oc.heartbeat_interval_ms = 5 * 60 * 1000;
  if (content_version > 0) oc.content_version = std::to_string(content_version);
  if (!o.hub_token_file.empty()) {
    std::ifstream in(o.hub_token_file);
    std::getline(in, oc.token);
    if (oc.token.empty()) {
      fprintf(stderr, "sportello: cannot read the hub token from %s\n", o.hub_token_file.c_str());
      return 2;
    }
    if (std::any_of(oc.token.begin(), oc.token.end(), [](char c) { return c <= ' ' || c > '~'; })) {
      fprintf(stderr, "sportello: %s does not hold a hub token (printable ASCII, one line)\n", o.hub_token_file.c_str());
      return 2;
    }
  }
  *box = outbox::Outbox::open(oc);
  if (!box->ok()) {
    // The kiosk still informs; the request screens say the request cannot be saved.
    platform::log(platform::LogLevel::Error, "outbox", "%s", box->error().c_str());
    return 0;
  }
  if (o.hub_url.empty()) return 0;
  if (o.updates()) {
    // The updater runs beside the uploader, in the network process; this process only reads
    // what it installs.
    update::Config uc;
    uc.state_dir = o.state_dir;
    uc.hub_url = o.hub_url;
    uc.token = oc.token;
    uc.targets_url = o.content_mirror;
    uc.ca_file = o.hub_ca_file;
    uc.pinned_public_key = o.hub_pin;
    uc.trust = o.trust;
    uc.base_version = base_version;
    uc.poll_interval_ms = (uint64_t)o.update_interval_s * 1000;
    oc.update_config = update::config_to_json(uc);
  }
  // Delivery runs in its own process: libcurl never loads into this one (see outbox.h). It is
  // started by main() on the worker thread, so the first frame never waits for it.
  *uploader = std::make_unique<outbox::UploaderProcess>(
      oc, o.uploader_program.empty() ? default_uploader_program() : o.uploader_program);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  app::ParseResult parsed = app::parse_options(argc, argv);
  if (!parsed.ok) {
    fprintf(stderr, "sportello: %s\n", parsed.error.c_str());
    return 2;
  }
  app::Options& o = parsed.options;
  if (o.show_help) {
    fputs(app::usage(), stdout);
    return 0;
  }
  if (o.hash_pin) return app::hash_pin_command();
  // Before any thread or child starts: the uploader process inherits the target with the
  // environment, so both processes log the same way.
  if (!o.log_target.empty()) {
    setenv("SPORTELLO_LOG_TARGET", o.log_target.c_str(), 1);
    platform::LogTarget target;
    if (platform::log_target_from_name(o.log_target, &target)) platform::log_set_target(target);
  }
  platform::log_set_kiosk_id(o.kiosk_id);
  platform::trace_enable(o.trace_startup);
  platform::trace("options parsed");
  // Before any thread starts, so all of them leave the stop signals to the one that waits for them.
  // Headless runs keep the default: a signal ends a script at once.
  if (!o.headless) app::install_stop_signals();
  if (o.headless) {
    platform::clock_use_virtual(true);
    std::error_code ec;
    std::filesystem::create_directories(o.out_dir, ec);
    if (!std::filesystem::is_directory(o.out_dir)) {
      fprintf(stderr, "sportello: cannot create the output directory %s\n", o.out_dir.c_str());
      return 2;
    }
  }

  // Fonts and strings load on a helper thread while SDL and the GL driver start on this one:
  // together they are most of the start-up time. The engine is used only by this thread after.
  std::unique_ptr<text::Engine> engine;
  locale::Strings strings;
  bool strings_ok = false;
  content::Pack pack;
  content::OpenResult pack_state;
  int64_t release_version = 0, pack_version = 0;
  std::vector<std::string> content_log;
  if (o.locales_dir.empty()) o.locales_dir = default_locales_dir();
  app::MapSource map_source;
  std::string release_map;
  std::thread loader([&] {
    text::EngineConfig text_config;
    text_config.font_dir = o.font_dir;
    engine = text::Engine::create(text_config);
    platform::trace("loader: text engine created (font files found)");
    // The newest installed release that opens comes first (one that fails is rolled back here);
    // else the operator's pack. With a pack, its compiled UI strings are the kiosk's strings. A
    // pack that cannot be used puts the kiosk out of service, with the strings of the locales
    // folder to say so.
    if (!o.state_dir.empty()) {
      app::OpenedRelease r = app::open_installed(o.state_dir, o.trust, o.locales_dir, 0);
      content_log = std::move(r.log);
      if (r.ok) {
        pack = std::move(r.pack);
        strings = std::move(r.strings);
        release_version = r.version;
        release_map = r.map_path;
      }
    }
    if (release_version) platform::trace("loader: installed release opened");
    if (!release_version && !o.content_pack.empty()) {
      pack_state = pack.open(o.content_pack);
      platform::trace("loader: pack opened");
      if (pack_state.ok) {
        pack_version = pack.content_version();
        for (const std::string& lang : pack.ui_languages()) strings.add(pack.ui_catalog(lang));
        pack.release_cache();
      }
    }
    // The tile file is opened and checked here, off the frame; a bad one leaves the schematic. A
    // signed release's map wins over a file placed by hand.
    map_source = release_map.empty() ? app::open_map_source(o.map_file, "--map")
                                     : app::open_map_source(release_map, "rilascio " + std::to_string(release_version) + ":");
    strings_ok = strings.has_language("it") || (strings.load_dir(o.locales_dir) && strings.has_language("it"));
    platform::trace("loader: UI strings loaded");
    if (engine->ok() && strings_ok) app::warm_up(*engine, strings, o);
    platform::trace("loader: first screen's fonts opened and shaped");
  });
  platform::WindowConfig window_config;
  window_config.width = o.width;
  window_config.height = o.height;
  window_config.headless = o.headless;
  window_config.display_width_mm = o.display_width_mm;
  std::unique_ptr<platform::Window> window = platform::Window::open(window_config);
  loader.join();
  platform::trace("window and loader ready");
  if (!engine->ok()) {
    fprintf(stderr, "sportello: %s\n", engine->error().c_str());
    return 3;
  }
  if (!strings_ok) {
    fprintf(stderr, "sportello: no UI strings in %s (expected it.po, en.po, ...)\n", o.locales_dir.c_str());
    return 3;
  }
  for (const std::string& w : strings.warnings()) platform::log(platform::LogLevel::Warn, "locale", "%s", w.c_str());
  if (!window->ok()) {
    fprintf(stderr, "sportello: %s\n", window->error().c_str());
    return 4;
  }

  // Mediator requests: the outbox opens even without a hub (offline is normal); the uploader
  // starts when a hub is configured.
  outbox::Outbox box;
  std::unique_ptr<outbox::UploaderProcess> uploader;
  app::Tasks tasks;  // after box and uploader: destroyed first, so its jobs never outlive them
  app::Services services;
  services.tasks = &tasks;
  services.pack_slot = &pack;
  for (const std::string& line : content_log) platform::log(platform::LogLevel::Info, "content", "%s", line.c_str());
  if (release_version) {
    services.pack = &pack;
    services.content_version = release_version;
  } else if (!o.content_pack.empty()) {
    if (pack_state.ok) {
      services.pack = &pack;
      services.content_version = pack_version;
      if (!o.desk.empty() && pack.mediator_days(o.desk).empty())  // a typo would give visitors the wrong day
        platform::log(platform::LogLevel::Warn, "content",
                      "the pack lists no mediator days for desk \"%s\"; using --mediator-days", o.desk.c_str());
    } else {
      services.out_of_service = true;
      platform::log(platform::LogLevel::Error, "content", "out of service: %s", pack_state.error.c_str());
    }
  } else if (!o.state_dir.empty()) {
    services.waiting = true;  // a first boot: the first release installed is taken
    platform::log(platform::LogLevel::Info, "content", "no content yet: waiting for the first release from the hub");
  }
  // As the package installs it, a kiosk has a state directory but no key yet: it shows that it
  // waits for its content (with its id, for the operator) instead of refusing to start.
  if (!o.state_dir.empty() && o.trust.keys.empty())
    platform::log(platform::LogLevel::Warn, "content",
                  "no release-key in the configuration: no release can be verified, so none is installed");
  if (!o.outbox_db.empty()) {
    int status = open_requests(o, services.content_version, pack_version, &box, &uploader);
    if (status != 0) return status;
    if (box.ok()) services.outbox = &box;
    services.uploader = uploader.get();
  }

  app::Kiosk kiosk(o, *engine, strings, services);
  kiosk.set_map(std::move(map_source));   // without tiles the map screen draws its schematic
  app::Runner runner(*window, *engine, kiosk);
  // What the network process installs (or an operator copies in) reaches the screen through the
  // state directory: the watcher wakes the loop, and nothing polls while nothing changes.
  std::unique_ptr<update::Watcher> watcher;
  if (!o.state_dir.empty()) {
    watcher = std::make_unique<update::Watcher>(o.state_dir, [&kiosk] { kiosk.content_changed(); });
    if (!watcher->ok()) platform::log(platform::LogLevel::Error, "content", "cannot watch %s: %s", o.state_dir.c_str(),
                                      watcher->error().c_str());
  }
  runner.record_frame_times(!o.frame_stats.empty());
  // The uploader process starts on the worker thread once the screen is up: on two cores its
  // exec and libcurl's loading would otherwise delay the first frame.
  auto start_uploader = [&tasks, up = uploader.get(), version = services.content_version] {
    if (!up) return;
    tasks.run([up, version]() -> app::Tasks::Done {
      std::string error;
      if (!up->start(&error)) platform::log(platform::LogLevel::Error, "outbox", "uploader: %s", error.c_str());
      else if (version > 0) up->content_running(version);
      return nullptr;
    });
  };
  if (!o.headless) {
    int status = run_interactive(runner, kiosk, *window, start_uploader);
    platform::notify_stopping();
    return status;
  }
  start_uploader();

  app::ScriptResult result = app::run_script(runner, o.script, o.out_dir);
  if (!o.frame_stats.empty()) {
    FILE* f = fopen(o.frame_stats.c_str(), "w");
    if (f) {
      for (const app::Runner::FrameTime& t : runner.frame_times())
        fprintf(f, "%.3f %.3f %.3f %.3f %.3f %.3f %d %.3f\n", t.ms, t.end_ms, t.layout_ms, t.atlas_ms, t.submit_ms,
                t.gpu_ms, t.vertices, t.cpu_ms);
      fclose(f);
    }
  }
  if (!result.ok) {
    fprintf(stderr, "sportello: %s\n", result.error.c_str());
    return 1;
  }
  return result.exit_status >= 0 ? result.exit_status : 0;
}
