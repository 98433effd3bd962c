// The pack reader the kiosk uses. Opened read-only; statements are
// prepared once at open() so a procedure page costs one query for the text and one for the
// procedure row. Every failure is a value: a broken pack must lead to the out-of-service
// screen, never to a crash.
//
// [SECTION] Open
// [SECTION] Manifest, topics, procedures
// [SECTION] Services
// [SECTION] Search
// [SECTION] UI strings
#include "content_internal.h"

#include <algorithm>
#include <filesystem>
#include <set>

namespace content {

struct Pack::Impl {
    Db db;
    int schema = 0, content_version = 0;
    std::string error;
    Stmt manifest, topics, procs_of_topic, proc, proc_text, services, service, service_text;
    Stmt search, mediator, ui_langs, ui_string, ui_catalog, ui_translation;
    Stmt office_hours;                                // unprepared in a pack built before intervals
    int64_t hours_from = 0, hours_to = 0;

    void fail(std::string_view what) { error = std::string(what) + ": " + db.errmsg(); }
};

Pack::Pack() : impl_(std::make_unique<Impl>()) {}
Pack::~Pack() = default;
Pack::Pack(Pack&&) noexcept = default;
Pack& Pack::operator=(Pack&&) noexcept = default;

// [SECTION] Open -----------------------------------------------------------------------------

static OpenResult open_error(PackError code, std::string msg) { return {false, code, std::move(msg)}; }

OpenResult Pack::open(const std::string& path) {
    if (!impl_) impl_ = std::make_unique<Impl>();
    close();
    Impl& m = *impl_;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return open_error(PackError::NotFound, "content pack not found: " + path);
    std::string err;
    if (!m.db.open(path, SQLITE_OPEN_READONLY, &err)) return open_error(PackError::NotAPack, "cannot open content pack " + path + ": " + err);
    Stmt check;
    // quick_check reads every page once: a truncated or scribbled pack is refused here rather
    // than failing on some later page in front of a visitor.
    if (!check.prepare(m.db.get(), "PRAGMA quick_check") || check.step() != SQLITE_ROW) {
        OpenResult r = open_error(PackError::NotAPack, path + " is not a content pack (" + m.db.errmsg() + ")");
        close();
        return r;
    }
    if (check.text(0) != "ok") {
        OpenResult r = open_error(PackError::Corrupt, path + " is damaged: " + check.text(0));
        close();
        return r;
    }
    Stmt ver;
    if (!ver.prepare(m.db.get(), "SELECT value FROM manifest WHERE key = 'schema_version'") || ver.step() != SQLITE_ROW) {
        close();
        return open_error(PackError::NotAPack, path + " is not a content pack (no manifest)");
    }
    m.schema = std::atoi(ver.text(0).c_str());
    if (m.schema != kSchemaVersion) {
        int s = m.schema;
        close();
        return open_error(PackError::SchemaMismatch, "content pack schema " + std::to_string(s) + ", this kiosk reads schema " +
                                                         std::to_string(kSchemaVersion));
    }
    bool ok = m.manifest.prepare(m.db.get(), "SELECT value FROM manifest WHERE key = ?") &&
              m.topics.prepare(m.db.get(), "SELECT t.id, (SELECT count(*) FROM procedures p WHERE p.topic = t.id) FROM topics t ORDER BY t.position") &&
              m.procs_of_topic.prepare(m.db.get(), "SELECT id, revision FROM procedures WHERE topic = ? ORDER BY position, id") &&
              m.proc.prepare(m.db.get(), "SELECT topic, revision, last_reviewed, offices FROM procedures WHERE id = ?") &&
              m.proc_text.prepare(m.db.get(), "SELECT title, summary, status, source_revision, sections FROM procedure_texts WHERE id = ? AND lang = ?") &&
              m.services.prepare(m.db.get(), "SELECT id FROM services WHERE ?1 = '' OR kind = ?1") &&
              m.service.prepare(m.db.get(), "SELECT name, kind, address, lat, lon, hours, phone, email, website, languages FROM services WHERE id = ?") &&
              m.service_text.prepare(m.db.get(), "SELECT notes, accessibility, status FROM service_texts WHERE id = ? AND lang = ?") &&
              m.search.prepare(m.db.get(), "SELECT kind, ref, lang, bm25(search, 10.0, 1.0, 2.0) * "
                                           "CASE lang WHEN ?2 THEN 2.0 WHEN 'it' THEN 1.5 ELSE 1.0 END AS r "
                                           "FROM search WHERE search MATCH ?1 ORDER BY r LIMIT 400") &&
              m.mediator.prepare(m.db.get(), "SELECT days FROM mediator_days WHERE desk = ?") &&
              m.ui_langs.prepare(m.db.get(), "SELECT lang FROM ui_catalogs ORDER BY lang") &&
              m.ui_string.prepare(m.db.get(), "SELECT text FROM ui_strings WHERE key = ? AND lang = ?") &&
              m.ui_catalog.prepare(m.db.get(), "SELECT key, text, source FROM ui_strings WHERE lang = ? ORDER BY key") &&
              m.ui_translation.prepare(m.db.get(), "SELECT translation FROM ui_catalogs WHERE lang = ?");
    if (!ok) {
        OpenResult r = open_error(PackError::NotAPack, path + " is not a content pack of schema " + std::to_string(kSchemaVersion) + " (" + m.db.errmsg() + ")");
        close();
        return r;
    }
    m.content_version = std::atoi(manifest("content_version").c_str());
    // Packs built before the compiler stored intervals have no office_hours table: their
    // offices' hours are then unknown to the kiosk, which says so rather than guessing.
    Stmt has;
    if (has.prepare(m.db.get(), "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'office_hours'") && has.step() == SQLITE_ROW) {
        if (!m.office_hours.prepare(m.db.get(), "SELECT start, end, unknown, comment FROM office_hours WHERE id = ? ORDER BY start")) {
            OpenResult r = open_error(PackError::NotAPack, path + " is not a content pack of schema " + std::to_string(kSchemaVersion) + " (" + m.db.errmsg() + ")");
            close();
            return r;
        }
        m.hours_from = std::atoll(manifest("hours_from").c_str());
        m.hours_to = std::atoll(manifest("hours_to").c_str());
    }
    return {true, PackError::None, {}};
}

bool Pack::is_open() const { return impl_ && impl_->db.get() && impl_->schema == kSchemaVersion; }

void Pack::close() {
    if (!impl_) return;
    std::string keep = std::move(impl_->error);
    *impl_ = Impl{};                                  // statements finalize before the db closes
    impl_->error = std::move(keep);
}

void Pack::release_cache() {
    if (is_open()) sqlite3_db_release_memory(impl_->db.get());
}

size_t Pack::cache_bytes() const {
    int used = 0, high = 0;
    if (is_open()) sqlite3_db_status(impl_->db.get(), SQLITE_DBSTATUS_CACHE_USED, &used, &high, 0);
    return (size_t)used;
}

const std::string& Pack::last_error() const { return impl_->error; }

// [SECTION] Manifest, topics, procedures ------------------------------------------------------

int Pack::schema_version() const { return is_open() ? impl_->schema : 0; }
int Pack::content_version() const { return is_open() ? impl_->content_version : 0; }
std::string Pack::expires() const { return manifest("expires"); }

std::string Pack::manifest(std::string_view key) const {
    if (!is_open()) return {};
    Stmt& st = impl_->manifest;
    st.reset();
    st.bind(1, key);
    return st.step() == SQLITE_ROW ? st.text(0) : std::string();
}

std::vector<Topic> Pack::topics() const {
    std::vector<Topic> out;
    if (!is_open()) return out;
    Stmt& st = impl_->topics;
    st.reset();
    while (st.step() == SQLITE_ROW) out.push_back({st.text(0), int(st.integer(1))});
    return out;
}

static Status parse_status(const std::string& s) {
    return s == "machine" ? Status::Machine : s == "reviewed" ? Status::Reviewed : Status::Source;
}

std::vector<ProcedureSummary> Pack::procedures(std::string_view topic, std::string_view lang) const {
    std::vector<ProcedureSummary> out;
    if (!is_open()) return out;
    std::vector<std::pair<std::string, int>> ids;
    Stmt& st = impl_->procs_of_topic;
    st.reset();
    st.bind(1, topic);
    while (st.step() == SQLITE_ROW) ids.emplace_back(st.text(0), int(st.integer(1)));
    for (const auto& [id, revision] : ids) {
        Stmt& t = impl_->proc_text;
        for (const std::string& l : fallback_chain(lang)) {
            t.reset();
            t.bind(1, id).bind(2, l);
            if (t.step() != SQLITE_ROW) continue;
            ProcedureSummary ps{id, std::string(topic), l, t.text(0), t.text(1), l != lang};
            ps.status = parse_status(t.text(2));
            ps.outdated = ps.status != Status::Source && t.integer(3) < revision;
            out.push_back(std::move(ps));
            break;
        }
    }
    return out;
}

ProcedureResult Pack::procedure(std::string_view id, std::string_view lang) const {
    ProcedureResult r;
    if (!is_open()) { r.error = "no content pack is open"; return r; }
    Impl& m = *impl_;
    m.proc.reset();
    m.proc.bind(1, id);
    if (m.proc.step() != SQLITE_ROW) { r.error = "no procedure \"" + std::string(id) + "\""; return r; }
    Procedure& p = r.procedure;
    p.id = id;
    p.topic = m.proc.text(0);
    p.revision = int(m.proc.integer(1));
    p.last_reviewed = m.proc.text(2);
    p.offices = split_list(m.proc.text(3));
    p.requested_lang = lang;
    for (const std::string& l : fallback_chain(lang)) {
        m.proc_text.reset();
        m.proc_text.bind(1, id).bind(2, l);
        if (m.proc_text.step() != SQLITE_ROW) continue;
        p.lang = l;
        p.fallback = l != lang;
        p.title = m.proc_text.text(0);
        p.summary = m.proc_text.text(1);
        p.status = parse_status(m.proc_text.text(2));
        p.source_revision = int(m.proc_text.integer(3));
        p.outdated = p.status != Status::Source && p.source_revision < p.revision;
        if (!sections_from_json(m.proc_text.text(4), &p.sections)) { r.error = "damaged procedure text " + std::string(id) + "/" + l; return r; }
        r.ok = true;
        return r;
    }
    r.error = "procedure \"" + std::string(id) + "\" has no text";
    return r;
}

// [SECTION] Services -------------------------------------------------------------------------

bool Pack::service(std::string_view id, std::string_view lang, Service* out) const {
    if (!is_open()) return false;
    Impl& m = *impl_;
    m.service.reset();
    m.service.bind(1, id);
    if (m.service.step() != SQLITE_ROW) return false;
    Service s;
    s.id = id;
    s.name = m.service.text(0);
    s.kind = m.service.text(1);
    s.address = m.service.text(2);
    s.lat = m.service.real(3);
    s.lon = m.service.real(4);
    s.hours = m.service.text(5);
    s.phone = m.service.text(6);
    s.email = m.service.text(7);
    s.website = m.service.text(8);
    s.languages = split_list(m.service.text(9));
    for (const std::string& l : fallback_chain(lang)) {
        m.service_text.reset();
        m.service_text.bind(1, id).bind(2, l);
        if (m.service_text.step() != SQLITE_ROW) continue;
        s.notes = m.service_text.text(0);
        s.accessibility = m.service_text.text(1);
        s.notes_lang = l;
        s.notes_status = parse_status(m.service_text.text(2));
        break;
    }
    *out = std::move(s);
    return true;
}

std::vector<Service> Pack::services_of_kind(std::string_view kind, std::string_view lang) const {
    std::vector<Service> out;
    if (!is_open()) return out;
    std::vector<std::string> ids;
    Stmt& st = impl_->services;
    st.reset();
    st.bind(1, kind);
    while (st.step() == SQLITE_ROW) ids.push_back(st.text(0));
    for (const std::string& id : ids) {
        Service s;
        if (service(id, lang, &s)) out.push_back(std::move(s));
    }
    sort_services(out, lang);
    return out;
}

std::vector<Service> Pack::services(std::string_view lang) const { return services_of_kind("", lang); }

std::vector<Weekday> Pack::mediator_days(std::string_view desk) const {
    std::vector<Weekday> out;
    if (!is_open()) return out;
    Stmt& st = impl_->mediator;
    st.reset();
    st.bind(1, desk);
    if (st.step() != SQLITE_ROW) return out;
    for (const std::string& d : split_list(st.text(0))) {
        Weekday w;
        if (parse_weekday(d, &w)) out.push_back(w);
    }
    return out;
}

std::vector<std::string> Pack::extra_holidays() const { return split_list(manifest("extra_holidays")); }

HoursTable Pack::office_hours(std::string_view id) const {
    HoursTable t;
    if (!is_open() || !impl_->office_hours) return t;
    Impl& m = *impl_;
    Stmt& st = m.office_hours;
    st.reset();
    st.bind(1, id);
    int rc;
    int64_t last_end = m.hours_from;
    // The rows are trusted only as far as the lookup needs: sorted, disjoint, inside the window.
    // A row that breaks that makes the whole office unknown rather than wrong.
    while ((rc = st.step()) == SQLITE_ROW) {
        OpenInterval iv{st.integer(0), st.integer(1), st.integer(2) != 0, st.text(3)};
        if (iv.from < last_end || iv.to <= iv.from || iv.to > m.hours_to) return HoursTable{};
        last_end = iv.to;
        t.intervals.push_back(std::move(iv));
    }
    if (rc != SQLITE_DONE) { m.fail("reading office hours"); return HoursTable{}; }
    t.valid_from = m.hours_from;
    t.valid_to = m.hours_to;
    return t;
}

// [SECTION] Search ---------------------------------------------------------------------------

// Ranking: bm25 with titles weighing 10 times the body (the Latin transliteration of title and
// summary 2 times), then scaled by language (bm25 is
// negative, lower is better): x2 for the visitor's language, x1.5 for Italian. A strong Italian
// title match ("codice fiscale" typed from the Arabic UI) still beats a passing mention in the
// visitor's language, and at comparable relevance the visitor's language comes first. A hit
// keeps its best row; its title is shown in the visitor's language when there is one.

std::vector<SearchHit> Pack::search(std::string_view query, std::string_view lang, int limit) const {
    std::vector<SearchHit> out;
    if (!is_open() || limit <= 0) return out;
    std::string q = fts_query(query);
    if (q.empty()) return out;
    Impl& m = *impl_;
    m.search.reset();
    m.search.bind(1, q).bind(2, lang);
    std::set<std::pair<std::string, std::string>> seen;
    int rc;
    while ((rc = m.search.step()) == SQLITE_ROW && int(out.size()) < limit) {
        SearchHit h;
        h.kind = m.search.text(0) == "s" ? HitKind::Service : HitKind::Procedure;
        h.id = m.search.text(1);
        h.matched_lang = m.search.text(2);
        h.score = m.search.real(3);
        if (!seen.insert({m.search.text(0), h.id}).second) continue;
        out.push_back(std::move(h));
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) m.fail("search");
    m.search.reset();
    for (SearchHit& h : out) {                        // titles in the visitor's language
        if (h.kind == HitKind::Service) {
            Service s;
            if (service(h.id, lang, &s)) { h.title = s.name; h.summary = s.address; h.lang = "it"; }
            continue;
        }
        for (const std::string& l : fallback_chain(lang)) {
            m.proc_text.reset();
            m.proc_text.bind(1, h.id).bind(2, l);
            if (m.proc_text.step() != SQLITE_ROW) continue;
            h.title = m.proc_text.text(0);
            h.summary = m.proc_text.text(1);
            h.lang = l;
            break;
        }
    }
    return out;
}

// [SECTION] UI strings -----------------------------------------------------------------------

std::vector<std::string> Pack::ui_languages() const {
    std::vector<std::string> out;
    if (!is_open()) return out;
    Stmt& st = impl_->ui_langs;
    st.reset();
    while (st.step() == SQLITE_ROW) out.push_back(st.text(0));
    return out;
}

std::string Pack::ui_string(std::string_view key, std::string_view lang) const {
    if (!is_open()) return {};
    Stmt& st = impl_->ui_string;
    st.reset();
    st.bind(1, key).bind(2, lang);
    return st.step() == SQLITE_ROW ? st.text(0) : std::string();
}

locale::Catalog Pack::ui_catalog(std::string_view lang) const {
    locale::Catalog c;
    c.lang = lang;
    c.path = "pack:" + std::string(lang);
    if (!is_open()) return c;
    Stmt& st = impl_->ui_catalog;
    st.reset();
    st.bind(1, lang);
    while (st.step() == SQLITE_ROW) {
        c.messages.emplace(st.text(0), st.text(1));
        c.sources.emplace(st.text(0), st.text(2));
    }
    Stmt& tr = impl_->ui_translation;
    tr.reset();
    tr.bind(1, lang);
    if (tr.step() == SQLITE_ROW) c.translation = tr.text(0);
    return c;
}

}  // namespace content
