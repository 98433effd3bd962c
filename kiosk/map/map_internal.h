// Internals of kiosk/map shared by its .cpp files and its tests (never by other modules).
#pragma once

#include "map/map.h"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace map {

constexpr int kMaxTileZoom = 22;                     // deepest zoom a tile file may declare
constexpr size_t kMaxTileBytes = 8u << 20;           // an MVT tile, inflated
constexpr size_t kMaxTileFileBytes = 16u << 20;      // one SQLite value (a stored tile) at most

}  // namespace map

namespace map {

constexpr uint32_t rgba(uint32_t r, uint32_t g, uint32_t b, uint32_t a = 255) {
    return (a << 24) | (b << 16) | (g << 8) | r;   // IM_COL32's layout
}
static_assert(kLand == rgba(242, 239, 233));

// The style table (style.cpp): how a feature of (layer, class) is drawn at a tile zoom.
enum class Paint : uint8_t { Fill, Line, Marker };
struct StyleRule {
    const char* layer;
    const char* cls;          // nullptr: any class (or none)
    Paint paint;
    uint32_t rgba;
    float width_px;           // lines: full width at zoom 14 (scaled by zoom); markers: diameter
    int min_zoom, max_zoom;   // tile zooms the rule applies to (inclusive)
    int order;                // drawing order: lower first
};
struct LabelRule {
    const char* layer;
    const char* cls;
    int priority;             // higher wins a collision
    float size_px;
    uint32_t rgba;
    int min_zoom;             // camera zoom (draw() hides it below: tiles stop at their max zoom)
};
// Rules for a feature; unknown layers and classes match nothing (the feature is skipped).
void match_styles(std::string_view layer, std::string_view cls, GeomType type, int zoom,
                  std::vector<const StyleRule*>* out);
const LabelRule* match_label(std::string_view layer, std::string_view cls);
float line_width_px(const StyleRule& r, int zoom);

}  // namespace map
