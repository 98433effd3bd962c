// Signing and verification: a round trip, then one crafted manifest per refusal, thresholds,
// duplicate and untrusted signatures, and key rotation ("sign with both, then drop the old").
#include "support.h"

#include <catch2/catch.hpp>

using namespace release;
using namespace rtest;
using nlohmann::json;

namespace {
// The inner manifest of good_manifest() as a JSON object a test can break one field of.
json good_inner() { return json::parse(manifest_json(good_manifest())); }

Verified verify_inner(const json& inner, const SecretKey& key, int64_t min_version = 0) {
    return verify(envelope_of(inner.dump(), {&key}), trust_of({&key}), kNow, min_version);
}
}  // namespace

TEST_CASE("a signed release verifies and reads back what was signed", "[release]") {
    SecretKey key = SecretKey::generate();
    REQUIRE(key.ok());
    Manifest m = good_manifest();
    m.targets.push_back({"map.mbtiles", sha_of("tiles"), 5});
    const std::string env = sign(m, {&key});
    Verified v = verify(env, trust_of({&key}), kNow);
    REQUIRE(v.ok);
    CHECK(v.refusal == Refusal::None);
    CHECK(v.manifest.content_version == 7);
    CHECK(v.manifest.created == m.created);
    CHECK(v.manifest.expires == m.expires);
    REQUIRE(v.manifest.targets.size() == 2);
    CHECK(v.manifest.find("content.pack")->sha256 == sha_of("pack bytes"));
    CHECK(v.manifest.find("map.mbtiles")->size == 5);
    CHECK(v.manifest.find("other") == nullptr);
    CHECK(v.signed_by == std::vector<std::string>{key.public_key().id()});
    CHECK(v.sha256 == sha256_hex(env));
    CHECK(manifest_json(v.manifest) == manifest_json(m));
    CHECK(sign(m, {&key}) == env);  // Ed25519 is deterministic: same manifest and key, same bytes
}

TEST_CASE("the manifest JSON has the documented field order", "[release]") {
    CHECK(manifest_json(good_manifest()) ==
          "{\"format\":1,\"content_version\":7,\"created\":\"2026-12-06T09:00:00Z\",\"expires\":\"2027-03-06T10:00:00Z\","
          "\"targets\":[{\"name\":\"content.pack\",\"sha256\":\"" + sha_of("pack bytes") + "\",\"size\":10}]}");
}

TEST_CASE("sign refuses without a usable key", "[release]") {
    SecretKey empty;
    CHECK(sign(good_manifest(), {}) == "");
    CHECK(sign(good_manifest(), {&empty}) == "");
}

