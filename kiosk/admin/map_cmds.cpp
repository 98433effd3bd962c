// sportello-admin map: the kiosk's offline map from an OpenStreetMap extract, with Debian's tools.
//
//   osmium extract      cut the extract to the map's box (the offices' area plus a margin)
//   osmium tags-filter + add-locations-to-ways   the coastline ways, with their points, as OPL
//   map_coast.cpp       close the coastline the cut left open, along the box's edge
//   osmcoastline        the sea polygons (a shapefile) from the closed coastline
//   tilemaker           the tiles, with our profile (assets/map: config.json + process.lua)
//   checks              zoom range, bounds covering every office, tile sizes (SQLite)
//
// The tools run with fork/exec (arguments as a vector, never a shell string) in a temporary
// directory removed at the end; a failing tool's stderr is summarised in the message.
//
// Index
//   [SECTION] Running a tool
//   [SECTION] Options, the box, the offices
//   [SECTION] The pipeline steps
//   [SECTION] Checking the result
//   [SECTION] The command
#include "map_cmds.h"
#include "map_coast.h"
#include "content/content.h"

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

// [SECTION] Running a tool ----------------------------------------------------------------------
struct ToolResult {
  bool ok = false;
  std::string summary;   // why it failed: the exit status and the last lines of its stderr
};

std::string read_text(const std::string& path, size_t max = 64u << 20) {
  std::ifstream f(path, std::ios::binary);
  std::string s;
  if (!f) return s;
  s.resize(max);
  f.read(s.data(), (std::streamsize)max);
  s.resize((size_t)f.gcount());
  return s;
}

// The last few non-empty lines of a tool's stderr, without progress bars' carriage returns.
std::string tail_lines(const std::string& text, int lines) {
  std::vector<std::string> all;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    size_t cr = l.find_last_of('\r');
    if (cr != std::string::npos) l = l.substr(cr + 1);
    if (!l.empty()) all.push_back(l);
  }
  std::string out;
  for (size_t i = all.size() > (size_t)lines ? all.size() - lines : 0; i < all.size(); i++) out += "\n    " + all[i];
  return out;
}

// Runs argv[0] (looked up in PATH) in `cwd` with stdout and stderr into files of `work`.
ToolResult run_tool(const std::vector<std::string>& argv, const std::string& work, const std::string& cwd,
                    const std::string& name) {
  std::string out_path = work + "/" + name + ".stdout", err_path = work + "/" + name + ".stderr";
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) return {false, std::string("fork: ") + std::strerror(errno)};
  if (pid == 0) {
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (out < 0 || err < 0 || null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0 ||
        chdir(cwd.c_str()) != 0)
      _exit(126);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {true, ""};
  ToolResult r;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    r.summary = argv[0] + " is not installed (Debian packages osmium-tool, osmcoastline, tilemaker)";
  else if (WIFEXITED(status))
    r.summary = argv[0] + " failed (exit status " + std::to_string(WEXITSTATUS(status)) + ")" + tail_lines(read_text(err_path), 6);
  else
    r.summary = argv[0] + " was killed by signal " + std::to_string(WTERMSIG(status)) + tail_lines(read_text(err_path), 6);
  return r;
}

// A temporary directory, removed with everything in it when this goes out of scope.
struct TempDir {
  std::string path;
  bool keep = false;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "sportello-map-XXXXXX").string();
    if (mkdtemp(tmpl.data())) path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (keep && !path.empty()) std::fprintf(stderr, "sportello-admin map: the work files are in %s\n", path.c_str());
    else if (!path.empty()) fs::remove_all(path, ec);
  }
};

// [SECTION] Options, the box, the offices -------------------------------------------------------
struct Options {
  std::string osm, out, pack, profile;
  bool has_bbox = false;
  mapcoast::Box bbox;
  double margin_km = 1;
  bool keep_temp = false;
};

