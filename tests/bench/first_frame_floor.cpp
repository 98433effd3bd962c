// first-frame-floor: the platform's own floor for the kiosk's start-up figure. It opens the
// window the kiosk opens (SDL 2, an OpenGL 3.3 core context without depth or stencil, the same
// video driver choice, full screen unless --windowed WxH), clears it and presents that one frame,
// then prints the line bench-kiosk waits for. Nothing of Sportello runs: no fonts, strings, pack
// or shaders. bench-kiosk times it exactly as it times the kiosk, so the difference between the
// two is what the kiosk itself adds to the time the system needs to show any frame at all.
#include <SDL.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

static volatile sig_atomic_t g_stop = 0;
static void on_stop(int) { g_stop = 1; }

int main(int argc, char** argv) {
  int width = 0, height = 0;
  for (int i = 1; i + 1 < argc; i++)
    if (!strcmp(argv[i], "--windowed") && sscanf(argv[i + 1], "%dx%d", &width, &height) != 2) width = height = 0;
  signal(SIGTERM, on_stop);
  signal(SIGINT, on_stop);
  if (getenv("WAYLAND_DISPLAY")) SDL_SetHint(SDL_HINT_VIDEODRIVER, "wayland,x11");
  SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
  if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
    fprintf(stderr, "first-frame-floor: cannot start video: %s\n", SDL_GetError());
    return 1;
  }
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 3);
  SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
  SDL_GL_SetAttribute(SDL_GL_DEPTH_SIZE, 0);
  SDL_GL_SetAttribute(SDL_GL_STENCIL_SIZE, 0);
  Uint32 flags = SDL_WINDOW_OPENGL | SDL_WINDOW_ALLOW_HIGHDPI;
  if (width <= 0 || height <= 0) {
    SDL_DisplayMode mode;
    width = SDL_GetDesktopDisplayMode(0, &mode) == 0 ? mode.w : 1920;
    height = SDL_GetDesktopDisplayMode(0, &mode) == 0 ? mode.h : 1080;
    flags |= SDL_WINDOW_FULLSCREEN_DESKTOP | SDL_WINDOW_BORDERLESS;
  }
  SDL_Window* window = SDL_CreateWindow("floor", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, width, height, flags);
  SDL_GLContext context = window ? SDL_GL_CreateContext(window) : nullptr;
  if (!context) {
    fprintf(stderr, "first-frame-floor: cannot open a window with an OpenGL 3.3 context: %s\n", SDL_GetError());
    if (window) SDL_DestroyWindow(window);
    SDL_Quit();
    return 1;
  }
  SDL_GL_SetSwapInterval(0);  // as the kiosk's first frame: presented without waiting for vsync
  auto clear_color = (void (*)(float, float, float, float))SDL_GL_GetProcAddress("glClearColor");
  auto clear = (void (*)(unsigned))SDL_GL_GetProcAddress("glClear");
  const unsigned color_buffer_bit = 0x4000;
  clear_color(0.97f, 0.97f, 0.95f, 1.0f);
  clear(color_buffer_bit);
  SDL_GL_SwapWindow(window);
  fprintf(stderr, "first frame presented (%s driver)\n", SDL_GetCurrentVideoDriver());
  while (!g_stop) {
    SDL_Event e;
    SDL_WaitEventTimeout(&e, 100);
  }
  SDL_GL_DeleteContext(context);
  SDL_DestroyWindow(window);
  SDL_Quit();
  return 0;
}
