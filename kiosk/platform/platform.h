// Sportello platform layer: logging, clocks, configuration, and the SDL window/GL context with
// its event loop. The bottom of the kiosk: every other module may use it, it uses none of them.
//
// Two libraries are built from this one header:
//   sportello_platform_core  logging, clock, config  (no SDL: tools, hub and tests link it)
//   sportello_platform       + window, GL context, event loop, screenshots (links SDL2)
#pragma once

#include <cstdarg>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct ImDrawList;
struct ImDrawCmd;
struct ImDrawData;

struct SDL_Window;
union SDL_Event;

namespace platform {

// [SECTION] Logging ---------------------------------------------------------------------------
// One face for every process of the kiosk (sportello, sportello-uploader). Under systemd each
// entry goes to the journal with structured fields (sd_journal_send(3)):
//   MESSAGE=module: text   PRIORITY=3|4|6|7   SYSLOG_IDENTIFIER=sportello|sportello-uploader
//   SPORTELLO_MODULE=outbox   SPORTELLO_EVENT=upload_ok   SPORTELLO_REQUEST_REF=GR1-K7P4X
//   SPORTELLO_KIOSK_ID=GR-01
// otherwise one line per entry on stderr, "sportello[module] level: text". Never pass personal
// data: a visitor's name or phone must not reach a log, whatever the level; a request is named
// by its reference code only.
enum class LogLevel : uint8_t { Debug, Info, Warn, Error };
void log(LogLevel level, const char* module, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
// An entry that is also an event a machine looks for: `event` is a fixed snake_case name
// (request_queued, upload_ok, upload_failed, update_installed, staff_login_failed, ...), `ref` a
// request's reference code or "".
void log_event(LogLevel level, const char* module, const char* event, const std::string& ref, const char* fmt, ...)
    __attribute__((format(printf, 5, 6)));
void log_set_min_level(LogLevel level);
void log_set_sink(std::function<void(LogLevel, const char* module, const char* line)> sink);  // tests
// Where entries go. Auto: the journal when stderr is the journal's stream (JOURNAL_STREAM names
// stderr's device and inode, as systemd.exec(5) says a service should check), else stderr.
// Export: the journal's fields written to stderr in the Journal Export Format (an entry is its
// KEY=VALUE lines and a blank line), for looking at or testing what the journal would get.
// The environment variable SPORTELLO_LOG_TARGET (auto|stderr|journal|export) sets it at start,
// so a child process (the uploader) follows its parent.
enum class LogTarget : uint8_t { Auto, Stderr, Journal, Export };
bool log_target_from_name(std::string_view name, LogTarget* target);  // false for an unknown name
void log_set_target(LogTarget target);
LogTarget log_target();                     // the target in use (Auto resolved)
void log_set_kiosk_id(const std::string& id);  // SPORTELLO_KIOSK_ID of every later entry
// The journal fields of one entry, "KEY=value" each, in the order above (values on one line:
// control characters become spaces).
std::vector<std::string> log_journal_fields(LogLevel level, const char* module, const char* event,
                                            const std::string& ref, const std::string& message);
// The last warnings and errors of this process, oldest first, "HH:MM:SS module: text" (UTC), at
// most kLogRecent (the staff view's "recent errors").
constexpr size_t kLogRecent = 16;
std::vector<std::string> log_recent();

// [SECTION] Clock -----------------------------------------------------------------------------
// Monotonic milliseconds. Headless runs use a virtual clock that only moves when the script says
// "wait", so idle timers and inertia are testable without real waiting.
uint64_t now_ms();
void clock_use_virtual(bool on);            // switch to the virtual clock (starts at 0)
void clock_advance(uint64_t ms);            // virtual clock only
bool clock_is_virtual();
int64_t wall_clock_unix_ms();               // real time of day (for dates shown and stored)
void clock_set_virtual_wall(int64_t unix_ms);  // what wall_clock_unix_ms() says at virtual 0
// Start-up trace (--trace-startup): one stderr line per phase, "sportello[startup] 12.3 ms  phase",
// in real monotonic milliseconds since the process started. Any thread; no-op unless enabled.
void trace_enable(bool on);
void trace(const char* phase);

// [SECTION] Configuration files --------------------------------------------------------------
// `key = value` lines, `#` comments, blank lines ignored. Values are kept as text; the caller
// checks them and reports errors with the line number given here.
struct ConfigEntry {
  std::string key, value;
  int line = 0;
};
struct ConfigFile {
  bool ok = false;
  std::string error;                        // "path:line: what is wrong" or "path: cannot read: ..."
  std::vector<ConfigEntry> entries;
};
ConfigFile read_config_file(const std::string& path);
// Is this a hub address a kiosk may talk to? https://, or plain http:// only on loopback
// (development against a hub on this machine). False with why otherwise.
bool hub_url_allowed(const std::string& url, std::string* error);

// [SECTION] Service manager -------------------------------------------------------------------
// sd_notify(3) through libsystemd; no-ops when the process was not started by systemd (no
// NOTIFY_SOCKET). Main thread only.
void notify_ready();                        // the first frame is up
void notify_stopping();                     // on the way out
// The watchdog proves that the frame loop runs: the loop calls watchdog_kick() each time it has
// gone round, and a ping goes out when half the period has passed (real time, also under the
// virtual clock). A loop stuck in a deadlock or an endless layout stops pinging and is killed.
void watchdog_kick();
uint64_t watchdog_due_ms();                 // real ms until the next ping is due; ~0 without a watchdog
uint64_t watchdog_interval_ms();            // half of WATCHDOG_USEC, or 0 when there is none

// [SECTION] Window, GL context and Dear ImGui (library sportello_platform) ------------------
// One window, full screen on the primary display unless a size is given. Works with any SDL
// video driver; `headless` selects the offscreen driver (EGL on Mesa llvmpipe, no X server).
class Texture;

struct WindowConfig {
  int width = 0, height = 0;                // 0 = full screen on the primary display
  bool headless = false;
  bool vsync = true;
  float display_width_mm = 0;               // physical width if known better than the EDID/DPI
};

class Window {
public:
  // Opens the window, the GL context and ImGui with its SDL2 + OpenGL3 backends. Never null;
  // check ok() and error() (e.g. "no video device: ...").
  static std::unique_ptr<Window> open(const WindowConfig& config);
  ~Window();
  Window(const Window&) = delete;
  Window& operator=(const Window&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  int width() const { return width_; }      // drawable size in pixels
  int height() const { return height_; }
  float px_per_mm() const { return px_per_mm_; }
  const char* video_driver() const;
  SDL_Window* sdl() const { return window_; }

  void begin_frame(float dt_seconds);       // ImGui::NewFrame with the backends
  void end_frame();                         // render ImGui's draw data and present
  // The colour every frame starts from (IM_COL32), until changed: a screen's ground costs nothing
  // as a clear, where a full-screen fill costs llvmpipe a millisecond or more a frame.
  void set_clear_colour(uint32_t rgba) { clear_rgba_ = rgba; }
  void discard_frame();                     // end the ImGui frame without drawing or presenting it
  void finish();                            // wait until the GPU (or llvmpipe) has drawn it (benchmarks)
  // The last frame, RGBA top-down rows. Call after end_frame(), before the next begin_frame().
  bool read_pixels(std::vector<uint8_t>* rgba) const;
  void refresh_size();                      // after SDL_WINDOWEVENT_SIZE_CHANGED

private:
  Window() = default;
  SDL_Window* window_ = nullptr;
  void* gl_context_ = nullptr;
  bool imgui_sdl_ = false, imgui_gl_ = false;
  int width_ = 0, height_ = 0;
  int swap_interval_ = 0;                   // for every frame after the first
  bool presented_ = false;
  uint32_t clear_rgba_ = 0xFFF2F7F7u;       // IM_COL32(247, 247, 242, 255)
  std::unique_ptr<Texture> imgui_font_;     // ImGui's own atlas (its white pixel), as coverage
  float px_per_mm_ = 96.0f / 25.4f;
  std::string error_;
};

// An ImDrawList callback (ImDrawList::AddCallback) after which the list's triangles are drawn
// opaque and untextured: vertex colours only, blending off, until ImDrawCallback_ResetRenderState.
// For large fills of opaque colour (the map's tiles): llvmpipe then shades a pixel without a
// texture fetch or a blend, and drops what an opaque triangle covers whole. Same pixels as
// ImGui's own shader for colours of alpha 255; if its shader cannot be built, ImGui's stays.
void opaque_fills(const ImDrawList* list, const ImDrawCmd* cmd);
// The same for images whose every texel is opaque (the map's tiles): the texel's
// colour as it is, no blend, no vertex colour.
void opaque_images(const ImDrawList* list, const ImDrawCmd* cmd);
// An ImDrawList callback after which the list's quads are text::draw_layout_haloed's: each
// texel's two coverages drawn as the halo, of the colour cmd->UserCallbackData points at
// (IM_COL32, kept alive until the frame is rendered), and the glyph in the vertex colour over
// it, blended as ImGui blends. Until ImDrawCallback_ResetRenderState. If its shader cannot be
// built, ImGui's stays (the glyphs then show as their halo's shape, in the vertex colour).
void halo_text(const ImDrawList* list, const ImDrawCmd* cmd);

// A coverage texture (the glyph atlas; ImGui's own atlas): one byte of coverage per pixel, held
// by GL as R8 and swizzled to white with that alpha (what ImGui's shader expects). Needs the
// window's GL context to be current.
class Texture {
public:
  Texture() = default;
  ~Texture();
  Texture(Texture&& other) noexcept;
  Texture& operator=(Texture&& other) noexcept;
  // (Re)creates storage of this size; contents undefined until uploaded.
  void resize(int width, int height);
  // Copies a sub-rectangle of a coverage image whose full row length is `row_pixels`.
  void upload(int x, int y, int w, int h, const uint8_t* coverage, int row_pixels);
  void* imgui_id() const { return (void*)(uintptr_t)id_; }
  int width() const { return width_; }
  int height() const { return height_; }

private:
  unsigned id_ = 0;
  int width_ = 0, height_ = 0;
};

// An RGBA image uploaded once into a texture (the map's tiles), to be drawn as an image every
// frame after. Move-only owner of the GL texture; one that outlives its window's GL context
// is forgotten, not deleted (the context took it along). Needs that context to be current.
class ImageTexture {
public:
  ImageTexture() = default;
  ~ImageTexture();
  ImageTexture(ImageTexture&& other) noexcept;
  ImageTexture& operator=(ImageTexture&& other) noexcept;
  // A new texture of w x h `pixels` (RGBA bytes, as IM_COL32 words; top-down rows, drawn with
  // uv0 = (0, 0) at the top-left). GL bindings are left as found. An empty texture (ok() false)
  // when there is no GL context.
  static ImageTexture upload(const uint32_t* pixels, int w, int h);
  bool ok() const { return id_ != 0; }
  void* imgui_id() const { return (void*)(uintptr_t)id_; }
  int width() const { return width_; }
  int height() const { return height_; }
  // Its pixels, RGBA top-down rows (tests).
  bool read_pixels(std::vector<uint8_t>* rgba) const;

private:
  unsigned id_ = 0;
  unsigned context_ = 0;                    // the context generation it was made in
  int width_ = 0, height_ = 0;
};

bool write_png(const std::string& path, int width, int height, const std::vector<uint8_t>& rgba);

}  // namespace platform
