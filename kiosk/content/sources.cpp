// Reading and validating content/ (format: content/README.md). Every problem becomes a
// Diagnostic "path:line: what is wrong"; reading goes on after an error so an editor sees all
// of them at once.
//
// [SECTION] Files and key: value lines
// [SECTION] pack.txt and topics.txt
// [SECTION] Services
// [SECTION] Procedure texts (front matter + sections)
// [SECTION] Procedures
#include "sources_internal.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace content {

// [SECTION] Files and key: value lines -------------------------------------------------------

namespace {

struct Ctx {
    std::vector<Diagnostic>* errors;
    void error(const std::string& path, int line, std::string msg) { errors->push_back({path, line, std::move(msg)}); }
};

struct Kv { std::string key, value; int line = 0; };

std::string join(const std::string& dir, const std::string& name) {
    return dir.empty() ? name : (dir.back() == '/' ? dir + name : dir + "/" + name);
}

// Whole file as UTF-8; false (with a diagnostic) when unreadable or invalid UTF-8.
bool read_text(Ctx& c, const std::string& path, std::string* out) {
    std::ifstream f(path, std::ios::binary);
    if (!f) { c.error(path, 0, "cannot read the file"); return false; }
    std::stringstream ss;
    ss << f.rdbuf();
    *out = ss.str();
    size_t bad = utf8_invalid_at(*out);
    if (bad != std::string::npos) {
        c.error(path, 1 + int(std::count(out->begin(), out->begin() + long(bad), '\n')), "invalid UTF-8");
        return false;
    }
    if (out->starts_with("\xEF\xBB\xBF")) out->erase(0, 3);
    return true;
}

std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> lines;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view l = text.substr(start, end - start);
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        lines.push_back(l);
        start = end + 1;
    }
    return lines;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool valid_key(std::string_view k) {
    if (k.empty()) return false;
    for (char ch : k) if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-')) return false;
    return true;
}

bool valid_id(std::string_view id) {
    if (id.empty() || id.front() == '-' || id.back() == '-') return false;
    for (char ch : id) if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-')) return false;
    return true;
}

// "key: value" lines from first..last (1-based line numbers from line_base). Comments (#) and
// blank lines are skipped. A key outside `allowed` (when prefix-free) is an error.
std::vector<Kv> parse_kv(Ctx& c, const std::string& path, const std::vector<std::string_view>& lines,
                         size_t first, size_t last, bool (*allowed)(std::string_view)) {
    std::vector<Kv> out;
    std::set<std::string> seen;
    for (size_t i = first; i < last; i++) {
        std::string_view l = trim(lines[i]);
        int line = int(i) + 1;
        if (l.empty() || l.front() == '#') continue;
        size_t colon = l.find(':');
        if (colon == std::string_view::npos) { c.error(path, line, "expected \"key: value\""); continue; }
        std::string key(trim(l.substr(0, colon)));
        std::string value(trim(l.substr(colon + 1)));
        if (!valid_key(key)) { c.error(path, line, "bad key \"" + key + "\""); continue; }
        if (!allowed(key)) { c.error(path, line, "unknown key \"" + key + "\""); continue; }
        if (!seen.insert(key).second) { c.error(path, line, "duplicate key \"" + key + "\""); continue; }
        out.push_back({key, value, line});
    }
    return out;
}

const Kv* find(const std::vector<Kv>& kvs, std::string_view key) {
    for (const Kv& kv : kvs) if (kv.key == key) return &kv;
    return nullptr;
}

// A required, non-empty value; reports `missing "key"` at line 1 otherwise.
const Kv* need(Ctx& c, const std::string& path, const std::vector<Kv>& kvs, std::string_view key, int line = 1) {
    const Kv* kv = find(kvs, key);
    if (!kv || kv->value.empty()) { c.error(path, line, "missing \"" + std::string(key) + "\""); return nullptr; }
    return kv;
}

bool parse_int(const std::string& s, int* out) {
    if (s.empty() || s.size() > 9) return false;
    for (char ch : s) if (ch < '0' || ch > '9') return false;
    *out = std::stoi(s);
    return true;
}