// "W,S,E,N" in degrees; false for anything else.
bool parse_bbox(const std::string& s, mapcoast::Box* b) {
  double v[4];
  const char* p = s.c_str();
  for (int i = 0; i < 4; i++) {
    char* end = nullptr;
    errno = 0;
    v[i] = std::strtod(p, &end);
    if (end == p || errno || !std::isfinite(v[i])) return false;
    if (i < 3 && *end != ',') return false;
    if (i == 3 && *end != '\0') return false;
    p = end + 1;
  }
  *b = {v[0], v[1], v[2], v[3]};
  return b->west >= -180 && b->east <= 180 && b->south >= -85 && b->north <= 85 && b->west < b->east && b->south < b->north;
}

// "(w,s,e,n)" as osmium fileinfo prints a box.
bool parse_paren_box(std::string s, mapcoast::Box* b) {
  size_t open = s.find('('), close = s.find(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return false;
  return parse_bbox(s.substr(open + 1, close - open - 1), b);
}

mapcoast::Box grow(mapcoast::Box b, double km) {
  double dlat = km / 111.32, mid = (b.south + b.north) / 2 * M_PI / 180;
  double dlon = km / (111.32 * std::max(0.05, std::cos(mid)));
  return {std::max(-180.0, b.west - dlon), std::max(-85.0, b.south - dlat), std::min(180.0, b.east + dlon),
          std::min(85.0, b.north + dlat)};
}

bool covers(const mapcoast::Box& b, double lon, double lat) {
  return lon >= b.west && lon <= b.east && lat >= b.south && lat <= b.north;
}

std::string box_text(const mapcoast::Box& b) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "%.6f,%.6f,%.6f,%.6f", b.west, b.south, b.east, b.north);
  return buf;
}

// Where the profile is: --profile, else the installed one beside the binary
// (/usr/bin/../share/sportello/map), else the source tree's assets/map.
std::string find_profile(const std::string& given) {
  if (!given.empty()) return given;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path installed = exe.parent_path().parent_path() / "share/sportello/map";
    if (fs::exists(installed / "process.lua", ec)) return installed.string();
  }
  return std::string(SPORTELLO_SOURCE_DIR) + "/assets/map";
}

// [SECTION] The pipeline steps ------------------------------------------------------------------
struct Sea {
  bool any = false;
  mapcoast::Closed closed;
  std::string shapefile;   // water_polygons.shp, when any
};

// The coastline of the cut extract, closed along the box, made into sea polygons by osmcoastline.
bool make_sea(const std::string& area, const mapcoast::Box& box, const std::string& work, Sea* sea, std::string* error) {
  ToolResult r = run_tool({"osmium", "tags-filter", "--overwrite", "-o", work + "/coast.osm.pbf", area,
                           "w/natural=coastline"}, work, work, "osmium-coast");
  if (r.ok)
    r = run_tool({"osmium", "add-locations-to-ways", "--ignore-missing-nodes", "--overwrite", "-f", "opl", "-o",
                  work + "/coast.opl", work + "/coast.osm.pbf"}, work, work, "osmium-locations");
  if (!r.ok) return *error = r.summary, false;
  std::vector<mapcoast::Way> ways;
  if (!mapcoast::parse_opl_ways(read_text(work + "/coast.opl", 1u << 30), &ways, error)) return false;
  if (ways.empty()) return true;   // inland: no sea
  sea->closed = mapcoast::close_coastline(ways, box);
  if (sea->closed.rings.empty()) return true;
  std::ofstream(work + "/rings.opl") << mapcoast::rings_to_opl(sea->closed.rings);
  // -c 0: every ring is closed already; joining ends with a straight line is what broke the sea.
  r = run_tool({"osmcoastline", "-c", "0", "-p", "water", "-g", "ESRI Shapefile", "-f", "-o", work + "/coastline",
                work + "/rings.opl"}, work, work, "osmcoastline");
  // osmcoastline exits 1 when it only warned (it fixed something) and 2 for errors it worked
  // around; the polygons it wrote are what counts.
  sea->shapefile = work + "/coastline/water_polygons.shp";
  std::error_code ec;
  if (!fs::exists(sea->shapefile, ec) || fs::file_size(sea->shapefile, ec) <= 100) {
    *error = r.ok ? "osmcoastline made no sea polygons" : r.summary;
    return false;
  }
  sea->any = true;
  return true;
}

