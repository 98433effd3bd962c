// Closing a cut coastline along the map's box (map_coast.h).
//
// Index
//   [SECTION] OPL way lines
//   [SECTION] Chains
//   [SECTION] Clipping to the box and closing along its edge
//   [SECTION] OPL out
#include "map_coast.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <unordered_map>

namespace mapcoast {

// [SECTION] OPL way lines -----------------------------------------------------------------------
namespace {

bool parse_int(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool parse_double(std::string_view s, double* out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(*out);
}

// One "n<id>[x<lon>y<lat>]" item of a way's node list.
bool parse_node_ref(std::string_view item, int64_t* id, Pt* p, bool* located, std::string* why) {
  if (item.size() < 2 || item[0] != 'n') return *why = "a node reference must start with n", false;
  item.remove_prefix(1);
  size_t x = item.find('x');
  if (!parse_int(item.substr(0, x), id)) return *why = "bad node id", false;
  *located = false;
  if (x == std::string_view::npos) return true;
  std::string_view loc = item.substr(x + 1);
  size_t y = loc.find('y');
  if (y == std::string_view::npos) return *why = "a location without y", false;
  if (loc.substr(0, y).empty() && loc.substr(y + 1).empty()) return true;   // "n5xy": not located
  if (!parse_double(loc.substr(0, y), &p->lon) || !parse_double(loc.substr(y + 1), &p->lat))
    return *why = "bad coordinates", false;
  if (p->lon < -180 || p->lon > 180 || p->lat < -90 || p->lat > 90) return *why = "coordinates out of range", false;
  *located = true;
  return true;
}

bool parse_way_line(std::string_view line, Way* w, std::string* why) {
  size_t sp = line.find(' ');
  if (!parse_int(line.substr(1, sp == std::string_view::npos ? std::string_view::npos : sp - 1), &w->id))
    return *why = "bad way id", false;
  // Fields are separated by single spaces; a space inside a tag is escaped (%20%), so " N" starts
  // the node list wherever it is.
  size_t n = line.find(" N");
  if (n == std::string_view::npos) return *why = "no node list (N field)", false;
  std::string_view list = line.substr(n + 2);
  list = list.substr(0, list.find(' '));
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    int64_t id = 0;
    Pt p;
    bool located = false;
    if (!parse_node_ref(item, &id, &p, &located, why)) return false;
    if (located) w->nodes.push_back(id), w->points.push_back(p);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return true;
}

}  // namespace

bool parse_opl_ways(std::string_view text, std::vector<Way>* ways, std::string* error) {
  int line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    line_no++;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] != 'w') continue;
    Way w;
    std::string why;
    if (!parse_way_line(line, &w, &why)) {
      *error = "coastline OPL line " + std::to_string(line_no) + ": " + why;
      return false;
    }
    ways->push_back(std::move(w));
  }
  return true;
}

// [SECTION] Chains ------------------------------------------------------------------------------
namespace {

struct Chain {
  std::vector<int64_t> nodes;
  std::vector<Pt> points;
  bool closed() const { return nodes.size() >= 4 && nodes.front() == nodes.back(); }
};

// Joins ways end to start (a coastline is drawn in one direction, land on its left).
std::vector<Chain> join_ways(const std::vector<Way>& ways) {
  std::unordered_map<int64_t, size_t> by_first, by_last;
  for (size_t i = 0; i < ways.size(); i++) {
    if (ways[i].nodes.size() < 2) continue;
    by_first.emplace(ways[i].nodes.front(), i);
    by_last.emplace(ways[i].nodes.back(), i);
  }
  std::vector<bool> used(ways.size(), false);
  std::vector<Chain> chains;
  for (size_t i = 0; i < ways.size(); i++) {
    if (used[i] || ways[i].nodes.size() < 2) continue;
    // Walk back to the chain's first way (a cycle brings the walk back to i: start there), then
    // forward from it.
    size_t start = i;
    for (size_t steps = 0; steps < ways.size(); steps++) {
      auto it = by_last.find(ways[start].nodes.front());
      if (it == by_last.end() || used[it->second] || it->second == i) break;
      start = it->second;
    }
    used[start] = true;
    Chain c;
    c.nodes = ways[start].nodes;
    c.points = ways[start].points;
    size_t cur = start;
    for (;;) {
      auto it = by_first.find(ways[cur].nodes.back());
      if (it == by_first.end() || used[it->second]) break;
      cur = it->second;
      used[cur] = true;
      c.nodes.insert(c.nodes.end(), ways[cur].nodes.begin() + 1, ways[cur].nodes.end());
      c.points.insert(c.points.end(), ways[cur].points.begin() + 1, ways[cur].points.end());
    }
    chains.push_back(std::move(c));
  }
  return chains;
}

}  // namespace

