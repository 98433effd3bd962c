// The sea of a map extract. OpenStreetMap has no sea polygons, only coastline ways with the land
// on their left; osmcoastline builds the sea from closed coastline rings. An extract cuts the
// coastline where its area ends, leaving open ways osmcoastline cannot close (it joins the two
// ends with a straight line, which crosses the land: the polygon is invalid and the sea comes out
// empty). These functions close the cut coastline along the edge of the map's box, keeping the
// land on the left, so osmcoastline gets valid land rings and makes the sea around them.
//
// Input is the OPL text `osmium add-locations-to-ways -f opl` writes for the coastline ways
// (https://osmcode.org/opl-file-format/); output is OPL of the closed rings for osmcoastline.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mapcoast {

struct Pt { double lon = 0, lat = 0; };
struct Box { double west = 0, south = 0, east = 0, north = 0; };

struct Way {
  int64_t id = 0;
  std::vector<int64_t> nodes;   // node ids, in order
  std::vector<Pt> points;       // their locations (same length as nodes)
};

// Reads the way lines of OPL text (node and relation lines are skipped). A way whose nodes lack a
// location is kept with only the located ones. False with *error (line number and why) for a
// malformed way line; never reads past the text.
bool parse_opl_ways(std::string_view text, std::vector<Way>* ways, std::string* error);

struct Closed {
  std::vector<std::vector<Pt>> rings;   // closed (first == last), land on the left
  int islands = 0;          // coastline already closed in the data
  int cut = 0;              // pieces of open coastline inside the box, closed along its edge
};

// Joins ways sharing end nodes into chains; keeps closed chains as they are; clips open chains
// to `box` and closes them along its edge (counter-clockwise, the land on the left). A chain that
// ends inside the box is extended straight to the nearest edge.
Closed close_coastline(const std::vector<Way>& ways, Box box);

// The rings as OPL (nodes, then ways tagged natural=coastline), ids from 1.
std::string rings_to_opl(const std::vector<std::vector<Pt>>& rings);

}  // namespace mapcoast
