// Content module: the pack the kiosk reads (procedures, offices, UI strings, search index),
// the compiler that builds it from content/ + locales/, offices' opening hours as explicit
// intervals (evaluated at build time, see kiosk/hours) and their lookup in Europe/Rome, search
// folding and ICU collation. SQLite + ICU, no ImGui, no SDL.
// Errors are values (ok + error text); nothing here throws across the module border.
//
// Index
// [SECTION] Languages and small types
// [SECTION] Pack contents (plain structs)
// [SECTION] Pack reader
// [SECTION] Compiler
// [SECTION] Opening hours
// [SECTION] Text: search folding and collation
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "locale/locale.h"

namespace content {

// [SECTION] Languages and small types -------------------------------------------------------

constexpr int kSchemaVersion = 1;                  // pack layout this library writes and reads

enum class Status : uint8_t { Source, Reviewed, Machine };   // of one translation
enum class Weekday : uint8_t { Mo = 0, Tu, We, Th, Fr, Sa, Su };  // ISO order, Monday first

const char* status_name(Status s);                 // "source", "reviewed", "machine"
const char* weekday_code(Weekday d);               // "Mo".."Su"
bool parse_weekday(std::string_view s, Weekday* out);  // "Mo".."Su"; false for anything else

// [SECTION] Pack contents (plain structs) ---------------------------------------------------

// One interval of an office's week as the compiler evaluated it, in UTC seconds [from, to).
// Open: the office is open. Unknown: the hours say neither open nor closed (a comment only,
// "su appuntamento", or an "unknown" rule). Closed time is what no interval covers.
struct OpenInterval {
    int64_t from = 0, to = 0;
    bool unknown = false;
    std::string comment;                           // as written in the hours, "" if none
};
struct HoursTable {
    int64_t valid_from = 0, valid_to = 0;          // UTC seconds: what the intervals describe
    std::vector<OpenInterval> intervals;           // sorted, disjoint, inside the window
};

// An inline span over a Block's text, byte offsets into the UTF-8 text: [begin, end).
enum class SpanKind : uint8_t { Strong, Emphasis, Link, Code };
struct Span {
    uint32_t begin = 0, end = 0;
    SpanKind kind = SpanKind::Strong;
    std::string url;                               // Link only
};

// One drawable block. The kiosk shapes text as one paragraph and styles the spans; no Markdown
// parser is needed to draw a procedure page.
enum class BlockKind : uint8_t { Paragraph, Heading, ListItem };
struct Block {
    BlockKind kind = BlockKind::Paragraph;
    int level = 0;                                 // Heading: 3..6; ListItem: nesting depth 1..
    int number = 0;                                // ListItem of a numbered list: 1, 2, ...; bullet: 0
    std::string text;
    std::vector<Span> spans;
};

// A machine-identifiable section of a procedure: id is one of who, steps, documents, costs,
// duration, links; heading is the translated level-2 heading.
struct Section {
    std::string id;
    std::string heading;
    std::vector<Block> blocks;
};

struct Topic {
    std::string id;                                // label: UI string "topic.<id>"
    int procedure_count = 0;
};

struct ProcedureSummary {
    std::string id, topic, lang, title, summary;   // lang: language the title is really in
    bool fallback = false;                         // lang differs from the one asked for
    Status status = Status::Source;                // for the list's badges, as in Procedure
    bool outdated = false;
};

struct Procedure {
    std::string id, topic;
    std::string requested_lang;                    // the visitor's language
    std::string lang;                              // the language shown (fallback lang -> en -> it)
    bool fallback = false;                         // lang != requested_lang: show the notice
    Status status = Status::Source;                // Machine: show the machine-translation badge
    bool outdated = false;                         // older than the Italian source: show the badge
    int revision = 0;                              // of the Italian source
    int source_revision = 0;                       // the Italian revision this text translates
    std::string title, summary, last_reviewed;     // last_reviewed: YYYY-MM-DD
    std::vector<Section> sections;                 // in source order
    std::vector<std::string> offices;              // service ids: "where to go"
    const Section* section(std::string_view id) const;  // null when absent
};

struct ProcedureResult {
    bool ok = false;
    std::string error;                             // "no procedure \"x\"" or an SQLite error
    Procedure procedure;
};

struct Service {
    std::string id, name, kind, address;           // kind label: UI string "kind.<id>"
    double lat = 0, lon = 0;
    std::string hours;                             // OSM opening_hours as written; see office_hours()
    std::string phone, email, website;
    std::vector<std::string> languages;            // spoken at the office
    std::string accessibility, notes;              // in notes_lang (fallback lang -> en -> it)
    std::string notes_lang;
    Status notes_status = Status::Source;          // Machine: badge on the notes
};

enum class HitKind : uint8_t { Procedure, Service };
struct SearchHit {
    HitKind kind = HitKind::Procedure;
    std::string id;
    std::string title, summary, lang;              // in the visitor's language when it exists
    std::string matched_lang;                      // language of the text that matched
    double score = 0;                              // bm25, lower is better
};

// [SECTION] Pack reader ---------------------------------------------------------------------

enum class PackError : uint8_t { None, NotFound, NotAPack, SchemaMismatch, Corrupt };

struct OpenResult {
    bool ok = false;
    PackError code = PackError::None;
    std::string error;                             // for the log and the staff screen
};

// A read-only content pack. Move-only; every query uses statements prepared at open(), so one
// Pack is used by one thread at a time (a background task may own its own Pack on the same file).
// Reads never throw; a read that fails returns empty data and sets last_error().
class Pack {
public:
    Pack();
    ~Pack();
    Pack(Pack&&) noexcept;
    Pack& operator=(Pack&&) noexcept;
    Pack(const Pack&) = delete;
    Pack& operator=(const Pack&) = delete;