TEST_CASE("each refusal is reached by the manifest crafted for it", "[release]") {
    SecretKey key = SecretKey::generate(), other = SecretKey::generate();
    const Trust trust = trust_of({&key});
    const std::string good = sign(good_manifest(), {&key});
    auto refusal = [&](std::string_view env, int64_t min_version = 0) { return verify(env, trust, kNow, min_version).refusal; };

    SECTION("too large, refused unread") {
        std::string big = good;
        big.insert(big.size() - 1, kMaxManifestBytes, ' ');
        CHECK(refusal(big) == Refusal::TooLarge);
    }
    SECTION("not a manifest") {
        CHECK(refusal("<html><body>Welcome to the hotel wifi</body></html>") == Refusal::NotAManifest);
        CHECK(refusal("") == Refusal::NotAManifest);
        CHECK(refusal("[1,2]") == Refusal::NotAManifest);
        CHECK(refusal("{\"signatures\":[]}") == Refusal::NotAManifest);
        CHECK(refusal("{\"signed\":7,\"signatures\":[]}") == Refusal::NotAManifest);
        CHECK(refusal("{\"signed\":\"\xff\",\"signatures\":[]}") == Refusal::NotAManifest);           // not UTF-8
        CHECK(refusal("{\"signed\":\"\xc0\xaf\",\"signatures\":[]}") == Refusal::NotAManifest);       // overlong
        CHECK(refusal("{\"signed\":\"a\",\"signed\":\"b\",\"signatures\":[]}") == Refusal::NotAManifest);  // repeated key
        CHECK(refusal("{\"signed\":\"a\",\"signatures\":{}}") == Refusal::NotAManifest);
        CHECK(refusal("{\"signed\":\"a\",\"signatures\":[{\"keyid\":\"0011223344556677\",\"sig\":\"AAAA\"}]}") ==
              Refusal::NotAManifest);  // a signature of 3 bytes
        CHECK(refusal("{\"signed\":\"a\",\"signatures\":[1]}") == Refusal::NotAManifest);
        json env = json::parse(good);
        for (int i = 0; i < (int)kMaxSignatures; i++) env["signatures"].push_back(env["signatures"][0]);
        CHECK(refusal(env.dump()) == Refusal::NotAManifest);  // more than kMaxSignatures
    }
    SECTION("unsigned") {
        json env = json::parse(good);
        env["signatures"] = json::array();
        CHECK(refusal(env.dump()) == Refusal::Unsigned);
        env.erase("signatures");
        CHECK(refusal(env.dump()) == Refusal::Unsigned);
    }
    SECTION("unknown key") {
        Verified v = verify(sign(good_manifest(), {&other}), trust, kNow);
        CHECK(v.refusal == Refusal::UnknownKey);
        CHECK_FALSE(v.ok);
        CHECK(verify(good, Trust{}, kNow).refusal == Refusal::UnknownKey);  // a verifier that trusts nobody
    }
    SECTION("bad signature: the signed bytes changed after signing") {
        json env = json::parse(good);
        std::string inner = env["signed"];
        inner.replace(inner.find("\"content_version\":7"), 19, "\"content_version\":9");
        env["signed"] = inner;
        Verified v = verify(env.dump(), trust, kNow);
        CHECK(v.refusal == Refusal::BadSignature);
        CHECK(v.manifest.content_version == 0);  // nothing of a refused manifest is handed out
        // The signature bytes themselves flipped.
        json env2 = json::parse(good);
        std::string sig = env2["signatures"][0]["sig"];
        sig[0] = sig[0] == 'A' ? 'B' : 'A';
        env2["signatures"][0]["sig"] = sig;
        CHECK(refusal(env2.dump()) == Refusal::BadSignature);
        // A domain-separated signature: the same manifest signed without the prefix is not valid.
        json env3 = json::parse(good);
        auto raw = key.sign(env3["signed"].get<std::string>());
        env3["signatures"][0]["sig"] = encode_base64(raw.data(), raw.size());
        CHECK(refusal(env3.dump()) == Refusal::BadSignature);
    }
    SECTION("too few signatures") {
        Trust two = trust_of({&key, &other}, 2);
        Verified v = verify(good, two, kNow);
        CHECK(v.refusal == Refusal::TooFewSignatures);
        CHECK(v.signed_by.size() == 1);
    }
    SECTION("bad manifest") {
        auto with = [&](const char* field, json value) {
            json inner = good_inner();
            inner[field] = value;
            return verify_inner(inner, key).refusal;
        };
        CHECK(verify(envelope_of("not json", {&key}), trust, kNow).refusal == Refusal::BadManifest);
        CHECK(verify(envelope_of("[]", {&key}), trust, kNow).refusal == Refusal::BadManifest);
        CHECK(verify(envelope_of("{\"format\":1,\"format\":1}", {&key}), trust, kNow).refusal == Refusal::BadManifest);
        CHECK(with("content_version", 0) == Refusal::BadManifest);
        CHECK(with("content_version", -3) == Refusal::BadManifest);
        CHECK(with("content_version", 7.5) == Refusal::BadManifest);
        CHECK(with("content_version", "7") == Refusal::BadManifest);
        CHECK(verify(envelope_of(std::string(good_inner().dump()).replace(good_inner().dump().find("7"), 1, "1e3"), {&key}),
                     trust, kNow).refusal == Refusal::BadManifest);
        CHECK(verify(envelope_of(std::string(good_inner().dump()).replace(good_inner().dump().find("7"), 1, "99999999999999999999"), {&key}),
                     trust, kNow).refusal == Refusal::BadManifest);  // beyond int64
        CHECK(with("format", 1.0) == Refusal::BadManifest);
        CHECK(with("format", "1") == Refusal::BadManifest);
        CHECK(with("created", "2026-12-06 10:00:00") == Refusal::BadManifest);
        CHECK(with("expires", 1796551200) == Refusal::BadManifest);
        CHECK(with("created", "2027-12-06T10:00:00Z") == Refusal::BadManifest);  // created after expires
        CHECK(with("targets", json::object()) == Refusal::BadManifest);
        auto target = [&](const char* field, json value) {
            json inner = good_inner();
            inner["targets"][0][field] = value;
            return verify_inner(inner, key).refusal;
        };
        CHECK(target("name", "../content.pack") == Refusal::BadManifest);
        CHECK(target("name", 3) == Refusal::BadManifest);
        CHECK(target("sha256", std::string(64, 'A')) == Refusal::BadManifest);
        CHECK(target("sha256", std::string(63, 'a')) == Refusal::BadManifest);
        CHECK(target("size", 0) == Refusal::BadManifest);
        CHECK(target("size", -1) == Refusal::BadManifest);
        CHECK(target("size", kMaxTargetBytes + 1) == Refusal::BadManifest);
        CHECK(target("size", kMaxTargetBytes) == Refusal::None);
        json dup = good_inner();
        dup["targets"].push_back(dup["targets"][0]);
        CHECK(verify_inner(dup, key).refusal == Refusal::BadManifest);
        json many = good_inner();
        for (int i = 0; i < (int)kMaxTargets; i++)
            many["targets"].push_back({{"name", "t" + std::to_string(i)}, {"sha256", sha_of("x")}, {"size", 1}});
        CHECK(verify_inner(many, key).refusal == Refusal::BadManifest);
        many["targets"].erase(many["targets"].size() - 1);  // exactly kMaxTargets is fine
        CHECK(verify_inner(many, key).refusal == Refusal::None);
    }
    SECTION("unknown fields are ignored, for later versions") {
        json inner = good_inner();
        inner["channel"] = "stable";
        inner["targets"][0]["mirror_hint"] = {1, 2};
        CHECK(verify_inner(inner, key).ok);
    }
    SECTION("unsupported format") {
        json inner = good_inner();
        inner["format"] = 2;
        inner.erase("targets");  // a later format may change every other field: the format is read first
        Verified v = verify_inner(inner, key);
        CHECK(v.refusal == Refusal::UnsupportedFormat);
        CHECK(v.error.find("format 2") != std::string::npos);
    }
    SECTION("no content target") {
        Manifest m = good_manifest();
        m.targets[0].name = kMapTarget;
        CHECK(refusal(sign(m, {&key})) == Refusal::NoContent);
        m.targets.clear();
        CHECK(refusal(sign(m, {&key})) == Refusal::NoContent);
    }
    SECTION("expired, at the very second and after") {
        Manifest m = good_manifest();
        m.expires = kNow;
        CHECK(refusal(sign(m, {&key})) == Refusal::Expired);
        m.expires = kNow + 1;
        CHECK(refusal(sign(m, {&key})) == Refusal::None);
    }
    SECTION("rollback, only when the verifier has a version") {
        CHECK(refusal(good, 7) == Refusal::Rollback);
        CHECK(refusal(good, 8) == Refusal::Rollback);
        CHECK(refusal(good, 6) == Refusal::None);
        CHECK(refusal(good, 0) == Refusal::None);
    }
    SECTION("the order: signatures are checked before the manifest is read") {
        json inner = good_inner();
        inner["format"] = 2;
        CHECK(verify(envelope_of(inner.dump(), {&other}), trust, kNow).refusal == Refusal::UnknownKey);
        Manifest m = good_manifest();
        m.expires = kNow;
        CHECK(verify(sign(m, {&other}), trust, kNow).refusal == Refusal::UnknownKey);
    }
}

