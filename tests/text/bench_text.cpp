// bench-text: figures for the text engine (printed, never asserted).
//   cold layout of a ~3000-character Arabic page at 1920 px, warm cache hit, glyph rasterization.
#include "text.h"

#include <chrono>
#include <cstdio>
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

int main() {
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

    // Rasterization: every glyph of the page at several sizes, fresh atlas entries each time.
    size_t rasterized = 0;
    t0 = Clock::now();
    for (float size = 20; size < 60; size += 4) {
        engine->begin_frame();
        auto L = engine->layout(page, [&] { text::Style s = style; s.size_px = size; return s; }(), 1920);
        for (const text::Glyph& g : L->glyphs) {
            text::AtlasGlyph ag;
            engine->glyph(g.font, g.glyph_id, size, &ag);
        }
        rasterized = engine->stats().glyphs_in_atlas;
    }
    double raster_ms = ms_since(t0);

    printf("bench-text: engine create (find fonts)        %8.2f ms\n", create_ms);
    printf("bench-text: first layout, %zu chars, 1920 px  %8.2f ms (%zu lines, %zu glyphs, opens fonts)\n",
           chars, first_ms, first->lines.size(), first->glyphs.size());
    printf("bench-text: cold layout, same page            %8.2f ms (mean of %d)\n", cold_ms, kCold);
    printf("bench-text: warm cache hit, same page         %8.2f us (mean of %d, %zu)\n", warm_us, kWarm,
           sink / kWarm);
    printf("bench-text: layout + rasterize 10 sizes       %8.2f ms, %zu distinct glyphs in atlas (%.0f glyphs/s incl. layout)\n",
           raster_ms, rasterized, rasterized / (raster_ms / 1000.0));
    printf("bench-text: atlas %dx%d, evictions %zu\n", engine->atlas().width, engine->atlas().height,
           engine->stats().atlas_evictions);
    return 0;
}