bool valid_date(const std::string& s) {
    int y, m, d;
    if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
    if (!parse_int(s.substr(0, 4), &y) || !parse_int(s.substr(5, 2), &m) || !parse_int(s.substr(8, 2), &d)) return false;
    return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

std::vector<std::string> sorted_entries(const std::string& dir, bool dirs) {
    std::vector<std::string> names;
    std::error_code ec;
    for (const fs::directory_entry& e : fs::directory_iterator(dir, ec))
        if (dirs ? e.is_directory() : e.is_regular_file()) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

// [SECTION] pack.txt and topics.txt ----------------------------------------------------------

bool pack_key(std::string_view k) {
    return k == "content_version" || k == "expires" || k == "timezone" || k == "extra_holidays" || k.starts_with("mediator_days.");
}
bool topics_key(std::string_view k) { return k == "topics"; }

void read_pack(Ctx& c, const std::string& dir, Sources* s) {
    std::string path = join(dir, "pack.txt"), text;
    if (!read_text(c, path, &text)) return;
    auto lines = lines_of(text);
    auto kvs = parse_kv(c, path, lines, 0, lines.size(), pack_key);
    if (const Kv* kv = need(c, path, kvs, "content_version"))
        if (!parse_int(kv->value, &s->content_version) || s->content_version <= 0)
            c.error(path, kv->line, "content_version must be a positive integer");
    if (const Kv* kv = need(c, path, kvs, "expires"))
        if (!valid_date(kv->value)) c.error(path, kv->line, "expires must be a date YYYY-MM-DD");
    if (const Kv* kv = find(kvs, "expires")) s->expires = kv->value;
    if (const Kv* kv = find(kvs, "timezone")) s->timezone = kv->value;
    for (const Kv& kv : kvs) {
        if (kv.key == "extra_holidays") {
            for (const std::string& h : split_list(kv.value)) {
                if (!valid_date("2000-" + h)) c.error(path, kv.line, "bad holiday \"" + h + "\" (expected MM-DD)");
                else s->extra_holidays.push_back(h);
            }
        } else if (kv.key.starts_with("mediator_days.")) {
            std::string desk = kv.key.substr(14);
            if (!valid_id(desk)) c.error(path, kv.line, "bad desk id \"" + desk + "\"");
            for (const std::string& d : split_list(kv.value)) {
                Weekday w;
                if (!parse_weekday(d, &w)) c.error(path, kv.line, "unknown weekday \"" + d + "\" (expected Mo Tu We Th Fr Sa Su)");
            }
            s->mediator_days.emplace_back(desk, kv.value);
        }
    }
}

void read_topics(Ctx& c, const std::string& dir, Sources* s) {
    std::string path = join(dir, "topics.txt"), text;
    if (!read_text(c, path, &text)) return;
    auto lines = lines_of(text);
    auto kvs = parse_kv(c, path, lines, 0, lines.size(), topics_key);
    const Kv* kv = need(c, path, kvs, "topics");
    if (!kv) return;
    for (const std::string& t : split_list(kv->value)) {
        if (!valid_id(t)) c.error(path, kv->line, "bad topic id \"" + t + "\"");
        else if (std::find(s->topics.begin(), s->topics.end(), t) != s->topics.end()) c.error(path, kv->line, "duplicate topic \"" + t + "\"");
        else s->topics.push_back(t);
    }
}

// [SECTION] Services -------------------------------------------------------------------------

const char* const kKinds[] = {"questura", "prefettura", "comune", "health", "school", "cpia",
                              "employment", "tax", "post", "association", "infodesk", "motor"};

bool service_key(std::string_view k) {
    for (const char* f : {"name", "kind", "address", "lat", "lon", "hours", "phone", "email", "website", "languages", "accessibility", "notes"})
        if (k == f) return true;
    return false;
}

bool parse_coord(const std::string& s, double lo, double hi, double* out) {
    if (s.empty()) return false;
    char* end = nullptr;
    *out = std::strtod(s.c_str(), &end);
    return end && *end == '\0' && *out >= lo && *out <= hi;
}

void read_service(Ctx& c, const std::string& path, const std::string& id, Sources* s) {
    std::string text;
    if (!read_text(c, path, &text)) return;
    auto lines = lines_of(text);
    auto kvs = parse_kv(c, path, lines, 0, lines.size(), service_key);
    SrcService svc;
    svc.id = id;
    for (const char* req : {"name", "kind", "address", "lat", "lon", "hours"}) need(c, path, kvs, req);
    for (const Kv& kv : kvs) svc.fields[kv.key] = kv.value;
    if (const Kv* kv = find(kvs, "kind")) {
        if (std::none_of(std::begin(kKinds), std::end(kKinds), [&](const char* k) { return kv->value == k; }))
            c.error(path, kv->line, "unknown kind \"" + kv->value + "\"");
    }
    if (const Kv* kv = find(kvs, "lat"); kv && !parse_coord(kv->value, -90, 90, &svc.lat)) c.error(path, kv->line, "lat must be a number between -90 and 90");
    if (const Kv* kv = find(kvs, "lon"); kv && !parse_coord(kv->value, -180, 180, &svc.lon)) c.error(path, kv->line, "lon must be a number between -180 and 180");
    // The hours themselves are evaluated by build_pack (the evaluator it is given), which
    // reports a value it refuses at this line.
    svc.path = path;
    if (const Kv* kv = find(kvs, "hours")) {
        svc.hours_line = kv->line;
        if (kv->value.empty()) c.error(path, kv->line, "empty opening hours");
    }
    if (const Kv* kv = find(kvs, "website"); kv && !kv->value.starts_with("https://") && !kv->value.starts_with("http://"))
        c.error(path, kv->line, "website must start with https:// or http://");
    if (const Kv* kv = find(kvs, "languages"))
        for (const std::string& l : split_list(kv->value))
            if (l.size() < 2 || l.size() > 3 || !std::all_of(l.begin(), l.end(), [](char ch) { return ch >= 'a' && ch <= 'z'; }))
                c.error(path, kv->line, "bad language code \"" + l + "\" (expected ISO 639 codes such as it, en, ar)");
    if (const Kv* kv = find(kvs, "email"); kv && kv->value.find('@') == std::string::npos)
        c.error(path, kv->line, "bad e-mail address \"" + kv->value + "\"");
    s->services.push_back(std::move(svc));
}

bool any_key(std::string_view) { return true; }

void read_service_texts(Ctx& c, const std::string& path, const std::string& lang, Sources* s) {
    std::string text;
    if (!read_text(c, path, &text)) return;
    auto lines = lines_of(text);
    auto kvs = parse_kv(c, path, lines, 0, lines.size(), any_key);
    SrcServiceTexts st;
    st.lang = lang;
    for (const Kv& kv : kvs) {
        if (kv.key == "status") {
            if (kv.value == "reviewed") st.status = Status::Reviewed;
            else if (kv.value == "machine") st.status = Status::Machine;
            else c.error(path, kv.line, "unknown status \"" + kv.value + "\" (expected reviewed or machine)");
            continue;
        }
        size_t dot = kv.key.rfind('.');
        std::string id = dot == std::string::npos ? "" : kv.key.substr(0, dot), field = dot == std::string::npos ? kv.key : kv.key.substr(dot + 1);
        if (field != "notes" && field != "accessibility") { c.error(path, kv.line, "unknown key \"" + kv.key + "\" (expected <office>.notes or <office>.accessibility)"); continue; }
        bool known = std::any_of(s->services.begin(), s->services.end(), [&](const SrcService& v) { return v.id == id; });
        if (!known) { c.error(path, kv.line, "unknown office \"" + id + "\" (no services/" + id + ".txt)"); continue; }
        auto& slot = st.by_id[id];
        (field == "notes" ? slot.first : slot.second) = kv.value;
    }
    s->service_texts.push_back(std::move(st));
}

void read_services(Ctx& c, const std::string& dir, Sources* s) {
    std::string sdir = join(dir, "services");
    for (const std::string& name : sorted_entries(sdir, false)) {
        if (!name.ends_with(".txt")) continue;
        std::string id = name.substr(0, name.size() - 4);
        if (!valid_id(id)) { c.error(join(sdir, name), 0, "bad office id \"" + id + "\" (lower-case letters, digits and -)"); continue; }
        read_service(c, join(sdir, name), id, s);
    }
    std::string idir = join(sdir, "i18n");
    for (const char* lang : kLanguages) {
        std::string path = join(idir, lang + std::string(".txt"));
        if (fs::exists(path)) read_service_texts(c, path, lang, s);
    }
    for (const std::string& name : sorted_entries(idir, false))
        if (!is_language(name.substr(0, name.find('.'))))
            c.error(join(idir, name), 0, "unknown language \"" + name.substr(0, name.find('.')) + "\"");
}


// [SECTION] Procedure texts (front matter + sections) ----------------------------------------

struct SectionRule { const char* id; bool required; };
const SectionRule kSections[] = {{"who", true}, {"steps", true}, {"documents", true},
                                 {"costs", true}, {"duration", true}, {"links", false}};

bool front_key(std::string_view k) {
    return k == "title" || k == "summary" || k == "status" || k == "revision" || k == "source_revision";
}

// Checks the shape a section must have for the kiosk to draw it (steps numbered, documents
// as a checklist, links as links).
std::string check_shape(const Section& s) {
    auto top = [&](auto pred) {
        bool any = false;
        for (const Block& b : s.blocks) {
            if (b.kind == BlockKind::ListItem && b.level > 1) continue;
            if (!pred(b)) return false;
            any = true;
        }
        return any;
    };
    if (s.blocks.empty()) return "section {#" + s.id + "} is empty";
    if (s.id == "steps" && !top([](const Block& b) { return b.kind == BlockKind::ListItem && b.number > 0; }))
        return "section {#steps} must be a numbered list (1. 2. 3.)";
    if (s.id == "documents" && !top([](const Block& b) { return b.kind == BlockKind::ListItem && b.number == 0; }))
        return "section {#documents} must be a bullet list (- item)";
    if (s.id == "links" && !top([](const Block& b) {
            return b.kind == BlockKind::ListItem && b.number == 0 &&
                   std::any_of(b.spans.begin(), b.spans.end(), [](const Span& sp) { return sp.kind == SpanKind::Link; });
        }))
        return "section {#links} must be a bullet list of links ([label](https://...))";
    return {};
}

// "## Heading text {#id}" -> heading and id; false if the marker is missing.
bool split_heading(std::string_view l, std::string* heading, std::string* id) {
    std::string_view h = trim(l.substr(3));
    size_t open = h.rfind("{#");
    if (open == std::string_view::npos || h.back() != '}') return false;
    *id = std::string(h.substr(open + 2, h.size() - open - 3));
    *heading = std::string(trim(h.substr(0, open)));
    return true;
}

void read_sections(Ctx& c, const std::string& path, const std::vector<std::string_view>& lines, size_t first, SrcText* t) {
    struct Raw { std::string id, heading, body; int line; };
    std::vector<Raw> raws;
    for (size_t i = first; i < lines.size(); i++) {
        std::string_view l = lines[i];
        int line = int(i) + 1;
        if (l.starts_with("## ")) {
            Raw r{"", "", "", line};
            if (!split_heading(l, &r.heading, &r.id)) { c.error(path, line, "heading without a section marker (expected e.g. \"## ... {#steps}\")"); continue; }
            if (std::none_of(std::begin(kSections), std::end(kSections), [&](const SectionRule& s) { return r.id == s.id; })) {
                c.error(path, line, "unknown section marker {#" + r.id + "} (expected who, steps, documents, costs, duration or links)");
                continue;
            }
            if (std::any_of(raws.begin(), raws.end(), [&](const Raw& o) { return o.id == r.id; })) { c.error(path, line, "duplicate section {#" + r.id + "}"); continue; }
            if (r.heading.empty()) c.error(path, line, "section {#" + r.id + "} has no heading text");
            raws.push_back(std::move(r));
        } else if (l.starts_with("# ") || (l.starts_with("##") && !l.starts_with("###"))) {
            c.error(path, line, "only \"## ... {#id}\" section headings and ### sub-headings are allowed");
        } else if (raws.empty()) {
            if (!trim(l).empty()) c.error(path, line, "text before the first section");
        } else {
            raws.back().body.append(l).append("\n");
        }
    }
    for (const SectionRule& rule : kSections)
        if (rule.required && std::none_of(raws.begin(), raws.end(), [&](const Raw& r) { return r.id == rule.id; }))
            c.error(path, int(first), std::string("missing section {#") + rule.id + "}");
    for (Raw& r : raws) {
        Section s{r.id, r.heading, {}};
        std::string err;
        if (!markdown_blocks(r.body, &s.blocks, &err)) { c.error(path, r.line, "section {#" + r.id + "}: " + err); continue; }
        std::string shape = check_shape(s);
        if (!shape.empty()) { c.error(path, r.line, shape); continue; }
        t->sections.push_back(std::move(s));
    }
}

bool read_text_file(Ctx& c, const std::string& path, const std::string& lang, SrcText* t) {
    std::string text;
    if (!read_text(c, path, &text)) return false;
    size_t before = c.errors->size();
    auto lines = lines_of(text);
    if (lines.empty() || trim(lines[0]) != "---") { c.error(path, 1, "expected front matter starting with \"---\""); return false; }
    size_t end = 1;
    while (end < lines.size() && trim(lines[end]) != "---") end++;
    if (end == lines.size()) { c.error(path, 1, "front matter is not closed by \"---\""); return false; }
    auto kvs = parse_kv(c, path, lines, 1, end, front_key);
    t->lang = lang;
    t->path = path;
    if (const Kv* kv = need(c, path, kvs, "title")) t->title = kv->value;
    if (const Kv* kv = need(c, path, kvs, "summary")) t->summary = kv->value;
    if (const Kv* kv = need(c, path, kvs, "status")) {
        if (kv->value == "source") t->status = Status::Source;
        else if (kv->value == "reviewed") t->status = Status::Reviewed;
        else if (kv->value == "machine") t->status = Status::Machine;
        else c.error(path, kv->line, "unknown status \"" + kv->value + "\" (expected source, reviewed or machine)");
        if (lang == "it" && kv->value != "source") c.error(path, kv->line, "the Italian text is the source: status must be \"source\"");
        if (lang != "it" && kv->value == "source") c.error(path, kv->line, "status \"source\" is only for it.md (expected reviewed or machine)");
    }
    const char* rev_key = lang == "it" ? "revision" : "source_revision";
    const char* other = lang == "it" ? "source_revision" : "revision";
    if (const Kv* kv = find(kvs, other)) c.error(path, kv->line, std::string("\"") + other + "\" does not belong in " + lang + ".md (use \"" + rev_key + "\")");
    if (const Kv* kv = need(c, path, kvs, rev_key)) {
        int v = 0;
        if (!parse_int(kv->value, &v) || v <= 0) c.error(path, kv->line, std::string(rev_key) + " must be a positive integer");
        (lang == "it" ? t->revision : t->source_revision) = v;
        t->revision_line = kv->line;
    }
    read_sections(c, path, lines, end + 1, t);
    return c.errors->size() == before;
}

// [SECTION] Procedures -----------------------------------------------------------------------

bool procedure_key(std::string_view k) { return k == "topic" || k == "offices" || k == "order" || k == "last_reviewed"; }

void read_procedure(Ctx& c, const std::string& dir, const std::string& id, Sources* s) {
    SrcProcedure p;
    p.id = id;
    std::string meta = join(dir, "procedure.txt"), text;
    if (!fs::exists(meta)) c.error(meta, 0, "missing procedure.txt (topic, offices, order, last_reviewed)");
    else if (read_text(c, meta, &text)) {
        auto lines = lines_of(text);
        auto kvs = parse_kv(c, meta, lines, 0, lines.size(), procedure_key);
        if (const Kv* kv = need(c, meta, kvs, "topic")) {
            p.topic = kv->value;
            if (std::find(s->topics.begin(), s->topics.end(), p.topic) == s->topics.end())
                c.error(meta, kv->line, "unknown topic \"" + p.topic + "\" (not in topics.txt)");
        }
        if (const Kv* kv = need(c, meta, kvs, "offices")) {
            p.offices = split_list(kv->value);
            for (const std::string& o : p.offices)
                if (std::none_of(s->services.begin(), s->services.end(), [&](const SrcService& v) { return v.id == o; }))
                    c.error(meta, kv->line, "unknown office \"" + o + "\" (no services/" + o + ".txt)");
        }
        if (const Kv* kv = find(kvs, "order"); kv && !parse_int(kv->value, &p.order)) c.error(meta, kv->line, "order must be a non-negative integer");
        if (const Kv* kv = need(c, meta, kvs, "last_reviewed")) {
            p.last_reviewed = kv->value;
            if (!valid_date(kv->value)) c.error(meta, kv->line, "last_reviewed must be a date YYYY-MM-DD");
        }
    }
    for (const std::string& name : sorted_entries(dir, false)) {
        if (name == "procedure.txt") continue;
        std::string lang = name.ends_with(".md") ? name.substr(0, name.size() - 3) : "";
        if (!is_language(lang)) { c.error(join(dir, name), 0, "unexpected file (expected procedure.txt or <lang>.md with lang one of it en fr es ar fa ps ur bn pa hi ti zh uk ru sq wo tl)"); continue; }
    }
    for (const char* lang : kLanguages) {
        std::string path = join(dir, lang + std::string(".md"));
        if (!fs::exists(path)) {
            if (std::string_view(lang) == "it") c.error(path, 0, "missing it.md (the Italian source every translation comes from)");
            continue;
        }
        SrcText t;
        if (read_text_file(c, path, lang, &t)) p.texts.push_back(std::move(t));
    }
    if (!p.texts.empty() && p.texts[0].lang == "it") {
        int rev = p.texts[0].revision;
        for (const SrcText& t : p.texts) {
            if (t.lang != "it" && t.source_revision > rev)
                c.error(t.path, t.revision_line, "source_revision " + std::to_string(t.source_revision) + " is newer than the Italian revision " + std::to_string(rev));
            else if (t.lang != "it" && t.source_revision < rev)
                s->warnings.push_back({t.path, t.revision_line, "translated from revision " + std::to_string(t.source_revision) +
                                                                    ", the Italian text is at revision " + std::to_string(rev) + " (shown as outdated)"});
        }
        if (std::none_of(p.texts.begin(), p.texts.end(), [](const SrcText& t) { return t.lang == "en"; }))
            s->warnings.push_back({join(dir, "en.md"), 0, "no English text: visitors without a translation will read Italian"});
    }
    s->procedures.push_back(std::move(p));
}

}  // namespace

Sources read_sources(const std::string& content_dir, std::vector<Diagnostic>* errors) {
    Ctx c{errors};
    Sources s;
    if (!fs::is_directory(content_dir)) { c.error(content_dir, 0, "not a directory"); return s; }
    read_pack(c, content_dir, &s);
    read_topics(c, content_dir, &s);
    read_services(c, content_dir, &s);
    std::string pdir = join(content_dir, "procedures");
    for (const std::string& id : sorted_entries(pdir, true)) {
        if (!valid_id(id)) { c.error(join(pdir, id), 0, "bad procedure id \"" + id + "\" (lower-case letters, digits and -)"); continue; }
        read_procedure(c, join(pdir, id), id, &s);
    }
    if (s.procedures.empty()) c.error(pdir, 0, "no procedures");
    return s;
}

}  // namespace content
