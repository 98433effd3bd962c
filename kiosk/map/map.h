// Sportello offline map: vector tiles made by our tilemaker profile (MBTiles, gzipped Mapbox
// Vector Tiles), decoded and triangulated on a worker thread, drawn through an ImDrawList with
// labels laid out by the text engine (never ImGui's font).
//
// Halves:
//   - data (no ImGui, no GL): projection, the MBTiles reader, gzip, the MVT decoder (protozero),
//     the polygon triangulator, line strips, the style table, tile meshes and their bounded cache
//     with its worker thread. Tools and fuzz targets link this half alone (sportello_map_data).
//   - drawing (map_draw.cpp, ImGui): draw the visible tiles of a camera into a rectangle,
//     substituting the nearest loaded ancestor (scaled) for a tile not ready yet, and place
//     labels with collision boxes that stay stable while panning (sportello_map).
//
// Coordinates: "world" is Web Mercator scaled to [0,1] x [0,1], x east, y south, so the tile
// (z, x, y) in the XYZ scheme covers [x, x+1] / 2^z by [y, y+1] / 2^z. MBTiles stores rows in the
// TMS scheme (row 0 in the south); the reader flips, callers only ever see XYZ.
// Threading: TileCache is used from the UI thread; its worker owns decoding and triangulation.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct ImDrawList;
struct ImDrawCmd;
struct ImDrawData;
namespace text { class Engine; }

