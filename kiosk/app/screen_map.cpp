// [SECTION] Map: the offices as markers over the offline map, or over a schematic when there are
// no usable tiles. One finger pans (with the lists' inertia), two pinch around the fingers, a
// double tap zooms in, +/- for people who cannot pinch, "back to me" to the kiosk's position.
// The UI around the map (buttons, the office card) mirrors in right-to-left languages; the map
// itself never does: north is up and east is right in every language.
//
// Index:
//   [SECTION] Projection        Web Mercator, the camera (the same as kiosk/map)
//   [SECTION] Gestures          fingers -> pan, pinch, double tap, inertia
//   [SECTION] Screen            layout, markers, controls, the card with its QR codes
#include "app.h"

#include "mediator.h"

#include "map/map.h"

#include <SDL.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace app {

// [SECTION] Projection ---------------------------------------------------------------------------
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kMinZoom = 3, kMaxZoom = 19;

// The tiles' projection (kiosk/map): Web Mercator in [0,1] x [0,1], x east, y south.
using WorldPoint = map::World;
WorldPoint project(double lat, double lon) { return map::project({lon, lat}); }
double world_px(double zoom) { return map::world_px(zoom); }
double distance_m(double lat1, double lon1, double lat2, double lon2) { return map::distance_m({lon1, lat1}, {lon2, lat2}); }

bool has_coordinates(const content::Service& s) { return s.lat != 0 || s.lon != 0; }

