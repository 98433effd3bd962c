// Engine: the public face of kiosk/text (text.h): creation, the shaped-paragraph cache, the atlas
// entry points, alignment.
//
// Threading: an Engine is used from the UI thread only. Nothing in it locks; the HarfBuzz buffer,
// the UBiDi object and the break iterators are reused between calls.
#include "text_internal.h"

#include "platform.h"

#include <cstring>

namespace text {

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

std::unique_ptr<Engine> Engine::create(const EngineConfig& config) {
    auto impl = std::make_unique<Impl>();
    impl->config = config;
    impl->atlas.init(config.atlas_initial, config.atlas_max);
    impl->buffer.reset(hb_buffer_create());
    impl->bidi.reset(ubidi_open());
    if (!impl->load_stack())
        platform::log(platform::LogLevel::Error, "text", "%s", impl->error.c_str());
    else
        platform::log(platform::LogLevel::Info, "text", "font stack: %zu fonts found under %s",
                      impl->fonts.size(), config.font_dir.c_str());
    return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

bool Engine::ok() const { return impl_->error.empty(); }
const std::string& Engine::error() const { return impl_->error; }

// [SECTION] Shaped-paragraph cache ---------------------------------------------------------------

// Everything that changes the result, then the text: the bytes are the key.
static std::string cache_key(std::string_view utf8, const Style& s, float max_width) {
    std::string key;
    key.reserve(utf8.size() + s.lang.size() + 24);
    int32_t size_q = quantize_size(s.size_px);
    float mw = max_width > 0 ? max_width : 0;
    char head[4 + 1 + 1 + 4 + 4];
    memcpy(head, &size_q, 4);
    head[4] = s.bold ? 1 : 0;
    head[5] = (char)s.direction;
    memcpy(head + 6, &s.line_height, 4);
    memcpy(head + 10, &mw, 4);
    key.append(head, sizeof head);
    key.append(s.lang);
    key.push_back('\0');
    key.append(utf8);
    return key;
}

std::shared_ptr<const Layout> Engine::layout(std::string_view utf8, const Style& style, float max_width) {
    Impl& m = *impl_;
    std::string key = cache_key(utf8, style, max_width);
    auto hit = m.cache.find(key);
    if (hit != m.cache.end()) {
        m.hits++;
        m.lru.splice(m.lru.begin(), m.lru, hit->second);
        return hit->second->layout;
    }
    m.misses++;
    Utf in = utf_from_input(utf8);
    std::shared_ptr<const Layout> result;
    if (ok()) {
        result = m.build(in, style, max_width);
    } else {   // inert but valid: the text, no lines
        auto empty = std::make_shared<Layout>();
        empty->text = in.u8;
        empty->style = style;
        empty->had_invalid_utf8 = in.had_invalid;
        result = empty;
    }
    size_t bytes = 2 * key.size() + sizeof(Layout) + result->glyphs.size() * sizeof(Glyph) +
                   result->runs.size() * sizeof(Run) + result->lines.size() * sizeof(Line) + 128;
    m.lru.push_front({std::move(key), result, bytes});
    m.cache.emplace(std::string_view(m.lru.front().key), m.lru.begin());
    m.cache_bytes += bytes;
    size_t limit = std::max<size_t>(1, m.config.layout_cache_entries);
    while (m.lru.size() > limit || (m.cache_bytes > m.config.layout_cache_bytes && m.lru.size() > 1)) {
        m.cache_bytes -= m.lru.back().bytes;
        m.cache.erase(std::string_view(m.lru.back().key));
        m.lru.pop_back();
    }
    return result;
}

// [SECTION] Atlas --------------------------------------------------------------------------------

bool Engine::glyph(uint16_t font, uint32_t glyph_id, float size_px, AtlasGlyph* out) {
    return glyph(font, glyph_id, size_px, 0, out);
}

bool Engine::glyph(uint16_t font, uint32_t glyph_id, float size_px, int x_phase, AtlasGlyph* out) {
    return impl_->atlas_glyph(font, glyph_id, size_px, x_phase, false, out);
}

bool Engine::haloed_glyph(uint16_t font, uint32_t glyph_id, float size_px, int x_phase, AtlasGlyph* out) {
    return impl_->atlas_glyph(font, glyph_id, size_px, x_phase, true, out);
}

bool Engine::Impl::atlas_glyph(uint16_t font, uint32_t glyph_id, float size_px, int x_phase, bool halo,
                               AtlasGlyph* out) {
    if (!error.empty() || font >= fonts.size() || glyph_id > 0xFFFF) return false;
    int size_q = quantize_size(size_px);
    x_phase &= 3;
    AtlasKey key{((uint64_t)font << 48) | ((uint64_t)size_q << 32) | ((uint64_t)halo << 18) |
                 ((uint64_t)x_phase << 16) | glyph_id};
    auto it = atlas.entries.find(key);
    if (it == atlas.entries.end()) {
        AtlasEntry e;
        if (!rasterize(font, glyph_id, size_q, x_phase, halo, &e)) return false;   // full: next frame
        it = atlas.entries.emplace(key, e).first;
    }
    it->second.last_frame = atlas.frame;
    if (out) *out = it->second.g;
    return it->second.has_bitmap;
}

void Engine::begin_frame() { impl_->atlas.begin_frame(); }

bool Engine::needs_redraw() const { return impl_->atlas.overflow; }

const AtlasPixels& Engine::atlas() {
    Atlas& a = impl_->atlas;
    a.pixels = {a.width, a.height, a.coverage.data(), a.dirty_x0, a.dirty_y0, a.dirty_x1, a.dirty_y1, a.generation};
    return a.pixels;
}

void Engine::clear_atlas_dirty() {
    Atlas& a = impl_->atlas;
    a.dirty_x0 = a.dirty_y0 = a.dirty_x1 = a.dirty_y1 = 0;
}

// [SECTION] Fonts and statistics -----------------------------------------------------------------

const std::string& Engine::font_file(uint16_t font) const {
    static const std::string none;
    return font < impl_->fonts.size() ? impl_->fonts[font].file : none;
}

int Engine::font_face_index(uint16_t font) const {
    return font < impl_->fonts.size() ? impl_->fonts[font].face_index : -1;
}

Engine::Stats Engine::stats() const {
    const Impl& m = *impl_;
    return {m.lru.size(), m.hits, m.misses, m.atlas.entries.size(), m.atlas.evictions, m.cache_bytes};
}

// [SECTION] Alignment ----------------------------------------------------------------------------

float line_offset(const Layout&, const Line& line, float box_width, Align align) {
    float free = box_width - line.width;
    switch (align) {
    case Align::Start: return line.rtl ? free : 0.0f;
    case Align::End: return line.rtl ? 0.0f : free;
    case Align::Center: return free * 0.5f;
    }
    return 0.0f;
}

}  // namespace text
