// Keys and key files: ids, base64 forms, files written 0600, sealed keys and their passphrase,
// files others may read refused.
#include "support.h"

#include <catch2/catch.hpp>

#include <sys/stat.h>

using namespace release;
using namespace rtest;

static std::string read_all(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

TEST_CASE("public keys: id and base64 round trip", "[release][keys]") {
    SecretKey key = SecretKey::generate();
    PublicKey pk = key.public_key();
    CHECK(pk.id().size() == 16);
    CHECK(pk.id() == sha256_hex(std::string((const char*)pk.bytes.data(), 32)).substr(0, 16));
    CHECK(pk.base64().size() == 44);
    PublicKey back;
    std::string error;
    REQUIRE(parse_public_key("  " + pk.base64() + "\n", &back, &error));
    CHECK(back.bytes == pk.bytes);
    CHECK_FALSE(parse_public_key("", &back, &error));
    CHECK_FALSE(parse_public_key(pk.base64().substr(0, 40), &back, &error));
    CHECK_FALSE(error.empty());
    CHECK_FALSE(parse_public_key(encode_base64(pk.bytes.data(), 31), &back, &error));  // 31 bytes
    std::string noncanonical = pk.base64();
    // The last character before '=' carries 2 unused bits: a second spelling of the same key.
    char& last = noncanonical[42];
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    last = alphabet[alphabet.find(last) ^ 1];
    CHECK_FALSE(parse_public_key(noncanonical, &back, &error));
}

TEST_CASE("an empty secret key signs nothing", "[release][keys]") {
    SecretKey empty;
    CHECK_FALSE(empty.ok());
    CHECK(empty.sign("x") == std::array<unsigned char, 64>{});
    SecretKey moved = SecretKey::generate();
    SecretKey taken = std::move(moved);
    CHECK(taken.ok());
    CHECK_FALSE(moved.ok());
}

TEST_CASE("key files without a passphrase round trip", "[release][keys]") {
    TempDir dir;
    SecretKey key = SecretKey::generate();
    std::string error;
    REQUIRE(write_key_files(dir / "k", key, "", &error));
    struct stat st;
    REQUIRE(::stat((dir / "k/release.key").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK_FALSE(secret_key_needs_passphrase(dir / "k/release.key"));
    SecretKey back = read_secret_key(dir / "k/release.key", "", &error);
    REQUIRE(back.ok());
    CHECK(back.public_key().bytes == key.public_key().bytes);
    CHECK(back.sign("m") == key.sign("m"));
    PublicKey pk;
    REQUIRE(read_public_key_file(dir / "k/release.pub", &pk, &error));
    CHECK(pk.bytes == key.public_key().bytes);
    CHECK(read_all(dir / "k/release.pub") == key.public_key().base64() + "\n");
}

TEST_CASE("sealed key files need the right passphrase", "[release][keys]") {
    TempDir dir;
    SecretKey key = SecretKey::generate();
    std::string error;
    REQUIRE(write_key_files(dir.path, key, "correct horse", &error));
    const std::string path = dir / "release.key";
    const std::string text = read_all(path);
    CHECK(text.find("argon2id13") != std::string::npos);
    CHECK(text.find("\"seed\"") == std::string::npos);
    CHECK(secret_key_needs_passphrase(path));

    SecretKey wrong = read_secret_key(path, "correct hors", &error);
    CHECK_FALSE(wrong.ok());
    CHECK(error == "wrong passphrase");
    SecretKey none = read_secret_key(path, "", &error);
    CHECK_FALSE(none.ok());
    CHECK(error.find("passphrase") != std::string::npos);
    SecretKey right = read_secret_key(path, "correct horse", &error);
    REQUIRE(right.ok());
    CHECK(right.public_key().bytes == key.public_key().bytes);
}

TEST_CASE("key files: no overwrite, others may not read, damage detected", "[release][keys]") {
    TempDir dir;
    SecretKey key = SecretKey::generate(), second = SecretKey::generate();
    std::string error;
    REQUIRE(write_key_files(dir.path, key, "", &error));
    const std::string path = dir / "release.key";

    CHECK_FALSE(write_key_files(dir.path, second, "", &error));
    CHECK(error.find("already exists") != std::string::npos);
    CHECK(read_secret_key(path, "", &error).public_key().bytes == key.public_key().bytes);  // untouched

    REQUIRE(::chmod(path.c_str(), 0640) == 0);
    CHECK_FALSE(read_secret_key(path, "", &error).ok());
    CHECK(error.find("group or others") != std::string::npos);
    REQUIRE(::chmod(path.c_str(), 0604) == 0);
    CHECK_FALSE(read_secret_key(path, "", &error).ok());
    REQUIRE(::chmod(path.c_str(), 0600) == 0);
    CHECK(read_secret_key(path, "", &error).ok());

    // A public key that is not the secret's: the file was tampered with or half-copied.
    std::string text = read_all(path);
    const std::string pub = key.public_key().base64();
    text.replace(text.find(pub), pub.size(), second.public_key().base64());
    write_file(path, text);
    CHECK_FALSE(read_secret_key(path, "", &error).ok());
    CHECK(error.find("does not match") != std::string::npos);

    write_file(path, "{\"format\":\"something else\"}");
    CHECK_FALSE(read_secret_key(path, "", &error).ok());
    CHECK(error.find("not a Sportello release key") != std::string::npos);
    write_file(path, "garbage");
    CHECK_FALSE(read_secret_key(path, "", &error).ok());
    CHECK_FALSE(read_secret_key(dir / "missing.key", "", &error).ok());
    CHECK(error.find("cannot open") != std::string::npos);
    PublicKey pk;
    write_file(dir / "bad.pub", "hello\n");
    CHECK_FALSE(read_public_key_file(dir / "bad.pub", &pk, &error));
}
