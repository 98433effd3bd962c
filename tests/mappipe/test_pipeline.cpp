// sportello-admin map end to end, with the real osmium, osmcoastline and tilemaker, on the two
// real extracts of tests/data/osm: tiles written at zooms 12-16, the layers the kiosk draws, names
// in several of its languages, the sea of Monaco present (a point of the harbour and of the open
// sea inside sea polygons, a point on land not), and bad inputs with their messages and exit codes.
// The tiles are read with SQLite and a small MVT reader of the test's own (protozero, zlib), so
// the check does not depend on the kiosk's decoder.
#include "harness.h"

#include <catch2/catch.hpp>
#include <protozero/pbf_reader.hpp>
#include <sqlite3.h>
#include <zlib.h>

#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

// [SECTION] A small MVT reader ----------------------------------------------------------------
struct Feature {
  int type = 0;                                 // 1 point, 2 line, 3 polygon
  std::map<std::string, std::string> tags;      // string values only (all the profile writes)
  std::vector<std::vector<std::pair<int, int>>> rings;
};
struct Layer {
  std::string name;
  uint32_t extent = 4096;
  std::vector<Feature> features;
};

std::string gunzip(const std::string& in) {
  z_stream z{};
  REQUIRE(inflateInit2(&z, 15 + 32) == Z_OK);
  std::string out;
  char buf[65536];
  z.next_in = (Bytef*)in.data();
  z.avail_in = (uInt)in.size();
  int rc;
  do {
    z.next_out = (Bytef*)buf;
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    REQUIRE((rc == Z_OK || rc == Z_STREAM_END));
    out.append(buf, sizeof buf - z.avail_out);
  } while (rc != Z_STREAM_END);
  inflateEnd(&z);
  return out;
}

std::vector<Layer> decode(const std::string& bytes) {
  std::vector<Layer> layers;
  protozero::pbf_reader tile(bytes);
  while (tile.next(3)) {
    protozero::pbf_reader l = tile.get_message();
    Layer layer;
    std::vector<std::string> keys, values;
    std::vector<std::string> raw_features;
    while (l.next()) {
      switch (l.tag()) {
        case 1: layer.name = l.get_string(); break;
        case 2: raw_features.push_back(l.get_string()); break;
        case 3: keys.push_back(l.get_string()); break;
        case 4: {
          protozero::pbf_reader v = l.get_message();
          std::string s;
          while (v.next()) {
            if (v.tag() == 1) s = v.get_string();
            else v.skip();
          }
          values.push_back(s);
          break;
        }
        case 5: layer.extent = l.get_uint32(); break;
        default: l.skip();
      }
    }
    for (const std::string& raw : raw_features) {
      protozero::pbf_reader f(raw);
      Feature feature;
      while (f.next()) {
        if (f.tag() == 2) {
          auto tags = f.get_packed_uint32();
          std::vector<uint32_t> t(tags.begin(), tags.end());
          for (size_t i = 0; i + 1 < t.size(); i += 2)
            if (t[i] < keys.size() && t[i + 1] < values.size()) feature.tags[keys[t[i]]] = values[t[i + 1]];
        } else if (f.tag() == 3) {
          feature.type = (int)f.get_enum();
        } else if (f.tag() == 4) {
          auto g = f.get_packed_uint32();
          std::vector<uint32_t> cmds(g.begin(), g.end());
          int x = 0, y = 0;
          for (size_t i = 0; i < cmds.size();) {
            uint32_t id = cmds[i] & 7, count = cmds[i] >> 3;
            i++;
            if (id == 7) continue;   // ClosePath
            for (uint32_t k = 0; k < count && i + 1 < cmds.size(); k++, i += 2) {
              x += protozero::decode_zigzag32(cmds[i]);
              y += protozero::decode_zigzag32(cmds[i + 1]);
              if (id == 1) feature.rings.emplace_back();
              if (!feature.rings.empty()) feature.rings.back().emplace_back(x, y);
            }
          }
        } else {
          f.skip();
        }
      }
      layer.features.push_back(std::move(feature));
    }
    layers.push_back(std::move(layer));
  }
  return layers;
}

// [SECTION] Tiles from the MBTiles file -------------------------------------------------------
struct Tiles {
  std::map<std::string, std::string> metadata;
  std::map<int, int> per_zoom;
  std::map<std::tuple<int, int, int>, std::string> blobs;   // XYZ
};

