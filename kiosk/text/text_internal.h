// Internals of the text engine shared by its .cpp files. Users include text.h only.
//
// Index
//   [SECTION] RAII owners of the C handles (FreeType, HarfBuzz)
//   [SECTION] UTF-8 input
//   [SECTION] Font stack
//   [SECTION] Atlas
//   [SECTION] Engine::Impl
#pragma once

#include "text.h"

#include <ft2build.h>
#include FT_FREETYPE_H
#include <hb.h>
#include <unicode/ubidi.h>
#include <unicode/ubrk.h>

#include <algorithm>

#include <list>
#include <unordered_map>

namespace text {

// [SECTION] RAII owners of the C handles ---------------------------------------------------------

// Move-only owner of a C pointer with its destroy function.
template <typename T, void (*Destroy)(T*)>
class Handle {
public:
    Handle() = default;
    explicit Handle(T* p) : p_(p) {}
    ~Handle() { reset(); }
    Handle(Handle&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
    Handle& operator=(Handle&& o) noexcept {
        if (this != &o) { reset(); p_ = o.p_; o.p_ = nullptr; }
        return *this;
    }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    void reset(T* p = nullptr) { if (p_) Destroy(p_); p_ = p; }
    T* get() const { return p_; }
    explicit operator bool() const { return p_ != nullptr; }
private:
    T* p_ = nullptr;
};

inline void ft_done_face(FT_FaceRec_* f) { FT_Done_Face(f); }
inline void ft_done_library(FT_LibraryRec_* l) { FT_Done_FreeType(l); }
using FtFace = Handle<FT_FaceRec_, ft_done_face>;
using FtLibrary = Handle<FT_LibraryRec_, ft_done_library>;
using HbBlob = Handle<hb_blob_t, hb_blob_destroy>;
using HbFace = Handle<hb_face_t, hb_face_destroy>;
using HbFont = Handle<hb_font_t, hb_font_destroy>;
using HbBuffer = Handle<hb_buffer_t, hb_buffer_destroy>;
using UBidi = Handle<UBiDi, ubidi_close>;
using UBrk = Handle<UBreakIterator, ubrk_close>;

// [SECTION] UTF-8 input --------------------------------------------------------------------------

// The input made valid (each maximal invalid subsequence -> U+FFFD, as Unicode recommends) plus its
// UTF-16 form for ICU and the maps between the two.
struct Utf {
    std::string u8;
    std::vector<char16_t> u16;
    std::vector<uint32_t> u16_to_u8;   // size u16.size()+1: byte offset of each UTF-16 unit
    bool had_invalid = false;
};
Utf utf_from_input(std::string_view in);

// Decodes the code point at byte i of valid UTF-8; *len gets its length in bytes.
uint32_t utf8_decode(const std::string& s, size_t i, int* len);

// [SECTION] Font stack ---------------------------------------------------------------------------

// One font file of the stack. Opened lazily: faces are mmap'ed by FreeType and HarfBuzz, so
// a font that is never used costs a directory entry and nothing else.
struct Font {
    std::string file;                  // absolute path
    std::string family;                // wanted family name inside a collection ("" = face 0)
    int face_index = 0;
    bool loaded = false, load_failed = false;
    HbBlob blob;
    HbFace hb_face;
    HbFont hb_font;                    // OpenType funcs (same as hb-shape's default), scale set per use
    FtFace ft_face;
    int ft_size_q = -1;                // quarter pixels FT_Set_Char_Size was last called with
    int upem = 1000;
    float ascender = 0, descender = 0; // per em, descender positive down
};

// Which fonts a script and language use: regular and bold index in the stack.
struct FontChoice { uint16_t regular = 0, bold = 0; };

// [SECTION] Atlas --------------------------------------------------------------------------------

struct AtlasKey {
    uint64_t v;   // font(16) | size in quarter px(16) | x phase(16) | glyph id(16, OpenType's limit)
    bool operator==(const AtlasKey& o) const { return v == o.v; }
};
struct AtlasKeyHash { size_t operator()(const AtlasKey& k) const { return std::hash<uint64_t>()(k.v); } };

struct AtlasEntry {
    AtlasGlyph g;
    bool has_bitmap = false;
    uint64_t last_frame = 0;
};

// Shelf packer over an 8-bit coverage bitmap that only grows or is compacted at begin_frame().
struct Atlas {
    int width = 0, height = 0, max_size = 0;
    std::vector<uint8_t> coverage;
    int shelf_y = 0, shelf_h = 0, shelf_x = 0;    // current shelf
    int dirty_x0 = 0, dirty_y0 = 0, dirty_x1 = 0, dirty_y1 = 0;
    uint64_t generation = 1;
    uint64_t frame = 1;
    bool overflow = false;                        // a glyph did not fit this frame
    long overflow_area = 0;                       // pixels those glyphs need (reserved at eviction)
    size_t evictions = 0;
    std::unordered_map<AtlasKey, AtlasEntry, AtlasKeyHash> entries;
    AtlasPixels pixels;

    void init(int initial, int max);
    bool alloc(int w, int h, int* x, int* y);      // false when full
    void mark_dirty(int x0, int y0, int x1, int y1);
    void grow();                                  // doubles, keeps coordinates
    void evict_lru();                             // keeps the most recent glyphs, repacked
    void begin_frame();
};

// [SECTION] Engine::Impl -------------------------------------------------------------------------

struct CacheEntry {
    std::string key;
    std::shared_ptr<const Layout> layout;
    size_t bytes = 0;                             // estimate of key + layout memory
};

struct Engine::Impl {
    EngineConfig config;
    std::string error;
    FtLibrary ft;
    std::vector<Font> fonts;
    HbBuffer buffer;                              // reused for every shaping call
    UBidi bidi;                                   // reused for every paragraph
    std::unordered_map<std::string, UBrk> line_breakers, char_breakers;   // by language
    Atlas atlas;
    std::list<CacheEntry> lru;                    // front = most recent
    std::unordered_map<std::string_view, std::list<CacheEntry>::iterator> cache;
    size_t hits = 0, misses = 0, cache_bytes = 0;

    bool load_stack();                            // fonts.cpp
    bool ensure_loaded(uint16_t font);            // fonts.cpp
    FontChoice choose(hb_script_t script, const std::string& lang) const;  // fonts.cpp
    bool has_codepoint(uint16_t font, uint32_t cp);                        // fonts.cpp
    std::vector<uint16_t> fallback_order(bool bold) const;                 // fonts.cpp
    std::shared_ptr<Layout> build(const Utf& in, const Style& style, float max_width);  // layout.cpp
    bool atlas_glyph(uint16_t font, uint32_t glyph_id, float size_px, int x_phase, bool halo,
                     AtlasGlyph* out);                                                      // engine.cpp
    bool rasterize(uint16_t font, uint32_t glyph_id, int size_q, int phase, bool halo, AtlasEntry* out);  // atlas.cpp
};

// Quarter-pixel quantization of sizes: the cache key and the rasterized size.
inline int quantize_size(float px) {
    if (!(px > 0.0f)) return 4;   // also NaN
    if (px > 1024.0f) px = 1024.0f;
    int q = (int)(px * 4.0f + 0.5f);
    return q < 4 ? 4 : (q > 4 * 1024 ? 4 * 1024 : q);
}

}  // namespace text
