// [SECTION] Automation contract: play a script of touches and waits on the virtual clock,
// write the UI tree as JSON and screenshots as PNG. See README "Automation contract".
#include "app.h"

#include <nlohmann/json.hpp>
#include <SDL.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <malloc.h>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace app {

std::string dump_json(const Kiosk& kiosk, int width, int height, uint64_t frames) {
  nlohmann::json tree;
  tree["screen"] = screen_id(kiosk.screen());
  tree["lang"] = kiosk.lang();
  tree["direction"] = kiosk.rtl() ? "rtl" : "ltr";
  tree["size"] = {width, height};
  tree["idle_prompt"] = kiosk.idle_prompt();
  tree["frames"] = frames;  // drawn since start: lets a test see that waiting drew nothing
  // Resident memory now (benchmarks compare two runs at the same step; peaks are too noisy under llvmpipe).
  long pages_total = 0, pages_resident = 0;
  if (FILE* f = fopen("/proc/self/statm", "r")) {
    if (fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2) pages_resident = 0;
    fclose(f);
  }
  tree["rss_kb"] = pages_resident * (sysconf(_SC_PAGESIZE) / 1024);
  // The same after the allocator returned its free memory (malloc_trim): what is held, not what
  // the last frames' large temporary buffers (llvmpipe's) left free in the heap.
  malloc_trim(0);
  if (FILE* f = fopen("/proc/self/statm", "r")) {
    if (fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2) pages_resident = 0;
    fclose(f);
  }
  tree["rss_trimmed_kb"] = pages_resident * (sysconf(_SC_PAGESIZE) / 1024);
  tree["map_tile_bytes"] = kiosk.map_tile_bytes();
  tree["map_image_bytes"] = kiosk.map_image_bytes();
  // The content release (or pack) the screen runs; null when it has none.
  tree["content_version"] = kiosk.content_running() > 0 ? nlohmann::json(kiosk.content_running()) : nlohmann::json();
  if (kiosk.screen() == Screen::Map) {   // the camera, so a test can project an office itself
    const MapView& v = kiosk.map_view();
    tree["map"] = {{"center", {v.cx, v.cy}},
                   {"zoom", v.zoom},
                   {"view", {v.view.x, v.view.y, v.view.w, v.view.h}},
                   {"tiles", v.tiles},
                   {"tiles_visible", v.tiles_visible},
                   {"tiles_own", v.tiles_own},
                   {"first_complete_ms", v.first_complete_ms}};
  }
  nlohmann::json elements = nlohmann::json::array();
  for (const ui::Element& e : kiosk.ui().elements()) {
    elements.push_back({{"id", e.id},
                        {"role", e.role},
                        {"text", e.text},
                        {"lang", e.lang},
                        {"direction", e.rtl ? "rtl" : "ltr"},
                        {"selected", e.selected},
                        {"rect", {e.rect.x, e.rect.y, e.rect.w, e.rect.h}}});
  }
  tree["elements"] = std::move(elements);
  // Text went through the engine, so it is valid UTF-8; replace rather than throw regardless.
  return tree.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

// The script's pointer is a finger (kPointer) of the kiosk: on the map screen it pans.
static void tap_at(Runner& r, float x, float y) {
  r.kiosk().finger_down(kPointer, x, y);
  r.draw(platform::now_ms());
  platform::clock_advance(60);
  r.kiosk().finger_up(kPointer, x, y);
  r.settle();
}

// Two taps 150 ms apart at one place.
static void double_tap(Runner& r, float x, float y) {
  r.kiosk().finger_down(kPointer, x, y);
  r.draw(platform::now_ms());
  platform::clock_advance(60);
  r.kiosk().finger_up(kPointer, x, y);
  r.draw(platform::now_ms());
  platform::clock_advance(90);
  tap_at(r, x, y);
}

// Two fingers on a horizontal line through (cx, cy), `d0` px apart, spread (or closed) to `d1`
// px apart over `ms`, a frame drawn per step as the interactive loop would: a pinch.
static void pinch(Runner& r, float cx, float cy, float d0, float d1, int ms) {
  Kiosk& k = r.kiosk();
  k.finger_down(1, cx - d0 / 2, cy);
  k.finger_down(2, cx + d0 / 2, cy);
  r.draw(platform::now_ms());
  int steps = std::max(1, ms / 16);
  for (int i = 1; i <= steps; i++) {
    platform::clock_advance((uint64_t)ms / steps);
    float d = d0 + (d1 - d0) * i / steps;
    bool a = k.finger_move(1, cx - d / 2, cy), b = k.finger_move(2, cx + d / 2, cy);
    if (a || b) r.draw(platform::now_ms());
  }
  k.finger_up(1, cx - d1 / 2, cy);
  k.finger_up(2, cx + d1 / 2, cy);
  r.settle();
}

static void drag(Runner& r, float x1, float y1, float x2, float y2, int ms) {
  Kiosk& k = r.kiosk();
  k.finger_down(kPointer, x1, y1);
  r.draw(platform::now_ms());
  int steps = std::max(1, ms / 16);
  for (int i = 1; i <= steps; i++) {
    platform::clock_advance((uint64_t)ms / steps);
    float t = (float)i / steps;
    // As the interactive loop does: a move that changes nothing on screen draws no frame.
    if (k.finger_move(kPointer, x1 + (x2 - x1) * t, y1 + (y2 - y1) * t)) r.draw(platform::now_ms());
  }
  k.finger_up(kPointer, x2, y2);
  r.draw(platform::now_ms());
}

// Events go through SDL's queue and the interactive loop's dispatch, as a keyboard's would.
static void pump(Runner& r) {
  SDL_Event e;
  while (SDL_PollEvent(&e)) app::dispatch_event(r.kiosk(), r.window(), e);
  r.settle();
}

static void push(const SDL_Event& e) {
  SDL_Event copy = e;
  SDL_PushEvent(&copy);
}

// N fingers down together near (x, y), moved by (dx, dy) over ms, lifted: a multi-finger gesture.
static void fingers(Runner& r, int n, float x, float y, float dx, float dy, int ms) {
  float w = (float)r.window().width(), h = (float)r.window().height();
  auto finger = [&](Uint32 type, int i, float fx, float fy) {
    SDL_Event e{};
    e.type = type;
    e.tfinger.touchId = 1;
    e.tfinger.fingerId = i;
    e.tfinger.x = std::clamp((fx + i * 40.0f) / w, 0.0f, 1.0f);
    e.tfinger.y = std::clamp(fy / h, 0.0f, 1.0f);
    e.tfinger.pressure = 1;
    push(e);
  };
  for (int i = 0; i < n; i++) finger(SDL_FINGERDOWN, i, x, y);
  pump(r);
  int steps = std::max(1, ms / 16);
  for (int s = 1; s <= steps; s++) {
    platform::clock_advance((uint64_t)ms / steps);
    for (int i = 0; i < n; i++) finger(SDL_FINGERMOTION, i, x + dx * s / steps, y + dy * s / steps);
    SDL_Event g{};
    g.type = SDL_MULTIGESTURE;
    g.mgesture.touchId = 1;
    g.mgesture.numFingers = (Uint16)n;
    g.mgesture.dDist = 0.01f;
    push(g);
    SDL_Event ev;
    while (SDL_PollEvent(&ev)) app::dispatch_event(r.kiosk(), r.window(), ev);
    r.draw(platform::now_ms());
  }
  for (int i = 0; i < n; i++) finger(SDL_FINGERUP, i, x + dx, y + dy);
  pump(r);
}

// Written beside and renamed into place: a reader (or a kill -9) never sees half a file.
static bool write_file(const std::string& path, const std::string& data) {
  std::string part = path + ".part";
  bool written;
  {
    std::ofstream out(part, std::ios::binary);
    out << data;
    out.close();
    written = !out.fail();
  }
  if (written && std::rename(part.c_str(), path.c_str()) == 0) return true;
  std::remove(part.c_str());
  return false;
}

// One step; returns an error text or "".
static std::string step(Runner& r, const std::string& cmd, std::istringstream& args, const std::string& rest,
                        const std::string& out_dir) {
  if (cmd == "tap") {
    std::string id;
    args >> id;
    const ui::Element* e = r.kiosk().ui().find(id);
    if (!e) return "no element with id " + id + " on screen " + screen_id(r.kiosk().screen());
    tap_at(r, e->rect.x + e->rect.w * 0.5f, e->rect.y + e->rect.h * 0.5f);
  } else if (cmd == "tap-at") {
    float x, y;
    if (!(args >> x >> y)) return "tap-at needs X Y";
    tap_at(r, x, y);
  } else if (cmd == "double-tap") {
    float x, y;
    if (!(args >> x >> y)) return "double-tap needs X Y";
    double_tap(r, x, y);
  } else if (cmd == "pinch") {
    float x, y, d0, d1;
    int ms;
    if (!(args >> x >> y >> d0 >> d1 >> ms) || d0 < 1 || d1 < 1 || ms < 0) return "pinch needs X Y D0 D1 MS";
    pinch(r, x, y, d0, d1, ms);
  } else if (cmd == "drag") {
    float x1, y1, x2, y2;
    int ms;
    if (!(args >> x1 >> y1 >> x2 >> y2 >> ms) || ms < 0) return "drag needs X1 Y1 X2 Y2 MS";
    drag(r, x1, y1, x2, y2, ms);
  } else if (cmd == "type") {
    r.kiosk().ui().type_text(rest);
    r.settle();
  } else if (cmd == "key") {
    std::string combo, error;
    SDL_Event down, up;
    if (!(args >> combo)) return "key needs a NAME or a combination such as ctrl+alt+f1";
    if (!key_combo_events(combo, &down, &up, &error)) return error;
    push(down);
    push(up);
    pump(r);
  } else if (cmd == "quit") {
    SDL_Event e{};
    e.type = SDL_QUIT;
    push(e);
    pump(r);
  } else if (cmd == "fingers") {
    int n, ms;
    float x, y, dx, dy;
    if (!(args >> n >> x >> y >> dx >> dy >> ms) || n < 1 || n > 10 || ms < 0) return "fingers needs N X Y DX DY MS";
    fingers(r, n, x, y, dx, dy, ms);
  } else if (cmd == "hang") {
    // A loop that stops going round, for the watchdog test: scripts exist only with --headless.
    platform::log(platform::LogLevel::Warn, "app", "script step hang: the loop stops here");
    for (;;) pause();
  } else if (cmd == "wait") {
    long ms;
    if (!(args >> ms) || ms < 0) return "wait needs milliseconds";
    r.advance((uint64_t)ms);
  } else if (cmd == "drain") {
    long ms;
    if (!(args >> ms) || ms < 0) return "drain needs milliseconds";
    bool drained = false;
    r.kiosk().drain_outbox((uint64_t)ms, &drained);
    r.settle();
    if (!drained) return "requests still queued after " + std::to_string(ms) + " ms (is the hub reachable?)";
  } else if (cmd == "await-content") {
    long long version;
    long ms;
    if (!(args >> version >> ms) || version < 1 || ms < 0) return "await-content needs VERSION MS";
    bool arrived = r.kiosk().await_content(version, (uint64_t)ms);
    r.settle();
    if (!arrived)
      return "no content release " + std::to_string(version) + " or later installed after " + std::to_string(ms) +
             " ms (running " + std::to_string(r.kiosk().content_running()) + ")";
  } else if (cmd == "await") {
    // await MS ID TEXT: in real time, at most MS, until element ID is on screen with TEXT in its
    // text. The virtual clock follows real time meanwhile, so the screen's timers (the staff
    // view's refresh) run as they would.
    long ms;
    std::string id;
    if (!(args >> ms >> id) || ms < 0) return "await needs MS ID TEXT";
    std::string want;
    std::getline(args, want);
    want.erase(0, std::min(want.size(), want.find_first_not_of(' ')));
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
      const ui::Element* e = r.kiosk().ui().find(id);
      if (e && e->text.find(want) != std::string::npos) break;
      if (std::chrono::steady_clock::now() >= deadline)
        return "no element " + id + " with \"" + want + "\" after " + std::to_string(ms) + " ms" +
               (e ? " (it says \"" + e->text + "\")" : " (not on screen " + std::string(screen_id(r.kiosk().screen())) + ")");
      auto t0 = std::chrono::steady_clock::now();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      r.advance((uint64_t)std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count());
    }
  } else if (cmd == "dump" || cmd == "shot") {
    std::string name;
    if (!(args >> name) || name.find('/') != std::string::npos) return cmd + " needs a NAME without /";
    if (cmd == "dump") {
      if (!write_file(out_dir + "/" + name + ".json", dump_json(r.kiosk(), r.window().width(), r.window().height(), r.frames())))
        return "cannot write " + out_dir + "/" + name + ".json";
    } else if (!r.screenshot(out_dir + "/" + name + ".png")) {
      return "cannot write " + out_dir + "/" + name + ".png";
    }
  } else {
    return "unknown step \"" + cmd +
           "\" (expected tap, tap-at, double-tap, drag, pinch, fingers, type, key, quit, wait, drain, await-content, await, dump, shot or hang)";
  }
  return {};
}

ScriptResult run_script(Runner& r, const std::string& path, const std::string& out_dir) {
  ScriptResult result;
  std::ifstream in(path);
  if (!in) {
    result.error = path + ": cannot read the script";
    return result;
  }
  r.settle();
  platform::notify_ready();  // the script player is the loop of a headless run
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    number++;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    std::istringstream args(line.substr(start));
    std::string cmd;
    args >> cmd;
    std::string rest;
    size_t sp = line.find(' ', start);
    if (sp != std::string::npos) rest = line.substr(sp + 1);
    std::string err = step(r, cmd, args, rest, out_dir);
    if (!err.empty()) {
      result.error = path + ":" + std::to_string(number) + ": " + err;
      return result;
    }
    platform::watchdog_kick();
    if (r.kiosk().exit_requested() >= 0) {  // "Riavvia" or "Esci": the rest of the script is not played
      result.exit_status = r.kiosk().exit_requested();
      break;
    }
  }
  result.ok = true;
  return result;
}

}  // namespace app
