// [SECTION] Window: SDL2 window + OpenGL 3 context + Dear ImGui backends, and RGBA textures.
#include "platform.h"
#include "gl_api.h"

#include <SDL.h>
#include <imgui.h>
#include <backends/imgui_impl_opengl3.h>
#include <backends/imgui_impl_sdl.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <cstdlib>

namespace platform {

namespace gl {
Api api;

template <typename F>
static bool load(F* fn, const char* name) {
  *fn = (F)SDL_GL_GetProcAddress(name);
  return *fn != nullptr;
}

bool load_all() {
  return load(&api.GenTextures, "glGenTextures") && load(&api.DeleteTextures, "glDeleteTextures") &&
         load(&api.BindTexture, "glBindTexture") && load(&api.TexParameteri, "glTexParameteri") &&
         load(&api.TexParameteriv, "glTexParameteriv") &&
         load(&api.PixelStorei, "glPixelStorei") && load(&api.TexImage2D, "glTexImage2D") &&
         load(&api.TexSubImage2D, "glTexSubImage2D") && load(&api.ReadPixels, "glReadPixels") &&
         load(&api.Viewport, "glViewport") && load(&api.ClearColor, "glClearColor") &&
         load(&api.Clear, "glClear") && load(&api.GetIntegerv, "glGetIntegerv") && load(&api.Finish, "glFinish") &&
         load(&api.Flush, "glFlush") && load(&api.CreateShader, "glCreateShader") &&
         load(&api.ShaderSource, "glShaderSource") && load(&api.CompileShader, "glCompileShader") &&
         load(&api.GetShaderiv, "glGetShaderiv") && load(&api.DeleteShader, "glDeleteShader") &&
         load(&api.CreateProgram, "glCreateProgram") && load(&api.AttachShader, "glAttachShader") &&
         load(&api.BindAttribLocation, "glBindAttribLocation") && load(&api.LinkProgram, "glLinkProgram") &&
         load(&api.GetProgramiv, "glGetProgramiv") && load(&api.GetAttribLocation, "glGetAttribLocation") &&
         load(&api.GetUniformLocation, "glGetUniformLocation") &&
         load(&api.GetUniformfv, "glGetUniformfv") && load(&api.UseProgram, "glUseProgram") &&
         load(&api.DeleteProgram, "glDeleteProgram") &&
         load(&api.UniformMatrix4fv, "glUniformMatrix4fv") && load(&api.Uniform4f, "glUniform4f") &&
         load(&api.Disable, "glDisable") &&
         load(&api.GenFramebuffers, "glGenFramebuffers") && load(&api.DeleteFramebuffers, "glDeleteFramebuffers") &&
         load(&api.BindFramebuffer, "glBindFramebuffer") &&
         load(&api.FramebufferTexture2D, "glFramebufferTexture2D") &&
         load(&api.CheckFramebufferStatus, "glCheckFramebufferStatus") && load(&api.Enable, "glEnable") &&
         load(&api.IsEnabled, "glIsEnabled") && load(&api.GetFloatv, "glGetFloatv") &&
         load(&api.Scissor, "glScissor");
}

constexpr GLenum VERTEX_SHADER = 0x8B31, FRAGMENT_SHADER = 0x8B30, COMPILE_STATUS = 0x8B81, LINK_STATUS = 0x8B82,
                 CURRENT_PROGRAM = 0x8B8D;

// Our programs beside ImGui's: ImGui's vertex layout (its program's attribute locations, bound
// before linking, so ImGui's vertex array serves them). The opaque ones, blending off, take the
// vertex colour (fills) or the texel (opaque images, such as the map's tiles); the haloed text's
// takes both and blends as ImGui's does.
struct Program {
  const char* vs;
  const char* fs;
  const char* attribute;          // the one beside Position: Color or UV
  const char* attribute2;         // a third, or null
  bool blend;
  GLuint program = 0;
  GLuint imgui_program = 0;       // whose attribute locations and projection it shares
  GLint projection = -1;
  GLint imgui_projection = -1;
  GLint halo = -1;                // the haloed text's halo colour
  bool failed = false;
};
static Program opaque_fill{
    "#version 150\nuniform mat4 ProjMtx;\nin vec2 Position;\nin vec4 Color;\nout vec4 Frag_Color;\n"
    "void main() { Frag_Color = Color; gl_Position = ProjMtx * vec4(Position.xy, 0, 1); }\n",
    "#version 150\nin vec4 Frag_Color;\nout vec4 Out_Color;\nvoid main() { Out_Color = Frag_Color; }\n", "Color", nullptr,
    false};
// The sampler is left at unit 0, the one ImGui's renderer binds each command's texture to.
static Program opaque_image{
    "#version 150\nuniform mat4 ProjMtx;\nin vec2 Position;\nin vec2 UV;\nout vec2 Frag_UV;\n"
    "void main() { Frag_UV = UV; gl_Position = ProjMtx * vec4(Position.xy, 0, 1); }\n",
    "#version 150\nuniform sampler2D Texture;\nin vec2 Frag_UV;\nout vec4 Out_Color;\n"
    "void main() { Out_Color = vec4(texture(Texture, Frag_UV).rgb, 1); }\n", "UV", nullptr, false};
// A haloed glyph's texel holds the halo's coverage in its high four bits and the glyph's in its
// low four (text::halo_texel; the atlas is sampled nearest, one texel a pixel, so the byte
// arrives whole). The output is the halo (colour Halo) with the glyph (the vertex colour) over
// it, as one colour and alpha: ImGui's blend then gives exactly the two drawn one after the other.
static Program halo_text_program{
    "#version 150\nuniform mat4 ProjMtx;\nin vec2 Position;\nin vec2 UV;\nin vec4 Color;\nout vec2 Frag_UV;\n"
    "out vec4 Frag_Color;\n"
    "void main() { Frag_UV = UV; Frag_Color = Color; gl_Position = ProjMtx * vec4(Position.xy, 0, 1); }\n",
    "#version 150\nuniform sampler2D Texture;\nuniform vec4 Halo;\nin vec2 Frag_UV;\nin vec4 Frag_Color;\n"
    "out vec4 Out_Color;\n"
    "void main() {\n"
    "  float t = floor(texture(Texture, Frag_UV).a * 255.0 + 0.5);\n"
    "  float halo = floor(t / 16.0) / 15.0 * Halo.a, glyph = mod(t, 16.0) / 15.0 * Frag_Color.a;\n"
    "  float a = glyph + (1.0 - glyph) * halo;\n"
    "  vec3 c = Frag_Color.rgb * glyph + Halo.rgb * halo * (1.0 - glyph);\n"
    "  Out_Color = a > 0.0 ? vec4(c / a, a) : vec4(0.0);\n"
    "}\n", "UV", "Color", true};

static GLuint compile(GLenum type, const char* source) {
  GLuint s = api.CreateShader(type);
  api.ShaderSource(s, 1, &source, nullptr);
  api.CompileShader(s);
  GLint ok = 0;
  api.GetShaderiv(s, COMPILE_STATUS, &ok);
  if (!ok) {
    api.DeleteShader(s);
    return 0;
  }
  return s;
}

static bool build_program(Program& o, GLuint imgui_program) {
  const GLint position = api.GetAttribLocation(imgui_program, "Position");
  const GLint other = api.GetAttribLocation(imgui_program, o.attribute);
  const GLint third = o.attribute2 ? api.GetAttribLocation(imgui_program, o.attribute2) : 0;
  if (position < 0 || other < 0 || third < 0) return false;
  GLuint v = compile(VERTEX_SHADER, o.vs), f = compile(FRAGMENT_SHADER, o.fs);
  if (!v || !f) {
    if (v) api.DeleteShader(v);
    if (f) api.DeleteShader(f);
    return false;
  }
  GLuint p = api.CreateProgram();
  api.AttachShader(p, v);
  api.AttachShader(p, f);
  api.BindAttribLocation(p, (GLuint)position, "Position");
  api.BindAttribLocation(p, (GLuint)other, o.attribute);
  if (o.attribute2) api.BindAttribLocation(p, (GLuint)third, o.attribute2);
  api.LinkProgram(p);
  api.DeleteShader(v);   // flagged: freed with the program
  api.DeleteShader(f);
  GLint ok = 0;
  api.GetProgramiv(p, LINK_STATUS, &ok);
  if (!ok) {
    api.DeleteProgram(p);
    return false;
  }
  o.program = p;
  o.imgui_program = imgui_program;
  o.projection = api.GetUniformLocation(p, "ProjMtx");
  o.imgui_projection = api.GetUniformLocation(imgui_program, "ProjMtx");
  return o.projection >= 0 && o.imgui_projection >= 0;
}

// Switches to `o` (built on first use) with ImGui's projection for this draw data.
static void use_program(Program& o, const char* what) {
  if (o.failed) return;
  if (!o.program) {
    // ImGui's program, unless another of these callbacks ran since ImGui's last reset.
    GLint current = 0;
    api.GetIntegerv(CURRENT_PROGRAM, &current);
    for (const Program* other : {&opaque_fill, &opaque_image, &halo_text_program})
      if (other->program && (GLuint)current == other->program) current = (GLint)other->imgui_program;
    if (!build_program(o, (GLuint)current)) {
      o.failed = true;
      log(LogLevel::Warn, "window", "the %s shader did not build: ImGui's draws them", what);
      return;
    }
  }
  // ImGui's renderer set its program's projection for the draw data being rendered (which need
  // not be the frame's: any draw data ImGui's renderer is given).
  float m[16];
  api.GetUniformfv(o.imgui_program, o.imgui_projection, m);
  api.UseProgram(o.program);
  api.UniformMatrix4fv(o.projection, 1, 0, m);
  if (!o.blend) api.Disable(BLEND);
}

static void delete_program(Program& o) {
  if (o.program) api.DeleteProgram(o.program);
  o.program = 0;
  o.imgui_program = 0;
  o.projection = -1;
  o.imgui_projection = -1;
  o.halo = -1;
  o.failed = false;
}
// One channel of an IM_COL32 colour (shift 0 red, 8 green, 16 blue, 24 alpha) as GL takes it.
static float channel(uint32_t rgba, int shift) { return (float)((rgba >> shift) & 0xFF) / 255.0f; }

// The whole framebuffer to one IM_COL32 colour.
static void clear(uint32_t rgba) {
  api.ClearColor(channel(rgba, 0), channel(rgba, 8), channel(rgba, 16), channel(rgba, 24));
  api.Clear(COLOR_BUFFER_BIT);
}

}  // namespace gl

void opaque_fills(const ImDrawList*, const ImDrawCmd*) { gl::use_program(gl::opaque_fill, "fill"); }
void opaque_images(const ImDrawList*, const ImDrawCmd*) { gl::use_program(gl::opaque_image, "image"); }
void halo_text(const ImDrawList*, const ImDrawCmd* cmd) {
  gl::Program& o = gl::halo_text_program;
  gl::use_program(o, "haloed text");
  if (!o.program) return;
  if (o.halo < 0) o.halo = gl::api.GetUniformLocation(o.program, "Halo");
  const uint32_t rgba = cmd && cmd->UserCallbackData ? *(const uint32_t*)cmd->UserCallbackData : 0xFFFFFFFFu;
  gl::api.Uniform4f(o.halo, gl::channel(rgba, 0), gl::channel(rgba, 8), gl::channel(rgba, 16), gl::channel(rgba, 24));
}

std::unique_ptr<Window> Window::open(const WindowConfig& config) {
  std::unique_ptr<Window> w(new Window());  // private constructor: make_unique cannot reach it
  if (config.headless) setenv("SDL_VIDEODRIVER", "offscreen", 1);
  // Under a Wayland compositor, Wayland. SDL 2 tries X11 first, and cage gives its client an X
  // display too (Xwayland, which it starts on the first X client): the kiosk would wait for
  // Xwayland to start and then draw through it. SDL_VIDEODRIVER in the environment still wins.
  if (getenv("WAYLAND_DISPLAY")) SDL_SetHint(SDL_HINT_VIDEODRIVER, "wayland,x11");
  // A kiosk never lets the screen blank by itself and never minimizes when focus moves.
  SDL_SetHint(SDL_HINT_VIDEO_ALLOW_SCREENSAVER, "0");
  SDL_SetHint(SDL_HINT_VIDEO_MINIMIZE_ON_FOCUS_LOSS, "0");
  SDL_SetHint(SDL_HINT_TOUCH_MOUSE_EVENTS, "0");  // the ui module reads finger events itself
  // Nothing but the kiosk decides when it stops: SDL turns neither SIGTERM nor a closed window
  // into SDL_QUIT (the app stops on SIGTERM itself), and the keyboard is grabbed while full
  // screen, so shortcuts such as Alt+Tab reach the kiosk (which ignores them), not the desktop.
  SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
  SDL_SetHint(SDL_HINT_QUIT_ON_LAST_WINDOW_CLOSE, "0");
  SDL_SetHint(SDL_HINT_GRAB_KEYBOARD, "1");
  if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
    w->error_ = std::string("cannot start video: ") + SDL_GetError();
    return w;
  }
  trace("window: SDL video started");
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 3);  // 3.3: texture swizzle (the glyph atlas)
  SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
  // 2D only: no depth or stencil buffer (SDL asks for 16-bit depth by default: 4 MB at 1080p,
  // and on llvmpipe that memory is ours).
  SDL_GL_SetAttribute(SDL_GL_DEPTH_SIZE, 0);
  SDL_GL_SetAttribute(SDL_GL_STENCIL_SIZE, 0);

  Uint32 flags = SDL_WINDOW_OPENGL | SDL_WINDOW_ALLOW_HIGHDPI;
  int width = config.width, height = config.height;
  if (width <= 0 || height <= 0) {
    SDL_DisplayMode mode;
    if (SDL_GetDesktopDisplayMode(0, &mode) == 0) {
      width = mode.w;
      height = mode.h;
    } else {
      width = 1920;
      height = 1080;
    }
    if (!config.headless) flags |= SDL_WINDOW_FULLSCREEN_DESKTOP | SDL_WINDOW_BORDERLESS;
  }
  w->window_ = SDL_CreateWindow("Sportello", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, width, height, flags);
  if (!w->window_) {
    w->error_ = std::string("cannot open a window: ") + SDL_GetError();
    return w;
  }
  w->gl_context_ = SDL_GL_CreateContext(w->window_);
  if (!w->gl_context_) {
    w->error_ = std::string("cannot create an OpenGL 3.3 context: ") + SDL_GetError();
    return w;
  }
  SDL_GL_MakeCurrent(w->window_, (SDL_GLContext)w->gl_context_);
  trace("window: window and GL context created");
  // The first frame is presented at once: with vsync, SDL's Wayland driver waits for the
  // compositor's frame callback first, which a surface that has never shown a buffer may not get
  // until SDL's wait times out. Later frames wait for vsync as configured (end_frame).
  w->swap_interval_ = config.headless ? 0 : (config.vsync ? 1 : 0);
  SDL_GL_SetSwapInterval(0);
  if (!gl::load_all()) {
    w->error_ = "the OpenGL driver lacks a basic entry point";
    return w;
  }
  gl::image_textures_context_opened();
  if (!config.headless) SDL_ShowCursor(SDL_DISABLE);  // touch kiosk: no pointer on screen
  if (!config.headless && (flags & SDL_WINDOW_FULLSCREEN_DESKTOP)) SDL_SetWindowKeyboardGrab(w->window_, SDL_TRUE);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // a kiosk keeps no state between runs
  io.LogFilename = nullptr;
  // Anti-aliased lines as geometry, not from a texture baked into the atlas: that texture needs
  // linear sampling, and the atlas is sampled nearest (begin_frame).
  io.Fonts->Flags |= ImFontAtlasFlags_NoBakedLines;
  w->imgui_sdl_ = ImGui_ImplSDL2_InitForOpenGL(w->window_, w->gl_context_);
  w->imgui_gl_ = ImGui_ImplOpenGL3_Init("#version 150");
  if (!w->imgui_sdl_ || !w->imgui_gl_) {
    w->error_ = "cannot start the Dear ImGui backends";
    return w;
  }
  trace("window: Dear ImGui backends started");
  w->refresh_size();
  float ddpi = 0, hdpi = 0, vdpi = 0;
  if (config.display_width_mm > 0)
    w->px_per_mm_ = (float)w->width_ / config.display_width_mm;
  else if (!config.headless && SDL_GetDisplayDPI(0, &ddpi, &hdpi, &vdpi) == 0 && hdpi > 30)
    w->px_per_mm_ = hdpi / 25.4f;
  return w;
}

