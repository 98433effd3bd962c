// [SECTION] RenderTexture: ImGui draw data rendered once into a texture of its own (an FBO render).
#include "platform.h"
#include "gl_api.h"

#include <imgui.h>
#include <backends/imgui_impl_opengl3.h>

#include <algorithm>
#include <utility>

namespace platform {

namespace gl {
// One framebuffer object serves every render: a texture is attached for its render and detached
// after. `live` names the open window's context (0: none), so a texture knows whether the
// context it was made in still exists.
static GLuint fbo = 0;
static unsigned live = 0, generation = 0;

void render_textures_context_opened() { live = ++generation; }

void render_textures_context_closing() {
  if (fbo) api.DeleteFramebuffers(1, &fbo);
  fbo = 0;
  live = 0;
}

// The bindings a render or a read-back changes, put back as they were (ImGui's renderer saves
// and restores the rest: program, viewport, scissor, blend, buffers).
struct SavedBindings {
  GLint draw_fb = 0, read_fb = 0, texture = 0;
  SavedBindings() {
    api.GetIntegerv(DRAW_FRAMEBUFFER_BINDING, &draw_fb);
    api.GetIntegerv(READ_FRAMEBUFFER_BINDING, &read_fb);
    api.GetIntegerv(TEXTURE_BINDING_2D, &texture);
  }
  ~SavedBindings() {
    api.BindFramebuffer(DRAW_FRAMEBUFFER, (GLuint)draw_fb);
    api.BindFramebuffer(READ_FRAMEBUFFER, (GLuint)read_fb);
    api.BindTexture(TEXTURE_2D, (GLuint)texture);
  }
  SavedBindings(const SavedBindings&) = delete;
  SavedBindings& operator=(const SavedBindings&) = delete;
};

// Binds the shared framebuffer object with `texture` as its colour; false if incomplete.
static bool attach(GLuint texture) {
  if (!fbo) api.GenFramebuffers(1, &fbo);
  api.BindFramebuffer(FRAMEBUFFER, fbo);
  api.FramebufferTexture2D(FRAMEBUFFER, COLOR_ATTACHMENT0, TEXTURE_2D, texture, 0);
  return api.CheckFramebufferStatus(FRAMEBUFFER) == FRAMEBUFFER_COMPLETE;
}

static void detach() { api.FramebufferTexture2D(FRAMEBUFFER, COLOR_ATTACHMENT0, TEXTURE_2D, 0, 0); }

// Clears a rectangle of the bound framebuffer (GL's window coordinates) to transparent black,
// putting the scissor and the clear colour back as they were.
static void clear_transparent(GLint x, GLint y, GLsizei w, GLsizei h) {
  float colour[4];
  GLint box[4];
  api.GetFloatv(COLOR_CLEAR_VALUE, colour);
  api.GetIntegerv(SCISSOR_BOX, box);
  const bool scissor = api.IsEnabled(SCISSOR_TEST);
  api.Enable(SCISSOR_TEST);
  api.Scissor(x, y, w, h);
  api.ClearColor(0, 0, 0, 0);
  api.Clear(COLOR_BUFFER_BIT);
  api.ClearColor(colour[0], colour[1], colour[2], colour[3]);
  api.Scissor(box[0], box[1], box[2], box[3]);
  if (!scissor) api.Disable(SCISSOR_TEST);
}
}  // namespace gl

RenderTexture::~RenderTexture() {
  if (id_ && context_ == gl::live) gl::api.DeleteTextures(1, &id_);
}

RenderTexture::RenderTexture(RenderTexture&& other) noexcept
    : id_(std::exchange(other.id_, 0)), context_(other.context_), width_(other.width_), height_(other.height_) {}

RenderTexture& RenderTexture::operator=(RenderTexture&& other) noexcept {
  std::swap(id_, other.id_);
  std::swap(context_, other.context_);
  std::swap(width_, other.width_);
  std::swap(height_, other.height_);
  return *this;
}

RenderTexture RenderTexture::render(const ImDrawData& data) {
  using namespace gl;
  RenderTexture t;
  const int w = (int)data.DisplaySize.x, h = (int)data.DisplaySize.y;
  if (w <= 0 || h <= 0 || !live) return t;
  SavedBindings saved;
  api.GenTextures(1, &t.id_);
  t.context_ = live;
  t.width_ = w;
  t.height_ = h;
  api.BindTexture(TEXTURE_2D, t.id_);
  // Drawn at its own size while the view's zoom stays, so texels land on pixels: nearest
  // sampling gives the same picture as linear there, for less of llvmpipe's work.
  api.TexParameteri(TEXTURE_2D, TEXTURE_MIN_FILTER, NEAREST);
  api.TexParameteri(TEXTURE_2D, TEXTURE_MAG_FILTER, NEAREST);
  api.TexParameteri(TEXTURE_2D, TEXTURE_WRAP_S, CLAMP_TO_EDGE);
  api.TexParameteri(TEXTURE_2D, TEXTURE_WRAP_T, CLAMP_TO_EDGE);
  api.TexImage2D(TEXTURE_2D, 0, RGBA8, w, h, 0, RGBA, UNSIGNED_BYTE, nullptr);
  if (!attach(t.id_)) {
    detach();
    return RenderTexture();   // deletes the texture
  }
  clear_transparent(0, 0, w, h);
  if (data.CmdListsCount > 0) ImGui_ImplOpenGL3_RenderDrawData(const_cast<ImDrawData*>(&data));
  detach();
  return t;
}

bool RenderTexture::read_pixels(std::vector<uint8_t>* rgba) const {
  using namespace gl;
  if (!id_ || context_ != live) return false;
  SavedBindings saved;
  if (!attach(id_)) {
    detach();
    return false;
  }
  std::vector<uint8_t> bottom_up((size_t)width_ * height_ * 4);
  api.PixelStorei(PACK_ALIGNMENT, 1);
  api.ReadPixels(0, 0, width_, height_, RGBA, UNSIGNED_BYTE, bottom_up.data());
  detach();
  rgba->resize(bottom_up.size());
  const size_t row = (size_t)width_ * 4;
  for (int y = 0; y < height_; y++)
    std::copy_n(&bottom_up[(size_t)(height_ - 1 - y) * row], row, &(*rgba)[(size_t)y * row]);
  return true;
}

}  // namespace platform
