// The kiosk on a content pack built from the real demo sources.
#include "harness.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

using harness::element;

// Builds a pack from the demo sources, or from a test's own changed copy of them, with the
// opening hours' window over the headless kiosk's virtual clock (2026-11-23).
static std::string build_demo_pack(const std::string& dir, const std::string& sources = SPORTELLO_SOURCE_DIR "/content") {
  std::string pack = dir + "/demo.pack";
  std::string cmd = std::string(SPORTELLO_ADMIN_BIN) + " build --content " + sources + " --locales "
                    SPORTELLO_SOURCE_DIR "/locales --out " + pack + " --hours-from 2026-11-01 > " + dir + "/admin.log 2>&1";
  return system(cmd.c_str()) == 0 ? pack : "";
}

static std::string copy_demo_sources(const std::string& dir) {
  std::string sources = dir + "/content";
  std::filesystem::copy(SPORTELLO_SOURCE_DIR "/content", sources, std::filesystem::copy_options::recursive);
  return sources;
}

// Replaces the first `from` in a file.
static void replace_in_file(const std::string& path, const std::string& from, const std::string& to) {
  std::string text = harness::read_file(path);
  size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  harness::write_file(path, text.replace(at, from.size(), to));
}

// Opens a procedure in a language, dumps its top as "top", scrolls `pages` screens down (with
// time for the inertia to stop) and dumps "bottom".
static std::string procedure_script(const std::string& lang, const std::string& topic, const std::string& proc,
                                    int pages) {
  std::string s = "tap home.start\ntap lang." + lang + "\ntap welcome.start\ntap topic." + topic + "\n";
  s += "dump topic\ntap proc." + proc + "\ndump top\n";
  for (int i = 0; i < pages; i++) s += "drag 960 900 960 150 200\nwait 3000\n";
  return s + "dump bottom\n";
}

TEST_CASE("a topic lists its procedures and a procedure shows numbered steps and office cards", "[e2e][content]") {
  std::string pack = build_demo_pack(harness::temp_dir("pack"));
  REQUIRE_FALSE(pack.empty());
  harness::Run run = harness::run_kiosk(
      "tap home.start\ntap lang.it\ntap welcome.start\ntap topic.permits\ndump topic\n"
      "tap proc.permit-renewal\ndump proc\ntap nav.mediator\ndump mediator\n",
      {"--content", pack});
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  nlohmann::json topic = harness::load_dump(run, "topic");
  CHECK(topic["screen"] == "topic");
  CHECK(element(topic, "proc.permit-renewal").is_object());
  nlohmann::json proc = harness::load_dump(run, "proc");
  CHECK(proc["screen"] == "procedure");
  CHECK(element(proc, "proc.title")["lang"] == "it");
  nlohmann::json step = element(proc, "steps.1");
  REQUIRE(step.is_object());
  CHECK(step["role"] == "step");
  CHECK(step["text"].get<std::string>().rfind("1. ", 0) == 0);
  CHECK_FALSE(element(proc, "notice.fallback").is_object());  // Italian is the source
  // "Talk to a mediator" from the page: the page's topic is preselected.
  nlohmann::json mediator = harness::load_dump(run, "mediator");
  CHECK(mediator["screen"] == "mediator");
  CHECK(element(mediator, "mediator.topic.permits")["selected"] == true);
  CHECK(element(mediator, "mediator.topic.health")["selected"] == false);
}

TEST_CASE("Arabic without a translation: mirrored page, fallback notice, offices with open-now", "[e2e][content]") {
  // Without Arabic procedure texts, so the test does not depend on which translations exist today.
  std::string dir = harness::temp_dir("pack"), sources = copy_demo_sources(dir);
  for (const auto& f : std::filesystem::recursive_directory_iterator(sources + "/procedures"))
    if (f.path().filename() == "ar.md") std::filesystem::remove(f.path());
  std::string pack = build_demo_pack(dir, sources);
  REQUIRE_FALSE(pack.empty());
  harness::Run run = harness::run_kiosk(procedure_script("ar", "permits", "permit-renewal", 2), {"--content", pack});
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  nlohmann::json top = harness::load_dump(run, "top");
  CHECK(top["direction"] == "rtl");
  nlohmann::json notice = element(top, "notice.fallback");
  REQUIRE(notice.is_object());
  CHECK(notice["lang"] == "ar");
  CHECK(element(top, "proc.title")["lang"] != "ar");   // the text itself is the fallback language
  nlohmann::json back = element(top, "nav.back");
  CHECK(back["rect"][0].get<float>() > 960);            // mirrored
  nlohmann::json bottom = harness::load_dump(run, "bottom");
  bool office_with_state = false;
  for (const auto& e : bottom["elements"]) {
    std::string id = e["id"];
    if (id.rfind("office.", 0) == 0 && id.size() > 5 && id.substr(id.size() - 5) == ".open") office_with_state = true;
  }
  CHECK(office_with_state);
}

