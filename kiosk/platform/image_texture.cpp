// [SECTION] ImageTexture: an RGBA image uploaded once into a texture of its own.
#include "platform.h"
#include "gl_api.h"

#include <algorithm>
#include <utility>

namespace platform {

namespace gl {
// One framebuffer object serves every read-back: a texture is attached for it and detached
// after. `live` names the open window's context (0: none), so a texture knows whether the
// context it was made in still exists.
static GLuint fbo = 0;
static unsigned live = 0, generation = 0;

void image_textures_context_opened() { live = ++generation; }

void image_textures_context_closing() {
  if (fbo) api.DeleteFramebuffers(1, &fbo);
  fbo = 0;
  live = 0;
}

// The bindings an upload or a read-back changes, put back as they were (ImGui's renderer saves
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

}  // namespace gl

ImageTexture::~ImageTexture() {
  if (id_ && context_ == gl::live) gl::api.DeleteTextures(1, &id_);
}

ImageTexture::ImageTexture(ImageTexture&& other) noexcept
    : id_(std::exchange(other.id_, 0)), context_(other.context_), width_(other.width_), height_(other.height_) {}

ImageTexture& ImageTexture::operator=(ImageTexture&& other) noexcept {
  std::swap(id_, other.id_);
  std::swap(context_, other.context_);
  std::swap(width_, other.width_);
  std::swap(height_, other.height_);
  return *this;
}

ImageTexture ImageTexture::upload(const uint32_t* pixels, int w, int h) {
  using namespace gl;
  ImageTexture t;
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
  api.TexImage2D(TEXTURE_2D, 0, RGBA8, w, h, 0, RGBA, UNSIGNED_BYTE, pixels);
  return t;
}

bool ImageTexture::read_pixels(std::vector<uint8_t>* rgba) const {
  using namespace gl;
  if (!id_ || context_ != live) return false;
  SavedBindings saved;
  if (!attach(id_)) {
    detach();
    return false;
  }
  // The texture's row 0 is the image's top row, and ReadPixels gives row 0 first.
  rgba->resize((size_t)width_ * height_ * 4);
  api.PixelStorei(PACK_ALIGNMENT, 1);
  api.ReadPixels(0, 0, width_, height_, RGBA, UNSIGNED_BYTE, rgba->data());
  detach();
  return true;
}

}  // namespace platform