namespace map {

// [SECTION] Geography -------------------------------------------------------------------------
struct LonLat { double lon = 0, lat = 0; };
struct World { double x = 0, y = 0; };

World project(LonLat p);                        // clamps latitude to Web Mercator's +-85.0511
LonLat unproject(World w);
double distance_m(LonLat a, LonLat b);          // great-circle (haversine, mean Earth radius)

struct TileId {
  int z = 0, x = 0, y = 0;                      // XYZ scheme
  bool operator==(const TileId&) const = default;
};
TileId parent(TileId t);                        // z-1; the root is its own parent

// What the screen looks at: the world point at the centre of the view and a fractional zoom
// (at zoom z a tile is tile_px() pixels wide). Pure functions so the screen and tests agree.
struct Camera {
  World center;
  double zoom = 15;
};
double tile_px();                               // 256
double world_px(double zoom);                   // tile_px() * 2^zoom
// Screen <-> world for a view rectangle of size (w, h) whose top-left is (x0, y0).
void world_to_screen(const Camera& c, float x0, float y0, float w, float h, World p, float* sx, float* sy);
World screen_to_world(const Camera& c, float x0, float y0, float w, float h, float sx, float sy);
// Zoom by `factor` keeping the world point under (sx, sy) fixed on screen (pinch, double tap, +/-).
void zoom_around(Camera* c, float x0, float y0, float w, float h, float sx, float sy, double factor);

// [SECTION] Tile file (MBTiles 1.3 in SQLite) ---------------------------------------------------
struct TileSetInfo {
  int min_zoom = 0, max_zoom = 0;
  double west = 0, south = 0, east = 0, north = 0;    // "bounds" metadata
  std::string name, format, attribution;
};

class TileFile {
public:
  // Opens read-only and checks the metadata (format pbf, zoom range, bounds). nullptr + *error on failure.
  static std::unique_ptr<TileFile> open(const std::string& path, std::string* error);
  ~TileFile();
  const TileSetInfo& info() const;
  // The tile's MVT bytes, gunzipped when stored gzipped. Returns false with *error for a read or
  // gzip failure; true with an empty *out when the file has no tile there (open sea, outside).
  bool read(TileId id, std::string* out, std::string* error);
private:
  TileFile();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Inflate gzip or zlib data, refusing output beyond max_out (a decompression bomb).
bool gunzip(std::string_view in, std::string* out, size_t max_out, std::string* error);

// [SECTION] Vector tiles (MVT 2.1) ----------------------------------------------------------------
struct Point { int32_t x = 0, y = 0; };         // tile units, 0..extent (may overshoot in the buffer)
enum class GeomType : uint8_t { Unknown, Point, Line, Polygon };

struct Feature {
  GeomType type = GeomType::Unknown;
  std::vector<std::pair<std::string, std::string>> tags;   // values rendered as strings
  std::vector<std::vector<Point>> parts;    // points: one part; lines: one part each; polygons:
                                            // rings in file order (exterior, its holes, next exterior)
  const std::string* tag(std::string_view key) const;
};
struct Layer {
  std::string name;
  uint32_t extent = 4096;
  std::vector<Feature> features;
};
struct DecodedTile { std::vector<Layer> layers; };

// Decodes one tile. Every bound is checked: a malformed tile gives false and *error, never a crash.
bool decode_mvt(std::string_view bytes, DecodedTile* out, std::string* error);

// [SECTION] Geometry -------------------------------------------------------------------------------
struct Vec2 { float x = 0, y = 0; };
// Triangulates a polygon given as rings (the first is the exterior, the rest holes). Appends
// indices into `points` (the rings' points concatenated in order) to *triangles. False for a
// degenerate polygon (fewer than 3 distinct points) or one that cannot be triangulated.
bool triangulate(const std::vector<std::vector<Vec2>>& rings, std::vector<Vec2>* points,
                 std::vector<uint32_t>* triangles);

// [SECTION] Meshes and the tile cache -----------------------------------------------------------
// The land: the colour where no feature is drawn (IM_COL32 242, 239, 233). draw() leaves it to
// the ground under the view.
constexpr uint32_t kLand = 0xFFE9EFF2u;
struct Vertex { float x, y; uint32_t rgba; };   // x, y in [0,1] across the tile; rgba as IM_COL32
struct Label {
  std::string text;          // name:<lang> when the tile has it, else name
  std::string lang;          // the language of `text` (BCP 47) so the engine picks its font
  float x = 0, y = 0;        // anchor in [0,1] across the tile
  int priority = 0;          // higher wins a collision (cities > suburbs > main roads > streets)
  float size = 0;            // em size in px
  uint32_t rgba = 0;
  float min_zoom = 0;        // camera zoom from which it is shown (street names only close up)
};
struct TileMesh {
  TileId id;
  std::vector<Vertex> vertices;     // triangles, drawn in style order
  std::vector<uint32_t> indices;
  // Consecutive pieces of `indices`, each using fewer than 65536 vertices from first_vertex on,
  // so one piece fits ImGui's 16-bit ImDrawIdx in a single PrimReserve.
  struct Range { uint32_t first_index = 0, index_count = 0, first_vertex = 0, vertex_count = 0; };
  std::vector<Range> ranges;
  std::vector<Label> labels;
  size_t bytes() const;
};
// Builds a tile's mesh: styled fills, widened roads with joins, labels in `lang` (-> name).
TileMesh build_mesh(TileId id, const DecodedTile& tile, const std::string& lang);

// Draws the mesh's triangles in order, opaque, into `size` x `size` pixels (IM_COL32 words,
// top-down rows) over `background`, as GL draws them without antialiasing: a pixel is covered when
// its centre is. A triangle takes its first vertex's colour (a tile's triangles are one colour each).
void raster_mesh(const TileMesh& mesh, int size, uint32_t background, uint32_t* pixels);

// A rectangle of a tile image, drawn either as a plain fill (the rectangle is one colour) or from
// the image. On llvmpipe a pixel of plain fill costs half a texel's sampling or less, and most of
// a map's pixels lie in sea, land, parks and blocks of one colour.
struct ImagePiece {
  uint16_t x0 = 0, y0 = 0, x1 = 0, y1 = 0;   // the pixels [x0, x1) x [y0, y1)
  uint32_t rgba = 0;                          // a solid piece's colour (opaque); 0: from the image
};
// Splits a `size` x `size` opaque image (as raster_mesh writes) into pieces along a grid of `cell`
// px squares (the last row and column narrower when `size` is not a multiple): a run of squares
// of one and the same colour is one solid piece, a run of the others one piece from the image,
// and a piece grows down while the next row's run spans the same columns alike. The pieces cover
// every pixel once. Nothing for a size beyond 65535 or a cell below 1; a cell beyond the size is
// the whole image.
void split_image(const uint32_t* pixels, int size, int cell, std::vector<ImagePiece>* out);

class TileCache {
public:
  // `wake` is called from the worker when a tile finished (the app posts an SDL event so the
  // loop draws one frame; nothing polls). Memory bound for ready meshes in bytes.
  TileCache(std::unique_ptr<TileFile> file, std::function<void()> wake, size_t max_bytes = 24u << 20);
  ~TileCache();
  const TileSetInfo& info() const;
  // The mesh if ready; otherwise queues it (newest requests first) and returns nullptr.
  const TileMesh* get(TileId id, const std::string& lang);
  // The mesh if ready, without queueing it (draw() looks for ancestors to stand in this way).
  const TileMesh* peek(TileId id, const std::string& lang);
  // Drops requests not asked for since the last call (tiles panned away) and evicts least recently
  // used meshes above the bound. Call once per drawn frame.
  void end_frame();
  bool busy() const;                // requests queued or decoding
  size_t bytes() const;             // memory held by ready meshes
  std::string last_error() const;   // a tile that failed to read or decode (for the staff view)
  // What draw() remembers between frames of this map: the labels it kept on screen.
  struct LabelMemory { std::vector<std::string> kept; };
  LabelMemory& label_memory();
private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// [SECTION] Drawing (sportello_map: needs ImGui) ------------------------------------------------
struct DrawStats {
  int tiles_visible = 0;        // tiles the view needs at its zoom
  int tiles_own = 0;            // drawn from their own mesh or image (complete when == tiles_visible)
  int tiles_substituted = 0;    // drawn from an ancestor, scaled, while theirs is not ready
  int labels_drawn = 0;
  int tiles_vector = 0;         // of those drawn, how many as triangles into the draw list
  int tiles_rendered = 0;       // tile images rendered this frame (TileImages)
};

// An ImDrawList callback that switches the renderer to another program (platform::opaque_fills,
// platform::halo_text).
using ProgramCallback = void (*)(const ImDrawList*, const ImDrawCmd*);

// An image of one tile, uploaded once (by the platform, into a GL texture), freed with the object.
class TileImage {
public:
  virtual ~TileImage() = default;
  virtual void* texture() const = 0;    // ImTextureID, rows top-down
};
// Uploads `size` x `size` opaque pixels (IM_COL32 words, top-down rows) as a TileImage; nullptr
// when it cannot (the tile is then drawn as triangles). platform::ImageTexture does it.
using TileUploader = std::function<std::unique_ptr<TileImage>(const uint32_t* pixels, int size)>;

// The tile images of one map: each tile's mesh rendered once at the view's scale (raster_mesh)
// and uploaded, then drawn each frame as its pieces (split_image): plain fills where a piece is of
// one colour (nothing where it is the land), parts of the image elsewhere. Least recently used
// images go beyond a byte bound (4 bytes a pixel). At most `renders_per_frame` renders a frame
// (a render takes 0.1 ms for most tiles, up to 4 ms for the densest, on the frame's thread): the
// other tiles are shown by images that stand in (an ancestor's part, the children) or as
// triangles, and pending() asks for the next frame.
// An image drawn at a scale off its own by more than `rescale` is rendered again once the zoom
// stays still for a frame (while pinching, the images are drawn scaled).
class TileImages {
public:
  struct Config {
    size_t max_bytes = 20u << 20;
    int renders_per_frame = 1;
    double rescale = 0.1;
    ProgramCallback opaque = nullptr; // draws the images opaque (platform::opaque_images), if given
  };
  TileImages(TileUploader upload, Config config);
  ~TileImages();
  size_t bytes() const;             // pixels held by the images, 4 bytes each
  int count() const;                // tile images
  // Renders were left for later in the last draw(): draw another frame (false once the view is done).
  bool pending() const;
  void clear();                     // another tile file: forget every image
  struct Impl;
  Impl& impl() { return *impl_; }   // draw()'s side (map_images.h)
private:
  std::unique_ptr<Impl> impl_;
};
// Draws the camera's view into the screen rectangle (x0, y0, w, h), clipped to it: tile meshes,
// then labels (placed greedily by priority; a label kept in the previous frame is placed first so
// panning does not make labels jump). `atlas` is the text engine's texture.
// The land (kLand) is never drawn: the caller gives the rectangle that colour first, best as the
// renderer's clear colour, which costs nothing where a fill of the view costs llvmpipe a
// millisecond a frame. Where no tile is ready, the land shows.
// Never waits for the worker. The caller calls cache.end_frame() once after the frame's draw().
// `opaque`, when given, is an ImDrawList callback that switches the renderer to opaque untextured
// fills (platform::opaque_fills): the tiles are drawn with it, the labels without.
// `images`, when given, draws the tiles as images (TileImages above); without it, every tile's
// triangles go into the draw list each frame (tests and tools without GL).
// Labels are drawn with a halo, one quad a glyph (text::draw_layout_haloed): `halo_text` is the
// callback that draws them (platform::halo_text); tests without GL may leave it out.
DrawStats draw(ImDrawList* dl, text::Engine& engine, void* atlas, TileCache& cache, const Camera& camera,
               float x0, float y0, float w, float h, const std::string& lang, ProgramCallback opaque = nullptr,
               TileImages* images = nullptr, ProgramCallback halo_text = nullptr);

}  // namespace map