Window::~Window() {
  // Our programs belong to this context: a later window's context must build its own.
  gl::delete_program(gl::opaque_fill);
  gl::delete_program(gl::opaque_image);
  gl::delete_program(gl::halo_text_program);
  if (gl_context_) gl::image_textures_context_closing();
  imgui_font_.reset();   // deleted while its context is current
  if (imgui_gl_) ImGui_ImplOpenGL3_Shutdown();
  if (imgui_sdl_) ImGui_ImplSDL2_Shutdown();
  if (ImGui::GetCurrentContext()) ImGui::DestroyContext();
  if (gl_context_) SDL_GL_DeleteContext((SDL_GLContext)gl_context_);
  if (window_) SDL_DestroyWindow(window_);
  SDL_Quit();
}

const char* Window::video_driver() const {
  const char* name = SDL_GetCurrentVideoDriver();
  return name ? name : "none";
}

void Window::refresh_size() { SDL_GL_GetDrawableSize(window_, &width_, &height_); }

void Window::begin_frame(float dt_seconds) {
  static bool shaders_traced = false;
  ImGui_ImplOpenGL3_NewFrame();  // the first call compiles and links the backend's shaders
  if (!shaders_traced) {
    shaders_traced = true;
    trace("window: shaders compiled");
  }
  // ImGui's own atlas goes to the GPU as coverage, sampled as the glyph atlas is (R8, swizzled,
  // nearest), not as the backend's RGBA texture: llvmpipe builds a fragment shader variant for
  // each kind of texture a frame samples, at every start (it generates the LLVM IR, then compiles
  // it or finds it in Mesa's cache), and a second kind on the first frame delays it.
  // Sportello draws no ImGui text, only the atlas's white pixel, so the CPU copies of the atlas
  // are never needed again.
  ImFontAtlas* fonts = ImGui::GetIO().Fonts;
  if (!imgui_font_) {
    ImGui_ImplOpenGL3_DestroyFontsTexture();
    unsigned char* alpha = nullptr;
    int aw = 0, ah = 0;
    fonts->GetTexDataAsAlpha8(&alpha, &aw, &ah);
    imgui_font_ = std::make_unique<Texture>();
    imgui_font_->resize(aw, ah);
    imgui_font_->upload(0, 0, aw, ah, alpha, aw);
    fonts->SetTexID(imgui_font_->imgui_id());
  }
  fonts->ClearTexData();
  ImGui_ImplSDL2_NewFrame();
  ImGuiIO& io = ImGui::GetIO();
  // Time comes from our clock (virtual in headless runs), not from SDL's ticks.
  io.DeltaTime = dt_seconds > 0 ? dt_seconds : 1.0f / 60.0f;
  ImGui::NewFrame();
}

