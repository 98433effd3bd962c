// bench-map: the map screen's figures, printed, never asserted. The real kiosk, headless
// (offscreen driver, Mesa llvmpipe), 1920x1080, with vector tiles of Monaco made by tilemaker from
// tests/data/osm/monaco-latest.osm.pbf and the demo content with its Grosseto offices moved into
// Monaco (so the tiles are drawn under them):
//   open     the tap on "Map of the offices" to the first frame with every visible tile drawn
//            from its own mesh (real ms, to that frame's layout), first open and second open
//   frames   frame time p50/p99 while panning and pinching
//   memory   resident memory with the map open and still after the walk, with the tile file minus
//            without it (the schematic), at the same step of the same script
//   idle     frames drawn while the map is open and still for 60 s (virtual clock)
// Usage: bench-map [--rounds N]
#include "harness.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

// The demo content with the offices of the town of Grosseto moved into Monaco, keeping their
// layout (0.8 of their spread); the kiosk stands where central Grosseto lands.
static std::string monaco_content(const std::string& dir) {
  std::string sources = dir + "/content";
  fs::remove_all(sources);
  fs::copy(SPORTELLO_SOURCE_DIR "/content", sources, fs::copy_options::recursive);
  for (const auto& f : fs::directory_iterator(sources + "/services")) {
    if (f.path().extension() != ".txt") continue;
    std::ifstream in(f.path());
    std::stringstream out;
    std::string line;
    while (std::getline(in, line)) {
      char buf[64];
      if (line.rfind("lat: ", 0) == 0) {
        snprintf(buf, sizeof buf, "lat: %.5f", 43.7330 + (std::stod(line.substr(5)) - 42.7628) * 0.8);
        line = buf;
      } else if (line.rfind("lon: ", 0) == 0) {
        snprintf(buf, sizeof buf, "lon: %.5f", 7.4190 + (std::stod(line.substr(5)) - 11.1130) * 0.8);
        line = buf;
      }
      out << line << "\n";
    }
    in.close();
    std::ofstream(f.path()) << out.str();
  }
  return sources;
}

static const char* kPosition = "43.7330,7.4190";

// The Monaco tiles: the kiosk's map profile (assets/map) when the tree has it, else the profile
// the map module's tests use.
static std::string monaco_tiles(const std::string& dir) {
  std::string out = dir + "/monaco.mbtiles";
  if (fs::exists(out)) return out;
  std::string config = SPORTELLO_SOURCE_DIR "/tests/map/tiles_config.json",
              process = SPORTELLO_SOURCE_DIR "/tests/map/tiles_process.lua";
  if (fs::exists(SPORTELLO_SOURCE_DIR "/assets/map/config.json")) {
    config = SPORTELLO_SOURCE_DIR "/assets/map/config.json";
    process = SPORTELLO_SOURCE_DIR "/assets/map/process.lua";
  }
  std::string cmd = "cd '" + dir + "' && tilemaker --threads 1 --input " SPORTELLO_SOURCE_DIR "/tests/data/osm/monaco-latest.osm.pbf"
                    " --output '" + out + "' --config '" + config + "' --process '" + process + "' > tilemaker.log 2>&1";
  if (system(cmd.c_str()) != 0) return "";
  return out;
}

static double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, (size_t)(p * v.size()))];
}

int main(int argc, char** argv) {
  int rounds = 10;
  for (int i = 1; i + 1 < argc; i++)
    if (!strcmp(argv[i], "--rounds")) rounds = std::max(1, atoi(argv[++i]));
  std::string dir = std::string(SPORTELLO_BINARY_DIR) + "/bench-map";
  fs::create_directories(dir);
  std::string tiles = monaco_tiles(dir);
  if (tiles.empty()) {
    printf("bench-map: tilemaker failed (see %s/tilemaker.log)\n", dir.c_str());
    return 1;
  }
  std::string pack = dir + "/monaco.pack";
  std::string build = std::string(SPORTELLO_ADMIN_BIN) + " build --content '" + monaco_content(dir) +
                      "' --locales " SPORTELLO_SOURCE_DIR "/locales --out '" + pack + "' > '" + dir + "/admin.log' 2>&1";
  if (system(build.c_str()) != 0) {
    printf("bench-map: the pack did not build (see %s/admin.log)\n", dir.c_str());
    return 1;
  }
  std::string script = "tap home.start\ntap lang.it\ntap welcome.start\ntap nav.services\n"
                       "tap services.map\ndump open1\ntap nav.back\ntap services.map\ndump open2\n"
                       "tap map.back_to_me\ntap map.zoom_out\ntap map.zoom_out\n";
  for (int i = 0; i < rounds; i++)
    script += "drag 700 500 1300 700 400\nwait 1500\npinch 960 600 200 420 400\ndrag 1300 700 700 500 400\nwait 1500\n"
              "pinch 960 600 420 200 400\n";
  script += "wait 500\ndump still\nwait 60000\ndump idle\n";
  std::string stats = dir + "/frames.txt";
  harness::Run with = harness::run_kiosk(script, {"--content", pack, "--position", kPosition, "--map", tiles,
                                                   "--frame-stats", stats});
  if (with.exit_code != 0) {
    printf("bench-map: the kiosk failed: %s\n", with.stderr_text.c_str());
    return 1;
  }
  harness::Run without = harness::run_kiosk(script, {"--content", pack, "--position", kPosition});
  nlohmann::json open1 = harness::load_dump(with, "open1")["map"], open2 = harness::load_dump(with, "open2")["map"];
  uint64_t still = harness::load_dump(with, "still")["frames"], idle = harness::load_dump(with, "idle")["frames"];
  std::vector<double> frames;
  std::ifstream in(stats);
  double ms, end;
  while (in >> ms >> end) frames.push_back(ms);
  printf("bench-map: Monaco tiles (%.0f KiB), demo offices moved into Monaco, 1920x1080, offscreen + llvmpipe\n",
         fs::file_size(tiles) / 1024.0);
  printf("  tap to first complete map frame  first open %6.1f ms  second open %6.1f ms  (%d/%d tiles; goal <= 100 warm)\n",
         open1["first_complete_ms"].get<double>(), open2["first_complete_ms"].get<double>(),
         open2["tiles_own"].get<int>(), open2["tiles_visible"].get<int>());
  printf("  frame time panning and pinching  p50 %5.2f ms  p99 %5.2f ms  max %5.2f ms  (%zu frames; goal p99 <= 16)\n",
         pct(frames, 0.5), pct(frames, 0.99), pct(frames, 1.0), frames.size());
  long rss_with = harness::load_dump(with, "still")["rss_kb"], rss_without = harness::load_dump(without, "still")["rss_kb"];
  printf("  memory added by the map (RSS at rest after the walk, tiles - schematic)  %6.1f MiB  (%.1f vs %.1f MiB; goal <= 40 MB)\n",
         (rss_with - rss_without) / 1024.0, rss_with / 1024.0, rss_without / 1024.0);
  printf("  map open and still for 60 s: %llu frames drawn  (goal 0)\n", (unsigned long long)(idle - still));
  return 0;
}