// [SECTION] Clipping to the box and closing along its edge --------------------------------------
namespace {

bool inside(const Box& b, Pt p) { return p.lon > b.west && p.lon < b.east && p.lat > b.south && p.lat < b.north; }

// The nearest point on the box's edge to a point inside it.
Pt to_edge(const Box& b, Pt p) {
  double d[4] = {p.lat - b.south, b.east - p.lon, b.north - p.lat, p.lon - b.west};
  int k = (int)(std::min_element(d, d + 4) - d);
  if (k == 0) return {p.lon, b.south};
  if (k == 1) return {b.east, p.lat};
  if (k == 2) return {p.lon, b.north};
  return {b.west, p.lat};
}

// Position along the edge, counter-clockwise from the south-west corner: 0..1 south edge going
// east, 1..2 east edge going north, 2..3 north edge going west, 3..4 west edge going south.
double edge_pos(const Box& b, Pt p) {
  double w = b.east - b.west, h = b.north - b.south;
  double d[4] = {std::fabs(p.lat - b.south), std::fabs(p.lon - b.east), std::fabs(p.lat - b.north),
                 std::fabs(p.lon - b.west)};
  int k = (int)(std::min_element(d, d + 4) - d);
  double t = k == 0 ? (p.lon - b.west) / w : k == 1 ? 1 + (p.lat - b.south) / h
           : k == 2 ? 2 + (b.east - p.lon) / w : 3 + (b.north - p.lat) / h;
  return std::clamp(t, 0.0, std::nextafter(4.0, 0.0));
}

Pt corner(const Box& b, int k) {   // the corner at edge position k (mod 4)
  switch (((k % 4) + 4) % 4) {
    case 0: return {b.west, b.south};
    case 1: return {b.east, b.south};
    case 2: return {b.east, b.north};
    default: return {b.west, b.north};
  }
}

// Liang-Barsky: the part [t0, t1] of segment a->b inside the box; false when none.
bool clip(const Box& b, Pt a, Pt c, double* t0, double* t1) {
  double dx = c.lon - a.lon, dy = c.lat - a.lat;
  double p[4] = {-dx, dx, -dy, dy};
  double q[4] = {a.lon - b.west, b.east - a.lon, a.lat - b.south, b.north - a.lat};
  *t0 = 0, *t1 = 1;
  for (int i = 0; i < 4; i++) {
    if (p[i] == 0) {
      if (q[i] < 0) return false;
      continue;
    }
    double r = q[i] / p[i];
    if (p[i] < 0) *t0 = std::max(*t0, r);
    else *t1 = std::min(*t1, r);
  }
  return *t0 < *t1;
}

Pt lerp(Pt a, Pt c, double t) { return {a.lon + (c.lon - a.lon) * t, a.lat + (c.lat - a.lat) * t}; }

// The pieces of an open chain inside the box, each from the edge to the edge.
void clip_chain(const Box& b, std::vector<Pt> pts, std::vector<std::vector<Pt>>* pieces) {
  if (inside(b, pts.front())) pts.insert(pts.begin(), to_edge(b, pts.front()));
  if (inside(b, pts.back())) pts.push_back(to_edge(b, pts.back()));
  std::vector<Pt> cur;
  for (size_t i = 0; i + 1 < pts.size(); i++) {
    double t0, t1;
    if (!clip(b, pts[i], pts[i + 1], &t0, &t1)) continue;
    if (cur.empty()) cur.push_back(lerp(pts[i], pts[i + 1], t0));
    cur.push_back(lerp(pts[i], pts[i + 1], t1));
    if (t1 < 1) pieces->push_back(std::move(cur)), cur.clear();
  }
  if (cur.size() >= 2) pieces->push_back(std::move(cur));
}

}  // namespace

