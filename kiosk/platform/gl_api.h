// Internal to kiosk/platform: the GL entry points it calls itself (window.cpp, image_texture.cpp).
#pragma once

namespace platform {

// The few GL entry points we call ourselves, resolved through SDL so the same code runs on
// GLX, EGL (offscreen, Wayland, KMSDRM) without linking libGL directly.
namespace gl {
using GLenum = unsigned;
using GLuint = unsigned;
using GLint = int;
using GLsizei = int;
constexpr GLenum TEXTURE_2D = 0x0DE1, RGBA = 0x1908, UNSIGNED_BYTE = 0x1401, NEAREST = 0x2600,
                 TEXTURE_MIN_FILTER = 0x2801, TEXTURE_MAG_FILTER = 0x2800, CLAMP_TO_EDGE = 0x812F,
                 TEXTURE_WRAP_S = 0x2802, TEXTURE_WRAP_T = 0x2803, UNPACK_ALIGNMENT = 0x0CF5,
                 PACK_ALIGNMENT = 0x0D05, COLOR_BUFFER_BIT = 0x4000,
                 TEXTURE_BINDING_2D = 0x8069, R8 = 0x8229, RED = 0x1903, ONE = 1,
                 TEXTURE_SWIZZLE_RGBA = 0x8E46, UNPACK_ROW_LENGTH = 0x0CF2,
                 FRAMEBUFFER = 0x8D40, DRAW_FRAMEBUFFER_BINDING = 0x8CA6, READ_FRAMEBUFFER_BINDING = 0x8CAA,
                 READ_FRAMEBUFFER = 0x8CA8, DRAW_FRAMEBUFFER = 0x8CA9, COLOR_ATTACHMENT0 = 0x8CE0,
                 FRAMEBUFFER_COMPLETE = 0x8CD5, LINEAR = 0x2601, RGBA8 = 0x8058,
                 SCISSOR_TEST = 0x0C11, COLOR_CLEAR_VALUE = 0x0C22,
                 BLEND = 0x0BE2, SCISSOR_BOX = 0x0C10;
struct Api {
  void (*GenTextures)(GLsizei, GLuint*);
  void (*DeleteTextures)(GLsizei, const GLuint*);
  void (*BindTexture)(GLenum, GLuint);
  void (*TexParameteri)(GLenum, GLenum, GLint);
  void (*TexParameteriv)(GLenum, GLenum, const GLint*);
  void (*PixelStorei)(GLenum, GLint);
  void (*TexImage2D)(GLenum, GLint, GLint, GLsizei, GLsizei, GLint, GLenum, GLenum, const void*);
  void (*TexSubImage2D)(GLenum, GLint, GLint, GLint, GLsizei, GLsizei, GLenum, GLenum, const void*);
  void (*ReadPixels)(GLint, GLint, GLsizei, GLsizei, GLenum, GLenum, void*);
  void (*Viewport)(GLint, GLint, GLsizei, GLsizei);
  void (*ClearColor)(float, float, float, float);
  void (*Clear)(GLenum);
  void (*GetIntegerv)(GLenum, GLint*);
  void (*Finish)();
  void (*Flush)();
  GLuint (*CreateShader)(GLenum);
  void (*ShaderSource)(GLuint, GLsizei, const char* const*, const GLint*);
  void (*CompileShader)(GLuint);
  void (*GetShaderiv)(GLuint, GLenum, GLint*);
  void (*DeleteShader)(GLuint);
  GLuint (*CreateProgram)();
  void (*AttachShader)(GLuint, GLuint);
  void (*BindAttribLocation)(GLuint, GLuint, const char*);
  void (*LinkProgram)(GLuint);
  void (*GetProgramiv)(GLuint, GLenum, GLint*);
  GLint (*GetAttribLocation)(GLuint, const char*);
  GLint (*GetUniformLocation)(GLuint, const char*);
  void (*GetUniformfv)(GLuint, GLint, float*);
  void (*UseProgram)(GLuint);
  void (*DeleteProgram)(GLuint);
  void (*UniformMatrix4fv)(GLint, GLsizei, unsigned char, const float*);
  void (*Uniform4f)(GLint, float, float, float, float);
  void (*Disable)(GLenum);
  void (*GenFramebuffers)(GLsizei, GLuint*);
  void (*DeleteFramebuffers)(GLsizei, const GLuint*);
  void (*BindFramebuffer)(GLenum, GLuint);
  void (*FramebufferTexture2D)(GLenum, GLenum, GLenum, GLuint, GLint);
  GLenum (*CheckFramebufferStatus)(GLenum);
  void (*Enable)(GLenum);
  unsigned char (*IsEnabled)(GLenum);
  void (*GetFloatv)(GLenum, float*);
  void (*Scissor)(GLint, GLint, GLsizei, GLsizei);
};
extern Api api;           // resolved by load_all() once the first context is current
bool load_all();
// Image textures (image_texture.cpp): made in the context of the window that is open; when it
// closes, its framebuffer object goes and the textures still held are forgotten, not deleted.
void image_textures_context_opened();
void image_textures_context_closing();
}  // namespace gl

}  // namespace platform
