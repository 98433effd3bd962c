// The small parts of the format: UTC times, target names, hashes, files against their target.
#include "support.h"

#include <catch2/catch.hpp>

using namespace release;
using namespace rtest;

TEST_CASE("UTC times both ways", "[release][time]") {
    int64_t t = -1;
    REQUIRE(parse_utc("1970-01-01T00:00:00Z", &t));
    CHECK(t == 0);
    REQUIRE(parse_utc("2026-12-06T10:00:00Z", &t));
    CHECK(t == kNow);
    REQUIRE(parse_utc("2024-02-29T23:59:59Z", &t));  // leap day
    CHECK(t == 1709251199);
    REQUIRE(parse_utc("2000-02-29T00:00:00Z", &t));  // divisible by 400: leap
    CHECK(format_utc(t) == "2000-02-29T00:00:00Z");
    REQUIRE(parse_utc("1969-12-31T23:59:59Z", &t));
    CHECK(t == -1);
    CHECK(format_utc(-1) == "1969-12-31T23:59:59Z");
    CHECK(format_utc(0) == "1970-01-01T00:00:00Z");
    CHECK(format_utc(kNow) == "2026-12-06T10:00:00Z");
    REQUIRE(parse_utc("9999-12-31T23:59:59Z", &t));
    CHECK(format_utc(t) == "9999-12-31T23:59:59Z");
    CHECK(format_utc(t + 1) == "");  // year 10000 has no form
    for (int64_t x : {int64_t(0), int64_t(951782400), int64_t(4102444799), kNow + 12345})
        CHECK((parse_utc(format_utc(x), &t) && t == x));

    for (const char* bad : {"", "2026-12-06T10:00:00", "2026-12-06T10:00:00+01:00", "2026-12-06 10:00:00Z",
                            "2026-12-06T10:00:00.5Z", "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
                            "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-04-31T00:00:00Z", "2026-12-00T00:00:00Z",
                            "2026-12-06T24:00:00Z", "2026-12-06T10:60:00Z", "2026-12-06T10:00:60Z", "2026-12-06t10:00:00z",
                            "+026-12-06T10:00:00Z", "2026-1a-06T10:00:00Z", " 2026-12-06T10:00:00Z"})
        CHECK_FALSE(parse_utc(bad, &t));
}

TEST_CASE("target names are plain names", "[release]") {
    CHECK(valid_target_name("content.pack"));
    CHECK(valid_target_name("map.mbtiles"));
    CHECK(valid_target_name("a"));
    CHECK(valid_target_name("x-1_2.3"));
    CHECK(valid_target_name(std::string(64, 'a')));
    CHECK_FALSE(valid_target_name(std::string(65, 'a')));
    CHECK_FALSE(valid_target_name(""));
    CHECK_FALSE(valid_target_name("../x"));
    CHECK_FALSE(valid_target_name("a/b"));
    CHECK_FALSE(valid_target_name("a..b"));
    CHECK_FALSE(valid_target_name("UPPER"));
    CHECK_FALSE(valid_target_name(".hidden"));
    CHECK_FALSE(valid_target_name("-flag"));
    CHECK_FALSE(valid_target_name("a b"));
    CHECK_FALSE(valid_target_name(std::string("a\0b", 3)));
    CHECK_FALSE(valid_target_name("caf\xc3\xa9"));
}

TEST_CASE("sha256 as 64 lowercase hex", "[release]") {
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(valid_sha256_hex(sha256_hex("x")));
    CHECK_FALSE(valid_sha256_hex(std::string(64, 'A')));
    CHECK_FALSE(valid_sha256_hex(std::string(63, 'a')));
    CHECK_FALSE(valid_sha256_hex(std::string(65, 'a')));
    CHECK_FALSE(valid_sha256_hex(std::string(63, 'a') + "g"));
}

TEST_CASE("files against their target: size and hash", "[release]") {
    TempDir dir;
    const std::string path = dir / "t";
    write_file(path, "pack bytes");
    std::string hex, error;
    uint64_t size = 0;
    REQUIRE(sha256_file(path, &hex, &size, &error));
    CHECK(hex == sha_of("pack bytes"));
    CHECK(size == 10);
    Target t{"content.pack", sha_of("pack bytes"), 10};
    CHECK(file_matches(path, t, &error));
    write_file(path, "pack byte");
    CHECK_FALSE(file_matches(path, t, &error));
    CHECK(error == "size 9 instead of 10");
    write_file(path, "pack bytez");
    CHECK_FALSE(file_matches(path, t, &error));
    CHECK(error.find("SHA-256") != std::string::npos);
    CHECK_FALSE(file_matches(dir / "missing", t, &error));
    CHECK_FALSE(sha256_file(dir / "missing", &hex, &size, &error));
    CHECK(error.find("cannot open") != std::string::npos);
}

TEST_CASE("parse_manifest reads the inner manifest alone", "[release]") {
    Manifest m;
    std::string error;
    REQUIRE(parse_manifest(manifest_json(good_manifest(3)), &m, &error));
    CHECK(m.content_version == 3);
    CHECK_FALSE(parse_manifest("{\"format\":2}", &m, &error));
    CHECK(check_manifest("{\"format\":2}", &m, &error) == Refusal::UnsupportedFormat);
    CHECK(check_manifest("{\"format\":1}", &m, &error) == Refusal::BadManifest);
    CHECK(check_manifest(std::string(100000, '['), &m, &error) == Refusal::BadManifest);  // deep nesting
    CHECK(check_manifest("{\"format\":1,\"content_version\":1,\"x\":[[[[[[[[[[1]]]]]]]]]]}", &m, &error) == Refusal::BadManifest);
}
