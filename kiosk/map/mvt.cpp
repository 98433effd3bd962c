// decode_mvt(): Mapbox Vector Tile 2.1 (https://github.com/mapbox/vector-tile-spec/tree/master/2.1)
// read with protozero. The bytes come from a file the kiosk did not make, so every bound is
// checked and any breach rejects the whole tile: protozero throws on truncated or overlong
// varints and on lengths past the end; this file checks wire types before every get_*() (the
// library only asserts them), command counts against what is left, tag indices against the
// key and value tables, coordinates against a range, and caps the memory a tile may expand into.
#include "map/map.h"
#include "map/map_internal.h"

#include <protozero/pbf_reader.hpp>

#include <cstdio>

namespace map {

const std::string* Feature::tag(std::string_view key) const {
    for (const auto& [k, v] : tags)
        if (k == key) return &v;
    return nullptr;
}

namespace {

using protozero::pbf_wire_type;

struct Bad {
    std::string why;
};

// Layer fields (vector_tile.proto).
enum : uint32_t { kLayerName = 1, kLayerFeatures = 2, kLayerKeys = 3, kLayerValues = 4, kLayerExtent = 5,
                  kLayerVersion = 15 };
enum : uint32_t { kFeatureId = 1, kFeatureTags = 2, kFeatureType = 3, kFeatureGeometry = 4 };
enum : uint32_t { kCmdMoveTo = 1, kCmdLineTo = 2, kCmdClosePath = 7 };

constexpr size_t kMaxLayers = 256;
constexpr size_t kMaxFeaturesPerTile = 1u << 18;
constexpr size_t kMaxPointsPerTile = 4u << 20;
constexpr size_t kMaxTagBytesPerTile = 32u << 20;   // values repeated by index must not blow up
constexpr uint32_t kMaxExtent = 1u << 16;
constexpr int64_t kMaxCoord = 1 << 20;              // far outside any tile's buffer

struct Budget {
    size_t features = 0, points = 0, tag_bytes = 0;
};

void expect(protozero::pbf_reader& r, pbf_wire_type t, const char* what) {
    if (!r.has_wire_type(t)) throw Bad{std::string("wrong wire type for ") + what};
}

std::string value_string(protozero::pbf_reader v) {
    std::string out;
    char buf[64];
    while (v.next()) {
        switch (v.tag()) {
        case 1: expect(v, pbf_wire_type::length_delimited, "string value"); out = v.get_string(); break;
        case 2: expect(v, pbf_wire_type::fixed32, "float value"); std::snprintf(buf, sizeof buf, "%g", (double)v.get_float()); out = buf; break;
        case 3: expect(v, pbf_wire_type::fixed64, "double value"); std::snprintf(buf, sizeof buf, "%g", v.get_double()); out = buf; break;
        case 4: expect(v, pbf_wire_type::varint, "int value"); out = std::to_string(v.get_int64()); break;
        case 5: expect(v, pbf_wire_type::varint, "uint value"); out = std::to_string(v.get_uint64()); break;
        case 6: expect(v, pbf_wire_type::varint, "sint value"); out = std::to_string(v.get_sint64()); break;
        case 7: expect(v, pbf_wire_type::varint, "bool value"); out = v.get_bool() ? "true" : "false"; break;
        default: v.skip();
        }
    }
    return out;
}

int32_t zigzag(uint32_t v) { return (int32_t)((v >> 1) ^ (~(v & 1) + 1)); }

// The command stream of one feature into parts (see Feature::parts).
void decode_geometry(GeomType type, const std::vector<uint32_t>& g, Feature* f, Budget* budget) {
    int64_t cx = 0, cy = 0;
    size_t i = 0;
    auto take_point = [&](std::vector<Point>* part) {
        if (i + 2 > g.size()) throw Bad{"geometry: command count past the end"};
        cx += zigzag(g[i]);
        cy += zigzag(g[i + 1]);
        i += 2;
        if (cx < -kMaxCoord || cx > kMaxCoord || cy < -kMaxCoord || cy > kMaxCoord)
            throw Bad{"geometry: coordinate out of range"};
        if (++budget->points > kMaxPointsPerTile) throw Bad{"too many points"};
        part->push_back(Point{(int32_t)cx, (int32_t)cy});
    };
    while (i < g.size()) {
        const uint32_t id = g[i] & 7, count = g[i] >> 3;
        i++;
        if (id == kCmdMoveTo) {
            if (count == 0) throw Bad{"geometry: MoveTo with count 0"};
            if (type == GeomType::Point) {
                if (!f->parts.empty()) throw Bad{"geometry: two MoveTo in a point feature"};
                if ((g.size() - i) / 2 < count) throw Bad{"geometry: command count past the end"};
                f->parts.emplace_back();
                for (uint32_t k = 0; k < count; k++) take_point(&f->parts.back());
                continue;
            }
            if (count != 1) throw Bad{"geometry: MoveTo count must be 1 for lines and polygons"};
            f->parts.emplace_back();
            take_point(&f->parts.back());
            // A line or ring continues with LineTo at once.
            if (i >= g.size() || (g[i] & 7) != kCmdLineTo) throw Bad{"geometry: MoveTo not followed by LineTo"};
            const uint32_t n = g[i] >> 3;
            i++;
            if (n == 0) throw Bad{"geometry: LineTo with count 0"};
            if ((g.size() - i) / 2 < n) throw Bad{"geometry: command count past the end"};
            for (uint32_t k = 0; k < n; k++) take_point(&f->parts.back());
            if (type == GeomType::Polygon) {
                if (i >= g.size() || g[i] != ((1u << 3) | kCmdClosePath)) throw Bad{"geometry: ring not closed"};
                i++;
                if (f->parts.back().size() < 3) throw Bad{"geometry: a ring of fewer than three points"};
            }
        } else {
            throw Bad{"geometry: unexpected command " + std::to_string(id)};
        }
    }
    if (f->parts.empty()) throw Bad{"geometry: empty"};
}

void decode_layer(protozero::pbf_reader layer, DecodedTile* out, Budget* budget) {
    Layer L;
    std::vector<std::string> keys, values;
    std::vector<protozero::data_view> features;
    uint32_t version = 1;
    bool have_name = false;
    while (layer.next()) {
        switch (layer.tag()) {
        case kLayerName: expect(layer, pbf_wire_type::length_delimited, "layer name"); L.name = layer.get_string(); have_name = true; break;
        case kLayerFeatures: expect(layer, pbf_wire_type::length_delimited, "feature"); features.push_back(layer.get_view()); break;
        case kLayerKeys: expect(layer, pbf_wire_type::length_delimited, "key"); keys.push_back(layer.get_string()); break;
        case kLayerValues: expect(layer, pbf_wire_type::length_delimited, "value"); values.push_back(value_string(layer.get_message())); break;
        case kLayerExtent: expect(layer, pbf_wire_type::varint, "extent"); L.extent = layer.get_uint32(); break;
        case kLayerVersion: expect(layer, pbf_wire_type::varint, "version"); version = layer.get_uint32(); break;
        default: layer.skip();
        }
    }
    if (!have_name) throw Bad{"layer without a name"};
    if (version < 1 || version > 2) throw Bad{"layer '" + L.name.substr(0, 40) + "': version " + std::to_string(version)};
    if (L.extent == 0 || L.extent > kMaxExtent) throw Bad{"layer '" + L.name.substr(0, 40) + "': extent " + std::to_string(L.extent)};
    budget->features += features.size();
    if (budget->features > kMaxFeaturesPerTile) throw Bad{"too many features"};
    std::vector<uint32_t> geometry;
    for (protozero::data_view fv : features) {
        protozero::pbf_reader fr(fv);
        Feature f;
        uint32_t type = 0;
        geometry.clear();
        std::vector<uint32_t> tag_ids;
        while (fr.next()) {
            switch (fr.tag()) {
            case kFeatureTags: {
                expect(fr, pbf_wire_type::length_delimited, "tags");
                for (uint32_t t : fr.get_packed_uint32()) tag_ids.push_back(t);
                break;
            }
            case kFeatureType: expect(fr, pbf_wire_type::varint, "type"); type = fr.get_uint32(); break;
            case kFeatureGeometry: {
                expect(fr, pbf_wire_type::length_delimited, "geometry");
                for (uint32_t c : fr.get_packed_uint32()) geometry.push_back(c);
                break;
            }
            default: fr.skip();
            }
        }
        if (type < 1 || type > 3) continue;   // Unknown geometry: nothing to draw
        f.type = (GeomType)type;
        if (tag_ids.size() % 2 != 0) throw Bad{"feature tags: odd count"};
        for (size_t k = 0; k < tag_ids.size(); k += 2) {
            if (tag_ids[k] >= keys.size() || tag_ids[k + 1] >= values.size()) throw Bad{"feature tags: index out of range"};
            const std::string& key = keys[tag_ids[k]];
            const std::string& value = values[tag_ids[k + 1]];
            budget->tag_bytes += key.size() + value.size();
            if (budget->tag_bytes > kMaxTagBytesPerTile) throw Bad{"tags expand beyond the bound"};
            f.tags.emplace_back(key, value);
        }
        decode_geometry(f.type, geometry, &f, budget);
        L.features.push_back(std::move(f));
    }
    out->layers.push_back(std::move(L));
}

}  // namespace

bool decode_mvt(std::string_view bytes, DecodedTile* out, std::string* error) {
    out->layers.clear();
    Budget budget;
    try {
        protozero::pbf_reader tile(bytes.data(), bytes.size());
        while (tile.next()) {
            if (tile.tag() == 3) {
                expect(tile, pbf_wire_type::length_delimited, "layer");
                if (out->layers.size() >= kMaxLayers) throw Bad{"too many layers"};
                decode_layer(tile.get_message(), out, &budget);
            } else {
                tile.skip();
            }
        }
        return true;
    } catch (const Bad& b) {
        if (error) *error = "mvt: " + b.why;
    } catch (const protozero::exception& e) {
        if (error) *error = std::string("mvt: ") + e.what();
    } catch (const std::bad_alloc&) {
        if (error) *error = "mvt: out of memory";
    }
    out->layers.clear();
    return false;
}

}  // namespace map
