// TileImages: each tile's mesh rendered once into an image (by the platform), the images kept
// in a byte-bounded least-recently-used set, renders spread over frames.
#include "map/map.h"
#include "map/map_images.h"
#include "map/map_internal.h"

#include "text.h"

#include <imgui.h>
#include <imgui_internal.h>   // ImDrawList::_Data, _CmdHeader: a draw list made like the frame's

#include <algorithm>
#include <cmath>

namespace map {

TileImages::TileImages(TileRenderer render, Config config) : impl_(std::make_unique<Impl>()) {
  impl_->render_fn = std::move(render);
  impl_->config = config;
}

TileImages::~TileImages() = default;

size_t TileImages::bytes() const { return impl_->bytes + impl_->label_bytes; }
int TileImages::count() const { return (int)impl_->entries.size(); }
int TileImages::label_count() const { return (int)impl_->labels.size(); }
bool TileImages::pending() const { return impl_->pending; }

void TileImages::clear() {
  impl_->entries.clear();
  impl_->labels.clear();
  impl_->label_image.reset();
  impl_->shelf_x = impl_->shelf_y = impl_->shelf_h = 0;
  impl_->bytes = 0;
  impl_->label_bytes = 0;
  impl_->pending = false;
}

void TileImages::Impl::begin_frame(double zoom) {
  frame++;
  renders_left = config.renders_per_frame;
  label_renders_left = config.label_renders_per_frame;
  vertices_left = config.render_vertices;
  pending = false;
  settled = zoom == last_zoom;
  last_zoom = zoom;
}

TileImages::Impl::Entry* TileImages::Impl::find(TileId id) {
  auto it = entries.find(id);
  if (it == entries.end()) return nullptr;
  it->second.used = frame;
  return &it->second;
}

static size_t image_bytes(int size) { return (size_t)size * size * 4; }

// One draw list of w x h pixels from (0, 0) through the renderer.
static std::unique_ptr<TileImage> render_list(const TileRenderer& render, ImDrawList* list, int w, int h) {
  ImDrawList* lists[] = {list};
  ImDrawData data;
  data.Valid = true;
  data.CmdLists = lists;
  data.CmdListsCount = 1;
  data.TotalVtxCount = list->VtxBuffer.Size;
  data.TotalIdxCount = list->IdxBuffer.Size;
  data.DisplayPos = ImVec2(0, 0);
  data.DisplaySize = ImVec2((float)w, (float)h);
  data.FramebufferScale = ImVec2(1, 1);
  return render(data);
}

TileImages::Impl::Entry* TileImages::Impl::render(TileId id, const TileMesh& mesh, int size, const ImDrawList* like,
                                                  DrawStats* stats) {
  if (failed || !render_fn) return nullptr;
  if (renders_left <= 0 || vertices_left <= 0) {
    pending = true;
    return nullptr;
  }
  auto old = entries.find(id);
  const size_t freed = old != entries.end() ? image_bytes(old->second.size) : 0;
  // Room: the least recently used images not drawn in this frame go first.
  while (bytes - freed + image_bytes(size) > config.max_bytes) {
    auto lru = entries.end();
    for (auto it = entries.begin(); it != entries.end(); ++it)
      if (it != old && it->second.used != frame && (lru == entries.end() || it->second.used < lru->second.used)) lru = it;
    if (lru == entries.end()) return nullptr;   // the view alone fills the bound: triangles for the rest
    bytes -= image_bytes(lru->second.size);
    entries.erase(lru);
  }
  renders_left--;
  vertices_left -= (long)mesh.vertices.size();
  const float s = (float)size;
  ImDrawList list(like->_Data);
  list._ResetForNewFrame();
  list.PushClipRect(ImVec2(0, 0), ImVec2(s, s));
  list.PushTextureID(like->_CmdHeader.TextureId);
  list.AddRectFilled(ImVec2(0, 0), ImVec2(s, s), kBackground);
  draw_mesh(&list, mesh, 0, 0, s, ImVec2(0, 0), ImVec2(s, s));
  std::unique_ptr<TileImage> image = render_list(render_fn, &list, size, size);
  if (!image) {
    failed = true;
    return nullptr;
  }
  stats->tiles_rendered++;
  Entry& e = entries[id];
  bytes -= e.image ? image_bytes(e.size) : 0;
  e.image = std::move(image);
  e.size = size;
  e.used = frame;
  bytes += image_bytes(size);
  return &e;
}

const TileImages::Impl::LabelEntry* TileImages::Impl::label(const std::string& key, int w, int h,
                                                            const std::function<void(ImDrawList*, ImVec2)>& draw,
                                                            const ImDrawList* like, text::Engine& engine) {
  auto it = labels.find(key);
  if (it != labels.end()) {
    it->second.used = frame;
    return &it->second;
  }
  const int side = config.label_atlas_px;
  if (failed || !render_fn || !config.premultiplied || w <= 0 || h <= 0 || w > side || h > side) return nullptr;
  if (label_renders_left <= 0) {
    pending = true;
    return nullptr;
  }
  // Rows of labels, a pixel apart. A full image is emptied after this frame (its labels may be
  // on screen in it), and its labels rendered again in the frames after.
  if (shelf_x + w > side) {
    shelf_y += shelf_h + 1;
    shelf_x = 0;
    shelf_h = 0;
  }
  if (shelf_y + h > side) {
    // Emptied only when most of it holds labels no longer drawn, so that the labels of one view
    // always fit after: a view whose labels fill it keeps the rest as glyph quads, asking for
    // no frame (else it would be emptied and filled again for ever).
    const size_t drawn = (size_t)std::count_if(labels.begin(), labels.end(),
                                               [&](const auto& l) { return l.second.used == frame; });
    if (drawn * 2 < labels.size()) {
      label_image_full = true;
      pending = true;
    }
    return nullptr;
  }
  const ImVec2 at((float)shelf_x, (float)shelf_y);
  ImDrawList list(like->_Data);
  list._ResetForNewFrame();
  list.PushClipRect(at, ImVec2(at.x + (float)w, at.y + (float)h));
  list.PushTextureID(like->_CmdHeader.TextureId);
  draw(&list, at);
  // The glyph atlas on the GPU is the one laid out last frame, uploaded after it: a glyph new in
  // this frame (or an atlas grown at its start) is not there yet. Then a later frame renders it,
  // asked for a few frames at most (never forever: idle stays idle).
  const text::AtlasPixels& px = engine.atlas();
  if (!atlas_known || px.generation != atlas_generation || px.dirty_x0 < px.dirty_x1) {
    atlas_blocked = true;
    if (atlas_waits < 3) pending = true;
    return nullptr;
  }
  if (!label_image) {   // draw data without lists: a cleared image
    ImDrawData empty;
    empty.Valid = true;
    empty.DisplaySize = ImVec2((float)side, (float)side);
    empty.FramebufferScale = ImVec2(1, 1);
    label_image = render_fn(empty);
    if (!label_image) {
      failed = true;
      return nullptr;
    }
    label_bytes = (size_t)side * side * 4;
  }
  label_renders_left--;
  ImDrawList* lists[] = {&list};
  ImDrawData data;
  data.Valid = true;
  data.CmdLists = lists;
  data.CmdListsCount = 1;
  data.TotalVtxCount = list.VtxBuffer.Size;
  data.TotalIdxCount = list.IdxBuffer.Size;
  data.DisplaySize = ImVec2((float)side, (float)side);
  data.FramebufferScale = ImVec2(1, 1);
  if (!label_image->render_over(data, shelf_x, shelf_y, w, h)) {
    failed = true;
    return nullptr;
  }
  LabelEntry& e = labels[key];
  e = LabelEntry{shelf_x, shelf_y, w, h, frame};
  shelf_x += w + 1;
  shelf_h = std::max(shelf_h, h);
  return &e;
}

void TileImages::Impl::end_frame(text::Engine& engine) {
  const text::AtlasPixels& px = engine.atlas();
  atlas_waits = atlas_blocked ? atlas_waits + 1 : 0;
  if (label_image_full) {
    labels.clear();
    shelf_x = shelf_y = shelf_h = 0;
    label_image_full = false;
  }
  atlas_blocked = false;
  atlas_generation = px.generation;
  atlas_known = true;
}

}  // namespace map