void Window::end_frame() {
  ImGui::Render();
  gl::api.Viewport(0, 0, width_, height_);
  gl::clear(clear_rgba_);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
  // Swapping a window flushes the frame to the driver; an offscreen pbuffer has nothing to swap,
  // and Mesa then keeps every frame's orphaned vertex buffers until something flushes (2 GB
  // after a minute of scrolling headless). Where a swap follows, it only hands over the same
  // frame a moment earlier.
  gl::api.Flush();
  SDL_GL_SwapWindow(window_);
  if (!presented_ && swap_interval_ != 0) SDL_GL_SetSwapInterval(swap_interval_);
  presented_ = true;
}

void Window::discard_frame() { ImGui::EndFrame(); }

void Window::finish() { gl::api.Finish(); }

bool Window::read_pixels(std::vector<uint8_t>* rgba) const {
  // Double buffered: after the swap the back buffer is undefined, so redraw what ImGui holds.
  gl::api.Viewport(0, 0, width_, height_);
  gl::clear(clear_rgba_);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
  std::vector<uint8_t> bottom_up((size_t)width_ * height_ * 4);
  gl::api.PixelStorei(gl::PACK_ALIGNMENT, 1);
  gl::api.ReadPixels(0, 0, width_, height_, gl::RGBA, gl::UNSIGNED_BYTE, bottom_up.data());
  rgba->resize(bottom_up.size());
  size_t row = (size_t)width_ * 4;
  for (int y = 0; y < height_; y++)
    std::copy_n(&bottom_up[(size_t)(height_ - 1 - y) * row], row, &(*rgba)[(size_t)y * row]);
  return true;
}

