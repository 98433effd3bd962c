// sportello-admin map: the offline map's tiles from an OpenStreetMap extract (map_cmds.cpp).
#pragma once

// map --osm EXTRACT.osm.pbf [--bbox W,S,E,N] [--pack PACK] [--margin-km K] [--profile DIR] --out MBTILES
// Exit codes: 0 done; 1 a tool failed or the result failed its checks; 2 bad usage; 3 the extract
// cannot be read (missing, not OSM PBF); 4 the map's box does not cover every office of the pack.
int admin_map(int argc, char** argv);
