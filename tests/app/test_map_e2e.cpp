// The map screen on the demo pack, through the headless harness: markers where the projection
// puts their offices at every zoom, gestures that keep the point under the fingers, a procedure's
// "where to go" fitted to its offices, a tap that opens the office's card, right-to-left UI around
// a map that does not mirror, QR codes a real decoder (zbarimg) reads, and a broken tile file that
// gives the schematic instead of a crash.
#include "harness.h"

#include <catch2/catch.hpp>
#include <sodium.h>
#include <stb/stb_image.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

using harness::element;

namespace {

// Where the kiosk stands in these tests: central Grosseto, among the demo's offices.
const char* kPosition = "42.7628,11.1130";
constexpr double kPositionLat = 42.7628, kPositionLon = 11.1130;
constexpr double kPi = 3.14159265358979323846;

struct Place {
  double lat = 0, lon = 0;
  std::string lat_text, lon_text;   // as the editors wrote them
};

// The demo offices' coordinates, read from the content sources (not from the kiosk).
std::map<std::string, Place> demo_offices(const std::string& sources = SPORTELLO_SOURCE_DIR "/content") {
  std::map<std::string, Place> out;
  for (const auto& f : std::filesystem::directory_iterator(sources + "/services")) {
    if (f.path().extension() != ".txt") continue;
    std::ifstream in(f.path());
    std::string line;
    Place p;
    while (std::getline(in, line)) {
      if (line.rfind("lat: ", 0) == 0) p.lat_text = line.substr(5);
      if (line.rfind("lon: ", 0) == 0) p.lon_text = line.substr(5);
    }
    if (p.lat_text.empty() || p.lon_text.empty()) continue;
    p.lat = std::stod(p.lat_text);
    p.lon = std::stod(p.lon_text);
    out[f.path().stem().string()] = p;
  }
  return out;
}

// Web Mercator in [0,1] (EPSG:3857 scaled), written here independently of the kiosk's code.
void project(double lat, double lon, double* x, double* y) {
  *x = (lon + 180) / 360;
  double r = lat * kPi / 180;
  *y = (1 - std::log(std::tan(r) + 1 / std::cos(r)) / kPi) / 2;
}

struct Camera {
  double cx = 0, cy = 0, zoom = 0, vx = 0, vy = 0, vw = 0, vh = 0;
  double scale() const { return 256 * std::pow(2.0, zoom); }
};

Camera camera(const nlohmann::json& dump) {
  REQUIRE(dump.contains("map"));
  const nlohmann::json& m = dump["map"];
  return {m["center"][0], m["center"][1], m["zoom"], m["view"][0], m["view"][1], m["view"][2], m["view"][3]};
}

void to_screen(const Camera& c, double lat, double lon, double* sx, double* sy) {
  double x, y;
  project(lat, lon, &x, &y);
  *sx = c.vx + c.vw / 2 + (x - c.cx) * c.scale();
  *sy = c.vy + c.vh / 2 + (y - c.cy) * c.scale();
}

// The world point under a screen point.
void to_world(const Camera& c, double sx, double sy, double* x, double* y) {
  *x = c.cx + (sx - c.vx - c.vw / 2) / c.scale();
  *y = c.cy + (sy - c.vy - c.vh / 2) / c.scale();
}

double centre_x(const nlohmann::json& e) { return e["rect"][0].get<double>() + e["rect"][2].get<double>() / 2; }
double centre_y(const nlohmann::json& e) { return e["rect"][1].get<double>() + e["rect"][3].get<double>() / 2; }

// Every office marker on screen sits where the projection puts its office (+-1 px); returns how many.
int check_markers(const nlohmann::json& dump, const std::map<std::string, Place>& offices) {
  Camera c = camera(dump);
  int n = 0;
  for (const auto& e : dump["elements"]) {
    std::string id = e["id"];
    if (e["role"] != "office-marker") continue;
    REQUIRE(id.rfind("map.office.", 0) == 0);
    auto it = offices.find(id.substr(11));
    REQUIRE(it != offices.end());
    double sx, sy;
    to_screen(c, it->second.lat, it->second.lon, &sx, &sy);
    INFO(id << " at zoom " << c.zoom);
    CHECK(std::fabs(centre_x(e) - sx) <= 1.0);
    CHECK(std::fabs(centre_y(e) - sy) <= 1.0);
    n++;
  }
  return n;
}

std::string to_map(const std::string& lang) {
  return "tap home.start\ntap lang." + lang + "\ntap welcome.start\ntap nav.services\ntap services.map\n";
}

std::string demo_pack() {
  static std::string pack = harness::build_demo_pack(harness::temp_dir("map-pack"), 1);
  return pack;
}

// Monaco as vector tiles, made once per build tree by tilemaker with the map module's test profile.
std::string monaco_tiles() {
  static std::string path = [] {
    std::string out = std::string(SPORTELLO_BINARY_DIR) + "/test-output/map-e2e-monaco.mbtiles";
    if (std::filesystem::exists(out)) return out;
    std::string dir = harness::temp_dir("map-tiles"), tmp = dir + "/monaco.mbtiles";
    std::string cmd = "cd '" + dir + "' && tilemaker --threads 1 --input " SPORTELLO_SOURCE_DIR
                      "/tests/data/osm/monaco-latest.osm.pbf --output '" + tmp + "' --config " SPORTELLO_SOURCE_DIR
                      "/tests/map/tiles_config.json --process " SPORTELLO_SOURCE_DIR "/tests/map/tiles_process.lua > '" +
                      dir + "/tilemaker.log' 2>&1";
    if (system(cmd.c_str()) != 0) return std::string();
    std::filesystem::rename(tmp, out);
    return out;
  }();
  return path;
}

// Replaces a line starting with `prefix` in a file.
void set_line(const std::string& path, const std::string& prefix, const std::string& line) {
  std::string text = harness::read_file(path);
  size_t at = text.find("\n" + prefix);
  REQUIRE(at != std::string::npos);
  size_t end = text.find('\n', at + 1);
  harness::write_file(path, text.replace(at + 1, end - at - 1, line));
}

// Lines zbarimg decodes from a PNG ("" when it finds nothing or is missing).
std::string zbar(const std::string& png) {
  return harness::capture({"/bin/sh", "-c", "zbarimg --quiet --raw '" + png + "' 2>/dev/null || true"});
}

// The share of a screenshot's pixels in the rectangle that are exactly of `rgb` (stb_image reads
// the PNG; -1 when it cannot).
double share_of(const std::string& png, int x0, int y0, int x1, int y1, uint8_t r, uint8_t g, uint8_t b) {
  int w = 0, h = 0, channels = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> px(stbi_load(png.c_str(), &w, &h, &channels, 3), stbi_image_free);
  if (!px || x0 < 0 || y0 < 0 || x1 > w || y1 > h || x0 >= x1 || y0 >= y1) return -1;
  size_t same = 0;
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++) {
      const stbi_uc* p = px.get() + ((size_t)y * w + x) * 3;
      same += p[0] == r && p[1] == g && p[2] == b;
    }
  return (double)same / ((double)(x1 - x0) * (y1 - y0));
}