Closed close_coastline(const std::vector<Way>& ways, Box box) {
  Closed out;
  std::vector<std::vector<Pt>> pieces;
  for (Chain& c : join_ways(ways)) {
    if (c.closed()) {
      out.rings.push_back(std::move(c.points));
      out.islands++;
    } else if (c.points.size() >= 2) {
      clip_chain(box, std::move(c.points), &pieces);
    }
  }
  std::erase_if(pieces, [](const std::vector<Pt>& p) { return p.size() < 2; });
  out.cut = (int)pieces.size();
  std::vector<double> ts(pieces.size()), te(pieces.size());
  for (size_t i = 0; i < pieces.size(); i++) ts[i] = edge_pos(box, pieces[i].front()), te[i] = edge_pos(box, pieces[i].back());
  std::vector<bool> used(pieces.size(), false);
  for (size_t first = 0; first < pieces.size(); first++) {
    if (used[first]) continue;
    used[first] = true;
    std::vector<Pt> ring = pieces[first];
    size_t cur = first;
    bool closed = false;
    for (size_t steps = 0; steps <= pieces.size() && !closed; steps++) {
      // The next piece that starts counter-clockwise from where this one leaves the box.
      size_t next = pieces.size();
      double best = 5;
      for (size_t j = 0; j < pieces.size(); j++) {
        if (used[j] && j != first) continue;
        double d = ts[j] - te[cur];
        if (d < 0) d += 4;
        if (d < best) best = d, next = j;
      }
      if (next == pieces.size()) break;
      for (int k = (int)std::floor(te[cur]) + 1; k < te[cur] + best; k++) ring.push_back(corner(box, k));
      if (next == first) {
        ring.push_back(ring.front());
        closed = true;
      } else {
        used[next] = true;
        ring.insert(ring.end(), pieces[next].begin(), pieces[next].end());
        cur = next;
      }
    }
    if (!closed) ring.push_back(ring.front());   // unreachable: `first` is always a candidate
    out.rings.push_back(std::move(ring));
  }
  return out;
}

// [SECTION] OPL out -----------------------------------------------------------------------------
std::string rings_to_opl(const std::vector<std::vector<Pt>>& rings) {
  std::string nodes, ways;
  int64_t next_node = 1, next_way = 1;
  char buf[96];
  for (const std::vector<Pt>& ring : rings) {
    std::vector<Pt> pts;
    for (Pt p : ring) {
      // OSM's precision is 1e-7 degrees: points equal at it would be one node twice in a row.
      p.lon = std::round(p.lon * 1e7) / 1e7, p.lat = std::round(p.lat * 1e7) / 1e7;
      if (pts.empty() || p.lon != pts.back().lon || p.lat != pts.back().lat) pts.push_back(p);
    }
    if (pts.size() < 4) continue;
    pts.pop_back();   // the closing point is the first node again
    int64_t first = next_node;
    std::string refs;
    for (Pt p : pts) {
      std::snprintf(buf, sizeof buf, "n%lld v1 x%.7f y%.7f\n", (long long)next_node, p.lon, p.lat);
      nodes += buf;
      refs += "n" + std::to_string(next_node++) + ",";
    }
    refs += "n" + std::to_string(first);
    ways += "w" + std::to_string(next_way++) + " v1 Tnatural=coastline N" + refs + "\n";
  }
  return nodes + ways;
}

}  // namespace mapcoast
