// Sportello text engine: the one way a visible string reaches the screen (DESIGN.md rule 1).
//
// Pipeline, per paragraph (one string = one BiDi isolate, laid out on its own):
//   UTF-8 (invalid sequences -> U+FFFD) -> UTF-16 -> ICU ubidi (paragraph + embedding levels)
//   -> itemize into runs of one script and one level -> line breaking with ICU BreakIterator
//   on logical text -> per line, visual reordering of runs (ubidi_reorderVisual)
//   -> HarfBuzz shaping of each run with the font chosen for its script and language
//   -> glyphs positioned per line.
// Rasterization is by glyph id with FreeType into an RGBA atlas owned by the engine (grows,
// then evicts least recently used glyphs, never those used by the frame being drawn).
//
// The core (this header; utf8.cpp, fonts.cpp, layout.cpp, atlas.cpp, engine.cpp) has no ImGui and
// no GL: tools and tests link it without a window. text_draw.h adds drawing through an ImDrawList.
//
// Choices (see the .cpp files for why):
//   - Threading: one Engine is used from the UI thread only (no locks inside).
//   - Sizes are quantized to 1/4 px: layout, cache key and rasterization all use that size; glyphs
//     are rasterized at 4 horizontal quarter-pixel phases, drawn at whole-pixel y.
//   - Fonts are found at create() but opened on first use, mmap'ed (FreeType and HarfBuzz), so
//     an unused font costs nothing resident; the CJK collection costs only the pages it touches.
//   - Common/Inherited characters take the script of their run; a closing bracket the script of
//     its opening bracket; a cluster the run's font lacks goes to the first font of the stack
//     that has all its characters. Font metrics set one line pitch per paragraph (tall Nastaliq
//     lines never overlap). In a string with several paragraphs (newlines) each paragraph
//     has its own direction (Line::rtl); Layout::rtl is the first one's.
//   - Atlas growth and eviction happen only in begin_frame(): coordinates handed out during a
//     frame stay valid. A glyph that did not fit is left out of that frame and needs_redraw()
//     says so; the app draws one more frame.
//
// Ownership: Engine owns fonts, shaped-paragraph cache and atlas pixels. Layouts are shared,
// immutable, and stay valid for as long as the caller holds the shared_ptr.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace text {

enum class Direction : uint8_t { Auto, LeftToRight, RightToLeft };
enum class Align : uint8_t { Start, End, Center };   // Start/End follow the paragraph direction

// How a paragraph is set. Part of the layout cache key.
struct Style {
    float size_px = 24.0f;                  // em size in pixels (rounded to 1/4 px for caching)
    bool bold = false;
    std::string lang = "en";                // BCP 47 language of the text: picks fonts (ur -> Nastaliq,
                                            // zh -> CJK SC face) and HarfBuzz's language
    Direction direction = Direction::Auto;  // Auto = first strong character (FSI semantics)
    float line_height = 1.35f;              // line advance as a multiple of size_px (scripts with tall
                                            // stacks may get more: the engine never lets lines overlap)
};

// One glyph placed in a layout. x is relative to the start (left edge) of its line, y is the
// baseline offset (HarfBuzz y_offset, y down), both in pixels.
struct Glyph {
    uint32_t glyph_id = 0;
    uint16_t font = 0;        // index into the engine's font stack (see Engine::font_file)
    float x = 0, y = 0;
    float advance = 0;
    uint32_t cluster = 0;     // byte offset in Layout::text of the cluster this glyph belongs to
};

// A run: one script, one direction, one font, in visual order within its line.
struct Run {
    uint32_t text_start = 0, text_end = 0;   // byte range in Layout::text (logical)
    bool rtl = false;
    uint16_t font = 0;
    uint32_t first_glyph = 0, glyph_count = 0;   // range in Layout::glyphs, glyphs in visual order
    float x = 0, width = 0;                  // relative to the line's left edge
    uint32_t script = 0;                     // ISO 15924 tag it was shaped with (hb_script_t)
    uint8_t level = 0;                       // BiDi embedding level (odd = right to left)
};

struct Line {
    uint32_t first_run = 0, run_count = 0;   // range in Layout::runs, in visual order (left to right)
    uint32_t text_start = 0, text_end = 0;   // byte range in Layout::text (logical)
    float baseline = 0;                      // y of the baseline from the layout's top
    float width = 0;                         // advance width of the line (trailing spaces excluded)
    bool rtl = false;                        // direction of its paragraph (a string with newlines
                                             // may hold several; each aligns by its own)
};