// The profile's config with the sea's shapefile (or without the sea layer, inland).
bool write_config(const std::string& profile, const Sea& sea, const std::string& out, std::string* error) {
  nlohmann::ordered_json c = nlohmann::ordered_json::parse(read_text(profile + "/config.json"), nullptr, false);
  if (c.is_discarded() || !c.contains("layers")) return *error = profile + "/config.json is not a tilemaker config", false;
  if (sea.any) c["layers"]["ocean"]["source"] = sea.shapefile;
  else c["layers"].erase("ocean");
  std::ofstream(out) << c.dump(1);
  return true;
}

// [SECTION] Checking the result -----------------------------------------------------------------
struct Check {
  int min_zoom = -1, max_zoom = -1;
  mapcoast::Box bounds;
  std::vector<long> tiles_per_zoom = std::vector<long>(23, 0);
  long tiles = 0, largest = 0;
  int64_t bytes = 0;
};

constexpr int kMinZoom = 12, kMaxZoom = 16;
constexpr long kMaxTileBytes = 500 * 1024;   // gzipped; a bigger tile takes too long to decode on a kiosk

bool read_result(const std::string& path, Check* c, std::string* error) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    *error = "cannot open " + path + ": " + sqlite3_errmsg(db);
    sqlite3_close(db);
    return false;
  }
  bool ok = true;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT name, value FROM metadata", -1, &st, nullptr) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW) {
      std::string k = (const char*)sqlite3_column_text(st, 0), v = (const char*)sqlite3_column_text(st, 1);
      if (k == "minzoom") c->min_zoom = std::atoi(v.c_str());
      if (k == "maxzoom") c->max_zoom = std::atoi(v.c_str());
      if (k == "bounds" && !parse_bbox(v, &c->bounds)) ok = false, *error = "bad bounds metadata: " + v;
    }
  } else {
    ok = false, *error = std::string("no metadata table: ") + sqlite3_errmsg(db);
  }
  sqlite3_finalize(st);
  if (ok && sqlite3_prepare_v2(db, "SELECT zoom_level, count(*), sum(length(tile_data)), max(length(tile_data)) "
                                   "FROM tiles GROUP BY zoom_level", -1, &st, nullptr) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW) {
      int z = sqlite3_column_int(st, 0);
      long n = (long)sqlite3_column_int64(st, 1);
      if (z >= 0 && z < (int)c->tiles_per_zoom.size()) c->tiles_per_zoom[z] = n;
      c->tiles += n;
      c->bytes += sqlite3_column_int64(st, 2);
      c->largest = std::max(c->largest, (long)sqlite3_column_int64(st, 3));
    }
  } else if (ok) {
    ok = false, *error = std::string("no tiles table: ") + sqlite3_errmsg(db);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return ok;
}

// What a kiosk needs of the tiles; each problem is one line of *problems.
bool check_result(const Check& c, const std::vector<content::Service>& offices, std::string* problems) {
  std::string p;
  if (c.min_zoom != kMinZoom || c.max_zoom != kMaxZoom)
    p += "  zoom range " + std::to_string(c.min_zoom) + "-" + std::to_string(c.max_zoom) + ", not " +
         std::to_string(kMinZoom) + "-" + std::to_string(kMaxZoom) + "\n";
  for (int z = kMinZoom; z <= kMaxZoom; z++)
    if (c.tiles_per_zoom[z] == 0) p += "  no tiles at zoom " + std::to_string(z) + "\n";
  if (c.largest > kMaxTileBytes)
    p += "  a tile of " + std::to_string(c.largest / 1024) + " KiB (at most " + std::to_string(kMaxTileBytes / 1024) + ")\n";
  for (const content::Service& s : offices)
    if (!covers(c.bounds, s.lon, s.lat))
      p += "  office " + s.id + " (" + std::to_string(s.lat) + ", " + std::to_string(s.lon) + ") is outside the map's bounds\n";
  *problems = p;
  return p.empty();
}

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "sportello-admin map: %s\n", message.c_str());
  return code;
}

}  // namespace