    OpenResult open(const std::string& path);      // read-only; checks schema and integrity
    bool is_open() const;                          // false until open() succeeded
    void close();                                  // releases the file (before a pack swap)
    // Drops SQLite's cached pages: open() checks every page and start-up reads every UI catalog
    // once, which would otherwise keep ~2 MB of pages nobody reads again. Queries refill it.
    void release_cache();
    size_t cache_bytes() const;                    // SQLite's page cache for this pack, in bytes

    int schema_version() const;                    // kSchemaVersion once open
    int content_version() const;                   // content/pack.txt content_version
    std::string expires() const;                   // YYYY-MM-DD; the updater checks it
    std::string manifest(std::string_view key) const;  // any manifest value, "" if absent

    std::vector<Topic> topics() const;             // display order
    std::vector<ProcedureSummary> procedures(std::string_view topic, std::string_view lang) const;
    ProcedureResult procedure(std::string_view id, std::string_view lang) const;

    std::vector<Service> services(std::string_view lang) const;  // sorted by name, collation of lang
    std::vector<Service> services_of_kind(std::string_view kind, std::string_view lang) const;
    bool service(std::string_view id, std::string_view lang, Service* out) const;  // false if unknown

    // Search as the visitor types: every word is a prefix; case, accents and diacritics ignored;
    // any input is safe. Hits in lang come first, then Italian, then other languages.
    std::vector<SearchHit> search(std::string_view query, std::string_view lang, int limit = 20) const;

    std::vector<Weekday> mediator_days(std::string_view desk) const;  // empty if none
    std::vector<std::string> extra_holidays() const;   // "MM-DD" of pack.txt, for next_day_of()
    // The office's opening hours as the compiler evaluated them: open (or unknown) intervals
    // over the pack's validity window. An empty table (valid_to == 0) for an unknown office or
    // a pack built before intervals existed: the kiosk then does not know.
    HoursTable office_hours(std::string_view id) const;

    std::vector<std::string> ui_languages() const;     // languages with compiled UI strings
    std::string ui_string(std::string_view key, std::string_view lang) const;  // exact, "" if absent
    locale::Catalog ui_catalog(std::string_view lang) const;  // for locale::Strings::add()

    const std::string& last_error() const;