TEST_CASE("a page that outgrows the glyph atlas is laid out again, never presented with glyphs missing", "[e2e][content]") {
  std::string pack = build_demo_pack(harness::temp_dir("pack"));
  REQUIRE_FALSE(pack.empty());
  // The home screen fits the initial atlas; a long Arabic procedure page does not.
  harness::Run run = harness::run_kiosk(procedure_script("ar", "health", "health-enrolment", 3), {"--content", pack});
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  CHECK(run.stderr_text.find("glyph atlas grew to 1024x1024") != std::string::npos);
  CHECK(run.stderr_text.find("glyphs missing") == std::string::npos);
  nlohmann::json bottom = harness::load_dump(run, "bottom");
  CHECK(bottom["screen"] == "procedure");
}

TEST_CASE("scrolling headless for a while does not pile up memory in the GL driver", "[e2e][content]") {
  std::string pack = build_demo_pack(harness::temp_dir("pack"));
  REQUIRE_FALSE(pack.empty());
  // An offscreen surface has nothing to swap; unless each frame is flushed, Mesa keeps every
  // frame's vertex buffers: about 50 MB a drag here, 2 GB after 40 drags.
  std::string script = procedure_script("ar", "permits", "permit-renewal", 0) + "dump before\n";
  for (int i = 0; i < 8; i++) script += "drag 960 900 960 300 250\nwait 400\ndrag 960 300 960 900 250\nwait 400\n";
  script += "dump after\n";
  harness::Run run = harness::run_kiosk(script, {"--content", pack});
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  INFO("peak resident memory " << run.peak_rss_kb / 1024 << " MiB");
  CHECK(run.peak_rss_kb > 50 * 1024);    // it is the kiosk's, not only the shell's
  CHECK(run.peak_rss_kb < 300 * 1024);

  // What the kiosk holds after the drags when each frame is waited for (--frame-stats does), as on
  // a screen, where the swap presents a frame once llvmpipe has drawn it. Without that wait
  // llvmpipe queues frames ahead of its drawing, each with its memory: 70 MB more held here.
  harness::Run waited = harness::run_kiosk(script, {"--content", pack, "--frame-stats", harness::temp_dir("frames") + "/f.txt"});
  REQUIRE(waited.exit_code == 0);
  const long before = harness::load_dump(waited, "before")["rss_trimmed_kb"];
  const long after = harness::load_dump(waited, "after")["rss_trimmed_kb"];
  INFO("held after the allocator's trim: " << before / 1024 << " MiB before the drags, " << after / 1024 << " after");
  CHECK(after > 50 * 1024);
  CHECK(after - before < 16 * 1024);
}

// Frames the kiosk drew while a finger was down or a list coasted (--frame-stats writes one line each).
static size_t frames_drawn(const std::string& script, const std::vector<std::string>& args) {
  std::string stats = harness::temp_dir("frames") + "/frames.txt";
  std::vector<std::string> all = args;
  all.insert(all.end(), {"--frame-stats", stats});
  harness::Run run = harness::run_kiosk(script, all);
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  std::string text = harness::read_file(stats);
  return (size_t)std::count(text.begin(), text.end(), '\n');
}

TEST_CASE("a drag draws a frame per step where a list moves, and none where nothing can move", "[e2e][content]") {
  std::string pack = build_demo_pack(harness::temp_dir("pack"));
  REQUIRE_FALSE(pack.empty());
  // 250 ms at 16 ms a step: 15 moves. At 1920x1080 the 18 languages fit on one screen and their
  // list cannot scroll: the only frames with a finger down are the tap's press, the drag's press
  // and the start of the drag (where a press highlight would go).
  size_t still = frames_drawn("tap home.start\ndrag 960 900 960 300 250\n", {"--content", pack});
  CHECK(still >= 1);
  CHECK(still <= 3);
  // A slow drag on the Arabic page: 125 steps of 2.4 px, each moving the list. The script ends
  // with the release, before any coasting. With the taps' and the drag's presses, a kiosk that drew
  // no frame for a moving list would draw 7; one that draws each step about 130.
  size_t moving = frames_drawn(procedure_script("ar", "permits", "permit-renewal", 0) + "drag 960 900 960 600 2000\n",
                               {"--content", pack});
  CHECK(moving >= 125);
}