struct Layout {
    std::string text;                        // the input as laid out (invalid UTF-8 replaced by U+FFFD)
    Style style;
    bool rtl = false;                        // resolved paragraph direction
    bool had_invalid_utf8 = false;
    float max_width = 0;                     // width the paragraph was broken at (0 = no wrapping)
    float width = 0;                         // widest line
    float height = 0;                        // total height of all lines
    std::vector<Line> lines;
    std::vector<Run> runs;
    std::vector<Glyph> glyphs;
};

// A glyph rasterized in the atlas. Coordinates in atlas pixels; bearing from the pen position.
struct AtlasGlyph {
    uint16_t x = 0, y = 0, w = 0, h = 0;
    int16_t bearing_x = 0, bearing_y = 0;    // offset of the bitmap's top-left from (pen x, baseline)
};
// A texel of haloed_glyph(): the halo's coverage (0-255) in the high four bits, the glyph's in
// the low four, each rounded to the nearest of 16 levels.
constexpr uint8_t halo_texel(uint8_t halo, uint8_t glyph) {
    return (uint8_t)(((halo * 15 + 127) / 255) << 4 | (glyph * 15 + 127) / 255);
}

// The atlas bitmap: one byte of coverage per pixel (the texture samples it as white with that
// alpha, so ImGui's default shader tints it by the vertex colour). The platform uploads
// [dirty_*] after each frame's layout work.
struct AtlasPixels {
    int width = 0, height = 0;
    const uint8_t* coverage = nullptr;
    int dirty_x0 = 0, dirty_y0 = 0, dirty_x1 = 0, dirty_y1 = 0;  // empty when x0 >= x1
    uint64_t generation = 0;                 // changes when the texture must be re-created (resize)
};

struct EngineConfig {
    std::string font_dir = "/usr/share/fonts";  // searched recursively for the Noto files
    int atlas_initial = 512;                    // square, grows by doubling up to atlas_max; the
                                                // home screen fits, a long page grows it to 1024
    int atlas_max = 2048;                       // 2048^2: 4 MB here plus 16 MB of RGBA in GL (in
                                                // the process's own memory under llvmpipe)
    size_t layout_cache_entries = 2048;
    size_t layout_cache_bytes = 16u << 20;      // also bounded by memory (long pages are ~100 KB each)
};

class Engine {
public:
    // Loads the font stack. Never returns null: on failure ok() is false and error() says which
    // font file is missing and where it was looked for.
    static std::unique_ptr<Engine> create(const EngineConfig& config);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    bool ok() const;                          // fonts loaded
    const std::string& error() const;         // why not

    // Shapes and breaks one paragraph at max_width pixels (0 = single line, no wrapping).
    // Cached by (text, style, max_width); the same arguments return the same object.
    std::shared_ptr<const Layout> layout(std::string_view utf8, const Style& style, float max_width = 0);

    // Atlas entry for a glyph at a pixel size, rasterizing it on first use. Marks it used by the
    // current frame. Returns false for glyphs with no bitmap (spaces).
    bool glyph(uint16_t font, uint32_t glyph_id, float size_px, AtlasGlyph* out);
    // The same, rasterized x_phase quarter pixels to the right (0..3): draw_layout places glyphs at
    // quarter-pixel precision so cursive joins and spacing do not jitter by rounding.
    bool glyph(uint16_t font, uint32_t glyph_id, float size_px, int x_phase, AtlasGlyph* out);
    // The same glyph with its halo, for names over a busy background (the map), in one entry on
    // the halo's box. The halo is the glyph's coverage grown by one pixel left, right, up and down
    // (a pixel is the most covered of itself and those four). Each texel holds both coverages,
    // four bits each (halo_texel): a program that takes them apart (platform::halo_text) draws the
    // halo and the glyph over it with one quad, half the quads and blended pixels of two.
    bool haloed_glyph(uint16_t font, uint32_t glyph_id, float size_px, int x_phase, AtlasGlyph* out);

    void begin_frame();                       // frame boundary: growth and eviction happen only here
    bool needs_redraw() const;                // a glyph did not fit the atlas this frame (drawn
                                              // blank): draw one more frame after begin_frame()
    const AtlasPixels& atlas();               // current bitmap and dirty rectangle
    void clear_atlas_dirty();                 // after the platform uploaded it

    const std::string& font_file(uint16_t font) const;   // path of a font of the stack
    int font_face_index(uint16_t font) const;            // face index in a collection (.ttc)

    struct Stats { size_t layouts_cached, layout_hits, layout_misses, glyphs_in_atlas, atlas_evictions,
                   layout_cache_bytes; };
    Stats stats() const;

    struct Impl;
private:
    explicit Engine(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// Aligns a line inside a box of box_width: x offset of the line's left edge. Start/End follow the
// direction of the line's paragraph (Line::rtl).
float line_offset(const Layout& layout, const Line& line, float box_width, Align align);

}  // namespace text
