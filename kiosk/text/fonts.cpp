// Font stack: which Noto file serves which script, found under EngineConfig::font_dir.
//
// Index
//   [SECTION] The stack
//   [SECTION] Finding the files
//   [SECTION] Lazy loading
//   [SECTION] Choosing a font for a run
//
// Memory: create() only finds the files (and the face index of Simplified Chinese inside the
// CJK collection); a font is opened on first use. HarfBuzz maps the file once
// (hb_blob_create_from_file) and FreeType reads that mapping (FT_New_Memory_Face), so the 19 MB
// CJK collection costs resident memory only for the pages actually used, and only once.
#include "text_internal.h"

#include "platform.h"

#include <filesystem>
#include <map>

namespace text {

// [SECTION] The stack ----------------------------------------------------------------------------

// Fixed positions in Engine::Impl::fonts; optional fallback fonts are appended after these.
enum StackIndex : uint16_t {
    kSans = 0, kSansBold, kNaskh, kNaskhBold, kNastaliq, kNastaliqBold, kBengali, kBengaliBold,
    kGurmukhi, kGurmukhiBold, kDevanagari, kDevanagariBold, kEthiopic, kEthiopicBold, kCjk, kCjkBold,
    kRequiredCount
};

struct StackDef { const char* file; const char* family; const char* style; };

static const StackDef kRequired[kRequiredCount] = {
    {"NotoSans-Regular.ttf", "", ""},            {"NotoSans-Bold.ttf", "", ""},
    {"NotoNaskhArabic-Regular.ttf", "", ""},     {"NotoNaskhArabic-Bold.ttf", "", ""},
    {"NotoNastaliqUrdu-Regular.ttf", "", ""},    {"NotoNastaliqUrdu-Bold.ttf", "", ""},
    {"NotoSansBengali-Regular.ttf", "", ""},     {"NotoSansBengali-Bold.ttf", "", ""},
    {"NotoSansGurmukhi-Regular.ttf", "", ""},    {"NotoSansGurmukhi-Bold.ttf", "", ""},
    {"NotoSansDevanagari-Regular.ttf", "", ""},  {"NotoSansDevanagari-Bold.ttf", "", ""},
    {"NotoSansEthiopic-Regular.ttf", "", ""},    {"NotoSansEthiopic-Bold.ttf", "", ""},
    {"NotoSansCJK-Regular.ttc", "Noto Sans CJK SC", "Regular"},
    {"NotoSansCJK-Bold.ttc", "Noto Sans CJK SC", "Bold"},
};

// Used only as per-cluster fallback (symbols, arrows) when present.
static const char* const kOptional[] = {"NotoSansSymbols2-Regular.ttf", "NotoSansSymbols-Regular.ttf",
                                        "NotoSansMath-Regular.ttf"};

// [SECTION] Finding the files --------------------------------------------------------------------

// File name -> first path found under dir (sorted walk, so the choice is reproducible).
static std::map<std::string, std::string> find_font_files(const std::string& dir) {
    namespace fs = std::filesystem;
    std::map<std::string, std::string> found;
    std::error_code ec;
    fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
    std::vector<fs::path> paths;
    for (; !ec && it != end; it.increment(ec)) {
        if (it->is_regular_file(ec)) paths.push_back(it->path());
    }
    std::sort(paths.begin(), paths.end());
    for (const fs::path& p : paths) found.emplace(p.filename().string(), p.string());
    return found;
}

// Index of the face with this family and style in a collection, or -1.
static int find_face_index(FT_Library ft, const std::string& file, const char* family, const char* style) {
    FT_Face probe = nullptr;
    if (FT_New_Face(ft, file.c_str(), -1, &probe) != 0) return -1;
    FtFace owner(probe);
    long count = probe->num_faces;
    for (long i = 0; i < count; i++) {
        FT_Face f = nullptr;
        if (FT_New_Face(ft, file.c_str(), i, &f) != 0) continue;
        FtFace face(f);
        if (f->family_name && f->style_name && std::string(f->family_name) == family &&
            std::string(f->style_name) == style)
            return (int)i;
    }
    return -1;
}

bool Engine::Impl::load_stack() {
    FT_Library lib = nullptr;
    if (FT_Init_FreeType(&lib) != 0) { error = "FreeType failed to initialise"; return false; }
    ft.reset(lib);
    std::map<std::string, std::string> files = find_font_files(config.font_dir);
    for (const StackDef& def : kRequired) {
        auto it = files.find(def.file);
        if (it == files.end()) {
            error = std::string("font ") + def.file + " not found under " + config.font_dir +
                    " (searched recursively; Debian packages fonts-noto-core and fonts-noto-cjk)";
            fonts.clear();
            return false;
        }
        Font f;
        f.file = it->second;
        f.family = def.family;
        if (def.family[0]) {
            f.face_index = find_face_index(ft.get(), f.file, def.family, def.style);
            if (f.face_index < 0) {
                error = std::string("font ") + f.file + " has no face \"" + def.family + " " + def.style +
                        "\" (looked in " + config.font_dir + ")";
                fonts.clear();
                return false;
            }
        }
        fonts.push_back(std::move(f));
    }
    for (const char* name : kOptional) {
        auto it = files.find(name);
        if (it == files.end()) continue;
        Font f;
        f.file = it->second;
        fonts.push_back(std::move(f));
    }
    return true;
}

// [SECTION] Lazy loading -------------------------------------------------------------------------

bool Engine::Impl::ensure_loaded(uint16_t index) {
    if (index >= fonts.size()) return false;
    Font& f = fonts[index];
    if (f.loaded) return true;
    if (f.load_failed) return false;
    f.load_failed = true;   // until proven otherwise; logged once
    f.blob.reset(hb_blob_create_from_file_or_fail(f.file.c_str()));
    if (!f.blob) {
        platform::log(platform::LogLevel::Error, "text", "cannot read font %s", f.file.c_str());
        return false;
    }
    f.hb_face.reset(hb_face_create(f.blob.get(), (unsigned)f.face_index));
    f.upem = (int)hb_face_get_upem(f.hb_face.get());
    f.hb_font.reset(hb_font_create(f.hb_face.get()));   // OpenType funcs: hb-shape's default
    // FreeType reads the same mapping as HarfBuzz: a page both touch is resident once. The blob
    // outlives the face (Font declares it first, so it is destroyed last).
    unsigned size = 0;
    const char* data = hb_blob_get_data(f.blob.get(), &size);
    FT_Face face = nullptr;
    if (FT_New_Memory_Face(ft.get(), (const FT_Byte*)data, (FT_Long)size, f.face_index, &face) != 0) {
        platform::log(platform::LogLevel::Error, "text", "FreeType cannot open font %s", f.file.c_str());
        return false;
    }
    f.ft_face.reset(face);
    hb_font_set_scale(f.hb_font.get(), f.upem, f.upem);
    hb_font_extents_t ext{};
    hb_font_get_h_extents(f.hb_font.get(), &ext);
    f.ascender = (float)ext.ascender / (float)f.upem;
    f.descender = (float)-ext.descender / (float)f.upem;
    f.loaded = true;
    f.load_failed = false;
    return true;
}

bool Engine::Impl::has_codepoint(uint16_t font, uint32_t cp) {
    if (!ensure_loaded(font)) return false;
    hb_codepoint_t g = 0;
    return hb_font_get_nominal_glyph(fonts[font].hb_font.get(), cp, &g) && g != 0;
}

// [SECTION] Choosing a font for a run ------------------------------------------------------------

// Primary language subtag in lower case: "ur-PK" -> "ur", "ZH_Hans" -> "zh".
static std::string primary_language(const std::string& lang) {
    std::string l = lang.substr(0, lang.find_first_of("-_"));
    for (char& ch : l) ch = (char)((ch >= 'A' && ch <= 'Z') ? ch + 32 : ch);
    return l;
}

// Script a paragraph of only Common characters (digits, punctuation) is set in, from its language.
static hb_script_t script_of_lang(const std::string& lang) {
    std::string l = primary_language(lang);
    if (l == "ar" || l == "fa" || l == "ps" || l == "ur") return HB_SCRIPT_ARABIC;
    if (l == "bn") return HB_SCRIPT_BENGALI;
    if (l == "pa") return HB_SCRIPT_GURMUKHI;
    if (l == "hi") return HB_SCRIPT_DEVANAGARI;
    if (l == "ti" || l == "am") return HB_SCRIPT_ETHIOPIC;
    if (l == "zh" || l == "ja" || l == "ko") return HB_SCRIPT_HAN;
    return HB_SCRIPT_LATIN;
}

FontChoice Engine::Impl::choose(hb_script_t script, const std::string& lang) const {
    if (script == HB_SCRIPT_COMMON || script == HB_SCRIPT_INHERITED || script == HB_SCRIPT_UNKNOWN)
        script = script_of_lang(lang);
    bool urdu = primary_language(lang) == "ur";
    switch (script) {
    case HB_SCRIPT_ARABIC: return urdu ? FontChoice{kNastaliq, kNastaliqBold} : FontChoice{kNaskh, kNaskhBold};
    case HB_SCRIPT_BENGALI: return {kBengali, kBengaliBold};
    case HB_SCRIPT_GURMUKHI: return {kGurmukhi, kGurmukhiBold};
    case HB_SCRIPT_DEVANAGARI: return {kDevanagari, kDevanagariBold};
    case HB_SCRIPT_ETHIOPIC: return {kEthiopic, kEthiopicBold};
    case HB_SCRIPT_HAN: case HB_SCRIPT_HIRAGANA: case HB_SCRIPT_KATAKANA: case HB_SCRIPT_HANGUL:
    case HB_SCRIPT_BOPOMOFO: return {kCjk, kCjkBold};
    default: return {kSans, kSansBold};
    }
}

std::vector<uint16_t> Engine::Impl::fallback_order(bool bold) const {
    std::vector<uint16_t> order;
    for (uint16_t i = 0; i < kRequiredCount; i += 2) order.push_back(bold ? i + 1 : i);
    for (uint16_t i = 0; i < kRequiredCount; i += 2) order.push_back(bold ? i : i + 1);
    for (uint16_t i = kRequiredCount; i < fonts.size(); i++) order.push_back(i);
    return order;
}

}  // namespace text