// A screenshot's map view (the dump's camera) is of the ground's colour for more than
// `min_share` of its pixels, and never of the page's background, which stays above the view
// (its top rows, above the navigation bar's buttons).
void check_ground(const std::string& png, const Camera& c, uint8_t r, uint8_t g, uint8_t b, double min_share) {
  const int x0 = (int)c.vx, y0 = (int)c.vy, x1 = (int)(c.vx + c.vw), y1 = (int)(c.vy + c.vh);
  CHECK(share_of(png, x0, 0, x1, 4, 247, 247, 242) > 0.9);
  CHECK(share_of(png, x0, y0, x1, y1, r, g, b) > min_share);
  CHECK(share_of(png, x0, y0, x1, y1, 247, 247, 242) == 0);
}

}  // namespace

TEST_CASE("markers sit where the projection puts their offices at every zoom, gestures keep the point under the fingers",
          "[e2e][map]") {
  REQUIRE_FALSE(demo_pack().empty());
  auto offices = demo_offices();
  REQUIRE(offices.size() >= 10);
  harness::Run run = harness::run_kiosk(to_map("it") +
                                            "dump fit\ntap map.back_to_me\ndump me\ntap map.zoom_out\ndump out\n"
                                            "double-tap 400 800\ndump dbl\npinch 1000 650 200 300 300\ndump pinch\n"
                                            "tap map.zoom_in\ndump in\ndrag 900 600 1300 700 1500\ndump dragged\n"
                                            "wait 3000\ndump glided\ntap map.back_to_me\ndump near\n",
                                        {"--content", demo_pack(), "--position", kPosition});
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  nlohmann::json fit = harness::load_dump(run, "fit"), me = harness::load_dump(run, "me"), out = harness::load_dump(run, "out"),
                 dbl = harness::load_dump(run, "dbl"), pinch = harness::load_dump(run, "pinch"), in = harness::load_dump(run, "in"),
                 dragged = harness::load_dump(run, "dragged"), glided = harness::load_dump(run, "glided"),
                 near = harness::load_dump(run, "near");
  CHECK(fit["screen"] == "map");
  // The first view shows every office (they all have coordinates) and the kiosk.
  CHECK(check_markers(fit, offices) == (int)offices.size());
  CHECK(check_markers(me, offices) >= 5);
  CHECK(check_markers(out, offices) >= 5);
  // Some offices stay in view after the double tap and the pinch; the zoom-in button and the drag
  // leave them behind, and "back to me" at that zoom (the highest the test tries) brings markers
  // back to measure.
  CHECK(check_markers(dbl, offices) >= 1);
  CHECK(check_markers(pinch, offices) >= 1);
  check_markers(in, offices);
  check_markers(dragged, offices);
  check_markers(glided, offices);
  CHECK(camera(near).zoom == Approx(camera(in).zoom));
  CHECK(check_markers(near, offices) >= 1);
  // "You are here" where the projection puts the configured position.
  nlohmann::json here = element(me, "map.here");
  REQUIRE(here.is_object());
  double hx, hy;
  to_screen(camera(me), kPositionLat, kPositionLon, &hx, &hy);
  CHECK(std::fabs(centre_x(here) - hx) <= 1.0);
  CHECK(std::fabs(centre_y(here) - hy) <= 1.0);
  // The double tap lands on the map itself, not on a marker (that would open its card).
  for (const auto& e : out["elements"])
    if (e["id"] != "map.view") {
      INFO(e["id"]);
      CHECK_FALSE((400 >= e["rect"][0].get<double>() && 400 < e["rect"][0].get<double>() + e["rect"][2].get<double>() &&
                   800 >= e["rect"][1].get<double>() && 800 < e["rect"][1].get<double>() + e["rect"][3].get<double>()));
    }
  // Zoom steps: - halves, a double tap doubles around the tap, a pinch scales by the fingers' spread.
  CHECK(camera(out).zoom == Approx(camera(me).zoom - 1));
  CHECK(camera(dbl).zoom == Approx(camera(out).zoom + 1));
  CHECK(camera(pinch).zoom == Approx(camera(dbl).zoom + std::log2(300.0 / 200.0)).margin(0.01));
  CHECK(camera(in).zoom == Approx(camera(pinch).zoom + 1));
  auto same_point = [](const Camera& a, double ax, double ay, const Camera& b, double bx, double by) {
    double wx, wy, sx, sy;
    to_world(a, ax, ay, &wx, &wy);
    sx = b.vx + b.vw / 2 + (wx - b.cx) * b.scale();
    sy = b.vy + b.vh / 2 + (wy - b.cy) * b.scale();
    INFO("expected at " << bx << "," << by << ", found at " << sx << "," << sy);
    CHECK(std::fabs(sx - bx) <= 1.0);
    CHECK(std::fabs(sy - by) <= 1.0);
  };
  same_point(camera(out), 400, 800, camera(dbl), 400, 800);       // double tap: the tapped point stays
  same_point(camera(dbl), 1000, 650, camera(pinch), 1000, 650);   // pinch: the point under the fingers stays
  same_point(camera(in), 900, 600, camera(dragged), 1300, 700);   // a drag carries the point under the finger
  // Released moving, the map glides on in the direction of the drag (east and south: the centre
  // goes west and north), then stops.
  CHECK(camera(glided).cx < camera(dragged).cx);
  CHECK(camera(glided).cy < camera(dragged).cy);
  // Always visible: OpenStreetMap's attribution and a scale bar.
  for (const nlohmann::json* d : {&fit, &me, &in, &glided}) {
    CHECK(element(*d, "map.attribution")["text"] == "\u00a9 OpenStreetMap contributors");
    CHECK(element(*d, "map.scale").is_object());
  }
}

