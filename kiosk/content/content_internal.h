// Internals of the content module: SQLite owners, UTF-8 checks, the pack schema. Never
// included from outside kiosk/content and kiosk/admin.
#pragma once

#include "content/content.h"

#include <sqlite3.h>

#include <string>
#include <string_view>
#include <utility>

namespace content {

// Move-only owner of a sqlite3 connection.
class Db {
public:
    Db() = default;
    ~Db() { reset(); }
    Db(Db&& o) noexcept : db_(std::exchange(o.db_, nullptr)) {}
    Db& operator=(Db&& o) noexcept { if (this != &o) { reset(); db_ = std::exchange(o.db_, nullptr); } return *this; }
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;

    bool open(const std::string& path, int flags, std::string* error);
    bool exec(const char* sql, std::string* error);   // several statements, no rows
    sqlite3* get() const { return db_; }
    std::string errmsg() const { return db_ ? sqlite3_errmsg(db_) : "no database"; }
    void reset() { if (db_) sqlite3_close_v2(db_); db_ = nullptr; }

private:
    sqlite3* db_ = nullptr;
};

// Move-only owner of a prepared statement; bind/step/column helpers for text and ints.
class Stmt {
public:
    Stmt() = default;
    ~Stmt() { if (st_) sqlite3_finalize(st_); }
    Stmt(Stmt&& o) noexcept : st_(std::exchange(o.st_, nullptr)) {}
    Stmt& operator=(Stmt&& o) noexcept { if (this != &o) { if (st_) sqlite3_finalize(st_); st_ = std::exchange(o.st_, nullptr); } return *this; }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    bool prepare(sqlite3* db, const char* sql);
    explicit operator bool() const { return st_ != nullptr; }
    Stmt& bind(int i, std::string_view s) { sqlite3_bind_text(st_, i, s.data(), int(s.size()), SQLITE_TRANSIENT); return *this; }
    Stmt& bind(int i, int64_t v) { sqlite3_bind_int64(st_, i, v); return *this; }
    Stmt& bind(int i, int v) { sqlite3_bind_int64(st_, i, v); return *this; }
    Stmt& bind(int i, double v) { sqlite3_bind_double(st_, i, v); return *this; }
    int step() { return sqlite3_step(st_); }          // SQLITE_ROW / SQLITE_DONE / error
    void reset() { sqlite3_reset(st_); sqlite3_clear_bindings(st_); }
    std::string text(int col) const;
    int64_t integer(int col) const { return sqlite3_column_int64(st_, col); }
    double real(int col) const { return sqlite3_column_double(st_, col); }

private:
    sqlite3_stmt* st_ = nullptr;
};

// Byte offset of the first invalid UTF-8 sequence, or npos when valid (no overlongs,
// surrogates or code points above U+10FFFF).
size_t utf8_invalid_at(std::string_view s);

// Builds an FTS5 MATCH expression from user input: folded tokens, each a quoted prefix, runs
// of CJK characters as phrases. Empty when the input has no searchable character.
std::string fts_query(std::string_view user_input);

// The text transliterated to Latin ASCII (ICU "Any-Latin; Latin-ASCII") and folded, for the
// index's latin column: pinyin for Chinese, romanized Bengali/Hindi/Ukrainian... Empty when the
// folded text is already ASCII (nothing to add).
std::string latin_fold(std::string_view utf8);

// Splits "a, b ,c" into trimmed non-empty items.
std::vector<std::string> split_list(std::string_view s, char sep = ',');

// Markdown of one section body to blocks; false with *error on unsupported Markdown.
bool markdown_blocks(std::string_view md, std::vector<Block>* out, std::string* error);

// Blocks <-> the JSON stored in the pack.
std::string sections_to_json(const std::vector<Section>& sections);
bool sections_from_json(std::string_view json, std::vector<Section>* out);

// The languages of content, in the kiosk's picker order.
extern const char* const kLanguages[18];
bool is_language(std::string_view code);

// Fallback chain used by every read: lang -> en -> it (without repeats).
std::vector<std::string> fallback_chain(std::string_view lang);

}  // namespace content
