// bench-content: search, page and build figures. Prints, never asserts.
//   - pack build time for the demo content/ + locales/
//   - search latency per keystroke (queries typed letter by letter in several languages)
//   - procedure page read time on a cold pack (fresh open, first read) and warm
#include "content/content.h"
#include "hours/hours.h"
#ifdef BENCH_WITH_TEXT
#include "text.h"
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>
#include <unistd.h>

using Clock = std::chrono::steady_clock;

static double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

static double pct(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, size_t(p / 100.0 * double(v.size())))];
}

// Feeds a query one UTF-8 character at a time, as an on-screen keyboard does.
static std::vector<std::string> keystrokes(const std::string& q) {
    std::vector<std::string> out;
    for (size_t i = 1; i <= q.size(); i++)
        if (i == q.size() || (static_cast<unsigned char>(q[i]) & 0xC0) != 0x80) out.push_back(q.substr(0, i));
    return out;
}

static int run(const std::string& content_dir, const std::string& locales_dir, const char* label);

int main(int argc, char** argv) {
    std::string root = argc > 1 ? argv[1] : SPORTELLO_SOURCE_DIR;
    std::printf("== demo content (18 languages)\n");
    return run(root + "/content", root + "/locales", "demo");
}

static int run(const std::string& content_dir, const std::string& locales_dir, const char* label) {
    std::string pack_path = (std::filesystem::temp_directory_path() / ("bench-content-" + std::to_string(getpid()) + ".sqlite")).string();

    std::vector<double> builds;
    content::BuildResult br;
    for (int i = 0; i < 5; i++) {
        auto t0 = Clock::now();
        content::BuildOptions o;
        o.content_dir = content_dir;
        o.locales_dir = locales_dir;
        o.out_path = pack_path;
        o.evaluate_hours = hours::evaluator();
        hours::local_midnight("2026-11-01", 0, &o.hours_from);
        hours::local_midnight("2027-12-31", 0, &o.hours_to);
        br = content::build_pack(o);
        builds.push_back(ms_since(t0));
        if (!br.ok) {
            for (auto& e : br.errors) std::fprintf(stderr, "%s\n", e.text().c_str());
            return 1;
        }
    }
    std::printf("pack build (%s: %d procedures, %d texts, %d offices, %d UI strings, %llu bytes): median %.1f ms, max %.1f ms\n",
                label, br.stats.procedures, br.stats.translations, br.stats.services, br.stats.ui_strings,
                static_cast<unsigned long long>(std::filesystem::file_size(pack_path)), pct(builds, 50), pct(builds, 100));

    content::Pack pack;
    content::OpenResult orr = pack.open(pack_path);
    if (!orr.ok) { std::fprintf(stderr, "%s\n", orr.error.c_str()); return 1; }
    struct Q { const char* lang; const char* text; };
    const Q queries[] = {{"it", "permesso di soggiorno"}, {"ar", "permesso di soggiorno"}, {"en", "residence permit"},
                         {"it", "codice fiscale"}, {"ar", "تصريح الإقامة"}, {"zh", "居留许可"}, {"uk", "посвідка на проживання"},
                         {"bn", "বসবাসের অনুমতি"}, {"fr", "carte d'identité"}, {"en", "driving licence"}, {"it", "questura grosseto"},
                         {"ru", "вид на жительство"}, {"it", "iscrizione anagrafica"}, {"en", "school"}};
    std::vector<double> lat;
    size_t hits = 0;
    for (int round = 0; round < 20; round++)
        for (const Q& q : queries)
            for (const std::string& typed : keystrokes(q.text)) {
                auto t0 = Clock::now();
                hits += pack.search(typed, q.lang, 20).size();
                lat.push_back(ms_since(t0));
            }
    std::printf("search per keystroke (%zu searches, %zu hits): p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
                lat.size(), hits, pct(lat, 50), pct(lat, 99), pct(lat, 100));

    // Cold: a fresh open (file pages from the OS cache, no SQLite cache, statements new) then
    // the page's reads: procedure text + its offices. Shaping is the text engine's, not here.
    std::vector<double> cold, warm;
    const char* langs[] = {"it", "en", "ar", "zh", "bn", "uk"};
    std::vector<std::string> ids;
    for (const content::Topic& t : pack.topics())
        for (const content::ProcedureSummary& s : pack.procedures(t.id, "it")) ids.push_back(s.id);
    for (const std::string& id : ids)
        for (const char* lang : langs) {
            content::Pack fresh;
            auto t0 = Clock::now();
            fresh.open(pack_path);
            content::ProcedureResult r = fresh.procedure(id, lang);
            for (const std::string& o : r.procedure.offices) { content::Service s; fresh.service(o, lang, &s); }
            cold.push_back(ms_since(t0));
            t0 = Clock::now();
            r = pack.procedure(id, lang);
            for (const std::string& o : r.procedure.offices) { content::Service s; pack.service(o, lang, &s); }
            warm.push_back(ms_since(t0));
        }
    std::printf("procedure page data, cold (open pack + read): p50 %.2f ms, max %.2f ms\n", pct(cold, 50), pct(cold, 100));
    std::printf("procedure page data, warm (pack open): p50 %.3f ms, max %.3f ms\n", pct(warm, 50), pct(warm, 100));

#ifdef BENCH_WITH_TEXT
    // The whole page as the kiosk opens it: fresh pack open, procedure + offices read, every
    // string of the page shaped and broken into lines. Each round uses a new wrap width so no
    // layout comes from the engine's cache (cold); fonts stay open as in a running kiosk.
    text::EngineConfig tc;
    tc.font_dir = SPORTELLO_FONT_DIR;
    std::unique_ptr<text::Engine> engine = text::Engine::create(tc);
    if (engine->ok()) {
        std::vector<double> shaped;
        float width = 1500;
        for (int round = 0; round < 3; round++)
            for (const std::string& id : ids)
                for (const char* lang : langs) {
                    width += 1;
                    auto t0 = Clock::now();
                    content::Pack fresh;
                    fresh.open(pack_path);
                    content::ProcedureResult r = fresh.procedure(id, lang);
                    text::Style st;
                    st.lang = r.procedure.lang;
                    engine->layout(r.procedure.title, st, width);
                    engine->layout(r.procedure.summary, st, width);
                    for (const content::Section& sec : r.procedure.sections) {
                        engine->layout(sec.heading, st, width);
                        for (const content::Block& b : sec.blocks) engine->layout(b.text, st, width);
                    }
                    for (const std::string& o : r.procedure.offices) {
                        content::Service s;
                        fresh.service(o, lang, &s);
                        engine->layout(s.name, st, width);
                        engine->layout(s.address, st, width);
                        engine->layout(s.notes, st, width);
                    }
                    shaped.push_back(ms_since(t0));
                }
        std::printf("procedure page, cold, shaping included (open + read + layout of every string): p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
                    pct(shaped, 50), pct(shaped, 99), pct(shaped, 100));
    } else {
        std::printf("procedure page with shaping: skipped (%s)\n", engine->error().c_str());
    }
#endif

    // Office cards: "open now / opens Tuesday 9:00" for every office in several languages.
    std::vector<double> cards;
    double now = 1795000000000.0;                         // a fixed moment, Nov 2026
    for (int round = 0; round < 20; round++)
        for (const char* lang : langs)
            for (const content::Service& s : pack.services(lang)) {
                auto t0 = Clock::now();
                content::OpenState st = content::open_state(pack.office_hours(s.id), now);
                std::string line = content::format_weekday(st.change_at, lang) + content::format_time(st.change_at, lang);
                cards.push_back(ms_since(t0));
            }
    std::printf("office card open-state + localized day/time: p50 %.3f ms, p99 %.3f ms, first %.2f ms (formatter cache cold)\n",
                pct(cards, 50), pct(cards, 99), cards.empty() ? 0.0 : cards[0]);
    std::filesystem::remove(pack_path);
    return 0;
}
