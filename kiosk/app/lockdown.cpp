// [SECTION] Lockdown: what reaches the kiosk from the system. No key, combination or quit request
// leaves the app; it stops only on SIGTERM (the service manager) or the staff view's actions.
#include "app.h"

#include <SDL.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <pthread.h>
#include <thread>

namespace app {

static std::atomic<bool> g_stop{false};

// SIGTERM and SIGINT are blocked in every thread and taken by one that only waits for them: the
// loop learns of them through an SDL user event, so it stops cleanly (the outbox closed, the
// uploader stopped) without anything running inside a signal handler. Children inherit the
// blocked mask; sportello-uploader blocks these signals and reads them from a descriptor anyway.
void install_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set] {
    int sig = 0;
    while (sigwait(&set, &sig) != 0) {
    }
    g_stop.store(true);
    if (SDL_WasInit(SDL_INIT_EVENTS)) {
      SDL_Event e{};
      e.type = SDL_USEREVENT;
      SDL_PushEvent(&e);
    }
  }).detach();
}

bool stop_requested() { return g_stop.load(); }

static bool is_shortcut(const SDL_KeyboardEvent& k) {
  if (k.keysym.mod & (KMOD_CTRL | KMOD_ALT | KMOD_GUI)) return true;
  SDL_Keycode s = k.keysym.sym;
  return s == SDLK_LGUI || s == SDLK_RGUI || s == SDLK_APPLICATION || s == SDLK_MENU;
}

bool dispatch_event(Kiosk& kiosk, platform::Window& window, const SDL_Event& e) {
  switch (e.type) {
    case SDL_QUIT:
      // A window manager's Alt+F4 or a close request: a kiosk does not close.
      platform::log_event(platform::LogLevel::Info, "app", "quit_ignored", "",
                          "quit request ignored (the kiosk stops on SIGTERM or from the staff view)");
      return false;
    case SDL_WINDOWEVENT:
      if (e.window.event == SDL_WINDOWEVENT_SIZE_CHANGED) window.refresh_size();
      kiosk.handle_event(e, window.width(), window.height());
      return true;
    case SDL_KEYDOWN:
    case SDL_KEYUP:
      // Shortcuts do nothing here; only typing reaches a focused field (through SDL_TEXTINPUT).
      if (is_shortcut(e.key)) return false;
      break;
    default:
      break;
  }
  return kiosk.handle_event(e, window.width(), window.height());
}

// "alt+f4", "ctrl+alt+backspace", "super", "escape": the events a keyboard would send.
bool key_combo_events(const std::string& combo, SDL_Event* down, SDL_Event* up, std::string* error) {
  Uint16 mod = 0;
  SDL_Keycode sym = SDLK_UNKNOWN;
  size_t start = 0;
  for (;;) {
    size_t plus = combo.find('+', start);
    std::string part = combo.substr(start, plus == std::string::npos ? std::string::npos : plus - start);
    for (char& c : part) c = (char)tolower((unsigned char)c);
    bool last = plus == std::string::npos;
    SDL_Keycode modifier_key = SDLK_UNKNOWN;
    Uint16 modifier = 0;
    if (part == "ctrl" || part == "control") modifier = KMOD_LCTRL, modifier_key = SDLK_LCTRL;
    else if (part == "alt") modifier = KMOD_LALT, modifier_key = SDLK_LALT;
    else if (part == "shift") modifier = KMOD_LSHIFT, modifier_key = SDLK_LSHIFT;
    else if (part == "super" || part == "gui" || part == "win" || part == "meta") modifier = KMOD_LGUI, modifier_key = SDLK_LGUI;
    if (!last) {
      if (!modifier) {
        *error = "\"" + part + "\" is not a modifier (ctrl, alt, shift, super)";
        return false;
      }
      mod |= modifier;
      start = plus + 1;
      continue;
    }
    sym = modifier ? modifier_key : SDL_GetKeyFromName(part == "esc" ? "escape" : part.c_str());
    if (modifier) mod |= modifier;
    if (sym == SDLK_UNKNOWN) {
      *error = "unknown key \"" + part + "\"";
      return false;
    }
    break;
  }
  memset(down, 0, sizeof *down);
  down->type = SDL_KEYDOWN;
  down->key.state = SDL_PRESSED;
  down->key.keysym.sym = sym;
  down->key.keysym.scancode = SDL_GetScancodeFromKey(sym);
  down->key.keysym.mod = mod;
  *up = *down;
  up->type = SDL_KEYUP;
  up->key.state = SDL_RELEASED;
  return true;
}

}  // namespace app
