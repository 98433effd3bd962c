// The style table: the one place that says how the map looks. Layer and class names are those
// of the kiosk's tilemaker profile (assets/map: water, waterway, landuse, park, building,
// transportation with class motorway..path and rail, transportation_name, place, transit; and
// poi, as tests/map's small profile has it). Colours follow the usual
// OpenStreetMap palette, muted so the kiosk's own widgets stand out over the map.
#include "map/map_internal.h"

#include <algorithm>
#include <cmath>

namespace map {

namespace {

constexpr int kAny = 99;

const StyleRule kRules[] = {
    // layer            class          paint         colour                  width  zooms     order
    {"landuse",        "residential",  Paint::Fill,  rgba(232, 228, 224),    0,     0, kAny,  10},
    {"landuse",        "grass",        Paint::Fill,  rgba(211, 235, 196),    0,     0, kAny,  11},
    {"landuse",        "forest",       Paint::Fill,  rgba(190, 222, 180),    0,     0, kAny,  11},
    {"landuse",        "cemetery",     Paint::Fill,  rgba(205, 225, 200),    0,     0, kAny,  11},
    {"landuse",        "commercial",   Paint::Fill,  rgba(240, 226, 226),    0,     0, kAny,  10},
    {"landuse",        "retail",       Paint::Fill,  rgba(240, 222, 222),    0,     0, kAny,  10},
    {"landuse",        "industrial",   Paint::Fill,  rgba(232, 224, 232),    0,     0, kAny,  10},
    {"landuse",        "railway",      Paint::Fill,  rgba(228, 224, 226),    0,     0, kAny,  10},
    {"landuse",        nullptr,        Paint::Fill,  rgba(234, 230, 222),    0,     0, kAny,  10},
    {"park",           nullptr,        Paint::Fill,  rgba(200, 232, 188),    0,     0, kAny,  12},
    {"water",          nullptr,        Paint::Fill,  rgba(170, 211, 223),    0,     0, kAny,  13},
    {"waterway",       "river",        Paint::Line,  rgba(170, 211, 223),    4.0f, 10, kAny,  13},
    {"waterway",       "canal",        Paint::Line,  rgba(170, 211, 223),    3.0f, 12, kAny,  13},
    {"waterway",       nullptr,        Paint::Line,  rgba(170, 211, 223),    1.5f, 14, kAny,  13},
    {"building",       nullptr,        Paint::Fill,  rgba(217, 208, 201),    0,    13, kAny,  14},
    // casings under the fills of the larger roads
    {"transportation", "motorway",     Paint::Line,  rgba(214, 120,  70),    9.0f,  0, kAny,  20},
    {"transportation", "trunk",        Paint::Line,  rgba(214, 140,  90),    8.5f,  0, kAny,  20},
    {"transportation", "primary",      Paint::Line,  rgba(200, 160, 110),    8.0f,  0, kAny,  20},
    {"transportation", "secondary",    Paint::Line,  rgba(190, 190, 130),    7.0f, 11, kAny,  20},
    {"transportation", "tertiary",     Paint::Line,  rgba(190, 190, 190),    6.5f, 12, kAny,  20},
    {"transportation", "minor",        Paint::Line,  rgba(200, 200, 200),    5.0f, 14, kAny,  20},
    {"transportation", "path",         Paint::Line,  rgba(222, 140, 120),    1.5f, 14, kAny,  21},
    {"transportation", "rail",         Paint::Line,  rgba(140, 140, 140),    2.0f, 10, kAny,  21},
    {"transportation", "service",      Paint::Line,  rgba(255, 255, 255),    2.5f, 14, kAny,  22},
    {"transportation", "minor",        Paint::Line,  rgba(255, 255, 255),    3.8f, 13, kAny,  23},
    {"transportation", "minor",        Paint::Line,  rgba(255, 255, 255),    1.2f,  0,   12,  23},
    {"transportation", "tertiary",     Paint::Line,  rgba(255, 255, 255),    5.0f, 12, kAny,  24},
    {"transportation", "secondary",    Paint::Line,  rgba(246, 250, 187),    5.5f, 10, kAny,  25},
    {"transportation", "primary",      Paint::Line,  rgba(252, 214, 164),    6.5f,  0, kAny,  26},
    {"transportation", "trunk",        Paint::Line,  rgba(249, 190, 140),    7.0f,  0, kAny,  27},
    {"transportation", "motorway",     Paint::Line,  rgba(245, 160, 110),    7.5f,  0, kAny,  28},
    {"poi",            "bus_stop",     Paint::Marker, rgba(40, 90, 180),     6.0f, 15, kAny,  40},
    {"poi",            "station",      Paint::Marker, rgba(40, 90, 180),     9.0f, 13, kAny,  40},
    {"transit",        "station",      Paint::Marker, rgba(40, 90, 180),     9.0f, 13, kAny,  40},
    {"transit",        "bus_stop",     Paint::Marker, rgba(40, 90, 180),     6.0f, 15, kAny,  40},
    {"transit",        "tram_stop",    Paint::Marker, rgba(40, 90, 180),     6.0f, 15, kAny,  40},
};

const LabelRule kLabels[] = {
    // layer                 class             priority size   colour               min zoom
    {"place",               "city",           100,     22.0f, rgba(30, 30, 30),     0},
    {"place",               "town",            90,     20.0f, rgba(30, 30, 30),     0},
    {"place",               "village",         80,     18.0f, rgba(40, 40, 40),    11},
    {"place",               "suburb",          70,     17.0f, rgba(60, 60, 60),    12},
    {"place",               "quarter",         65,     16.0f, rgba(60, 60, 60),    13},
    {"place",               "neighbourhood",   60,     15.0f, rgba(70, 70, 70),    14},
    {"place",               nullptr,           50,     14.0f, rgba(70, 70, 70),    14},
    {"transit",             "station",         45,     14.0f, rgba(30, 70, 150),   14},
    {"transportation_name", "motorway",        40,     14.0f, rgba(70, 60, 50),    12},
    {"transportation_name", "trunk",           40,     14.0f, rgba(70, 60, 50),    12},
    {"transportation_name", "primary",         40,     14.0f, rgba(70, 60, 50),    13},
    {"transportation_name", "secondary",       35,     14.0f, rgba(70, 70, 70),    13},
    {"transportation_name", "tertiary",        30,     13.0f, rgba(70, 70, 70),    14},
    {"transportation_name", "minor",           20,     13.0f, rgba(80, 80, 80),    15},
    {"transportation_name", nullptr,           10,     12.0f, rgba(90, 90, 90),    16},
};

bool class_matches(const char* rule, std::string_view cls) { return rule == nullptr || cls == rule; }

}  // namespace

void match_styles(std::string_view layer, std::string_view cls, GeomType type, int zoom,
                  std::vector<const StyleRule*>* out) {
    out->clear();
    for (const StyleRule& r : kRules) {
        if (layer != r.layer || zoom < r.min_zoom || zoom > r.max_zoom) continue;
        if (!class_matches(r.cls, cls)) continue;
        const bool fits = (r.paint == Paint::Fill && type == GeomType::Polygon) ||
                          (r.paint == Paint::Line && type == GeomType::Line) ||
                          (r.paint == Paint::Marker && type == GeomType::Point);
        if (!fits) continue;
        // A class-less rule is the fallback of its layer: only when no specific rule matched.
        if (r.cls == nullptr && !out->empty()) continue;
        out->push_back(&r);
    }
}

const LabelRule* match_label(std::string_view layer, std::string_view cls, int zoom) {
    for (const LabelRule& r : kLabels)
        if (layer == r.layer && class_matches(r.cls, cls)) return zoom >= r.min_zoom ? &r : nullptr;
    return nullptr;
}

float line_width_px(const StyleRule& r, int zoom) {
    // Wider as the map zooms in, narrower out, never under a hairline.
    return std::max(0.8f, r.width_px * std::exp2(0.6f * (float)(zoom - 14)));
}

}  // namespace map
