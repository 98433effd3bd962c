// bench-text: figures for the text engine (printed, never asserted).
//   cold layout of a ~3000-character Arabic page at 1920 px, warm cache hit, glyph rasterization.
#include "text.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

using Clock = std::chrono::steady_clock;

static double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

static const char* kParagraph =
    "يحق لكل شخص أجنبي مقيم بصورة قانونية في إيطاليا الحصول على الرعاية الصحية من خلال التسجيل في "
    "الخدمة الصحية الوطنية. يجب تقديم طلب التسجيل إلى مكتب الصحة المحلي التابع لمكان الإقامة، مع إحضار "
    "تصريح الإقامة ساري المفعول والرمز الضريبي وجواز السفر (أو وثيقة هوية أخرى). بعد التسجيل يمكنك "
    "اختيار طبيب الأسرة، وتحصل على البطاقة الصحية التي تسمح لك بالوصول إلى الخدمات في جميع أنحاء البلاد. ";

// Resident memory of this process in MB (VmRSS, or VmHWM for the peak).
static double rss_mb(const char* field) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(field, 0) == 0) return std::stod(line.substr(strlen(field) + 1)) / 1024.0;
    return 0;
}

// One line per script of the kiosk, laid out and rasterized so that every font is opened.
static void every_script(text::Engine& e) {
    struct { const char* lang; const char* text; } samples[] = {
        {"ar", "تصريح الإقامة"}, {"fa", "اجازه اقامت"}, {"ps", "د اوسېدو اجازه"}, {"ur", "رہائشی اجازت نامہ"},
        {"bn", "স্বাস্থ্য কার্ড"}, {"pa", "ਨਿਵਾਸ ਪਰਮਿਟ"}, {"hi", "निवास परमिट"}, {"ti", "ናይ መንበሪ ፍቓድ"},
        {"zh", "居留许可证申请医疗卡"}, {"uk", "медична допомога"}, {"it", "Permesso di soggiorno"},
    };
    for (bool bold : {false, true})
        for (auto& s : samples) {
            text::Style st;
            st.lang = s.lang;
            st.bold = bold;
            st.size_px = 32;
            auto L = e.layout(s.text, st, 800);
            for (const text::Glyph& g : L->glyphs) {
                text::AtlasGlyph ag;
                e.glyph(g.font, g.glyph_id, st.size_px, &ag);
            }
        }
}

int main() {
    double rss_start = rss_mb("VmRSS:");
    text::EngineConfig cfg;
    cfg.font_dir = SPORTELLO_FONT_DIR;
    auto t0 = Clock::now();
    auto engine = text::Engine::create(cfg);
    double create_ms = ms_since(t0);
    if (!engine->ok()) {
        fprintf(stderr, "bench-text: %s\n", engine->error().c_str());
        return 1;
    }
    std::string page;
    while (page.size() < 5600) page += kParagraph;   // ~3000 characters (Arabic letters are 2 bytes)
    size_t chars = 0;
    for (unsigned char c : page) chars += (c & 0xC0) != 0x80;
    text::Style style;
    style.lang = "ar";
    style.size_px = 28;

    t0 = Clock::now();   // the very first layout also opens the font files
    auto first = engine->layout(page, style, 1920);
    double first_ms = ms_since(t0);
    const int kCold = 20;
    t0 = Clock::now();
    for (int i = 0; i < kCold; i++) engine->layout(page, style, 1900.0f - (float)i);   // new key each time
    double cold_ms = ms_since(t0) / kCold;
    const int kWarm = 10000;
    t0 = Clock::now();
    size_t sink = 0;
    for (int i = 0; i < kWarm; i++) sink += engine->layout(page, style, 1920)->lines.size();
    double warm_us = ms_since(t0) * 1000.0 / kWarm;

    // Rasterization: every glyph of the page at several sizes (layouts made first, not timed).
    std::vector<std::shared_ptr<const text::Layout>> sized;
    for (float size = 20; size < 60; size += 4) {
        text::Style s = style;
        s.size_px = size;
        sized.push_back(engine->layout(page, s, 1920));
    }
    size_t before = engine->stats().glyphs_in_atlas, rasterized = 0;
    t0 = Clock::now();
    for (const auto& L : sized) {
        engine->begin_frame();
        for (const text::Glyph& g : L->glyphs) {
            text::AtlasGlyph ag;
            engine->glyph(g.font, g.glyph_id, L->style.size_px, &ag);
        }
    }
    rasterized = engine->stats().glyphs_in_atlas - before;
    double raster_ms = ms_since(t0);

    every_script(*engine);
    printf("bench-text: RSS at start %.1f MB, after all scripts and sizes %.1f MB (peak %.1f MB)\n", rss_start,
           rss_mb("VmRSS:"), rss_mb("VmHWM:"));
    printf("bench-text: engine create (find fonts)        %8.2f ms\n", create_ms);
    printf("bench-text: first layout, %zu chars, 1920 px  %8.2f ms (%zu lines, %zu glyphs, opens fonts)\n",
           chars, first_ms, first->lines.size(), first->glyphs.size());
    printf("bench-text: cold layout, same page            %8.2f ms (mean of %d)\n", cold_ms, kCold);
    printf("bench-text: warm cache hit, same page         %8.2f us (mean of %d, %zu)\n", warm_us, kWarm,
           sink / kWarm);
    printf("bench-text: rasterize page at 10 sizes        %8.2f ms, %zu new glyphs (%.0f glyphs/s, cache lookups included)\n",
           raster_ms, rasterized, rasterized / (raster_ms / 1000.0));
    printf("bench-text: atlas %dx%d, evictions %zu\n", engine->atlas().width, engine->atlas().height,
           engine->stats().atlas_evictions);
    return 0;
}
