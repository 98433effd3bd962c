// UTF-8 input: validation with U+FFFD substitution and the UTF-16 copy ICU works on.
// Invalid input never crashes and never reaches ICU or HarfBuzz: each maximal invalid
// subsequence (Unicode 15, section 3.9, "U+FFFD substitution of maximal subparts") becomes one
// U+FFFD, the way browsers and ICU's own converters do it.
#include "text_internal.h"

namespace text {

// Length of the valid sequence at s[i..], or 0 with *bad_len = length of the maximal subpart.
static int valid_length(const unsigned char* s, size_t n, size_t i, int* bad_len) {
    unsigned char c = s[i];
    *bad_len = 1;
    if (c < 0x80) return 1;
    int need;
    unsigned char lo = 0x80, hi = 0xBF;   // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) need = 1;
    else if (c == 0xE0) { need = 2; lo = 0xA0; }              // no overlongs
    else if (c >= 0xE1 && c <= 0xEC) need = 2;
    else if (c == 0xED) { need = 2; hi = 0x9F; }              // no surrogates
    else if (c >= 0xEE && c <= 0xEF) need = 2;
    else if (c == 0xF0) { need = 3; lo = 0x90; }              // no overlongs
    else if (c >= 0xF1 && c <= 0xF3) need = 3;
    else if (c == 0xF4) { need = 3; hi = 0x8F; }              // nothing above U+10FFFF
    else return 0;                                           // C0, C1, F5..FF, stray continuation
    for (int k = 1; k <= need; k++) {
        if (i + k >= n) return 0;
        unsigned char b = s[i + k];
        unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
        if (b < l || b > h) return 0;
        *bad_len = k + 1;   // the prefix so far is a maximal subpart
    }
    return need + 1;
}

uint32_t utf8_decode(const std::string& s, size_t i, int* len) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x80) { *len = 1; return c; }
    int n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    uint32_t cp = c & (0x7F >> n);
    for (int k = 1; k < n; k++) cp = (cp << 6) | ((unsigned char)s[i + k] & 0x3F);
    *len = n;
    return cp;
}

static void append_u16(Utf* out, uint32_t cp, uint32_t u8_offset) {
    if (cp >= 0x10000) {
        cp -= 0x10000;
        out->u16.push_back((char16_t)(0xD800 + (cp >> 10)));
        out->u16_to_u8.push_back(u8_offset);
        out->u16.push_back((char16_t)(0xDC00 + (cp & 0x3FF)));
    } else {
        out->u16.push_back((char16_t)cp);
    }
    out->u16_to_u8.push_back(u8_offset);
}

Utf utf_from_input(std::string_view in) {
    Utf out;
    out.u8.reserve(in.size());
    out.u16.reserve(in.size());
    out.u16_to_u8.reserve(in.size() + 1);
    const unsigned char* s = (const unsigned char*)in.data();
    size_t i = 0;
    while (i < in.size()) {
        int bad = 0;
        int len = valid_length(s, in.size(), i, &bad);
        uint32_t at = (uint32_t)out.u8.size();
        if (len == 0) {
            out.had_invalid = true;
            out.u8.append("\xEF\xBF\xBD");
            append_u16(&out, 0xFFFD, at);
            i += bad;
            continue;
        }
        out.u8.append(in.data() + i, len);
        int dl = 0;
        append_u16(&out, utf8_decode(out.u8, at, &dl), at);
        i += len;
    }
    out.u16_to_u8.push_back((uint32_t)out.u8.size());
    return out;
}

}  // namespace text
