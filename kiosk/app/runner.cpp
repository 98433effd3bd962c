// [SECTION] Runner: one frame = screens laid out, glyph atlas uploaded, ImGui rendered.
#include "app.h"

#include "text.h"

#include <imgui.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <thread>

namespace app {

Runner::Runner(platform::Window& window, text::Engine& engine, Kiosk& kiosk)
    : window_(window), engine_(engine), kiosk_(kiosk) {}

// CPU time of the whole process (every thread: llvmpipe's rasterizers, the map's worker), in ms:
// a frame's work, which a busy machine stretches less than its wall time.
static double process_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void Runner::draw(uint64_t now_ms) {
  auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = record_frame_times_ ? process_cpu_ms() : 0;
  float dt = frames_ == 0 ? 1.0f / 60.0f : (float)(now_ms - last_frame_ms_) / 1000.0f;
  last_frame_ms_ = now_ms;
  // A glyph that did not fit the atlas was left out of the frame: the atlas grows (or evicts) at
  // the next begin_frame(), so lay the frame out again rather than present it with a hole. Again
  // while it grows, once after an eviction: a screen that needs more than the whole atlas at its
  // maximum size is presented incomplete rather than laid out over and over.
  for (int attempt = 0;; attempt++) {
    int width_before = engine_.atlas().width;
    engine_.begin_frame();
    bool grew = engine_.atlas().width != width_before;
    window_.begin_frame(std::max(dt, 0.001f));
    kiosk_.ui().set_atlas(atlas_.imgui_id());
    kiosk_.frame(window_.width(), window_.height(), window_.px_per_mm(), now_ms);
    if (frames_ == 0 && attempt == 0) platform::trace("first layout");
    if (!engine_.needs_redraw() || (attempt > 0 && !grew) || attempt == 3) break;
    window_.discard_frame();
  }
  auto t_layout = std::chrono::steady_clock::now();
  upload_atlas();
  redraw_ = engine_.needs_redraw();
  if (redraw_ && (missing_warned_ms_ == 0 || now_ms - missing_warned_ms_ >= 60000)) {   // once a minute
    platform::log(platform::LogLevel::Warn, "text", "frame presented with glyphs missing: the glyph atlas is full");
    missing_warned_ms_ = std::max<uint64_t>(now_ms, 1);
  }
  auto t_submit = std::chrono::steady_clock::now();
  window_.set_clear_colour(kiosk_.ground());
  window_.end_frame();
  auto t_present = std::chrono::steady_clock::now();
  const ImDrawData* data = ImGui::GetDrawData();
  const int vertices = data ? data->TotalVtxCount : 0;
  if (frames_ == 0) platform::trace("first frame presented");
  platform::watchdog_kick();  // a frame presented: the loop (or the script player) runs
  if (record_frame_times_) window_.finish();  // llvmpipe draws lazily: time the drawing itself
  frames_++;
  // Benchmarks want the frames a finger or inertia caused, not start-up or idle redraws.
  // The end time lets a benchmark pick the frames drawn while something else happened (a download).
  if (record_frame_times_ && frame_times_.size() < 100000 && (kiosk_.touching() || kiosk_.animating())) {
    auto t1 = std::chrono::steady_clock::now();
    auto ms = [](auto a, auto b) { return std::chrono::duration<float, std::milli>(b - a).count(); };
    frame_times_.push_back({ms(t0, t1), std::chrono::duration<double, std::milli>(t1.time_since_epoch()).count(),
                            ms(t0, t_layout), ms(t_layout, t_submit), ms(t_submit, t_present), ms(t_present, t1),
                            vertices, (float)(process_cpu_ms() - cpu0)});
  }
}

// Glyphs rasterized while laying out this frame reach the GPU before it is drawn.
void Runner::upload_atlas() {
  const text::AtlasPixels& px = engine_.atlas();
  if (px.generation != atlas_generation_ || atlas_.width() != px.width) {
    if (atlas_.width() != 0 && atlas_.width() != px.width)
      platform::log(platform::LogLevel::Info, "text", "glyph atlas grew to %dx%d", px.width, px.height);
    atlas_.resize(px.width, px.height);
    atlas_.upload(0, 0, px.width, px.height, px.coverage, px.width);
    atlas_generation_ = px.generation;
  } else if (px.dirty_x0 < px.dirty_x1 && px.dirty_y0 < px.dirty_y1) {
    atlas_.upload(px.dirty_x0, px.dirty_y0, px.dirty_x1 - px.dirty_x0, px.dirty_y1 - px.dirty_y0, px.coverage, px.width);
  }
  engine_.clear_atlas_dirty();
}

void Runner::settle() {
  auto t0 = std::chrono::steady_clock::now();
  auto in_time = [&] { return std::chrono::steady_clock::now() - t0 < std::chrono::seconds(120); };
  do {
    // Draw until the frame is stable: two frames after the last change, as ImGui needs, and
    // while inertia runs. Bounded, so a bug that animates forever cannot hang a script.
    for (int i = 0; i < 3 || ((kiosk_.animating() || redraw_) && i < 600); i++) {
      uint64_t now = platform::now_ms();
      kiosk_.update_timers(now);
      draw(now);
      if (kiosk_.animating()) platform::clock_advance(16);
    }
    // Background work those frames started (an enqueue's fsync, a status query) takes real
    // time even on the virtual clock: wait for it, bounded, then draw what it changed.
    while (kiosk_.busy() && in_time()) {
      draw(platform::now_ms());
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  } while (kiosk_.busy() && in_time());
  for (int i = 0; i < 3; i++) draw(platform::now_ms());
}

void Runner::advance(uint64_t ms) {
  uint64_t end = platform::now_ms() + ms;
  while (platform::now_ms() < end) {
    uint64_t now = platform::now_ms();
    // Frame by frame while something moves; otherwise jump to the next timer.
    uint64_t step = kiosk_.animating() ? 16 : std::min(kiosk_.next_deadline_ms(now), end) - now;
    platform::clock_advance(std::max<uint64_t>(1, std::min(step, end - now)));
    now = platform::now_ms();
    bool changed = kiosk_.update_timers(now);
    if (changed || kiosk_.animating()) draw(now);
  }
  settle();
}

bool Runner::screenshot(const std::string& path) {
  std::vector<uint8_t> rgba;
  if (!window_.read_pixels(&rgba)) return false;
  return platform::write_png(path, window_.width(), window_.height(), rgba);
}

}  // namespace app
