// Web Mercator in [0,1] x [0,1], tiles and the camera's screen mapping (pure functions).
#include "map/map.h"

#include <algorithm>
#include <cmath>

namespace map {

namespace {
constexpr double kPi = 3.14159265358979323846;
constexpr double kMaxLat = 85.05112877980659;   // atan(sinh(pi)): the square Mercator world
constexpr double kEarthRadiusM = 6371008.8;     // IUGG mean radius
constexpr double kMinZoom = 0, kMaxZoom = 22;
double rad(double deg) { return deg * kPi / 180; }
}  // namespace

World project(LonLat p) {
    const double lat = rad(std::clamp(p.lat, -kMaxLat, kMaxLat));
    World w;
    w.x = (p.lon + 180.0) / 360.0;
    w.y = (1.0 - std::asinh(std::tan(lat)) / kPi) / 2.0;
    return w;
}

LonLat unproject(World w) {
    LonLat p;
    p.lon = w.x * 360.0 - 180.0;
    p.lat = std::atan(std::sinh(kPi * (1.0 - 2.0 * w.y))) * 180.0 / kPi;
    return p;
}

double distance_m(LonLat a, LonLat b) {
    const double dlat = rad(b.lat - a.lat), dlon = rad(b.lon - a.lon);
    const double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
                     std::cos(rad(a.lat)) * std::cos(rad(b.lat)) * std::sin(dlon / 2) * std::sin(dlon / 2);
    return 2 * kEarthRadiusM * std::asin(std::min(1.0, std::sqrt(h)));
}

TileId parent(TileId t) {
    if (t.z <= 0) return TileId{0, 0, 0};
    return TileId{t.z - 1, t.x >> 1, t.y >> 1};
}

double tile_px() { return 256.0; }
double world_px(double zoom) { return tile_px() * std::exp2(zoom); }

void world_to_screen(const Camera& c, float x0, float y0, float w, float h, World p, float* sx, float* sy) {
    const double s = world_px(c.zoom);
    *sx = (float)(x0 + w * 0.5 + (p.x - c.center.x) * s);
    *sy = (float)(y0 + h * 0.5 + (p.y - c.center.y) * s);
}

World screen_to_world(const Camera& c, float x0, float y0, float w, float h, float sx, float sy) {
    const double s = world_px(c.zoom);
    return World{c.center.x + (sx - x0 - w * 0.5) / s, c.center.y + (sy - y0 - h * 0.5) / s};
}

void zoom_around(Camera* c, float x0, float y0, float w, float h, float sx, float sy, double factor) {
    if (!(factor > 0) || !std::isfinite(factor)) return;
    const World fixed = screen_to_world(*c, x0, y0, w, h, sx, sy);
    c->zoom = std::clamp(c->zoom + std::log2(factor), kMinZoom, kMaxZoom);
    const double s = world_px(c->zoom);
    // The same screen offset from the centre, at the new scale, lands on the same world point.
    c->center.x = fixed.x - (sx - x0 - w * 0.5) / s;
    c->center.y = fixed.y - (sy - y0 - h * 0.5) / s;
}

}  // namespace map