TEST_CASE("a tap on a marker opens that office's card with its distance and a QR code of its geo: URI", "[e2e][map]") {
  REQUIRE_FALSE(demo_pack().empty());
  auto offices = demo_offices();
  const std::string office = "questura-grosseto";
  harness::Run run = harness::run_kiosk(to_map("it") + "tap map.back_to_me\ndump me\ntap map.office." + office +
                                            "\ndump card\nshot card\ntap map.card.close\ndump closed\n",
                                        {"--content", demo_pack(), "--position", kPosition});
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  nlohmann::json me = harness::load_dump(run, "me");
  // The test taps the marker's centre: no other marker may cover it.
  nlohmann::json marker = element(me, "map.office." + office);
  REQUIRE(marker.is_object());
  for (const auto& e : me["elements"])
    if (e["role"] == "office-marker" && e["id"] != marker["id"]) {
      bool covers = centre_x(marker) >= e["rect"][0].get<double>() &&
                    centre_x(marker) < e["rect"][0].get<double>() + e["rect"][2].get<double>() &&
                    centre_y(marker) >= e["rect"][1].get<double>() &&
                    centre_y(marker) < e["rect"][1].get<double>() + e["rect"][3].get<double>();
      REQUIRE_FALSE(covers);
    }
  nlohmann::json card = harness::load_dump(run, "card");
  CHECK(card["screen"] == "map");
  CHECK(element(card, "office." + office)["text"].get<std::string>().find("Questura") != std::string::npos);
  CHECK(element(card, "map.office." + office)["selected"] == true);
  // The straight-line distance from the kiosk: about 250 m.
  std::string distance = element(card, "office." + office + ".distance")["text"];
  CHECK(distance.find(" m") != std::string::npos);
  const Place& p = offices.at(office);
  std::string geo = "geo:" + p.lat_text + "," + p.lon_text;
  CHECK(element(card, "map.qr.geo")["text"] == geo);
  CHECK(element(card, "map.qr.web")["text"] == "https://www.openstreetmap.org/?mlat=" + p.lat_text + "&mlon=" + p.lon_text +
                                                   "#map=18/" + p.lat_text + "/" + p.lon_text);
  // A real decoder reads the codes on the screenshot.
  std::string decoded = zbar(run.out_dir + "/card.png");
  INFO("zbarimg: " << decoded);
  std::istringstream lines(decoded);
  std::string line;
  bool found = false;
  while (std::getline(lines, line)) found = found || line == geo;
  CHECK(found);
  nlohmann::json closed = harness::load_dump(run, "closed");
  CHECK_FALSE(element(closed, "map.card.close").is_object());
  CHECK(element(closed, "map.office." + office)["selected"] == false);
}

