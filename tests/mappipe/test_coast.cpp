// Closing the coastline an extract cut (kiosk/admin/map_coast.h): OPL parsing, chains, clipping
// to the box, closing along its edge with the land on the left; and the profile's languages.
#include "map_coast.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

using namespace mapcoast;

namespace {

// Shoelace: positive for a counter-clockwise ring (land on the left of a coastline).
double signed_area(const std::vector<Pt>& r) {
  double a = 0;
  for (size_t i = 0; i + 1 < r.size(); i++) a += r[i].lon * r[i + 1].lat - r[i + 1].lon * r[i].lat;
  return a / 2;
}

bool contains(const std::vector<Pt>& r, Pt p) {   // even-odd
  bool in = false;
  for (size_t i = 0, j = r.size() - 1; i < r.size(); j = i++)
    if ((r[i].lat > p.lat) != (r[j].lat > p.lat) &&
        p.lon < (r[j].lon - r[i].lon) * (p.lat - r[i].lat) / (r[j].lat - r[i].lat) + r[i].lon)
      in = !in;
  return in;
}

std::vector<Way> parse(const std::string& opl) {
  std::vector<Way> ways;
  std::string error;
  REQUIRE(parse_opl_ways(opl, &ways, &error));
  return ways;
}

const Box kBox{0, 0, 10, 10};

}  // namespace

TEST_CASE("OPL way lines: ids, node references with locations, tags with escaped spaces", "[unit][mappipe]") {
  std::vector<Way> ways = parse(
      "n1 v1 x1 y1\n"
      "w42 v3 dV c0 t2020-01-01T00:00:00Z i0 u Tname=Mare%20%Nostro,natural=coastline Nn1x7.4y43.7,n2x7.5y43.8\r\n"
      "w43 v1 Tnatural=coastline Nn2x7.5y43.8,n9xy,n3x-7.25y-43.5\n"
      "r5 v1 Mw42@\n");
  REQUIRE(ways.size() == 2);
  CHECK(ways[0].id == 42);
  CHECK(ways[0].nodes == std::vector<int64_t>{1, 2});
  CHECK(ways[0].points[1].lon == Approx(7.5));
  CHECK(ways[0].points[1].lat == Approx(43.8));
  // A node without a location (the extract did not have it) is left out.
  CHECK(ways[1].nodes == std::vector<int64_t>{2, 3});
  CHECK(ways[1].points[1].lon == Approx(-7.25));
}

TEST_CASE("OPL: a malformed way line is refused with its line number and why", "[unit][mappipe]") {
  struct Case { const char* text; const char* why; };
  const Case cases[] = {
      {"n1 v1\nwx v1 Nn1x1y1\n", "coastline OPL line 2: bad way id"},
      {"w1 v1 Tnatural=coastline\n", "coastline OPL line 1: no node list (N field)"},
      {"w1 Nn1x1y1,m2x1y1\n", "coastline OPL line 1: a node reference must start with n"},
      {"w1 Nn1x1\n", "coastline OPL line 1: a location without y"},
      {"w1 Nn1x1y\n", "coastline OPL line 1: bad coordinates"},
      {"w1 Nn1x1e400y2\n", "coastline OPL line 1: bad coordinates"},
      {"w1 Nn1x190y2\n", "coastline OPL line 1: coordinates out of range"},
      {"w1 Nnx1y2\n", "coastline OPL line 1: bad node id"},
  };
  for (const Case& c : cases) {
    std::vector<Way> ways;
    std::string error;
    INFO(c.text);
    CHECK_FALSE(parse_opl_ways(c.text, &ways, &error));
    CHECK(error == c.why);
  }
}

TEST_CASE("a coastline cut by the box on two sides is closed along the edge, land on the left", "[unit][mappipe]") {
  // Northward at x=5 in two ways sharing node 2: the land is the west half.
  Closed c = close_coastline(parse("w1 Nn1x5y-1,n2x5y5\nw2 Nn2x5y5,n3x5y11\n"), kBox);
  CHECK(c.cut == 1);
  CHECK(c.islands == 0);
  REQUIRE(c.rings.size() == 1);
  const std::vector<Pt>& r = c.rings[0];
  CHECK(r.front().lon == r.back().lon);
  CHECK(r.front().lat == r.back().lat);
  CHECK(signed_area(r) == Approx(50));   // counter-clockwise, half the box
  CHECK(contains(r, {2, 5}));
  CHECK_FALSE(contains(r, {8, 5}));
  // The same coastline drawn the other way round: the land is the east half.
  Closed back = close_coastline(parse("w1 Nn3x5y11,n2x5y5,n1x5y-1\n"), kBox);
  REQUIRE(back.rings.size() == 1);
  CHECK(signed_area(back.rings[0]) == Approx(50));
  CHECK(contains(back.rings[0], {8, 5}));
}

