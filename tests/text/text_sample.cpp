// text-sample: renders the shaping cases (and a wrapped Arabic paragraph) on the CPU from the
// engine's atlas into a PNG, for people to look at. Not a golden: nothing compares its pixels.
//   text-sample OUT.png [CASES_FILE]
#include "text.h"

#include <stb/stb_image_write.h>

#include <cmath>
#include <cstdio>
#include <fstream>

namespace {

struct Canvas {
    int w, h;
    std::vector<uint8_t> rgb;
    Canvas(int w_, int h_) : w(w_), h(h_), rgb((size_t)w_ * h_ * 3, 255) {}
    // Blends the engine's glyph coverage in black at (x, y) = top-left of the bitmap.
    void blit(const text::AtlasPixels& px, const text::AtlasGlyph& g, int x, int y) {
        for (int r = 0; r < g.h; r++)
            for (int c = 0; c < g.w; c++) {
                int X = x + c, Y = y + r;
                if (X < 0 || Y < 0 || X >= w || Y >= h) continue;
                uint8_t a = px.coverage[(size_t)(g.y + r) * px.width + g.x + c];
                for (int k = 0; k < 3; k++) {
                    uint8_t& d = rgb[((size_t)Y * w + X) * 3 + k];
                    d = (uint8_t)(d * (255 - a) / 255);
                }
            }
    }
    void hline(int y, uint8_t v) {
        if (y < 0 || y >= h) return;
        for (int x = 0; x < w; x++) rgb[((size_t)y * w + x) * 3 + 2] = v;   // a faint blue rule
    }
};

// Draws a layout right-aligned for RTL paragraphs; returns its height.
float draw(text::Engine& e, Canvas& cv, const text::Layout& L, float top, float box) {
    e.begin_frame();
    for (const text::Line& line : L.lines) {
        float x0 = 20 + text::line_offset(L, line, box, text::Align::Start);
        for (uint32_t r = line.first_run; r < line.first_run + line.run_count; r++)
            for (uint32_t i = L.runs[r].first_glyph; i < L.runs[r].first_glyph + L.runs[r].glyph_count; i++) {
                const text::Glyph& g = L.glyphs[i];
                float qx = std::floor((x0 + g.x) * 4.0f + 0.5f), ix = std::floor(qx / 4.0f);
                text::AtlasGlyph ag;
                if (!e.glyph(g.font, g.glyph_id, L.style.size_px, (int)(qx - ix * 4.0f), &ag)) continue;
                cv.blit(e.atlas(), ag, (int)ix + ag.bearing_x,
                        (int)std::floor(top + line.baseline + g.y + 0.5f) + ag.bearing_y);
            }
    }
    cv.hline((int)(top + L.height), 200);
    return L.height;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: text-sample OUT.png [CASES_FILE]\n");
        return 2;
    }
    std::string cases = argc > 2 ? argv[2] : SHAPING_CASES;
    text::EngineConfig cfg;
    cfg.font_dir = SPORTELLO_FONT_DIR;
    auto e = text::Engine::create(cfg);
    if (!e->ok()) {
        fprintf(stderr, "text-sample: %s\n", e->error().c_str());
        return 1;
    }
    Canvas cv(1400, 2600);
    float y = 10, box = 1360;
    std::ifstream in(cases);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        size_t s1 = line.find(';'), s2 = line.find(';', s1 + 1);
        if (s2 == std::string::npos) continue;
        std::string opts = line.substr(s1, s2 - s1), txt = line.substr(s2 + 2);
        text::Style st;
        size_t p = opts.find("--lang=");
        if (p != std::string::npos) st.lang = opts.substr(p + 7, opts.find(' ', p) - p - 7);
        st.bold = opts.find("--bold") != std::string::npos;
        if (opts.find("--dir=rtl") != std::string::npos) st.direction = text::Direction::RightToLeft;
        st.size_px = 30;
        float w = box;
        if ((p = opts.find("--width=")) != std::string::npos) w = std::stof(opts.substr(p + 8)) * 30 / 24;
        y += draw(*e, cv, *e->layout(txt, st, w), y, w) + 6;
    }
    text::Style ar;
    ar.lang = "ar";
    ar.size_px = 28;
    const char* para = "يحق لكل شخص أجنبي مقيم بصورة قانونية في إيطاليا (منذ 2024) الحصول على الرعاية الصحية من خلال "
                       "التسجيل في الخدمة الصحية الوطنية SSN لدى مكتب ASL رقم 3، مع إحضار تصريح الإقامة.";
    y += draw(*e, cv, *e->layout(para, ar, 600), y, 600) + 6;
    text::Style ur = ar;
    ur.lang = "ur";
    y += draw(*e, cv, *e->layout("رہائشی اجازت نامے کی تجدید کے لیے ڈاک خانے جائیں۔ صحت کارڈ کے لیے مقامی دفتر۔", ur, 600), y,
              600);
    int h = std::min(cv.h, (int)y + 10);
    if (!stbi_write_png(argv[1], cv.w, h, 3, cv.rgb.data(), cv.w * 3)) {
        fprintf(stderr, "text-sample: cannot write %s\n", argv[1]);
        return 1;
    }
    printf("text-sample: wrote %s (%dx%d)\n", argv[1], cv.w, h);
    return 0;
}
