// sportello-admin: builds the content pack from content/ and locales/, and signs releases of it.
//
//   sportello-admin build --content DIR --locales DIR --out PACK
//   sportello-admin search --pack PACK --lang LANG WORDS...   (what a visitor would find)
//   sportello-admin keygen | release | verify ...            (release_cmds.cpp)
//   sportello-admin map --osm EXTRACT --out MAP.mbtiles       (map_cmds.cpp: the offline map's tiles)
//
// Exit codes: 0 done; 1 failure (for build: the sources have errors, each printed as
// path:line: message, no pack written); 2 bad command line.
#include "content/content.h"
#include "hours/hours.h"
#include "release_cmds.h"
#include "hub_cmds.h"
#include "map_cmds.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

static const char* const kUsage =
    "usage: sportello-admin build --content DIR [--locales DIR] --out PACK [--hours-from YYYY-MM-DD]\n"
    "                             [--hours-days N]\n"
    "       sportello-admin search --pack PACK --lang LANG WORDS...\n"
    "       sportello-admin keygen --out DIR [--no-passphrase]\n"
    "       sportello-admin release --pack PACK [--map FILE] --key SECRET [--key SECRET2 ...] --out DIR\n"
    "                               [--expires-days N]\n"
    "       sportello-admin verify --release DIR --trust PUBFILE [--trust PUBFILE2 ...] [--threshold N]\n"
    "                              [--min-version N]\n"
    "       sportello-admin publish|revert|status --hub URL --admin-token FILE ...  (the hub's releases)\n"
    "       sportello-admin map --osm EXTRACT.osm.pbf [--bbox W,S,E,N] [--pack PACK] --out MAP.mbtiles\n"
    "\n"
    "build validates the content sources (content/README.md) and the UI strings (locales/*.po) and\n"
    "writes one SQLite content pack. Offices' opening hours are evaluated (KOpeningHours, Italian\n"
    "public holidays, Europe/Rome) into explicit intervals from --hours-from (default: a week before\n"
    "today) for --hours-days days (default 407); outside them the kiosk says it does not know. Same\n"
    "sources and window give a byte-identical pack.\n"
    "\n"
    "keygen writes an Ed25519 release key: DIR/release.key (mode 0600, sealed with a passphrase) and\n"
    "DIR/release.pub (what kiosks and the hub trust). release signs a pack (and the offline map) into\n"
    "DIR/manifest.json and DIR/targets/<sha256>, expiring in 90 days unless told. verify checks a\n"
    "release directory as a kiosk would. Passphrases come from SPORTELLO_KEY_PASSPHRASE, else the\n"
    "terminal, else one line of stdin per sealed key.\n"
    "\n"
    "exit codes: 0 done, 1 failure (build: errors in the sources, no pack written; verify: refused),\n"
    "2 bad usage\n";

static int usage(const char* problem) {
    if (problem) std::fprintf(stderr, "sportello-admin: %s\n\n", problem);
    std::fputs(kUsage, problem ? stderr : stdout);
    return problem ? 2 : 0;
}

static int build(int argc, char** argv) {
    content::BuildOptions o;
    o.evaluate_hours = hours::evaluator();
    std::string hours_from;
    int hours_days = hours::kWindowDays;
    for (int i = 2; i < argc; i++) {
        std::string a = argv[i];
        if (a == "--help" || a == "-h") return usage(nullptr);
        if (i + 1 >= argc) return usage(("missing value after " + a).c_str());
        if (a == "--content") o.content_dir = argv[++i];
        else if (a == "--locales") o.locales_dir = argv[++i];
        else if (a == "--out") o.out_path = argv[++i];
        else if (a == "--hours-from") hours_from = argv[++i];
        else if (a == "--hours-days") {
            char* end = nullptr;
            long n = std::strtol(argv[++i], &end, 10);
            if (!end || *end || n < 1 || n > 3660) return usage("--hours-days must be a number of days from 1 to 3660");
            hours_days = int(n);
        } else return usage(("unknown option " + a).c_str());
    }
    if (o.content_dir.empty() || o.out_path.empty()) return usage("--content and --out are required");
    if (hours_from.empty()) {
        o.hours_from = hours::local_midnight_of(std::time(nullptr), -hours::kDaysBefore);
        o.hours_to = hours::local_midnight_of(std::time(nullptr), hours_days - hours::kDaysBefore);
    } else if (!hours::local_midnight(hours_from, 0, &o.hours_from) || !hours::local_midnight(hours_from, hours_days, &o.hours_to)) {
        return usage("--hours-from must be a date YYYY-MM-DD");
    }
    auto t0 = std::chrono::steady_clock::now();
    content::BuildResult r = content::build_pack(o);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    // On failure only the errors are printed: warnings would bury them.
    for (const content::Diagnostic& d : r.errors) std::fprintf(stderr, "%s\n", d.text().c_str());
    if (!r.ok) {
        std::fprintf(stderr, "sportello-admin: %zu error%s, no pack written\n", r.errors.size(), r.errors.size() == 1 ? "" : "s");
        return 1;
    }
    for (const std::string& w : r.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    std::printf("%s: %d procedures, %d texts, %d offices, %d UI strings (%.0f ms)\n", o.out_path.c_str(),
                r.stats.procedures, r.stats.translations, r.stats.services, r.stats.ui_strings, ms);
    return 0;
}

// Lets an editor check what a visitor typing WORDS in LANG would see, in ranked order.
static int search(int argc, char** argv) {
    std::string pack_path, lang = "it", query;
    for (int i = 2; i < argc; i++) {
        std::string a = argv[i];
        if ((a == "--pack" || a == "--lang") && i + 1 < argc) (a == "--pack" ? pack_path : lang) = argv[++i];
        else query += (query.empty() ? "" : " ") + a;
    }
    if (pack_path.empty()) return usage("--pack is required");
    content::Pack pack;
    content::OpenResult r = pack.open(pack_path);
    if (!r.ok) { std::fprintf(stderr, "sportello-admin: %s\n", r.error.c_str()); return 1; }
    for (const content::SearchHit& h : pack.search(query, lang, 20))
        std::printf("%-9s %-24s %-3s matched %-3s %8.3f  %s\n", h.kind == content::HitKind::Procedure ? "procedure" : "office",
                    h.id.c_str(), h.lang.c_str(), h.matched_lang.c_str(), h.score, h.title.c_str());
    return 0;
}

int main(int argc, char** argv) {
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) return usage(argc < 2 ? "missing command" : nullptr);
    if (!std::strcmp(argv[1], "build")) return build(argc, argv);
    if (!std::strcmp(argv[1], "search")) return search(argc, argv);
    if (!std::strcmp(argv[1], "keygen")) return admin_keygen(argc, argv);
    if (!std::strcmp(argv[1], "release")) return admin_release(argc, argv);
    if (!std::strcmp(argv[1], "verify")) return admin_verify(argc, argv);
    if (!std::strcmp(argv[1], "publish")) return admin_publish(argc, argv);
    if (!std::strcmp(argv[1], "revert")) return admin_revert(argc, argv);
    if (!std::strcmp(argv[1], "status")) return admin_status(argc, argv);
    if (!std::strcmp(argv[1], "map")) return admin_map(argc, argv);
    return usage((std::string("unknown command ") + argv[1]).c_str());
}
