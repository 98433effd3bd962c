// libFuzzer target for the coastline closing of sportello-admin map: the OPL way parser (the
// bytes osmium writes from an operator's extract) and the closing of whatever it parsed. The first
// byte picks the box, so the closing sees boxes of several sizes and places.
#include "map_coast.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const mapcoast::Box boxes[] = {{0, 0, 10, 10}, {7.40, 43.72, 7.45, 43.76}, {-1, -1, 1, 1}, {179, 84, 180, 85}};
  mapcoast::Box box = boxes[data[0] % 4];
  std::string text((const char*)data + 1, size - 1);
  std::vector<mapcoast::Way> ways;
  std::string error;
  if (!mapcoast::parse_opl_ways(text, &ways, &error)) {
    if (error.empty()) std::abort();   // a refusal always says why
    return 0;
  }
  for (const mapcoast::Way& w : ways)
    if (w.nodes.size() != w.points.size()) std::abort();
  mapcoast::Closed c = mapcoast::close_coastline(ways, box);
  for (const auto& ring : c.rings) {
    if (ring.size() < 2) std::abort();
    for (const mapcoast::Pt& p : ring)
      if (!std::isfinite(p.lon) || !std::isfinite(p.lat)) std::abort();
  }
  std::string opl = mapcoast::rings_to_opl(c.rings);
  std::vector<mapcoast::Way> again;
  if (!mapcoast::parse_opl_ways(opl, &again, &error)) std::abort();   // what we write, we read
  return 0;
}
