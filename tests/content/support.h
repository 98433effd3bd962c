// Helpers for the content tests: unique temporary folders (tests run in parallel), file I/O,
// and building the good fixture into a pack.
#pragma once

#include "content/content.h"
#include "hours/hours.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace testsupport {

namespace fs = std::filesystem;

// A fresh folder under the system temp dir, removed at scope exit.
struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "sportello-content-XXXXXX").string();
        if (char* p = mkdtemp(tmpl.data())) path = p;
    }
    ~TempDir() { std::error_code ec; fs::remove_all(path, ec); }
    std::string operator/(const std::string& name) const { return (path / name).string(); }
};

inline std::string fixture(const std::string& name) {
    return std::string(SPORTELLO_SOURCE_DIR) + "/tests/content/fixtures/" + name;
}

inline std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

inline void write_file(const std::string& path, const std::string& data) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << data;
}

// Build options with the opening hours evaluated over 2026-11-01 .. 2027-12-31 (Europe/Rome).
inline content::BuildOptions build_options(const std::string& content_dir, const std::string& locales_dir, const std::string& out) {
    content::BuildOptions o;
    o.content_dir = content_dir;
    o.locales_dir = locales_dir;
    o.out_path = out;
    o.evaluate_hours = hours::evaluator();
    hours::local_midnight("2026-11-01", 0, &o.hours_from);
    hours::local_midnight("2028-01-01", 0, &o.hours_to);
    return o;
}

// Builds tests/content/fixtures/good (+ fixture locales) into dir/pack.sqlite.
inline content::BuildResult build_good(const TempDir& dir, const std::string& name = "pack.sqlite") {
    return content::build_pack(build_options(fixture("good"), fixture("locales"), dir / name));
}

}  // namespace testsupport