TEST_CASE("every refusal has a code", "[release]") {
    CHECK(std::string(refusal_code(Refusal::Expired)) == "expired");
    CHECK(std::string(refusal_code(Refusal::Rollback)) == "rollback");
    CHECK(std::string(refusal_code(Refusal::TooFewSignatures)) == "too_few_signatures");
    for (int r = 0; r <= (int)Refusal::NoContent; r++) CHECK(std::string(refusal_code((Refusal)r)) != "unknown");
}

TEST_CASE("thresholds count distinct trusted keys", "[release]") {
    SecretKey a = SecretKey::generate(), b = SecretKey::generate(), c = SecretKey::generate(), stranger = SecretKey::generate();
    const Trust two_of_three = trust_of({&a, &b, &c}, 2);
    const Manifest m = good_manifest();

    SECTION("2 of 3") {
        CHECK(verify(sign(m, {&a}), two_of_three, kNow).refusal == Refusal::TooFewSignatures);
        Verified v = verify(sign(m, {&a, &c}), two_of_three, kNow);
        CHECK(v.ok);
        CHECK(v.signed_by.size() == 2);
        CHECK(verify(sign(m, {&a, &b, &c}), two_of_three, kNow).ok);
    }
    SECTION("the same key signing twice counts once") {
        Verified v = verify(sign(m, {&a, &a}), two_of_three, kNow);
        CHECK(v.refusal == Refusal::TooFewSignatures);
        CHECK(v.signed_by == std::vector<std::string>{a.public_key().id()});
        // The same key listed twice in the trust does not count twice either.
        Trust doubled = trust_of({&a, &a}, 2);
        CHECK(verify(sign(m, {&a}), doubled, kNow).refusal == Refusal::TooFewSignatures);
    }
    SECTION("an untrusted extra signature is ignored") {
        Verified v = verify(sign(m, {&stranger, &a, &b}), two_of_three, kNow);
        CHECK(v.ok);
        CHECK(v.signed_by == std::vector<std::string>{a.public_key().id(), b.public_key().id()});
        CHECK(verify(sign(m, {&stranger, &a}), two_of_three, kNow).refusal == Refusal::TooFewSignatures);
    }
    SECTION("a threshold below 1 still needs one signature") {
        Trust zero = trust_of({&a}, 0);
        CHECK(verify(sign(m, {&stranger}), zero, kNow).refusal == Refusal::UnknownKey);
        CHECK(verify(sign(m, {&a}), zero, kNow).ok);
    }
    SECTION("an unreachable threshold refuses") {
        CHECK(verify(sign(m, {&a, &b, &c}), trust_of({&a, &b, &c}, 4), kNow).refusal == Refusal::TooFewSignatures);
    }
}

