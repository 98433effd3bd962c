// Helpers shared by the text engine's unit tests.
#pragma once

#include "text.h"

#include <string>

namespace text_test {

// One engine over the system's Noto fonts for the whole test process.
inline text::Engine& engine() {
    static std::unique_ptr<text::Engine> e = text::Engine::create({SPORTELLO_FONT_DIR});
    return *e;
}

inline text::Style style(const char* lang, float size = 24.0f) {
    text::Style s;
    s.lang = lang;
    s.size_px = size;
    return s;
}

// UTF-16 of valid UTF-8 (for comparing with ICU).
inline std::u16string to_u16(const std::string& s) {
    std::u16string out;
    for (size_t i = 0; i < s.size();) {
        unsigned char c = (unsigned char)s[i];
        int n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        uint32_t cp = n == 1 ? c : (c & (0x7F >> n));
        for (int k = 1; k < n; k++) cp = (cp << 6) | ((unsigned char)s[i + k] & 0x3F);
        if (cp >= 0x10000) {
            out.push_back((char16_t)(0xD800 + ((cp - 0x10000) >> 10)));
            out.push_back((char16_t)(0xDC00 + ((cp - 0x10000) & 0x3FF)));
        } else {
            out.push_back((char16_t)cp);
        }
        i += n;
    }
    return out;
}

}  // namespace text_test