TEST_CASE("the map is reached from an office card, centred on it with its card open", "[e2e][map]") {
  REQUIRE_FALSE(demo_pack().empty());
  auto offices = demo_offices();
  harness::Run run = harness::run_kiosk(
      "tap home.start\ntap lang.it\ntap welcome.start\ntap nav.services\ndump list\n"
      "tap office.agenzia-entrate-grosseto.map\ndump map\ntap nav.back\ndump back\n",
      {"--content", demo_pack()});
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  CHECK(element(harness::load_dump(run, "list"), "services.map").is_object());
  nlohmann::json map = harness::load_dump(run, "map");
  CHECK(map["screen"] == "map");
  nlohmann::json marker = element(map, "map.office.agenzia-entrate-grosseto");
  REQUIRE(marker.is_object());
  CHECK(marker["selected"] == true);
  Camera c = camera(map);
  CHECK(std::fabs(centre_x(marker) - (c.vx + c.vw / 2)) <= 1.0);
  CHECK(std::fabs(centre_y(marker) - (c.vy + c.vh / 2)) <= 1.0);
  CHECK(element(map, "office.agenzia-entrate-grosseto").is_object());
  CHECK_FALSE(element(map, "map.here").is_object());   // no --position: no "you are here"
  CHECK_FALSE(element(map, "map.back_to_me").is_object());
  CHECK(harness::load_dump(run, "back")["screen"] == "services");
}

