// The compiler: validated sources + locales -> one SQLite content pack.
// Determinism: rows go in a fixed order, nothing comes from the clock, the pack is built in
// memory with a fixed page size and written by VACUUM INTO, so the same sources give the same
// bytes. The file appears under its name only through rename() after everything succeeded.
//
// [SECTION] Schema
// [SECTION] Rows
// [SECTION] Search index
// [SECTION] build_pack
#include "sources_internal.h"

#include <cstdio>
#include <filesystem>
#include <unistd.h>

namespace fs = std::filesystem;

namespace content {

// [SECTION] Schema ---------------------------------------------------------------------------

// Schema 1. Raise kSchemaVersion when a reader of the old schema could misread a new pack.
// office_hours (and the manifest's hours_from/hours_to) came later within schema 1: older
// readers ignore them, and newer readers treat a pack without them as hours unknown.
static const char* const kSchema = R"sql(
PRAGMA page_size = 4096;
CREATE TABLE manifest(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE topics(id TEXT PRIMARY KEY, position INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE procedures(id TEXT PRIMARY KEY, topic TEXT NOT NULL, position INTEGER NOT NULL,
  revision INTEGER NOT NULL, last_reviewed TEXT NOT NULL, offices TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE procedure_texts(id TEXT NOT NULL, lang TEXT NOT NULL, title TEXT NOT NULL,
  summary TEXT NOT NULL, status TEXT NOT NULL, source_revision INTEGER NOT NULL,
  sections TEXT NOT NULL, PRIMARY KEY(id, lang)) WITHOUT ROWID;
CREATE TABLE services(id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL,
  address TEXT NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL, hours TEXT NOT NULL,
  phone TEXT NOT NULL, email TEXT NOT NULL, website TEXT NOT NULL, languages TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE service_texts(id TEXT NOT NULL, lang TEXT NOT NULL, notes TEXT NOT NULL,
  accessibility TEXT NOT NULL, status TEXT NOT NULL, PRIMARY KEY(id, lang)) WITHOUT ROWID;
CREATE TABLE mediator_days(desk TEXT PRIMARY KEY, days TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE office_hours(id TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
  unknown INTEGER NOT NULL, comment TEXT NOT NULL, PRIMARY KEY(id, start)) WITHOUT ROWID;
CREATE TABLE ui_catalogs(lang TEXT PRIMARY KEY, translation TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE ui_strings(key TEXT NOT NULL, lang TEXT NOT NULL, text TEXT NOT NULL,
  source TEXT NOT NULL, PRIMARY KEY(key, lang)) WITHOUT ROWID;
CREATE VIRTUAL TABLE search USING fts5(title, body, latin, kind UNINDEXED, ref UNINDEXED,
  lang UNINDEXED, tokenize = 'ascii', prefix = '1 2 3');
)sql";

// [SECTION] Rows -----------------------------------------------------------------------------

namespace {

struct Writer {
    Db db;
    std::string error;

    // Runs one INSERT with text/int/double values; false on the first failure.
    template <class... A>
    bool insert(const char* sql, const A&... args) {
        Stmt st;
        if (!st.prepare(db.get(), sql)) { error = db.errmsg(); return false; }
        int i = 1;
        (st.bind(i++, args), ...);
        if (st.step() != SQLITE_DONE) { error = db.errmsg(); return false; }
        return true;
    }
};

std::string field(const SrcService& s, const char* key) {
    auto it = s.fields.find(key);
    return it == s.fields.end() ? std::string() : it->second;
}

std::string join_list(const std::vector<std::string>& items) {
    std::string out;
    for (const std::string& s : items) out += (out.empty() ? "" : ",") + s;
    return out;
}

bool write_manifest(Writer& w, const Sources& s, const BuildOptions& o) {
    return w.insert("INSERT INTO manifest VALUES('schema_version', ?)", std::to_string(kSchemaVersion)) &&
           w.insert("INSERT INTO manifest VALUES('content_version', ?)", std::to_string(s.content_version)) &&
           w.insert("INSERT INTO manifest VALUES('expires', ?)", s.expires) &&
           w.insert("INSERT INTO manifest VALUES('timezone', ?)", s.timezone) &&
           w.insert("INSERT INTO manifest VALUES('extra_holidays', ?)", join_list(s.extra_holidays)) &&
           w.insert("INSERT INTO manifest VALUES('hours_from', ?)", std::to_string(o.hours_from)) &&
           w.insert("INSERT INTO manifest VALUES('hours_to', ?)", std::to_string(o.hours_to)) &&
           w.insert("INSERT INTO manifest VALUES('signature', '')");   // filled by a later `sign`
}

bool write_content(Writer& w, const Sources& s) {
    for (size_t i = 0; i < s.topics.size(); i++)
        if (!w.insert("INSERT INTO topics VALUES(?, ?)", s.topics[i], int(i))) return false;
    for (const auto& [desk, days] : s.mediator_days)
        if (!w.insert("INSERT INTO mediator_days VALUES(?, ?)", desk, days)) return false;
    for (const SrcProcedure& p : s.procedures) {
        int rev = p.texts.empty() ? 0 : p.texts[0].revision;
        if (!w.insert("INSERT INTO procedures VALUES(?, ?, ?, ?, ?, ?)", p.id, p.topic, p.order, rev, p.last_reviewed, join_list(p.offices)))
            return false;
        for (const SrcText& t : p.texts)
            if (!w.insert("INSERT INTO procedure_texts VALUES(?, ?, ?, ?, ?, ?, ?)", p.id, t.lang, t.title, t.summary,
                          std::string(status_name(t.status)), t.lang == "it" ? t.revision : t.source_revision, sections_to_json(t.sections)))
                return false;
    }
    for (const SrcService& v : s.services) {
        if (!w.insert("INSERT INTO services VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", v.id, field(v, "name"), field(v, "kind"),
                      field(v, "address"), v.lat, v.lon, field(v, "hours"), field(v, "phone"), field(v, "email"),
                      field(v, "website"), join_list(split_list(field(v, "languages")))))
            return false;
        if (!w.insert("INSERT INTO service_texts VALUES(?, 'it', ?, ?, 'source')", v.id, field(v, "notes"), field(v, "accessibility")))
            return false;
    }
    for (const SrcServiceTexts& st : s.service_texts) {
        if (st.lang == "it") continue;
        for (const auto& [id, na] : st.by_id)
            if (!w.insert("INSERT INTO service_texts VALUES(?, ?, ?, ?, ?)", id, st.lang, na.first, na.second, std::string(status_name(st.status))))
                return false;
    }
    return true;
}

// Every office's hours as explicit intervals over the window; a value the evaluator refuses is
// an error at the office's hours line.
bool evaluate_hours(const Sources& s, const BuildOptions& o, std::vector<std::pair<std::string, HoursTable>>* out,
                    std::vector<Diagnostic>* errors) {
    for (const SrcService& v : s.services) {
        std::string value = field(v, "hours");
        if (value.empty()) continue;                          // already reported by read_sources
        if (!o.evaluate_hours) {
            errors->push_back({v.path, v.hours_line, "cannot evaluate opening hours: this build has no evaluator"});
            return false;
        }
        HoursTable t;
        std::string err;
        if (!o.evaluate_hours(value, o.hours_from, o.hours_to, s.extra_holidays, &t, &err))
            errors->push_back({v.path, v.hours_line, "bad opening hours \"" + value + "\": " + err});
        else
            out->emplace_back(v.id, std::move(t));
    }
    return true;
}

bool write_hours(Writer& w, const std::vector<std::pair<std::string, HoursTable>>& tables) {
    for (const auto& [id, t] : tables)
        for (const OpenInterval& iv : t.intervals)
            if (!w.insert("INSERT INTO office_hours VALUES(?, ?, ?, ?, ?)", id, iv.from, iv.to, iv.unknown ? 1 : 0, iv.comment))
                return false;
    return true;
}

// [SECTION] Search index ---------------------------------------------------------------------

std::string plain_text(const SrcText& t) {
    std::string out = t.summary;
    for (const Section& s : t.sections) {
        out += '\n';
        out += s.heading;
        for (const Block& b : s.blocks) { out += '\n'; out += b.text; }
    }
    return out;
}

// Labels of the UI strings (topic.<id>, kind.<id>) in every language are indexed too, so
// "شرطة" finds the Questura and "health" the health procedures.
bool write_labels(Writer& w, const Sources& s, const std::vector<locale::Catalog>& catalogs) {
    for (const locale::Catalog& c : catalogs) {
        for (const SrcProcedure& p : s.procedures) {
            auto it = c.messages.find("topic." + p.topic);
            if (it != c.messages.end() && !w.insert("INSERT INTO search VALUES('', ?, ?, 'p', ?, ?)", fold(it->second), latin_fold(it->second), p.id, c.lang)) return false;
        }
        for (const SrcService& v : s.services) {
            auto it = c.messages.find("kind." + field(v, "kind"));
            if (it != c.messages.end() && !w.insert("INSERT INTO search VALUES('', ?, ?, 's', ?, ?)", fold(it->second), latin_fold(it->second), v.id, c.lang)) return false;
        }
    }
    return true;
}

bool write_search(Writer& w, const Sources& s, const std::vector<locale::Catalog>& catalogs) {
    for (const SrcProcedure& p : s.procedures)
        for (const SrcText& t : p.texts)
            if (!w.insert("INSERT INTO search VALUES(?, ?, ?, 'p', ?, ?)", fold(t.title), fold(plain_text(t)),
                          latin_fold(t.title + "\n" + t.summary), p.id, t.lang))
                return false;
    for (const SrcService& v : s.services) {
        std::string body = field(v, "address") + "\n" + field(v, "kind") + "\n" + field(v, "notes") + "\n" + field(v, "accessibility");
        if (!w.insert("INSERT INTO search VALUES(?, ?, '', 's', ?, 'it')", fold(field(v, "name")), fold(body), v.id)) return false;
    }
    for (const SrcServiceTexts& st : s.service_texts)
        for (const auto& [id, na] : st.by_id)
            if (!w.insert("INSERT INTO search VALUES('', ?, '', 's', ?, ?)", fold(na.first + "\n" + na.second), id, st.lang)) return false;
    if (!write_labels(w, s, catalogs)) return false;
    return w.insert("INSERT INTO search(search) VALUES('optimize')");
}

bool write_locales(Writer& w, const std::string& dir, BuildResult* r, std::vector<locale::Catalog>* catalogs) {
    if (dir.empty()) return true;
    for (const char* lang : kLanguages) {
        std::string path = (fs::path(dir) / (std::string(lang) + ".po")).string();
        if (!fs::exists(path)) continue;
        locale::LoadResult lr = locale::load_po(path, lang);
        if (!lr.ok) { r->errors.push_back({"", 0, lr.error}); continue; }
        for (const std::string& warn : lr.catalog.warnings) r->warnings.push_back(warn);
        if (!w.insert("INSERT INTO ui_catalogs VALUES(?, ?)", std::string(lang), lr.catalog.translation)) return false;
        for (const auto& [key, text] : lr.catalog.messages) {
            auto src = lr.catalog.sources.find(key);
            if (!w.insert("INSERT INTO ui_strings VALUES(?, ?, ?, ?)", key, std::string(lang), text,
                          src == lr.catalog.sources.end() ? std::string() : src->second))
                return false;
            r->stats.ui_strings++;
        }
        catalogs->push_back(std::move(lr.catalog));
    }
    return true;
}

}  // namespace

// [SECTION] build_pack -----------------------------------------------------------------------

BuildResult build_pack(const BuildOptions& o) {
    BuildResult r;
    Sources s = read_sources(o.content_dir, &r.errors);
    for (const Diagnostic& d : s.warnings) r.warnings.push_back(d.text());
    std::vector<std::pair<std::string, HoursTable>> hours;
    if (!s.services.empty() && o.hours_to <= o.hours_from)
        r.errors.push_back({o.content_dir, 0, "no window for the opening hours (hours_from must be before hours_to)"});
    else
        evaluate_hours(s, o, &hours, &r.errors);
    Writer w;
    std::string err;
    if (!w.db.open(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &err) || !w.db.exec(kSchema, &err)) {
        r.errors.push_back({o.out_path, 0, "cannot create the pack: " + err});
        return r;
    }
    std::vector<locale::Catalog> catalogs;
    bool written = w.db.exec("BEGIN", &err) && write_manifest(w, s, o) && write_content(w, s) && write_hours(w, hours) &&
                   write_locales(w, o.locales_dir, &r, &catalogs) && write_search(w, s, catalogs) && w.db.exec("COMMIT", &err);
    if (!written) r.errors.push_back({o.out_path, 0, "cannot write the pack: " + (w.error.empty() ? err : w.error)});
    if (!r.errors.empty()) return r;

    std::string tmp = o.out_path + ".tmp-" + std::to_string(getpid());
    std::remove(tmp.c_str());
    Stmt vac;
    if (!vac.prepare(w.db.get(), "VACUUM INTO ?") || vac.bind(1, tmp).step() != SQLITE_DONE) {
        r.errors.push_back({o.out_path, 0, "cannot write the pack: " + w.db.errmsg()});
        std::remove(tmp.c_str());
        return r;
    }
    std::error_code ec;
    fs::rename(tmp, o.out_path, ec);
    if (ec) {
        r.errors.push_back({o.out_path, 0, "cannot rename the pack into place: " + ec.message()});
        std::remove(tmp.c_str());
        return r;
    }
    for (const SrcProcedure& p : s.procedures) { r.stats.procedures++; r.stats.translations += int(p.texts.size()); }
    r.stats.services = int(s.services.size());
    r.ok = true;
    return r;
}

}  // namespace content
