// Shaping against hb-shape (libharfbuzz-bin) as an independent oracle, one case per line of
// shaping_cases.txt. For every run of the engine's layout, hb-shape is executed on the same font
// file, face index, scale, direction, script, language and context; glyph ids, clusters, advances
// and offsets must be identical.
#include "text.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace {

struct Case {
    int line = 0;
    std::string font, text, lang = "en";
    float size = 24, width = 0;
    bool bold = false;
    text::Direction dir = text::Direction::Auto;
};

std::string trim(std::string s) {
    size_t a = s.find_first_not_of(' '), b = s.find_last_not_of(' ');
    return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

std::vector<Case> read_cases() {
    std::vector<Case> cases;
    std::ifstream in(SHAPING_CASES);
    std::string line;
    for (int n = 1; std::getline(in, line); n++) {
        if (line.empty() || line[0] == '#') continue;
        size_t s1 = line.find(';'), s2 = line.find(';', s1 + 1);
        REQUIRE(s2 != std::string::npos);
        Case c;
        c.line = n;
        c.font = trim(line.substr(0, s1));
        c.text = trim(line.substr(s2 + 1));
        std::string opts = line.substr(s1 + 1, s2 - s1 - 1);
        size_t p = 0;
        while ((p = opts.find("--", p)) != std::string::npos) {
            size_t e = opts.find(' ', p);
            std::string o = opts.substr(p, e == std::string::npos ? std::string::npos : e - p);
            p += o.size();
            if (o.rfind("--lang=", 0) == 0) c.lang = o.substr(7);
            else if (o.rfind("--size=", 0) == 0) c.size = std::stof(o.substr(7));
            else if (o.rfind("--width=", 0) == 0) c.width = std::stof(o.substr(8));
            else if (o == "--bold") c.bold = true;
            else if (o == "--dir=rtl") c.dir = text::Direction::RightToLeft;
            else if (o == "--dir=ltr") c.dir = text::Direction::LeftToRight;
            else FAIL("unknown option " << o << " on line " << n);
        }
        cases.push_back(c);
    }
    return cases;
}

// Runs argv (no shell, so any text is passed as is) and returns its standard output.
std::string run_capture(const std::vector<std::string>& args, int* status) {
    int fd[2];
    REQUIRE(pipe(fd) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
    posix_spawn_file_actions_addclose(&fa, fd[0]);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fd[1]);
    std::string out;
    char buf[4096];
    ssize_t n;
    while (rc == 0 && (n = read(fd[0], buf, sizeof buf)) > 0) out.append(buf, (size_t)n);
    close(fd[0]);
    *status = -1;
    if (rc == 0) waitpid(pid, status, 0);
    return out;
}

std::string script_tag(uint32_t script) {
    char t[5] = {(char)(script >> 24), (char)(script >> 16), (char)(script >> 8), (char)script, 0};
    return t;
}

std::string basename_of(const std::string& p) { return p.substr(p.find_last_of('/') + 1); }

}  // namespace

TEST_CASE("shaping: every run equals hb-shape on the same font, scale, script, language and context",
          "[text][shaping]") {
    REQUIRE(access("/usr/bin/hb-shape", X_OK) == 0);
    auto engine = text::Engine::create({SPORTELLO_FONT_DIR});
    REQUIRE(engine->ok());
    std::vector<Case> cases = read_cases();
    REQUIRE(cases.size() >= 11);
    for (const Case& c : cases) {
        INFO("shaping_cases.txt line " << c.line << ": " << c.text);
        text::Style style;
        style.lang = c.lang;
        style.size_px = c.size;
        style.bold = c.bold;
        style.direction = c.dir;
        auto L = engine->layout(c.text, style, c.width);
        if (c.width > 0) REQUIRE(L->lines.size() > 1);   // runs cut at line ends are shaped again
        else REQUIRE(L->lines.size() == 1);
        REQUIRE(!L->runs.empty());
        const text::Run* longest = &L->runs[0];
        for (const text::Run& r : L->runs)
            if (r.text_end - r.text_start > longest->text_end - longest->text_start) longest = &r;
        CHECK(basename_of(engine->font_file(longest->font)) == c.font);
        int scale = (int)(c.size * 4.0f + 0.5f) * 16;   // quarter pixels in 26.6
        for (const text::Run& r : L->runs) {
            INFO("run [" << r.text_start << "," << r.text_end << ") script " << script_tag(r.script));
            std::vector<std::string> args = {
                "/usr/bin/hb-shape", "--font-file=" + engine->font_file(r.font),
                "--face-index=" + std::to_string(engine->font_face_index(r.font)),
                "--font-size=" + std::to_string(scale), std::string("--direction=") + (r.rtl ? "rtl" : "ltr"),
                "--script=" + script_tag(r.script), "--language=" + c.lang, "--no-glyph-names",
                "--output-format=json", "--utf8-clusters", "--text-before=" + L->text.substr(0, r.text_start),
                "--text-after=" + L->text.substr(r.text_end),
                "--text=" + L->text.substr(r.text_start, r.text_end - r.text_start)};
            int status = 0;
            std::string out = run_capture(args, &status);
            REQUIRE(status == 0);
            nlohmann::json oracle = nlohmann::json::parse(out);
            REQUIRE(oracle.size() == r.glyph_count);
            float pen = r.x;
            for (uint32_t i = 0; i < r.glyph_count; i++) {
                const text::Glyph& g = L->glyphs[r.first_glyph + i];
                const nlohmann::json& o = oracle[i];
                INFO("glyph " << i);
                CHECK(g.glyph_id != 0);   // no tofu: every font of the case has these characters
                CHECK(g.glyph_id == o["g"].get<uint32_t>());
                CHECK(g.cluster == r.text_start + o["cl"].get<uint32_t>());
                CHECK(std::lround(g.advance * 64) == o["ax"].get<long>());
                CHECK(std::lround((g.x - pen) * 64) == o["dx"].get<long>());
                CHECK(std::lround(-g.y * 64) == o["dy"].get<long>());
                pen += g.advance;
            }
        }
    }
}