TEST_CASE("a procedure's \"where to go\" opens the map fitted to that procedure's offices", "[e2e][map]") {
  REQUIRE_FALSE(demo_pack().empty());
  auto offices = demo_offices();
  // A first permit's four offices are all in the town of Grosseto; the demo's others reach from
  // Follonica on the coast to Monte Amiata, so a view fitted to all of them would show the four
  // as one cluster.
  const std::vector<std::string> its = {"prefettura-grosseto", "questura-grosseto", "poste-grosseto-centro",
                                        "infoimmigrati-grosseto"};
  harness::Run run = harness::run_kiosk(
      "tap home.start\ntap lang.it\ntap welcome.start\ntap topic.permits\ntap proc.first-permit\n"
      // Two slow drags up bring "where to go" into view.
      "drag 960 900 960 300 3000\nwait 3000\ndrag 960 900 960 300 3000\nwait 3000\ndump proc\n"
      "tap proc.where.map\ndump map\ntap nav.back\ndump back\n",
      {"--content", demo_pack(), "--position", kPosition});
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  REQUIRE(element(harness::load_dump(run, "proc"), "proc.where.map").is_object());
  nlohmann::json map = harness::load_dump(run, "map");
  REQUIRE(map["screen"] == "map");
  CHECK(check_markers(map, offices) >= (int)its.size());
  // Every office of the procedure on screen, none selected (no card open), spread over more than
  // half of the view's width or height; Follonica's offices far outside it.
  Camera c = camera(map);
  double x0 = 1e9, y0 = 1e9, x1 = -1e9, y1 = -1e9;
  for (const std::string& id : its) {
    nlohmann::json marker = element(map, "map.office." + id);
    INFO(id);
    REQUIRE(marker.is_object());
    CHECK(marker["selected"] != true);
    x0 = std::min(x0, centre_x(marker)), x1 = std::max(x1, centre_x(marker));
    y0 = std::min(y0, centre_y(marker)), y1 = std::max(y1, centre_y(marker));
  }
  CHECK(x0 > c.vx);
  CHECK(x1 < c.vx + c.vw);
  CHECK(y0 > c.vy);
  CHECK(y1 < c.vy + c.vh);
  CHECK((x1 - x0 > c.vw / 2 || y1 - y0 > c.vh / 2));
  CHECK_FALSE(element(map, "map.office.comune-follonica").is_object());
  CHECK(harness::load_dump(run, "back")["screen"] == "procedure");
}

