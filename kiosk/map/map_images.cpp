// TileImages: each tile's mesh rendered once into pixels (raster_mesh) and uploaded as an image
// by the platform, the images kept in a byte-bounded least-recently-used set, renders spread
// over frames. The renders run on the frame's own thread: on the kiosks' two cores a worker
// thread for them takes a core from llvmpipe while it draws the frame, and measured so, the
// slowest frames got slower (p99 16.4-18.6 ms against 15.6-17.1 ms while panning).
#include "map/map.h"
#include "map/map_images.h"
#include "map/map_internal.h"

#include <algorithm>
#include <cmath>

namespace map {

TileImages::TileImages(TileUploader upload, Config config) : impl_(std::make_unique<Impl>()) {
  impl_->upload = std::move(upload);
  impl_->config = config;
}

TileImages::~TileImages() = default;

size_t TileImages::bytes() const { return impl_->bytes; }
int TileImages::count() const { return (int)impl_->entries.size(); }
bool TileImages::pending() const { return impl_->pending; }

void TileImages::clear() {
  impl_->entries.clear();
  impl_->bytes = 0;
  impl_->pending = false;
}

void TileImages::Impl::begin_frame(double zoom) {
  frame++;
  renders_left = config.renders_per_frame;
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

// The grid split_image cuts images along. Over the benchmark's view of Monaco, 75 % of the tile
// pixels lie in one-colour squares of 16 px (69 % with 32 px), in ~55 runs a tile. Smaller squares
// leave fewer pixels to the texture but add more vertices than they save (measured: slower).
constexpr int kPieceCell = 16;

TileImages::Impl::Entry* TileImages::Impl::render(TileId id, const TileMesh& mesh, int size, DrawStats* stats) {
  if (failed || !upload) return nullptr;
  if (renders_left <= 0) {
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
  pixels.resize((size_t)size * size);
  raster_mesh(mesh, size, kLand, pixels.data());
  std::unique_ptr<TileImage> image = upload(pixels.data(), size);
  if (!image) {
    failed = true;
    return nullptr;
  }
  stats->tiles_rendered++;
  Entry& e = entries[id];
  bytes -= e.image ? image_bytes(e.size) : 0;
  e.image = std::move(image);
  e.size = size;
  split_image(pixels.data(), size, kPieceCell, &e.pieces);
  e.used = frame;
  bytes += image_bytes(size);
  return &e;
}

}  // namespace map
