// SQLite owners and small helpers shared by the compiler and the reader.
#include "content_internal.h"

namespace content {

bool Db::open(const std::string& path, int flags, std::string* error) {
    reset();
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
        if (error) *error = db_ ? sqlite3_errmsg(db_) : "out of memory";
        reset();
        return false;
    }
    sqlite3_extended_result_codes(db_, 1);
    return true;
}

bool Db::exec(const char* sql, std::string* error) {
    char* msg = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) == SQLITE_OK) return true;
    if (error) *error = msg ? msg : errmsg();
    sqlite3_free(msg);
    return false;
}

bool Stmt::prepare(sqlite3* db, const char* sql) {
    if (st_) sqlite3_finalize(st_);
    st_ = nullptr;
    return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st_, nullptr) == SQLITE_OK;
}

std::string Stmt::text(int col) const {
    const unsigned char* p = sqlite3_column_text(st_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), size_t(sqlite3_column_bytes(st_, col))) : std::string();
}

size_t utf8_invalid_at(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        unsigned char c = s[i];
        if (c < 0x80) { i++; continue; }
        int n = (c >= 0xC2 && c <= 0xDF) ? 1 : (c >= 0xE0 && c <= 0xEF) ? 2 : (c >= 0xF0 && c <= 0xF4) ? 3 : -1;
        if (n < 0 || i + size_t(n) >= s.size()) return i;
        uint32_t cp = c & (0x3F >> n);
        for (int k = 1; k <= n; k++) {
            unsigned char d = s[i + k];
            if ((d & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (d & 0x3F);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return i;
        i += size_t(n) + 1;
    }
    return std::string_view::npos;
}

std::vector<std::string> split_list(std::string_view s, char sep) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= s.size()) {
        size_t end = s.find(sep, start);
        if (end == std::string_view::npos) end = s.size();
        std::string_view item = s.substr(start, end - start);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
        if (!item.empty()) out.emplace_back(item);
        start = end + 1;
    }
    return out;
}

const char* const kLanguages[18] = {"it", "en", "fr", "es", "ar", "fa", "ps", "ur", "bn",
                                    "pa", "hi", "ti", "zh", "uk", "ru", "sq", "wo", "tl"};

bool is_language(std::string_view code) {
    for (const char* l : kLanguages) if (code == l) return true;
    return false;
}

std::vector<std::string> fallback_chain(std::string_view lang) {
    std::vector<std::string> out{std::string(lang)};
    if (lang != "en") out.push_back("en");
    if (lang != "it") out.push_back("it");
    return out;
}

const char* status_name(Status s) {
    switch (s) {
    case Status::Source: return "source";
    case Status::Reviewed: return "reviewed";
    case Status::Machine: return "machine";
    }
    return "source";
}

const char* weekday_code(Weekday d) {
    static const char* const names[7] = {"Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"};
    return names[int(d) % 7];
}

bool parse_weekday(std::string_view s, Weekday* out) {
    for (int i = 0; i < 7; i++)
        if (s == weekday_code(Weekday(i))) { *out = Weekday(i); return true; }
    return false;
}

std::string Diagnostic::text() const {
    if (path.empty()) return message;                 // already "path:line: ..." (PO files)
    if (line <= 0) return path + ": " + message;     // the whole file, e.g. a missing one
    return path + ":" + std::to_string(line) + ": " + message;
}

const Section* Procedure::section(std::string_view id) const {
    for (const Section& s : sections) if (s.id == id) return &s;
    return nullptr;
}

}  // namespace content