// [SECTION] Texture ----------------------------------------------------------------------------
Texture::~Texture() {
  if (id_) gl::api.DeleteTextures(1, &id_);
}

Texture::Texture(Texture&& other) noexcept : id_(other.id_), width_(other.width_), height_(other.height_) {
  other.id_ = 0;
}

Texture& Texture::operator=(Texture&& other) noexcept {
  std::swap(id_, other.id_);
  std::swap(width_, other.width_);
  std::swap(height_, other.height_);
  return *this;
}

void Texture::resize(int width, int height) {
  if (!id_) gl::api.GenTextures(1, &id_);
  gl::api.BindTexture(gl::TEXTURE_2D, id_);
  // Glyph quads sit on whole pixels with one texel per pixel: nearest sampling gives the same
  // pixels as linear (screenshots compared) and spares llvmpipe ~7% of its work while scrolling.
  gl::api.TexParameteri(gl::TEXTURE_2D, gl::TEXTURE_MIN_FILTER, gl::NEAREST);
  gl::api.TexParameteri(gl::TEXTURE_2D, gl::TEXTURE_MAG_FILTER, gl::NEAREST);
  gl::api.TexParameteri(gl::TEXTURE_2D, gl::TEXTURE_WRAP_S, gl::CLAMP_TO_EDGE);
  gl::api.TexParameteri(gl::TEXTURE_2D, gl::TEXTURE_WRAP_T, gl::CLAMP_TO_EDGE);
  // One byte a texel, read by ImGui's shader as white with that alpha. (An R8 atlas once cost
  // scroll frame time next to RGBA8; with nearest sampling the two measure the same, and this
  // one is a quarter of the memory: 0.75 MB less at 512x512, 3 MB less at 1024x1024.)
  const gl::GLint white_with_alpha[4] = {gl::ONE, gl::ONE, gl::ONE, gl::RED};
  gl::api.TexParameteriv(gl::TEXTURE_2D, gl::TEXTURE_SWIZZLE_RGBA, white_with_alpha);
  gl::api.TexImage2D(gl::TEXTURE_2D, 0, gl::R8, width, height, 0, gl::RED, gl::UNSIGNED_BYTE, nullptr);
  width_ = width;
  height_ = height;
}

void Texture::upload(int x, int y, int w, int h, const uint8_t* coverage, int row_pixels) {
  if (!id_ || w <= 0 || h <= 0) return;
  gl::api.BindTexture(gl::TEXTURE_2D, id_);
  gl::api.PixelStorei(gl::UNPACK_ALIGNMENT, 1);
  gl::api.PixelStorei(gl::UNPACK_ROW_LENGTH, row_pixels);
  gl::api.TexSubImage2D(gl::TEXTURE_2D, 0, x, y, w, h, gl::RED, gl::UNSIGNED_BYTE, coverage + (size_t)y * row_pixels + x);
  gl::api.PixelStorei(gl::UNPACK_ROW_LENGTH, 0);
}

bool write_png(const std::string& path, int width, int height, const std::vector<uint8_t>& rgba) {
  if (rgba.size() < (size_t)width * height * 4) return false;
  return stbi_write_png(path.c_str(), width, height, 4, rgba.data(), width * 4) != 0;
}

}  // namespace platform
