// bench-scroll: frame times while a finger scrolls a long Arabic page, through the kiosk's own
// stack (platform window on the offscreen driver with Mesa llvmpipe, ui scroll area with inertia,
// text engine, glyph atlas upload, ImGui OpenGL3 renderer). Prints p50/p95/p99; asserts nothing.
#include "locale/locale.h"
#include "platform.h"
#include "text.h"
#include "ui.h"
#include "steal.h"

#include <imgui.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

int main() {
  platform::clock_use_virtual(true);
  platform::WindowConfig wc;
  wc.width = 1920;
  wc.height = 1080;
  wc.headless = true;
  auto window = platform::Window::open(wc);
  auto engine = text::Engine::create({});
  locale::Strings strings;
  strings.load_dir(SPORTELLO_SOURCE_DIR "/locales");
  if (!window->ok() || !engine->ok()) {
    fprintf(stderr, "bench-scroll: %s%s\n", window->error().c_str(), engine->error().c_str());
    return 1;
  }
  // ~40 paragraphs of real Arabic UI text: a page far longer than the screen.
  std::vector<std::string> paragraphs;
  const char* keys[] = {"welcome.body", "mediator.privacy", "mediator.intro", "oos.body", "search.hint"};
  for (int i = 0; i < 40; i++) paragraphs.push_back(strings.get(keys[i % 5], "ar").text);
  size_t chars = 0;
  for (auto& p : paragraphs) chars += p.size();

  ui::Context ctx(*engine);
  platform::Texture atlas;
  uint64_t generation = ~0ull;
  ui::Metrics m = ui::metrics_for(1920, 1080, window->px_per_mm());
  std::vector<double> times;
  auto frame = [&](bool record) {
    auto t0 = std::chrono::steady_clock::now();
    engine->begin_frame();
    window->begin_frame(1.0f / 60);
    ctx.set_atlas(atlas.imgui_id());
    ctx.begin_frame(ImGui::GetBackgroundDrawList(), 1920, 1080, m, true, platform::now_ms());
    float y = ctx.begin_scroll("page", {0, 0, 1920, 1080});
    for (size_t i = 0; i < paragraphs.size(); i++)
      y += ctx.text("p" + std::to_string(i), paragraphs[i], "ar", {m.pad, y, 1920 - 2 * m.pad, 0}, m.body,
                    ctx.theme().ink) + m.pad;
    ctx.end_scroll(y + ctx.scroll_state("page")->offset);
    ctx.end_frame();
    const text::AtlasPixels& px = engine->atlas();
    if (px.generation != generation) {
      atlas.resize(px.width, px.height);
      atlas.upload(0, 0, px.width, px.height, px.coverage, px.width);
      generation = px.generation;
    } else if (px.dirty_x0 < px.dirty_x1) {
      atlas.upload(px.dirty_x0, px.dirty_y0, px.dirty_x1 - px.dirty_x0, px.dirty_y1 - px.dirty_y0, px.coverage, px.width);
    }
    engine->clear_atlas_dirty();
    window->end_frame();
    window->finish();  // llvmpipe draws lazily: count the drawing, not just the submission
    if (record) times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  };
  frame(false);
  frame(false);  // warm: shaders compiled, first glyphs in the atlas
  CpuTicks before = cpu_ticks();
  for (int round = 0; round < 10; round++) {
    // A flick up, inertia, then a slow drag back down.
    ctx.pointer_down(960, 900);
    for (int i = 1; i <= 10; i++) {
      platform::clock_advance(16);
      ctx.pointer_move(960, 900 - 60.0f * i);
      frame(true);
    }
    ctx.pointer_up(960, 300);
    while (ctx.animating() || times.size() % 60 != 0) {
      platform::clock_advance(16);
      frame(true);
      if (!ctx.animating()) break;
    }
    ctx.pointer_down(960, 200);
    for (int i = 1; i <= 30; i++) {
      platform::clock_advance(16);
      ctx.pointer_move(960, 200 + 20.0f * i);
      frame(true);
    }
    ctx.pointer_up(960, 800);
  }
  double steal = steal_percent(before, cpu_ticks());
  std::sort(times.begin(), times.end());
  auto pct = [&](double p) { return times[std::min(times.size() - 1, (size_t)(p * times.size()))]; };
  printf("bench-scroll: long Arabic page (%zu bytes, %zu paragraphs) at 1920x1080, offscreen + llvmpipe\n", chars,
         paragraphs.size());
  printf("  frame time while scrolling  p50 %5.2f ms  p95 %5.2f ms  p99 %5.2f ms  max %5.2f ms  (%zu frames; goal p99 <= 16)\n",
         pct(0.5), pct(0.95), pct(0.99), times.back(), times.size());
  printf("    meanwhile the host took %.1f %% of this machine's CPU time (steal)\n", steal);
  return 0;
}