TEST_CASE("a pack of the wrong kind puts the kiosk out of service in every language, and it stays up", "[e2e][content]") {
  std::string dir = harness::temp_dir("badpack");
  harness::write_file(dir + "/broken.pack", "this is not a content pack");
  harness::Run run = harness::run_kiosk("dump oos\ntap-at 960 540\nwait 100000\ndump later\n", {"--content", dir + "/broken.pack"});
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  nlohmann::json oos = harness::load_dump(run, "oos");
  CHECK(oos["screen"] == "out-of-service");
  int languages = 0;
  for (const auto& e : oos["elements"])
    if (e["id"].get<std::string>().rfind("oos.", 0) == 0) languages++;
  CHECK(languages == 18);
  CHECK(harness::load_dump(run, "later")["screen"] == "out-of-service");
  CHECK(run.stderr_text.find("out of service") != std::string::npos);
}

TEST_CASE("search from the Arabic UI finds the permit procedures by their Italian name", "[e2e][content]") {
  std::string pack = build_demo_pack(harness::temp_dir("pack"));
  REQUIRE_FALSE(pack.empty());
  harness::Run run = harness::run_kiosk(
      "tap home.start\ntap lang.ar\ntap welcome.start\ntap nav.search\ndump keyboard\n"
      "type permesso di soggiorno\ndump results\ntap proc.permit-renewal\ndump page\n",
      {"--content", pack});
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  nlohmann::json keyboard = harness::load_dump(run, "keyboard");
  CHECK(element(keyboard, "key.ب")["role"] == "key");       // the Arabic keyboard for an Arabic visitor
  nlohmann::json results = harness::load_dump(run, "results");
  CHECK(element(results, "proc.permit-renewal").is_object());
  CHECK(element(results, "proc.first-permit").is_object());
  CHECK(harness::load_dump(run, "page")["screen"] == "procedure");
}

TEST_CASE("offices are listed in the visitor's collation order and filter by kind", "[e2e][content]") {
  std::string pack = build_demo_pack(harness::temp_dir("pack"));
  REQUIRE_FALSE(pack.empty());
  harness::Run run = harness::run_kiosk(
      "tap home.start\ntap lang.uk\ntap welcome.start\ntap nav.services\ndump all\ntap services.kind.questura\ndump q\n",
      {"--content", pack});
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  auto cards = [&](const char* dump) {
    std::vector<std::string> names;
    nlohmann::json tree = harness::load_dump(run, dump);  // kept alive: the loop reads into it
    for (const auto& e : tree["elements"])
      if (e["role"] == "card") names.push_back(e["text"]);
    return names;
  };
  std::vector<std::string> all = cards("all"), questura = cards("q");
  REQUIRE(all.size() >= 3);
  // Collation, not byte order: "Agenzia ..." comes before "ASL ..." (bytes would put "AS" first).
  CHECK(all[0].rfind("Agenzia", 0) == 0);
  CHECK(all[1].rfind("ASL", 0) == 0);
  REQUIRE(questura.size() >= 1);
  CHECK(questura.size() < all.size());
  CHECK(questura[0].find("Questura") != std::string::npos);
  CHECK(element(harness::load_dump(run, "q"), "services.kind.questura")["selected"] == true);
}