    struct Impl;
private:
    std::unique_ptr<Impl> impl_;
};

// [SECTION] Compiler ------------------------------------------------------------------------

// Evaluates one office's OSM opening_hours over [from, to) (UTC seconds) with the pack's extra
// holidays; on failure returns false with *error saying why (without the file:line). Provided
// by kiosk/hours (KOpeningHours), which only sportello-admin and the tests link.
using HoursEvaluator = std::function<bool(const std::string& value, int64_t from, int64_t to,
                                          const std::vector<std::string>& extra_holidays, HoursTable* out,
                                          std::string* error)>;

struct BuildOptions {
    std::string content_dir;                       // content/
    std::string locales_dir;                       // locales/ ("" = no UI strings)
    std::string out_path;                          // the pack; written only on success
    HoursEvaluator evaluate_hours;                 // required when there are offices
    int64_t hours_from = 0;                        // UTC seconds: the intervals' window
    int64_t hours_to = 0;
};

struct Diagnostic {
    std::string path;                              // as reached from content_dir, e.g. "content/pack.txt"
    int line = 0;                                  // 1-based; 0 = whole file
    std::string message;
    std::string text() const;                      // "path:line: message"
};

struct BuildStats { int procedures = 0, translations = 0, services = 0, ui_strings = 0; };

struct BuildResult {
    bool ok = false;
    std::vector<Diagnostic> errors;                // every problem found; ok == errors.empty()
    std::vector<std::string> warnings;             // e.g. PO warnings of the locale module
    BuildStats stats;
};

// Validates every source and writes a deterministic pack (same sources -> same bytes) through
// a temporary file renamed at the end, so a failed build never leaves a pack behind.
BuildResult build_pack(const BuildOptions& options);

// [SECTION] Opening hours -------------------------------------------------------------------

// Italian public holidays (national + Easter Monday, 4 October from 2026) plus pack extras "MM-DD".
bool is_public_holiday(int year, int month, int day, const std::vector<std::string>& extra);

// Whether an office is open at a moment, and when that changes, as data for the UI.
struct OpenState {
    bool known = false;                            // now is inside the table's window
    bool unknown = false;                          // known, but the hours say neither open nor closed
    std::string comment;                           // the comment of the interval now, if any
    bool open = false;
    bool always = false;                           // open and never closes (24/7)
    bool change_known = false;                     // false: no change within two weeks (or the window)
    double change_at = 0;                          // ICU UDate (ms since epoch) of closing/opening
    Weekday change_day = Weekday::Mo;              // local weekday of change_at (Europe/Rome)
    int change_minutes = 0;                        // local minutes since midnight of change_at
    bool change_today = false;                     // same local date as now
    // Unix ms until which open_state gives the same answer, all but change_today (which turns at
    // local midnight): the next change, the moment it comes within the two weeks announced, the
    // end of this interval's comment, the window's start or end. INT64_MAX: never.
    int64_t same_until_ms = INT64_MAX;
};
OpenState open_state(const HoursTable& hours, double now_udate, std::string_view tz = "Europe/Rome");

// The next local date that is one of days and not a public holiday (after today, or from today
// with include_today), as the UDate of its local noon: "come back on Thursday" for a mediator
// desk. False when no such day comes in the next five weeks (e.g. days is empty).
bool next_day_of(const std::vector<Weekday>& days, double now_udate, bool include_today,
                 const std::vector<std::string>& extra_holidays, double* out,
                 std::string_view tz = "Europe/Rome");

// Localized pieces for "Open now, until {time}" / "Closed. Opens {day} at {time}".
std::string format_weekday(double udate, std::string_view lang, std::string_view tz = "Europe/Rome");
std::string format_time(double udate, std::string_view lang, std::string_view tz = "Europe/Rome");

// [SECTION] Text: search folding and collation ----------------------------------------------

// Folds text for the search index and queries: NFKD, marks of Latin/Greek/Cyrillic/Arabic
// removed, Arabic tatweel removed and letter variants unified, case folded, punctuation to
// spaces; CJK ideographs become one token each. Returns tokens separated by single spaces.
std::string fold(std::string_view utf8);

// Sorts strings in the collation order of lang (ICU Collator).
void collate_sort(std::vector<std::string>& items, std::string_view lang);
// Sorts services by name with the collation of lang.
void sort_services(std::vector<Service>& services, std::string_view lang);

}  // namespace content