TEST_CASE("Arabic mirrors the controls and the card around the map, not the map", "[e2e][map]") {
  REQUIRE_FALSE(demo_pack().empty());
  auto offices = demo_offices();
  std::string steps = "tap map.back_to_me\ntap map.office.questura-grosseto\ndump map\n";
  harness::Run it = harness::run_kiosk(to_map("it") + steps, {"--content", demo_pack(), "--position", kPosition});
  harness::Run ar = harness::run_kiosk(to_map("ar") + steps, {"--content", demo_pack(), "--position", kPosition});
  INFO(it.stderr_text << ar.stderr_text);
  REQUIRE(it.exit_code == 0);
  REQUIRE(ar.exit_code == 0);
  nlohmann::json a = harness::load_dump(it, "map"), b = harness::load_dump(ar, "map");
  CHECK(b["direction"] == "rtl");
  double w = a["size"][0];
  for (const char* id : {"map.zoom_in", "map.zoom_out", "map.back_to_me", "map.card.close", "nav.back"}) {
    INFO(id);
    nlohmann::json l = element(a, id), r = element(b, id);
    REQUIRE(l.is_object());
    REQUIRE(r.is_object());
    double lx = l["rect"][0], lw = l["rect"][2], rx = r["rect"][0];
    CHECK(std::fabs(rx - (w - lx - lw)) <= 1.0);
    CHECK(lx != Approx(rx));
  }
  // The map does not mirror: the same camera and every marker at the same place.
  CHECK(camera(a).cx == Approx(camera(b).cx));
  CHECK(camera(a).zoom == Approx(camera(b).zoom));
  int n = 0;
  for (const auto& e : a["elements"])
    if (e["role"] == "office-marker") {
      nlohmann::json other = element(b, e["id"]);
      REQUIRE(other.is_object());
      CHECK(other["rect"] == e["rect"]);
      n++;
    }
  CHECK(n >= 5);
  CHECK(check_markers(b, offices) == n);
  CHECK(element(b, "map.office.questura-grosseto")["lang"] == "ar");   // labelled in the visitor's language
}

TEST_CASE("a corrupt tile file gives the schematic map and a staff message, not a crash", "[e2e][map]") {
  REQUIRE_FALSE(demo_pack().empty());
  REQUIRE(sodium_init() >= 0);
  char hash[crypto_pwhash_STRBYTES];
  REQUIRE(crypto_pwhash_str(hash, "246810", 6, crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN) == 0);
  std::string dir = harness::temp_dir("map-corrupt");
  std::string tiles = dir + "/corrupt.mbtiles";
  std::string junk(64 * 1024, '\0');
  for (size_t i = 0; i < junk.size(); i++) junk[i] = (char)(i * 2654435761u >> 13);
  harness::write_file(tiles, "SQLite format 3" + junk);   // a header, then garbage
  std::string corner = "tap staff.corner\ntap staff.corner\ntap staff.corner\ntap staff.corner\ntap staff.corner\n";
  harness::Run run = harness::run_kiosk_in(
      dir, to_map("it") + "dump map\nshot map\ndrag 900 600 1100 600 300\npinch 900 600 200 400 300\ndump moved\ntap nav.home\n" +
               corner + "tap key.2\ntap key.4\ntap key.6\ntap key.8\ntap key.1\ntap key.0\ntap key.done\ndump staff\n",
      {"--content", demo_pack(), "--map", tiles, "--staff-pin-hash", hash, "--staff-lock-file", dir + "/lock.json"});
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  nlohmann::json map = harness::load_dump(run, "map");
  CHECK(map["screen"] == "map");
  CHECK(element(map, "map.schematic").is_object());
  CHECK(check_markers(map, demo_offices()) > 0);
  CHECK(harness::load_dump(run, "moved")["screen"] == "map");
  nlohmann::json staff = harness::load_dump(run, "staff");
  REQUIRE(staff["screen"] == "staff");
  std::string why = element(staff, "staff.map")["text"];
  CHECK(why.find("corrupt.mbtiles") != std::string::npos);
  CHECK(why.find("schematica") != std::string::npos);
  // The schematic's ground is the frame's clear colour.
  check_ground(run.out_dir + "/map.png", camera(map), 233, 238, 236, 0.5);
}