TEST_CASE("an office card turns to 'closed' at its closing minute, by the screen's own wake at that minute", "[e2e][content]") {
  // The "open now" line is worked out once a minute at most, not every frame, and a screen with
  // office hours wakes when one of the offices it shows opens or closes, and only then: nobody
  // needs to touch it. Headless runs start on Monday 2026-11-23 at 10:00 in Rome; this office
  // closes at 10:01, the others on the list not before 13:00. No idle prompt in the way: 1 h.
  std::string dir = harness::temp_dir("pack"), sources = copy_demo_sources(dir);
  replace_in_file(sources + "/services/asl-grosseto.txt", "hours: Mo-Fr 08:00-13:00; Tu,Th 08:00-13:00,14:30-17:00",
                  "hours: Mo-Fr 08:00-10:01");
  std::string pack = build_demo_pack(dir, sources);
  REQUIRE_FALSE(pack.empty());
  harness::Run run = harness::run_kiosk(
      "tap home.start\ntap lang.it\ntap welcome.start\ntap nav.services\ntap services.kind.health\n"
      "dump a\nwait 20000\ndump b\nwait 110000\ndump c\n"  // 10:00:00, 10:00:20, 10:02:10
      "tap nav.language\ntap lang.en\ntap welcome.start\ntap nav.services\ntap services.kind.health\ndump en\n"
      "tap nav.home\ndump h0\nwait 20000\ndump h1\n",
      {"--content", pack, "--idle-timeout", "3600"});
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  auto open_line = [&](const char* dump) {
    nlohmann::json e = element(harness::load_dump(run, dump), "office.asl-grosseto.open");
    return e.is_object() ? e : nlohmann::json{{"text", "(no line)"}, {"lang", ""}};
  };
  auto frames = [&](const char* dump) { return harness::load_dump(run, dump)["frames"].get<int64_t>(); };
  CHECK(open_line("a")["text"] == "Aperto ora, fino alle 10:01");
  CHECK(open_line("b")["text"] == "Aperto ora, fino alle 10:01");
  CHECK(open_line("c")["text"] == "Chiuso. Apre martedì alle 08:00");
  // A new language is a new card, in that language.
  CHECK(open_line("en")["lang"] == "en");
  CHECK(open_line("en")["text"].get<std::string>().rfind("Closed. Opens Tuesday", 0) == 0);
  // Frames: every step ends by drawing a few (the script player settles), and a wait adds only
  // what the kiosk wakes for: nothing in 20 s on the list or on home, one frame at 10:01 (none at
  // 10:02: nothing on the list changes then).
  int64_t still = frames("b") - frames("a");
  CHECK(frames("c") - frames("b") == still + 1);
  CHECK(frames("h1") - frames("h0") == still);
}

TEST_CASE("'show Italian too' puts the Italian text beside the visitor's, section by section", "[e2e][content]") {
  std::string pack = build_demo_pack(harness::temp_dir("pack"));
  REQUIRE_FALSE(pack.empty());
  harness::Run run = harness::run_kiosk(
      "tap home.start\ntap lang.en\ntap welcome.start\ntap topic.permits\ntap proc.permit-renewal\ndump alone\n"
      "tap proc.show_italian\ndump beside\n",
      {"--content", pack});
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  nlohmann::json alone = harness::load_dump(run, "alone"), beside = harness::load_dump(run, "beside");
  CHECK_FALSE(element(alone, "it.section.steps").is_object());
  nlohmann::json en = element(beside, "steps.1"), it = element(beside, "it.steps.1");
  REQUIRE(en.is_object());
  REQUIRE(it.is_object());
  CHECK(it["lang"] == "it");
  CHECK(it["rect"][0].get<float>() > en["rect"][0].get<float>() + en["rect"][2].get<float>());  // beside, not below
  CHECK(element(beside, "proc.show_italian")["selected"] == true);
}

TEST_CASE("'come back to this desk' offers the next mediator day the pack lists for this desk, not a holiday", "[e2e][content]") {
  std::string pack = build_demo_pack(harness::temp_dir("pack"));
  REQUIRE_FALSE(pack.empty());
  // The same pack with Thursday 26 November as a local holiday: Arcidosso's desk moves a week on.
  std::string dir = harness::temp_dir("pack"), sources = copy_demo_sources(dir);
  replace_in_file(sources + "/pack.txt", "extra_holidays: 08-10", "extra_holidays: 11-26, 08-10");
  std::string holiday_pack = build_demo_pack(dir, sources);
  REQUIRE_FALSE(holiday_pack.empty());
  const std::string script = "tap home.start\ntap lang.it\ntap welcome.start\ntap nav.mediator\ndump how\n";
  // The virtual clock starts on Monday 23 November 2026, 10:00 in Rome.
  struct Case {
    std::vector<std::string> args;
    const char* day;
  } cases[] = {
      {{"--content", pack, "--desk", "comune-arcidosso"}, "giovedì 26 novembre"},         // pack: Th
      {{"--content", pack, "--desk", "infoimmigrati-grosseto"}, "mercoledì 25 novembre"},  // pack: Mo,We,Fr
      {{"--content", pack, "--desk", "not-in-the-pack", "--mediator-days", "Fr"}, "venerdì 27 novembre"},
      {{"--content", pack}, "martedì 24 novembre"},  // no desk: the default Tu,Th
      {{"--content", holiday_pack, "--desk", "comune-arcidosso"}, "giovedì 3 dicembre"},
  };
  for (const Case& c : cases) {
    harness::Run run = harness::run_kiosk(script, c.args);
    INFO(run.stderr_text << c.args.back());
    REQUIRE(run.exit_code == 0);
    if (c.args.size() > 3 && c.args[3] == "not-in-the-pack")  // a typo in the config is reported
      CHECK_THAT(run.stderr_text, Catch::Contains("no mediator days for desk \"not-in-the-pack\""));
    nlohmann::json desk = element(harness::load_dump(run, "how"), "mediator.at_desk");
    REQUIRE(desk.is_object());
    CHECK_THAT(desk["text"].get<std::string>(), Catch::Contains(c.day));
  }
}

