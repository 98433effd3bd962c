// Internals of the map's drawing half shared by map_draw.cpp and map_images.cpp (and tests).
#pragma once

#include "map/map.h"

#include <imgui.h>

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>

namespace text { class Engine; }

namespace map {

// A tile's triangles into a draw list, the tile's [0,1] square at (x, y) of `size` pixels,
// clipped to (clip_min, clip_max).
void draw_mesh(ImDrawList* dl, const TileMesh& mesh, float x, float y, float size, ImVec2 clip_min, ImVec2 clip_max);

struct TileImages::Impl {
  struct Entry {
    std::unique_ptr<TileImage> image;
    int size = 0;             // pixels a side
    uint64_t used = 0;        // the frame that last drew it
  };
  struct Hash {
    size_t operator()(const TileId& t) const { return ((size_t)t.z << 48) ^ ((size_t)t.x << 24) ^ (size_t)t.y; }
  };
  TileRenderer render_fn;
  Config config;
  std::unordered_map<TileId, Entry, Hash> entries;
  size_t bytes = 0;           // tile images (labels: label_bytes)
  uint64_t frame = 0;
  int renders_left = 0;
  long vertices_left = 0;
  bool pending = false;       // a render was left for a later frame
  bool settled = false;       // the zoom is the same as the last frame's
  bool failed = false;        // the renderer could not: triangles from now on
  double last_zoom = -1;

  struct LabelEntry {
    int x = 0, y = 0, w = 0, h = 0;   // its rectangle in the labels' image, top-down
    uint64_t used = 0;                // the frame that last drew it
  };
  std::unordered_map<std::string, LabelEntry> labels;   // by text, language, size and colour
  std::unique_ptr<TileImage> label_image;                // shared by every label, made on first use
  size_t label_bytes = 0;
  int shelf_x = 0, shelf_y = 0, shelf_h = 0;            // where the next label goes
  bool label_image_full = false;                         // emptied at the end of this frame
  int label_renders_left = 0;
  int atlas_waits = 0;        // frames in a row a label waited for the glyph atlas's upload
  bool atlas_blocked = false; // one did in this frame
  bool atlas_known = false;   // atlas_generation is the one of the last frame
  uint64_t atlas_generation = 0;

  void begin_frame(double zoom);
  Entry* find(TileId id);     // marks it drawn this frame
  // Renders `mesh` at `size` pixels if this frame's budget and the byte bound allow (evicting
  // least recently used images not drawn this frame). nullptr otherwise; `pending` is set when
  // only the budget stood in the way. `like` lends its shared data and texture (the white pixel).
  Entry* render(TileId id, const TileMesh& mesh, int size, const ImDrawList* like, DrawStats* stats);
  // The label's image (w x h pixels, `draw` puts its glyphs into a list at a top-left given),
  // rendered now if the budget, the byte bound and the glyph atlas allow; nullptr otherwise.
  // `draw` puts the label's glyphs into a list with their box's top-left at the point given.
  const LabelEntry* label(const std::string& key, int w, int h, const std::function<void(ImDrawList*, ImVec2)>& draw,
                          const ImDrawList* like, text::Engine& engine);
  void end_frame(text::Engine& engine);
};

}  // namespace map