double real_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// A coordinate as people type it: at most 6 decimals (11 cm), no trailing zeros.
std::string degrees(double v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.6f", v);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

// The QR codes' payloads: RFC 5870 for the phone's map app, and the OpenStreetMap site with a marker.
static std::string geo_uri(const content::Service& s) { return "geo:" + degrees(s.lat) + "," + degrees(s.lon); }
static std::string osm_url(const content::Service& s) {
  std::string lat = degrees(s.lat), lon = degrees(s.lon);
  return "https://www.openstreetmap.org/?mlat=" + lat + "&mlon=" + lon + "#map=18/" + lat + "/" + lon;
}

std::string Kiosk::distance_line(const content::Service& svc) {
  if (!options_.has_position || !has_coordinates(svc)) return {};
  double m = distance_m(options_.position_lat, options_.position_lon, svc.lat, svc.lon);
  char buf[32];
  if (m < 1000) snprintf(buf, sizeof buf, "%d m", std::max(10, (int)std::lround(m / 10) * 10));
  else if (m < 10000) snprintf(buf, sizeof buf, "%.1f km", m / 1000);
  else snprintf(buf, sizeof buf, "%d km", (int)std::lround(m / 1000));
  // Isolated left to right (LRI ... PDI): "2.4 km" keeps its order inside an Arabic sentence.
  return fill(t("map.distance"), {{"distance", std::string("\u2066") + buf + "\u2069"}});
}

// [SECTION] Tiles --------------------------------------------------------------------------------
MapSource open_map_source(const std::string& path, const std::string& origin) {
  MapSource m;
  m.path = path;
  if (path.empty()) {
    m.state = "nessun file di mappa configurato (opzione map): mappa schematica";
    return m;
  }
  std::string error;
  std::unique_ptr<map::TileFile> file = map::TileFile::open(path, &error);
  if (!file) {
    m.state = origin + " " + path + ": " + error + "; mappa schematica";
    platform::log(platform::LogLevel::Error, "map", "%s", m.state.c_str());
    return m;
  }
  const map::TileSetInfo& info = file->info();
  char what[160];
  snprintf(what, sizeof what, ": zoom %d-%d, area %.4f,%.4f - %.4f,%.4f", info.min_zoom, info.max_zoom, info.south,
           info.west, info.north, info.east);
  m.state = origin + " " + path + what;
  // A finished tile wakes the loop for one frame (SDL_PushEvent is thread-safe); nothing polls.
  m.cache = std::make_shared<map::TileCache>(std::move(file), [] {
    SDL_Event wake{};
    wake.type = SDL_USEREVENT;
    SDL_PushEvent(&wake);
  });
  platform::log(platform::LogLevel::Info, "map", "%s", m.state.c_str());
  return m;
}

// The map's tiles rendered once each into pixels and uploaded as a texture of the platform's,
// then drawn as images: llvmpipe then shades one textured quad a tile rather than its triangles.
namespace {
class TextureTile : public map::TileImage {
public:
  explicit TextureTile(platform::ImageTexture t) : texture_(std::move(t)) {}
  void* texture() const override { return texture_.imgui_id(); }
private:
  platform::ImageTexture texture_;
};

std::unique_ptr<map::TileImage> upload_tile(const uint32_t* pixels, int size) {
  platform::ImageTexture t = platform::ImageTexture::upload(pixels, size, size);
  if (!t.ok()) return nullptr;
  return std::make_unique<TextureTile>(std::move(t));
}
}  // namespace

Kiosk::~Kiosk() = default;

void Kiosk::set_map(MapSource source) {
  map_ = std::move(source);
  map_images_.reset();
  services_.map_tiles = map_.cache.get();
  services_.map_state = map_.state;
  map_offices_lang_.clear();   // coverage is worked out again
  session_.map = MapView{};
}

// [SECTION] Gestures -----------------------------------------------------------------------------
void Kiosk::map_pan(float dx, float dy) {
  MapView& v = session_.map;
  double wp = world_px(v.zoom);
  v.cx = std::clamp(v.cx - dx / wp, 0.0, 1.0);
  v.cy = std::clamp(v.cy - dy / wp, 0.0, 1.0);
}

// Zooms by `factor` keeping the world point under (sx, sy) where it is on screen.
void Kiosk::map_zoom(float sx, float sy, double factor) {
  MapView& v = session_.map;
  const ui::Rect& r = v.view;
  double vx = r.x + r.w * 0.5, vy = r.y + r.h * 0.5, wp = world_px(v.zoom);
  double px = v.cx + (sx - vx) / wp, py = v.cy + (sy - vy) / wp;
  v.zoom = std::clamp(v.zoom + std::log2(factor), kMinZoom, kMaxZoom);
  double wp2 = world_px(v.zoom);
  v.cx = px - (sx - vx) / wp2;
  v.cy = py - (sy - vy) / wp2;
}

size_t Kiosk::map_tile_bytes() const { return services_.map_tiles ? services_.map_tiles->bytes() : 0; }
size_t Kiosk::map_image_bytes() const { return map_images_ ? map_images_->bytes() : 0; }

bool Kiosk::map_images_pending() const { return session_.map.tiles && map_images_ && map_images_->pending(); }

bool Kiosk::map_tiles_busy() const {
  return session_.map.tiles && services_.map_tiles && services_.map_tiles->busy();
}

bool Kiosk::on_map_control(float x, float y) const {
  for (const ui::Rect& r : session_.map.controls)
    if (r.contains(x, y)) return true;
  return false;
}

bool Kiosk::map_event(const SDL_Event& e, int w, int h) {
  switch (e.type) {
    case SDL_MOUSEBUTTONDOWN:
      if (e.button.which == SDL_TOUCH_MOUSEID || e.button.button != SDL_BUTTON_LEFT) return false;
      return finger_down(kPointer, (float)e.button.x, (float)e.button.y);
    case SDL_MOUSEMOTION:
      if (e.motion.which == SDL_TOUCH_MOUSEID) return false;
      return finger_move(kPointer, (float)e.motion.x, (float)e.motion.y);
    case SDL_MOUSEBUTTONUP:
      if (e.button.which == SDL_TOUCH_MOUSEID || e.button.button != SDL_BUTTON_LEFT) return false;
      return finger_up(kPointer, (float)e.button.x, (float)e.button.y);
    case SDL_FINGERDOWN:
      return finger_down((int64_t)e.tfinger.fingerId, e.tfinger.x * w, e.tfinger.y * h);
    case SDL_FINGERMOTION:
      return finger_move((int64_t)e.tfinger.fingerId, e.tfinger.x * w, e.tfinger.y * h);
    case SDL_FINGERUP:
      return finger_up((int64_t)e.tfinger.fingerId, e.tfinger.x * w, e.tfinger.y * h);
    default:
      return ui_.handle_event(e, w, h);
  }
}

bool Kiosk::finger_down(int64_t finger, float x, float y) {
  ui_.input_time(platform::now_ms());
  if (screen_ != Screen::Map) {
    ui_.pointer_down(x, y);
    return true;
  }
  MapView& v = session_.map;
  std::erase_if(v.fingers, [&](const MapView::Finger& f) { return f.id == finger; });
  v.fingers.push_back({finger, x, y});
  if (v.fingers.size() == 1) {
    bool was_moving = v.moving();
    v.vx = v.vy = 0;
    ui_.pointer_down(x, y);
    if (was_moving) ui_.cancel_press();   // a finger on a moving map stops it, and is no tap
    v.pan = v.view.contains(x, y) && !on_map_control(x, y);
    v.dragging = v.pinched = false;
    v.press_x = x;
    v.press_y = y;
    v.samples.assign(1, {{x, y}, platform::now_ms()});
  } else if (v.fingers.size() == 2) {
    ui_.cancel_press();   // a second finger: a pinch, so nothing under the first is tapped
    v.pinched = true;
    v.dragging = false;
  }
  return true;
}

bool Kiosk::finger_move(int64_t finger, float x, float y) {
  ui_.input_time(platform::now_ms());
  if (screen_ != Screen::Map) return ui_.pointer_move(x, y);
  MapView& v = session_.map;
  size_t i = 0;
  while (i < v.fingers.size() && v.fingers[i].id != finger) i++;
  if (i == v.fingers.size()) return false;
  MapView::Finger before = v.fingers[i];
  v.fingers[i].x = x;
  v.fingers[i].y = y;
  if (v.fingers.size() >= 2 && i < 2) {
    // Pinch: the midpoint pans, the spread zooms around the midpoint, so the world point under
    // the fingers stays under them.
    const MapView::Finger& other = v.fingers[1 - i];
    float m0x = (before.x + other.x) / 2, m0y = (before.y + other.y) / 2, m1x = (x + other.x) / 2, m1y = (y + other.y) / 2;
    double d0 = std::hypot(before.x - other.x, before.y - other.y), d1 = std::hypot(x - other.x, y - other.y);
    if (!v.pinched || !v.view.contains(m1x, m1y)) return false;
    map_pan(m1x - m0x, m1y - m0y);
    if (d0 > 1 && d1 > 1) map_zoom(m1x, m1y, d1 / d0);
    return true;
  }
  if (i != 0 || v.pinched) return false;
  bool changed = ui_.pointer_move(x, y);
  if (!v.pan) return changed;
  float slop = std::max(10.0f, 2.5f * ui_.m().px_per_mm);
  if (!v.dragging && std::hypot(x - v.press_x, y - v.press_y) > slop) {
    v.dragging = true;   // from here the finger drags the map: the point it pressed follows it
    before.x = v.press_x;
    before.y = v.press_y;
  }
  if (!v.dragging) return changed;
  map_pan(x - before.x, y - before.y);
  v.samples.push_back({{x, y}, platform::now_ms()});
  if (v.samples.size() > 32) v.samples.erase(v.samples.begin());
  return true;
}

bool Kiosk::finger_up(int64_t finger, float x, float y) {
  ui_.input_time(platform::now_ms());
  if (screen_ != Screen::Map) {
    ui_.pointer_up(x, y);
    return true;
  }
  MapView& v = session_.map;
  size_t i = 0;
  while (i < v.fingers.size() && v.fingers[i].id != finger) i++;
  if (i == v.fingers.size()) {
    if (finger == kPointer && ui_.pointer_is_down()) ui_.pointer_up(x, y);
    return false;
  }
  finger_move(finger, x, y);
  if (i == 0 && !v.pinched) {
    ui_.pointer_up(x, y);
    if (v.dragging) {
      // Release velocity from the last ~100 ms of movement, as the lists do: a flick glides on.
      uint64_t t1 = v.samples.back().second;
      auto [x1, y1] = v.samples.back().first;
      for (const auto& [p, t] : v.samples)
        if (t1 - t <= 100 && t1 > t) {
          v.vx = (x1 - p.first) / (float)(t1 - t);
          v.vy = (y1 - p.second) / (float)(t1 - t);
          v.inertia_ms = platform::now_ms();
          break;
        }
    }
  }
  v.fingers.erase(v.fingers.begin() + (ptrdiff_t)i);
  if (v.fingers.empty()) v.pan = v.dragging = false;
  return true;
}

// [SECTION] Screen -------------------------------------------------------------------------------
void Kiosk::open_map(const std::string& office, std::vector<std::string> fit) {
  session_.map = MapView{};
  session_.map.selected = office;
  session_.map.fit = std::move(fit);
  session_.map.opened_real_ms = real_ms();
  ui_.cancel_press();
  go(Screen::Map);
}

// The first view of a visit: the office asked for, or every office asked for (and the kiosk).
void Kiosk::place_map(float w, float h) {
  MapView& v = session_.map;
  if (v.placed) return;
  v.placed = true;
  double x0 = 2, y0 = 2, x1 = -1, y1 = -1;
  auto add = [&](double lat, double lon) {
    WorldPoint p = project(lat, lon);
    x0 = std::min(x0, p.x), y0 = std::min(y0, p.y), x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
  };
  for (const content::Service& s : map_offices_)
    if (v.fit.empty() || std::find(v.fit.begin(), v.fit.end(), s.id) != v.fit.end()) add(s.lat, s.lon);
  if (options_.has_position && (v.fit.empty() || x1 < x0)) add(options_.position_lat, options_.position_lon);
  if (x1 < x0) {  // nothing to show: Italy
    add(36.6, 6.6);
    add(47.1, 18.5);
  }
  v.cx = (x0 + x1) / 2;
  v.cy = (y0 + y1) / 2;
  double dx = std::max(x1 - x0, 1e-9), dy = std::max(y1 - y0, 1e-9);
  double zoom = std::log2(std::min(w * 0.7 / (dx * 256), h * 0.7 / (dy * 256)));
  v.zoom = std::clamp(std::floor(zoom * 4) / 4, kMinZoom, 17.0);
}

void Kiosk::draw_qr(const std::string& id, const std::string& payload, float x, float y, float side) {
  int n = 0;
  std::vector<bool> modules = qr_modules(payload, &n);
  if (n <= 0) return;
  float cell = std::floor(side / (n + 8));
  float total = cell * (n + 8);
  ui::Rect s = ui_.mirror({x, y, total, total});   // the code's place mirrors; the code never does
  ui_.fill({x, y, total, total}, IM_COL32(255, 255, 255, 255));   // quiet zone
  ImDrawList* dl = ImGui::GetBackgroundDrawList();
  for (int r = 0; r < n; r++)
    for (int c = 0; c < n; c++)
      if (modules[(size_t)r * n + c]) {
        float cx = s.x + (c + 4) * cell, cy = s.y + (r + 4) * cell;
        dl->AddRectFilled({cx, cy}, {cx + cell, cy + cell}, IM_COL32(0, 0, 0, 255));
      }
  ui_.record(id, "image", payload, "en", {x, y, total, total});
}

// The office's card over the map, at the start edge: the card as everywhere, its distance, and
// two QR codes to take the place along (the phone's map app, the OpenStreetMap site).
void Kiosk::draw_map_card(const content::Service& svc, float top, float bottom) {
  const ui::Metrics& m = ui_.m();
  float pw = std::min(ui_.width() * 0.42f, m.px_per_mm * 150), px = m.pad, py = top + m.pad;
  ui::Rect panel{px, py, pw, bottom - py - m.pad};
  session_.map.controls.push_back(ui_.mirror(panel));
  ui_.fill(panel, ui_.theme().surface, 12);
  ui_.outline(panel, ui_.theme().outline, 12, 2);
  ui_.record("map.card.panel", "hotspot", "", "en", panel);   // a tap on the card is no tap on the map
  float inner = pw - 2 * m.pad * 0.6f, ix = px + m.pad * 0.6f;
  float close_h = m.min_target * 1.3f, close_w = std::min(inner, m.px_per_mm * 40);
  if (ui_.button("map.card.close", t("map.close"), t_lang("map.close"), {px + pw - close_w - m.pad * 0.3f, py + m.pad * 0.3f, close_w, close_h},
                 {ui::Variant::Surface, m.small}))
    session_.map.selected.clear();
  float top_list = py + close_h + m.pad * 0.6f;
  float cy = ui_.begin_scroll("map.card", {px, top_list, pw, panel.bottom() - top_list - m.pad * 0.3f});
  float y0 = cy;
  cy += draw_office(svc.id, ix - m.pad * 0.6f, cy, pw, &svc) + m.pad * 0.5f;
  float qside = std::max((inner - m.pad) / 2, std::min(inner, m.px_per_mm * 40));
  bool stacked = qside * 2 + m.pad > inner;
  float cap = 0;
  cap = std::max(cap, ui_.text("map.qr.geo.caption", t("map.qr_geo"), t_lang("map.qr_geo"), {ix, cy, qside, 0}, m.small,
                               ui_.theme().ink, true));
  float gx = stacked ? ix : ix + qside + m.pad, gy = stacked ? cy + cap + qside + m.pad : cy;
  float cap2 = ui_.text("map.qr.web.caption", t("map.qr_web"), t_lang("map.qr_web"), {gx, gy, qside, 0}, m.small,
                        ui_.theme().ink, true);
  float row = std::max(cap, stacked ? 0 : cap2) + m.pad * 0.3f;
  draw_qr("map.qr.geo", geo_uri(svc), ix, cy + row, qside);
  draw_qr("map.qr.web", osm_url(svc), gx, gy + (stacked ? cap2 + m.pad * 0.3f : row), qside);
  cy = (stacked ? gy + cap2 + m.pad * 0.3f : cy + row) + qside + m.pad;
  ui_.end_scroll(cy - y0);
}

// Every office with coordinates, read once per language (never per frame), and whether the tile
// file covers any of them.
void Kiosk::load_map_offices() {
  if (!services_.pack || map_offices_lang_ == session_.lang) return;
  map_offices_.clear();
  for (content::Service& s : services_.pack->services(session_.lang))
    if (has_coordinates(s)) map_offices_.push_back(std::move(s));
  map_offices_lang_ = session_.lang;
  map_covered_ = false;
  // Tiles only where they help: a file that holds neither the kiosk nor any office (a map of
  // another town) would show streets that have nothing to do with the markers.
  if (services_.map_tiles) {
    const map::TileSetInfo& b = services_.map_tiles->info();
    auto inside = [&](double lat, double lon) { return lat >= b.south && lat <= b.north && lon >= b.west && lon <= b.east; };
    map_covered_ = options_.has_position && inside(options_.position_lat, options_.position_lon);
    for (const content::Service& s : map_offices_) map_covered_ = map_covered_ || inside(s.lat, s.lon);
  }
}

std::string Kiosk::map_staff_line() {
  std::string line = "Mappa: " + services_.map_state;
  if (services_.map_tiles) {
    load_map_offices();
    if (services_.pack && !map_covered_)
      line += "; né il chiosco né alcun ufficio cade nell'area della mappa: mappa schematica";
    std::string error = services_.map_tiles->last_error();
    if (!error.empty()) line += "; ultima tile illeggibile: " + error;
  }
  return line;
}

void Kiosk::draw_map() {
  const ui::Metrics& m = ui_.m();
  // The map's ground is the frame's clear colour (ground_, below): the page's background is
  // then a fill, under the navigation bar only.
  ImDrawList* dl = ImGui::GetBackgroundDrawList();
  dl->AddCallback(platform::opaque_fills, nullptr);
  dl->AddRectFilled({0, 0}, {ui_.width(), m.nav_h}, ui_.theme().background);
  dl->AddCallback(ImDrawCallback_ResetRenderState, nullptr);
  float nav = 0;
  nav_bar(&nav);
  if (!services_.pack) return back();
  load_map_offices();
  MapView& v = session_.map;
  float top = m.nav_h, W = ui_.width(), H = ui_.height() - top;
  v.view = {0, top, W, H};
  v.controls.clear();
  place_map(W, H);
  uint64_t now = platform::now_ms();
  if (v.moving() && v.fingers.empty()) {   // inertia: the lists' 325 ms exponential decay
    uint64_t dt = now > v.inertia_ms ? now - v.inertia_ms : 0;
    v.inertia_ms = now;
    if (dt > 0) {
      float decay = std::exp(-(float)dt / 325.0f);
      map_pan(v.vx * 325.0f * (1 - decay), v.vy * 325.0f * (1 - decay));
      v.vx *= decay;
      v.vy *= decay;
      if (std::hypot(v.vx, v.vy) < 0.02f) v.vx = v.vy = 0;
    }
  }
  double wp = world_px(v.zoom);
  auto to_screen = [&](WorldPoint p, float* sx, float* sy) {
    *sx = (float)(W * 0.5 + (p.x - v.cx) * wp);
    *sy = (float)(top + H * 0.5 + (p.y - v.cy) * wp);
  };
  bool mirrored = ui_.set_mirroring(false);   // the map is drawn and recorded in screen pixels
  dl->PushClipRect({0, top}, {W, top + H}, true);
  // Far below the file's lowest zoom the tiles would be specks: the schematic says more.
  v.tiles = services_.map_tiles && map_covered_ && v.zoom >= services_.map_tiles->info().min_zoom - 1;
  if (v.tiles) {
    map::Camera cam;
    cam.center = {v.cx, v.cy};
    cam.zoom = v.zoom;
    if (!map_images_) {
      map::TileImages::Config config;
      config.opaque = platform::opaque_images;
      map_images_ = std::make_unique<map::TileImages>(upload_tile, config);
    }
    ground_ = map::kLand;
    map::DrawStats st = map::draw(dl, engine_, ui_.atlas(), *services_.map_tiles, cam, 0, top, W, H, session_.lang,
                                  platform::opaque_fills, map_images_.get(), platform::halo_text);
    services_.map_tiles->end_frame();
    v.tiles_visible = st.tiles_visible;
    v.tiles_own = st.tiles_own;
    if (v.first_complete_ms < 0 && st.tiles_own == st.tiles_visible) v.first_complete_ms = real_ms() - v.opened_real_ms;
  } else {
    draw_map_schematic(0, top, W, H);
  }
  // The map itself is a target: taps on it (not on a marker) make double taps.
  ui_.record("map.view", "hotspot", "", "en", v.view);
  if (ui_.take_tap("map.view")) {
    float slop = std::max(10.0f, 2.5f * m.px_per_mm) * 2;
    if (v.last_tap_ms && now - v.last_tap_ms <= 350 && std::hypot(v.press_x - v.last_tap_x, v.press_y - v.last_tap_y) < slop) {
      map_zoom(v.press_x, v.press_y, 2);
      wp = world_px(v.zoom);
      v.last_tap_ms = 0;
    } else {
      v.last_tap_ms = now;
      v.last_tap_x = v.press_x;
      v.last_tap_y = v.press_y;
    }
  }
  // You are here.
  std::vector<ui::Rect> labels;       // placed so far: a label that would overlap one is left out
  if (options_.has_position) {
    float sx, sy;
    to_screen(project(options_.position_lat, options_.position_lon), &sx, &sy);
    float r = m.min_target * 0.35f;
    dl->AddCircleFilled({sx, sy}, r * 1.8f, IM_COL32(30, 110, 220, 60), 32);
    dl->AddCircleFilled({sx, sy}, r + 3, IM_COL32(255, 255, 255, 255), 24);
    dl->AddCircleFilled({sx, sy}, r, IM_COL32(30, 110, 220, 255), 24);
    ui_.record("map.here", "you-are-here", t("map.here"), t_lang("map.here"), {sx - r, sy - r, 2 * r, 2 * r});
    float lw = m.px_per_mm * 50;
    float lh = ui_.text("map.here.label", t("map.here"), t_lang("map.here"), {sx + r * 2, sy - m.small * 0.7f, lw, 0}, m.small,
                        IM_COL32(20, 80, 170, 255), true, text::Align::Start, "label");
    labels.push_back({sx - r, sy - m.small * 0.7f, lw + r * 3, lh});
  }
  // Offices: a shape per kind, green when open now, red when closed, grey without hours. The
  // marker is a 9 mm target centred on the office's position.
  float side = m.min_target;
  for (const content::Service& s : map_offices_) {
    float sx, sy;
    to_screen(project(s.lat, s.lon), &sx, &sy);
    if (sx < -side || sy < top - side || sx > W + side || sy > top + H + side) continue;
    const OfficeCard* card = office_card(s.id, &s);
    ImU32 colour = !card || !card->known ? IM_COL32(110, 118, 124, 255) : card->open ? ui_.theme().ok : ui_.theme().danger;
    bool selected = v.selected == s.id;
    float r = side * (selected ? 0.42f : 0.34f);
    ImVec2 c{sx, sy};
    const std::string& k = s.kind;
    dl->AddCircleFilled(c, r + 4, IM_COL32(255, 255, 255, 255), 24);
    if (k == "comune" || k == "prefettura" || k == "questura")   // public administration: a square
      dl->AddRectFilled({sx - r * 0.85f, sy - r * 0.85f}, {sx + r * 0.85f, sy + r * 0.85f}, colour, 2);
    else if (k == "health") {   // a cross
      dl->AddRectFilled({sx - r, sy - r * 0.38f}, {sx + r, sy + r * 0.38f}, colour);
      dl->AddRectFilled({sx - r * 0.38f, sy - r}, {sx + r * 0.38f, sy + r}, colour);
    } else if (k == "school" || k == "cpia")   // a triangle
      dl->AddTriangleFilled({sx, sy - r}, {sx + r, sy + r * 0.8f}, {sx - r, sy + r * 0.8f}, colour);
    else if (k == "infodesk" || k == "employment" || k == "tax")   // a diamond
      dl->AddQuadFilled({sx, sy - r}, {sx + r, sy}, {sx, sy + r}, {sx - r, sy}, colour);
    else
      dl->AddCircleFilled(c, r, colour, 24);
    if (selected) dl->AddCircle(c, r + 7, ui_.theme().primary, 32, 3);
    std::string kind_key = "kind." + s.kind;
    std::string id = "map.office." + s.id;
    ui_.record(id, "office-marker", t(kind_key.c_str()), t_lang(kind_key.c_str()), {sx - side / 2, sy - side / 2, side, side},
               selected);
    if (ui_.take_tap(id)) v.selected = s.id;
    // The label, in the visitor's language, where it overlaps no earlier one.
    float lw = m.px_per_mm * 45, ls = m.small * 0.9f;
    float lh = ui_.measure(t(kind_key.c_str()), t_lang(kind_key.c_str()), lw, ls, true);
    ui::Rect lr{sx + side * 0.55f, sy - ls * 0.7f, lw, lh};
    bool free = true;
    for (const ui::Rect& o : labels) free = free && (lr.right() < o.x || lr.x > o.right() || lr.bottom() < o.y || lr.y > o.bottom());
    if (free || selected) {
      labels.push_back(lr);
      ui_.text(id + ".label", t(kind_key.c_str()), t_lang(kind_key.c_str()), {lr.x, lr.y, lw, 0}, ls,
               ui_.theme().ink, true, text::Align::Start, "label");
    }
  }
  dl->PopClipRect();
  ui_.set_mirroring(mirrored);
  // [the UI around the map: mirrored]
  float bs = std::max(m.min_target * 1.6f, m.button_h * 0.9f), bx = W - m.pad - bs, by = top + m.pad;
  auto control = [&](const char* id, const std::string& label, const std::string& lang, ui::Rect r) {
    ui_.fill(r, ui_.theme().surface, 12);
    v.controls.push_back(ui_.mirror(r));
    return ui_.button(id, label, lang, r, {ui::Variant::Surface, m.heading});
  };
  // + and - as bars: the same weight and centre in every font.
  auto sign = [&](ui::Rect r, bool plus) {
    ui::Rect s = ui_.mirror(r);
    float cx = s.x + s.w / 2, cy = s.y + s.h / 2, a = s.w * 0.24f, b = std::max(2.0f, s.w * 0.045f);
    dl->AddRectFilled({cx - a, cy - b}, {cx + a, cy + b}, ui_.theme().ink);
    if (plus) dl->AddRectFilled({cx - b, cy - a}, {cx + b, cy + a}, ui_.theme().ink);
  };
  ui::Rect zin{bx, by, bs, bs}, zout{bx, by + bs + m.pad * 0.4f, bs, bs};
  if (control("map.zoom_in", "", "en", zin)) map_zoom(W * 0.5f, top + H * 0.5f, 2);
  sign(zin, true);
  if (control("map.zoom_out", "", "en", zout)) map_zoom(W * 0.5f, top + H * 0.5f, 0.5);
  sign(zout, false);
  if (options_.has_position) {
    float bw = std::min(W * 0.3f, m.px_per_mm * 60);
    if (control("map.back_to_me", t("map.back_to_me"), t_lang("map.back_to_me"),
                {W - m.pad - bw, by + 2 * (bs + m.pad * 0.4f), bw, m.button_h})) {
      WorldPoint p = project(options_.position_lat, options_.position_lon);
      v.cx = p.x;
      v.cy = p.y;
      v.zoom = std::max(v.zoom, 16.0);
      v.vx = v.vy = 0;
    }
  }
  // Scale bar at the start edge, attribution at the end edge, both along the bottom.
  double lat = std::atan(std::sinh(kPi * (1 - 2 * v.cy))) * 180 / kPi;
  double m_per_px = std::cos(lat * kPi / 180) * 2 * kPi * 6378137.0 / wp;
  double target = W * 0.18 * m_per_px, step = std::pow(10, std::floor(std::log10(target)));
  double metres = target >= 5 * step ? 5 * step : target >= 2 * step ? 2 * step : step;
  // The map's data is OpenStreetMap's (ODbL): the attribution is always on screen.
  const char* osm = "\u00a9 OpenStreetMap contributors";
  float aw = std::max(m.px_per_mm * 62, m.small * 0.8f * 17), ah = m.small * 1.4f;
  ui::Rect ar{W - aw - m.pad * 0.3f, top + H - ah - m.pad * 0.3f, aw, ah};
  // The scale bar above it, at the end edge too (the office card takes the start edge).
  float bar = (float)(metres / m_per_px), sh = m.small * 1.6f, sy = ar.y - m.pad * 0.4f - sh;
  float sx = W - m.pad * 0.3f - 6 - bar;
  char label[32];
  if (metres >= 1000) snprintf(label, sizeof label, "%g km", metres / 1000);
  else snprintf(label, sizeof label, "%g m", metres);
  ui_.fill({sx - 6, sy - 6, bar + 12, sh + 12}, IM_COL32(255, 255, 255, 210), 6);
  ui_.fill({sx, sy + m.small * 1.2f, bar, 4}, ui_.theme().ink);
  ui_.fill({sx, sy + m.small * 0.8f, 3, m.small * 0.4f + 4}, ui_.theme().ink);
  ui_.fill({sx + bar - 3, sy + m.small * 0.8f, 3, m.small * 0.4f + 4}, ui_.theme().ink);
  ui_.record("map.scale", "scale", label, "en", {sx, sy, bar, sh});
  ui_.text("", label, "en", {sx, sy - 2, bar, 0}, m.small * 0.85f, ui_.theme().ink, false, text::Align::Center);
  ui_.fill(ar, IM_COL32(255, 255, 255, 220), 4);
  ui_.text("map.attribution", osm, "en", {ar.x + 6, ar.y + 2, aw - 12, 0}, m.small * 0.8f, ui_.theme().ink, false,
           text::Align::End, "attribution");
  if (!v.tiles) {
    float nw = std::min(W * 0.5f, m.px_per_mm * 140);
    ui::Rect nr{W * 0.5f - nw / 2, top + m.pad * 0.5f, nw, 0};
    nr.h = ui_.measure(t("map.schematic"), t_lang("map.schematic"), nw - 16, m.small * 0.9f) + 8;
    ui_.fill(nr, IM_COL32(255, 255, 255, 220), 6);
    ui_.text("map.schematic", t("map.schematic"), t_lang("map.schematic"), {nr.x + 8, nr.y + 4, nw - 16, 0},
             m.small * 0.9f, ui_.theme().muted, false, text::Align::Center, "notice");
  }
  if (!v.selected.empty())
    for (const content::Service& s : map_offices_)
      if (s.id == v.selected) draw_map_card(s, top, top + H);
}

// Without tiles: a plain Web Mercator view with a graticule, the same projection the markers
// use, so offices keep their true positions relative to each other and to the kiosk.
void Kiosk::draw_map_schematic(float x0, float y0, float w, float h) {
  ImDrawList* dl = ImGui::GetBackgroundDrawList();
  const MapView& v = session_.map;
  // The plain ground is the frame's clear colour: no pixel of it is drawn (the grid's lines are
  // antialiased: ImGui's own program).
  ground_ = IM_COL32(233, 238, 236, 255);
  double wp = world_px(v.zoom);
  // World x of the left edge and the degrees a line apart: 4 to 10 lines across.
  double left = v.cx - w * 0.5 / wp, right = v.cx + w * 0.5 / wp;
  double span = (right - left) * 360, step = std::pow(10, std::floor(std::log10(span / 4)));
  if (span / step > 20) step *= 5;
  else if (span / step > 10) step *= 2;
  ImU32 line = IM_COL32(205, 213, 210, 255);
  for (double lon = std::floor((left * 360 - 180) / step) * step; lon <= right * 360 - 180; lon += step) {
    float sx = (float)(x0 + w * 0.5 + ((lon + 180) / 360 - v.cx) * wp);
    dl->AddLine({sx, y0}, {sx, y0 + h}, line, 1.5f);
  }
  double top_lat = std::atan(std::sinh(kPi * (1 - 2 * (v.cy - h * 0.5 / wp)))) * 180 / kPi;
  double bottom_lat = std::atan(std::sinh(kPi * (1 - 2 * (v.cy + h * 0.5 / wp)))) * 180 / kPi;
  for (double lat = std::floor(bottom_lat / step) * step; lat <= top_lat; lat += step) {
    float sy = (float)(y0 + h * 0.5 + (project(lat, 0).y - v.cy) * wp);
    dl->AddLine({x0, sy}, {x0 + w, sy}, line, 1.5f);
  }
}

}  // namespace app