TEST_CASE("a strait: two coastlines make two land rings, an island stays as it is", "[unit][mappipe]") {
  Closed c = close_coastline(parse("w1 Nn1x2y-1,n2x2y11\n"
                                   "w2 Nn3x8y11,n4x8y-1\n"
                                   "w3 Nn5x4y4,n6x6y4,n7x5y6,n5x4y4\n"), kBox);
  CHECK(c.cut == 2);
  CHECK(c.islands == 1);
  REQUIRE(c.rings.size() == 3);
  double land = 0;
  for (const auto& r : c.rings) {
    CHECK(signed_area(r) > 0);
    land += signed_area(r);
  }
  CHECK(land == Approx(20 + 20 + 2));
  int covering_sea = 0;
  for (const auto& r : c.rings) covering_sea += contains(r, {3, 8});
  CHECK(covering_sea == 0);
}

TEST_CASE("a bay: the coastline leaves and re-enters through one edge, the corners go with the land", "[unit][mappipe]") {
  // From the south edge up into the box, a loop, back out through the south edge: the land (on
  // the left of a path going north, then east, then south) is outside the loop, so the ring runs
  // round by the east, north and west edges, through all four corners.
  Closed c = close_coastline(parse("w1 Nn1x3y-1,n2x3y6,n3x7y6,n4x7y-1\n"), kBox);
  REQUIRE(c.rings.size() == 1);
  CHECK(signed_area(c.rings[0]) == Approx(100 - 24));
  CHECK(contains(c.rings[0], {1, 9}));
  CHECK_FALSE(contains(c.rings[0], {5, 3}));
}

TEST_CASE("a coastline ending inside the box is extended to the nearest edge, one outside is ignored", "[unit][mappipe]") {
  Closed c = close_coastline(parse("w1 Nn1x5y1,n2x5y9\n"            // ends 1 from the south and north edges
                                   "w2 Nn3x20y20,n4x30y20\n"), kBox);   // far away
  CHECK(c.cut == 1);
  REQUIRE(c.rings.size() == 1);
  CHECK(signed_area(c.rings[0]) == Approx(50));
}

TEST_CASE("rings to OPL: closed ways tagged natural=coastline that parse back", "[unit][mappipe]") {
  Closed c = close_coastline(parse("w1 Nn1x5y-1,n2x5y11\n"), kBox);
  std::string opl = rings_to_opl(c.rings);
  CHECK(opl.find("Tnatural=coastline") != std::string::npos);
  // Nodes first (each with its location), then the way, closed on its first node.
  REQUIRE(c.rings.size() == 1);
  size_t way = opl.find("\nw1 v1 Tnatural=coastline Nn1,");
  REQUIRE(way != std::string::npos);
  CHECK(opl.substr(0, 6) == "n1 v1 ");
  std::string refs = opl.substr(opl.find(" N", way) + 2);
  CHECK((size_t)std::count(refs.begin(), refs.end(), ',') + 1 == c.rings[0].size());
  CHECK(refs.substr(refs.rfind(',')) == ",n1\n");
  // A ring too small to be an area after rounding to OSM's precision is left out.
  CHECK(rings_to_opl({{{1, 1}, {1.00000001, 1}, {1, 1}}}).empty());
}

TEST_CASE("the tilemaker profile writes names in exactly the kiosk's languages (locales/*.po)", "[unit][mappipe]") {
  std::set<std::string> kiosk;
  for (const auto& e : std::filesystem::directory_iterator(std::string(SPORTELLO_SOURCE_DIR) + "/locales"))
    if (e.path().extension() == ".po") kiosk.insert(e.path().stem().string());
  REQUIRE(kiosk.size() == 18);
  std::ifstream f(std::string(SPORTELLO_SOURCE_DIR) + "/assets/map/process.lua");
  std::stringstream ss;
  ss << f.rdbuf();
  std::string lua = ss.str();
  std::smatch m;
  REQUIRE(std::regex_search(lua, m, std::regex("languages = \\{([^}]*)\\}")));
  std::set<std::string> profile;
  std::string list = m[1];
  const std::regex quoted("\"([a-z]+)\"");
  for (std::sregex_iterator it(list.begin(), list.end(), quoted), end; it != end; ++it)
    profile.insert((*it)[1]);
  CHECK(profile == kiosk);
}