TEST_CASE("the --map and --position are documented and validated, in flags and in the config file", "[e2e][map]") {
  std::string help = harness::capture({SPORTELLO_KIOSK_BIN, "--help"});
  CHECK(help.find("--map FILE") != std::string::npos);
  CHECK(help.find("--position LAT,LON") != std::string::npos);
  harness::Run bad = harness::run_raw({"--position", "91,11"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.stderr_text.find("--position: invalid value \"91,11\"") != std::string::npos);
  std::string dir = harness::temp_dir("map-conf");
  harness::write_file(dir + "/kiosk.conf", "lang = it\nposition = 42.76 11.11\n");
  harness::Run conf = harness::run_raw({"--config", dir + "/kiosk.conf"});
  CHECK(conf.exit_code == 2);
  CHECK(conf.stderr_text.find(dir + "/kiosk.conf:2: position: invalid value") != std::string::npos);
}

TEST_CASE("with tiles that cover the offices the map draws them, every visible tile complete, markers on them",
          "[e2e][map]") {
  std::string tiles = monaco_tiles();
  REQUIRE_FALSE(tiles.empty());
  // The demo content with three offices moved into Monaco, where the test tiles are.
  std::string dir = harness::temp_dir("map-monaco"), sources = dir + "/content";
  std::filesystem::copy(SPORTELLO_SOURCE_DIR "/content", sources, std::filesystem::copy_options::recursive);
  const std::pair<const char*, std::pair<const char*, const char*>> moved[] = {
      {"questura-grosseto", {"43.7384", "7.4246"}}, {"comune-grosseto", {"43.7311", "7.4197"}},
      {"asl-grosseto", {"43.7402", "7.4290"}}};
  for (const auto& [office, at] : moved) {
    set_line(sources + "/services/" + office + ".txt", "lat: ", std::string("lat: ") + at.first);
    set_line(sources + "/services/" + office + ".txt", "lon: ", std::string("lon: ") + at.second);
  }
  std::string pack = dir + "/monaco.pack";
  REQUIRE(harness::admin(dir, {"build", "--content", sources, "--locales", SPORTELLO_SOURCE_DIR "/locales", "--out", pack}) == 0);
  auto offices = demo_offices(sources);
  harness::Run run = harness::run_kiosk_in(
      dir, to_map("it") + "tap map.back_to_me\ndump me\nshot me\npinch 960 600 300 200 300\ndump pinch\n"
                          "drag 700 500 1100 650 400\nwait 2000\ndump moved\nshot moved\n",
      {"--content", pack, "--map", tiles, "--position", "43.7350,7.4210"});
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  for (const char* name : {"me", "pinch", "moved"}) {
    INFO(name);
    nlohmann::json d = harness::load_dump(run, name);
    CHECK(d["map"]["tiles"] == true);
    CHECK_FALSE(element(d, "map.schematic").is_object());
    CHECK(d["map"]["tiles_visible"].get<int>() > 0);
    CHECK(d["map"]["tiles_own"] == d["map"]["tiles_visible"]);   // the script waited for every tile
    CHECK(check_markers(d, offices) >= 2);
    CHECK(element(d, "map.attribution").is_object());
  }
  CHECK(harness::load_dump(run, "me")["map"]["first_complete_ms"].get<double>() >= 0);
  // The map's land is the frame's ground (the clear colour).
  for (const char* name : {"me", "moved"}) {
    INFO(name);
    check_ground(run.out_dir + "/" + name + ".png", camera(harness::load_dump(run, name)), 242, 239, 233, 0.3);
  }
}