TEST_CASE("key rotation: sign with both, then drop the old key", "[release]") {
    SecretKey old_key = SecretKey::generate(), new_key = SecretKey::generate();
    const Trust old_trust = trust_of({&old_key}), both_trust = trust_of({&old_key, &new_key}), new_trust = trust_of({&new_key});
    const Manifest m = good_manifest();

    // Step 1: releases are signed by both keys; kiosks trusting either one accept them.
    const std::string both = sign(m, {&old_key, &new_key});
    CHECK(verify(both, old_trust, kNow).ok);
    CHECK(verify(both, new_trust, kNow).ok);
    CHECK(verify(both, both_trust, kNow).ok);
    // Step 2: a release signed by the new key alone is refused until the kiosk trusts it.
    const std::string new_only = sign(m, {&new_key});
    CHECK(verify(new_only, old_trust, kNow).refusal == Refusal::UnknownKey);
    CHECK(verify(new_only, both_trust, kNow).ok);
    CHECK(verify(new_only, new_trust, kNow).ok);
    // Step 3: once the old key is dropped from the trust, the old key alone is refused.
    CHECK(verify(sign(m, {&old_key}), new_trust, kNow).refusal == Refusal::UnknownKey);
}

TEST_CASE("the fuzz corpus holds real envelopes signed by the test key", "[release]") {
    // If these drift (a format change), the fuzzer would start from refused inputs only.
    std::ifstream f(std::string(SPORTELLO_SOURCE_DIR) + "/tests/release/corpus/envelope-content-map", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    REQUIRE(bytes.size() > 1);
    std::ifstream pub(std::string(SPORTELLO_SOURCE_DIR) + "/tests/release/testkey/release.pub");
    std::string pub_text((std::istreambuf_iterator<char>(pub)), std::istreambuf_iterator<char>());
    Trust trust;
    trust.keys.resize(1);
    REQUIRE(parse_public_key(pub_text, &trust.keys[0], nullptr));
    Verified v = verify(std::string_view(bytes).substr(1), trust, kNow);
    REQUIRE(v.ok);
    CHECK(v.manifest.find(kMapTarget) != nullptr);
}