// [SECTION] The command -------------------------------------------------------------------------
int admin_map(int argc, char** argv) {
  static const char* const kHelp =
      "usage: sportello-admin map --osm EXTRACT.osm.pbf [--bbox W,S,E,N] [--pack PACK] [--margin-km K]\n"
      "                           [--profile DIR] [--keep-temp] --out MAP.mbtiles\n"
      "The map's box: --bbox, else the offices of --pack, else the extract's own; grown by --margin-km\n"
      "(default 1). With --pack, every office must lie in it. --keep-temp keeps the tools' work files.\n"
      "exit codes: 0 done, 1 a tool failed or the tiles failed their checks, 2 bad usage,\n"
      "3 the extract cannot be read, 4 the box does not cover every office\n";
  Options o;
  for (int i = 2; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") return std::fputs(kHelp, stdout), 0;
    if (a == "--keep-temp") { o.keep_temp = true; continue; }
    if (i + 1 >= argc) return std::fprintf(stderr, "sportello-admin map: missing value after %s\n\n%s", a.c_str(), kHelp), 2;
    std::string v = argv[++i];
    if (a == "--osm") o.osm = v;
    else if (a == "--out") o.out = v;
    else if (a == "--pack") o.pack = v;
    else if (a == "--profile") o.profile = v;
    else if (a == "--bbox") {
      if (!parse_bbox(v, &o.bbox))
        return std::fprintf(stderr, "sportello-admin map: --bbox wants W,S,E,N in degrees (west < east, south < north), not \"%s\"\n", v.c_str()), 2;
      o.has_bbox = true;
    } else if (a == "--margin-km") {
      char* end = nullptr;
      o.margin_km = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end || !(o.margin_km >= 0 && o.margin_km <= 100))
        return std::fprintf(stderr, "sportello-admin map: --margin-km wants 0..100, not \"%s\"\n", v.c_str()), 2;
    } else {
      return std::fprintf(stderr, "sportello-admin map: unknown option %s\n\n%s", a.c_str(), kHelp), 2;
    }
  }
  if (o.osm.empty() || o.out.empty()) return std::fprintf(stderr, "sportello-admin map: --osm and --out are required\n\n%s", kHelp), 2;
  auto t0 = std::chrono::steady_clock::now();
  auto secs = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };

  std::error_code ec;
  if (!fs::is_regular_file(o.osm, ec)) return fail(3, o.osm + ": no such file");
  o.osm = fs::absolute(o.osm, ec).string();   // the tools run in the temporary directory
  std::vector<content::Service> offices;
  if (!o.pack.empty()) {
    content::Pack pack;
    content::OpenResult r = pack.open(o.pack);
    if (!r.ok) return fail(3, o.pack + ": " + r.error);
    offices = pack.services("it");
  }
  std::string profile = fs::absolute(find_profile(o.profile), ec).string();
  if (!fs::exists(profile + "/config.json", ec) || !fs::exists(profile + "/process.lua", ec))
    return fail(1, "no tilemaker profile (config.json, process.lua) in " + profile);
  TempDir work;
  work.keep = o.keep_temp;
  if (work.path.empty()) return fail(1, std::string("cannot make a temporary directory: ") + std::strerror(errno));

  // The extract must be OSM PBF; its header box (else its data's) is the default area.
  mapcoast::Box file_box;
  ToolResult r = run_tool({"osmium", "fileinfo", "-g", "header.boxes", o.osm}, work.path, work.path, "osmium-info");
  if (!r.ok) return fail(3, o.osm + " is not an OpenStreetMap PBF extract: " + r.summary);
  if (!parse_paren_box(read_text(work.path + "/osmium-info.stdout"), &file_box)) {
    r = run_tool({"osmium", "fileinfo", "-e", "-g", "data.bbox", o.osm}, work.path, work.path, "osmium-info");
    if (!r.ok) return fail(3, o.osm + " is not an OpenStreetMap PBF extract: " + r.summary);
    if (!parse_paren_box(read_text(work.path + "/osmium-info.stdout"), &file_box)) return fail(3, o.osm + " holds no data");
  }
  mapcoast::Box area = file_box;
  if (o.has_bbox) {
    area = o.bbox;
  } else if (!offices.empty()) {
    area = {180, 85, -180, -85};
    for (const content::Service& s : offices)
      area = {std::min(area.west, s.lon), std::min(area.south, s.lat), std::max(area.east, s.lon), std::max(area.north, s.lat)};
  }
  std::string outside;
  for (const content::Service& s : offices)
    if (!covers(area, s.lon, s.lat)) outside += "\n  " + s.id + " (" + s.name + ") at " + std::to_string(s.lat) + ", " + std::to_string(s.lon);
  if (!outside.empty()) return fail(4, "the box " + box_text(area) + " leaves out offices of " + o.pack + ":" + outside);
  mapcoast::Box box = grow(area, o.margin_km);
  if (box.east <= file_box.west || box.west >= file_box.east || box.north <= file_box.south || box.south >= file_box.north)
    return fail(4, "the box " + box_text(box) + " is outside the extract (" + box_text(file_box) + ")");

  // Cut: complete ways, so the coastline and roads leaving the box keep their points beyond it.
  std::string cut = work.path + "/area.osm.pbf";
  r = run_tool({"osmium", "extract", "--overwrite", "-s", "complete_ways", "-b", box_text(box), "-o", cut, o.osm},
               work.path, work.path, "osmium-extract");
  if (!r.ok) return fail(1, "cutting the extract: " + r.summary);
  double t_cut = secs();
  Sea sea;
  std::string error;
  // The coastline is closed along the box where the extract has data: an extract cut to a
  // country's border ends its coastline at the border, and a straight line from there to a margin
  // without data would cut through the land.
  mapcoast::Box coast_box = {std::max(box.west, file_box.west), std::max(box.south, file_box.south),
                             std::min(box.east, file_box.east), std::min(box.north, file_box.north)};
  if (!make_sea(cut, coast_box, work.path, &sea, &error)) return fail(1, "the sea: " + error);
  double t_sea = secs();
  std::string config = work.path + "/config.json";
  if (!write_config(profile, sea, config, &error)) return fail(1, error);
  std::string tiles = work.path + "/map.mbtiles";
  r = run_tool({"tilemaker", "--input", cut, "--output", tiles, "--config", config, "--process", profile + "/process.lua",
                "--bbox", box_text(box)}, work.path, work.path, "tilemaker");
  if (!r.ok) return fail(1, "making the tiles: " + r.summary);
  double t_tiles = secs();

  Check c;
  if (!read_result(tiles, &c, &error)) return fail(1, "the tiles: " + error);
  std::string problems;
  if (!check_result(c, offices, &problems)) return fail(1, "the tiles fail their checks (nothing written):\n" + problems);
  // Into place: a copy beside the destination, then a rename, so --out is never half written.
  std::string tmp_out = o.out + ".tmp";
  fs::copy_file(tiles, tmp_out, fs::copy_options::overwrite_existing, ec);
  if (!ec) fs::rename(tmp_out, o.out, ec);
  if (ec) {
    fs::remove(tmp_out, ec);
    return fail(1, "cannot write " + o.out + ": " + ec.message());
  }

  std::printf("%s: box %s (%.1f km margin%s)\n", o.out.c_str(), box_text(box).c_str(), o.margin_km,
              offices.empty() ? "" : (", " + std::to_string(offices.size()) + " offices inside").c_str());
  if (sea.any)
    std::printf("  sea: %d coastline pieces closed along the box, %d rings closed in the data (islands)\n",
                sea.closed.cut, sea.closed.islands);
  else
    std::printf("  sea: no coastline in the box\n");
  std::printf("  zooms %d-%d:", c.min_zoom, c.max_zoom);
  for (int z = kMinZoom; z <= kMaxZoom; z++) std::printf(" z%d %ld", z, c.tiles_per_zoom[z]);
  std::printf(" tiles\n  %ld tiles, %.1f MiB, largest tile %.1f KiB\n", c.tiles, c.bytes / 1048576.0, c.largest / 1024.0);
  std::printf("  time: cut %.2f s, sea %.2f s, tiles %.2f s, total %.2f s\n", t_cut, t_sea - t_cut, t_tiles - t_sea, secs());
  return 0;
}
