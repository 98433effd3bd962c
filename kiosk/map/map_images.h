// Internals of the map's drawing half shared by map_draw.cpp and map_images.cpp (and tests).
#pragma once

#include "map/map.h"

#include <imgui.h>

#include <cstdint>
#include <unordered_map>

namespace map {

// A tile's triangles into a draw list, the tile's [0,1] square at (x, y) of `size` pixels,
// clipped to (clip_min, clip_max).
void draw_mesh(ImDrawList* dl, const TileMesh& mesh, float x, float y, float size, ImVec2 clip_min, ImVec2 clip_max);

struct TileImages::Impl {
  struct Entry {
    std::unique_ptr<TileImage> image;
    int size = 0;             // pixels a side
    std::vector<ImagePiece> pieces;   // split_image's: drawn as plain fills and parts of the image
    uint64_t used = 0;        // the frame that last drew it
  };
  struct Hash {
    size_t operator()(const TileId& t) const { return ((size_t)t.z << 48) ^ ((size_t)t.x << 24) ^ (size_t)t.y; }
  };
  TileUploader upload;
  std::vector<uint32_t> pixels;   // the last render's, kept for the next one's
  Config config;
  std::unordered_map<TileId, Entry, Hash> entries;
  size_t bytes = 0;           // 4 a pixel
  uint64_t frame = 0;
  int renders_left = 0;
  bool pending = false;       // a render was left for a later frame
  bool settled = false;       // the zoom is the same as the last frame's
  bool failed = false;        // the uploader could not: triangles from now on
  double last_zoom = -1;

  void begin_frame(double zoom);
  Entry* find(TileId id);     // marks it drawn this frame
  // Renders `mesh` at `size` pixels if this frame's budget and the byte bound allow (evicting
  // least recently used images not drawn this frame). nullptr otherwise; `pending` is set when
  // only the budget stood in the way.
  Entry* render(TileId id, const TileMesh& mesh, int size, DrawStats* stats);
};

}  // namespace map