Tiles read_mbtiles(const std::string& path) {
  Tiles t;
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT name, value FROM metadata", -1, &st, nullptr) == SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW)
    t.metadata[(const char*)sqlite3_column_text(st, 0)] = (const char*)sqlite3_column_text(st, 1);
  sqlite3_finalize(st);
  REQUIRE(sqlite3_prepare_v2(db, "SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles", -1, &st, nullptr) == SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) {
    int z = sqlite3_column_int(st, 0), x = sqlite3_column_int(st, 1), row = sqlite3_column_int(st, 2);
    t.per_zoom[z]++;
    t.blobs[{z, x, (1 << z) - 1 - row}] =
        std::string((const char*)sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return t;
}

// The tile of (lon, lat) at zoom z and the point's position in it, in the layer's units.
struct TilePoint { int z, x, y; double px, py; };
TilePoint locate(double lon, double lat, int z, uint32_t extent = 4096) {
  double n = std::pow(2.0, z), r = lat * M_PI / 180;
  double wx = (lon + 180) / 360 * n, wy = (1 - std::log(std::tan(r) + 1 / std::cos(r)) / M_PI) / 2 * n;
  return {z, (int)wx, (int)wy, (wx - std::floor(wx)) * extent, (wy - std::floor(wy)) * extent};
}

bool inside_polygon(const Feature& f, double px, double py) {   // even-odd over every ring
  bool in = false;
  for (const auto& r : f.rings)
    for (size_t i = 0, j = r.size() - 1; i < r.size(); j = i++)
      if ((r[i].second > py) != (r[j].second > py) &&
          px < (double)(r[j].first - r[i].first) * (py - r[i].second) / (r[j].second - r[i].second) + r[i].first)
        in = !in;
  return in;
}

// Is (lon, lat) inside a water polygon of class ocean at zoom z?
bool in_sea(const Tiles& t, double lon, double lat, int z) {
  TilePoint p = locate(lon, lat, z);
  auto it = t.blobs.find({p.z, p.x, p.y});
  REQUIRE(it != t.blobs.end());
  for (const Layer& l : decode(gunzip(it->second)))
    if (l.name == "water")
      for (const Feature& f : l.features)
        if (f.type == 3 && f.tags.count("class") && f.tags.at("class") == "ocean" && inside_polygon(f, p.px, p.py))
          return true;
  return false;
}

struct Summary {
  std::set<std::string> layers, name_langs, transport_classes, transit_classes;
};
Summary summarise(const Tiles& t) {
  Summary s;
  for (const auto& [key, blob] : t.blobs)
    for (const Layer& l : decode(gunzip(blob))) {
      s.layers.insert(l.name);
      for (const Feature& f : l.features)
        for (const auto& [k, v] : f.tags) {
          if (k.rfind("name:", 0) == 0) s.name_langs.insert(k.substr(5));
          if (l.name == "transportation" && k == "class") s.transport_classes.insert(v);
          if (l.name == "transit" && k == "class") s.transit_classes.insert(v);
        }
    }
  return s;
}

std::string data(const std::string& name) { return std::string(SPORTELLO_SOURCE_DIR) + "/tests/data/osm/" + name; }

// Runs sportello-admin map with TMPDIR in the test's directory, so the test sees the tools'
// temporary directory removed.
int run_map(const std::string& dir, const std::vector<std::string>& args) {
  std::string tmp = dir + "/tmp";
  fs::create_directories(tmp);
  setenv("TMPDIR", tmp.c_str(), 1);
  std::vector<std::string> all = {"map"};
  all.insert(all.end(), args.begin(), args.end());
  int rc = harness::admin(dir, all);
  unsetenv("TMPDIR");
  CHECK(fs::is_empty(tmp));   // the work directory is gone, whatever happened
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;   // harness::admin returns the wait status
}

}  // namespace

TEST_CASE("map pipeline on Monaco: zooms 12-16, the kiosk's layers, names in several languages, the sea",
          "[e2e][mappipe]") {
  std::string dir = harness::temp_dir("mappipe-monaco"), out = dir + "/monaco.mbtiles";
  int rc = run_map(dir, {"--osm", data("monaco-latest.osm.pbf"), "--out", out});
  std::string log = harness::read_file(dir + "/admin.log");
  INFO(log);
  REQUIRE(rc == 0);
  CHECK(log.find("coastline pieces closed along the box") != std::string::npos);
  Tiles t = read_mbtiles(out);
  CHECK(t.metadata["minzoom"] == "12");
  CHECK(t.metadata["maxzoom"] == "16");
  CHECK(t.metadata["format"] == "pbf");
  CHECK(t.metadata["attribution"].find("OpenStreetMap") != std::string::npos);
  for (int z = 12; z <= 16; z++) CHECK(t.per_zoom[z] > 0);
  CHECK(t.per_zoom.begin()->first == 12);
  CHECK(t.per_zoom.rbegin()->first == 16);

  Summary s = summarise(t);
  for (const char* layer : {"water", "park", "building", "transportation", "transportation_name", "place", "transit"})
    CHECK(s.layers.count(layer));
  CHECK(s.transport_classes.count("primary"));
  CHECK(s.transport_classes.count("minor"));
  CHECK(s.transport_classes.count("path"));
  CHECK(s.transport_classes.count("rail"));
  CHECK(s.transit_classes.count("bus_stop"));
  // Monaco's names in OSM include Arabic, English, French, Russian, Urdu, ...; only the kiosk's languages.
  INFO("name languages: " << s.name_langs.size());
  CHECK(s.name_langs.size() >= 3);
  CHECK(s.name_langs.count("ar"));
  CHECK(s.name_langs.count("en"));
  CHECK(s.name_langs.count("lij") == 0);   // Ligurian is in OSM, not on the kiosk

  // The sea: Port Hercule's basin and the open sea off Monte Carlo are sea; the Casino and the
  // Prince's Palace on its rock are not. An extract's cut coastline used to give no sea at all.
  for (int z : {12, 14, 16}) {
    INFO("zoom " << z);
    CHECK(in_sea(t, 7.4240, 43.7352, z));   // Port Hercule
    CHECK(in_sea(t, 7.4400, 43.7330, z));   // open sea
  }
  CHECK_FALSE(in_sea(t, 7.4283, 43.7394, 16));   // the Casino
  CHECK_FALSE(in_sea(t, 7.4200, 43.7313, 16));   // the Prince's Palace
}

TEST_CASE("map pipeline on a block of Rome: inland (no sea), roads with names, bus stops", "[e2e][mappipe]") {
  std::string dir = harness::temp_dir("mappipe-rome"), out = dir + "/rome.mbtiles";
  int rc = run_map(dir, {"--osm", data("via_montebello_roma_italy.osm.pbf"), "--margin-km", "0.2", "--out", out});
  std::string log = harness::read_file(dir + "/admin.log");
  INFO(log);
  REQUIRE(rc == 0);
  CHECK(log.find("no coastline in the box") != std::string::npos);
  Tiles t = read_mbtiles(out);
  for (int z = 12; z <= 16; z++) CHECK(t.per_zoom[z] > 0);
  Summary s = summarise(t);
  for (const char* layer : {"building", "transportation", "transportation_name", "transit"}) CHECK(s.layers.count(layer));
  CHECK(s.transit_classes.count("bus_stop"));
  for (const auto& [key, blob] : t.blobs)
    for (const Layer& l : decode(gunzip(blob)))
      for (const Feature& f : l.features)
        if (l.name == "water") CHECK(f.tags.count("class") == 1);   // no ocean here
}

TEST_CASE("map pipeline: bad inputs get a clear message and their exit code, and no file", "[e2e][mappipe]") {
  std::string dir = harness::temp_dir("mappipe-bad"), out = dir + "/out.mbtiles";
  auto last = [&] { return harness::last_line(harness::read_file(dir + "/admin.log")); };
  SECTION("usage") {
    CHECK(run_map(dir, {"--out", out}) == 2);
    CHECK(run_map(dir, {"--osm", data("monaco-latest.osm.pbf"), "--bbox", "7.4,43.7,7.3", "--out", out}) == 2);
    CHECK(harness::read_file(dir + "/admin.log").find("--bbox wants W,S,E,N") != std::string::npos);
    CHECK(run_map(dir, {"--osm", data("monaco-latest.osm.pbf"), "--bbox", "7.5,43.7,7.4,43.8", "--out", out}) == 2);
  }
  SECTION("missing extract") {
    CHECK(run_map(dir, {"--osm", dir + "/nowhere.osm.pbf", "--out", out}) == 3);
    CHECK(last() == "sportello-admin map: " + dir + "/nowhere.osm.pbf: no such file");
  }
  SECTION("garbage .pbf") {
    harness::write_file(dir + "/garbage.osm.pbf", std::string(4096, 'x') + "this is not OpenStreetMap data");
    CHECK(run_map(dir, {"--osm", dir + "/garbage.osm.pbf", "--out", out}) == 3);
    CHECK(harness::read_file(dir + "/admin.log").find("garbage.osm.pbf is not an OpenStreetMap PBF extract: osmium failed") !=
          std::string::npos);
  }
  SECTION("a box that leaves out the offices of the pack") {
    std::string pack = harness::build_demo_pack(dir, 1);
    REQUIRE(!pack.empty());
    CHECK(run_map(dir, {"--osm", data("monaco-latest.osm.pbf"), "--pack", pack, "--bbox", "7.41,43.72,7.45,43.75", "--out", out}) == 4);
    std::string log = harness::read_file(dir + "/admin.log");
    CHECK(log.find("sportello-admin map: the box 7.410000,43.720000,7.450000,43.750000 leaves out offices of") != std::string::npos);
    CHECK(log.find("questura-grosseto") != std::string::npos);
    // Without --bbox the box is the offices' (Grosseto), which this extract does not reach.
    CHECK(run_map(dir, {"--osm", data("monaco-latest.osm.pbf"), "--pack", pack, "--out", out}) == 4);
    CHECK(last().find("is outside the extract (7.409205,43.723350,7.448637,43.751690)") != std::string::npos);
  }
  CHECK_FALSE(fs::exists(out));
}