// True when the UTF-8 text holds a character of the Bengali block (U+0980..U+09FF: E0 A6/A7 xx).
static bool has_bengali(const std::string& s) {
  for (size_t i = 0; i + 1 < s.size(); i++)
    if ((unsigned char)s[i] == 0xE0 && ((unsigned char)s[i + 1] == 0xA6 || (unsigned char)s[i + 1] == 0xA7)) return true;
  return false;
}

TEST_CASE("Bengali: a topic, a procedure with its steps in Bengali, an office card", "[e2e][content]") {
  std::string pack = build_demo_pack(harness::temp_dir("pack"));
  REQUIRE_FALSE(pack.empty());
  harness::Run run = harness::run_kiosk(procedure_script("bn", "health", "health-enrolment", 3), {"--content", pack});
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == 0);
  nlohmann::json topic = harness::load_dump(run, "topic");
  CHECK(topic["lang"] == "bn");
  nlohmann::json entry = element(topic, "proc.health-enrolment");
  REQUIRE(entry.is_object());
  CHECK(has_bengali(entry["text"]));

  nlohmann::json top = harness::load_dump(run, "top");
  CHECK(top["screen"] == "procedure");
  CHECK(top["direction"] == "ltr");
  CHECK(element(top, "proc.title")["lang"] == "bn");
  CHECK_FALSE(element(top, "notice.fallback").is_object());  // the Bengali text exists
  CHECK(element(top, "badge.machine").is_object());          // and says it is a machine translation
  nlohmann::json step = element(top, "steps.1");
  REQUIRE(step.is_object());
  CHECK(step["role"] == "step");
  CHECK(step["lang"] == "bn");
  CHECK(has_bengali(step["text"]));

  nlohmann::json bottom = harness::load_dump(run, "bottom");
  nlohmann::json office = element(bottom, "office.asl-grosseto");
  REQUIRE(office.is_object());
  CHECK(element(bottom, "office.asl-grosseto.address").is_object());
  nlohmann::json open = element(bottom, "office.asl-grosseto.open");
  REQUIRE(open.is_object());
  CHECK(open["lang"] == "bn");
  CHECK(has_bengali(open["text"]));
}

TEST_CASE("a translation older than its Italian source shows the 'older' badge", "[e2e][content]") {
  std::string dir = harness::temp_dir("pack"), sources = copy_demo_sources(dir);
  replace_in_file(sources + "/procedures/tax-code/it.md", "revision: 1", "revision: 2");  // the Italian changed
  std::string pack = build_demo_pack(dir, sources);
  REQUIRE_FALSE(pack.empty());
  auto script = [](const std::string& lang) {
    return "tap home.start\ntap lang." + lang + "\ntap welcome.start\ntap topic.documents\ntap proc.tax-code\ndump page\n";
  };
  harness::Run ar = harness::run_kiosk(script("ar"), {"--content", pack});
  INFO(ar.stderr_text);
  REQUIRE(ar.exit_code == 0);
  nlohmann::json page = harness::load_dump(ar, "page");
  nlohmann::json older = element(page, "badge.outdated");
  REQUIRE(older.is_object());
  CHECK(older["lang"] == "ar");
  CHECK(element(page, "badge.machine").is_object());
  // Italian is the source itself: no badge.
  harness::Run it = harness::run_kiosk(script("it"), {"--content", pack});
  REQUIRE(it.exit_code == 0);
  CHECK_FALSE(element(harness::load_dump(it, "page"), "badge.outdated").is_object());
  CHECK_FALSE(element(harness::load_dump(it, "page"), "badge.machine").is_object());
}
