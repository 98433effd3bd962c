// libFuzzer target for the first code a hostile server reaches: release::verify over an
// envelope, and the inner manifest parser behind it (which the signature check keeps the fuzzer
// from reaching through verify alone). Byte 0 chooses: bit 0 clear = verify the rest as an
// envelope trusted to the committed test key (bit 1 set: with a current version of 3, so the
// rollback path runs too); bit 0 set = parse_manifest over the rest.
// Invariants checked beyond "no crash": what verify accepts has a content target, is not expired
// and survives manifest_json -> parse_manifest unchanged.
#include "release/release_internal.h"

#include <cstdint>
#include <cstdlib>
#include <string>

namespace {
// tests/release/testkey/release.pub: a TEST-ONLY key, its secret committed beside it.
constexpr const char* kTestPublicKey = "M7NQLJ1ZaawN/xMVBxNaR1TV0ojhYBiQHSgcIK+54ow=";
constexpr int64_t kNow = 1796551200;  // 2026-12-06T10:00:00Z: the corpus's envelopes are valid then

const release::Trust& trust() {
    static const release::Trust t = [] {
        release::Trust t;
        release::PublicKey pk;
        if (!release::parse_public_key(kTestPublicKey, &pk, nullptr)) std::abort();
        t.keys.push_back(pk);
        return t;
    }();
    return t;
}

void check(bool invariant) {
    if (!invariant) std::abort();
}

// A parsed manifest written out and read back is the same manifest.
void check_round_trip(const release::Manifest& m) {
    release::Manifest back;
    std::string error;
    check(release::parse_manifest(release::manifest_json(m), &back, &error));
    check(release::manifest_json(back) == release::manifest_json(m));
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const std::string_view rest((const char*)data + 1, size - 1);
    if ((data[0] & 1) == 0) {
        const int64_t min_version = (data[0] & 2) ? 3 : 0;
        release::Verified v = release::verify(rest, trust(), kNow, min_version);
        check(v.ok == (v.refusal == release::Refusal::None));
        if (v.ok) {
            check(v.manifest.find(release::kContentTarget) != nullptr);
            check(v.manifest.expires > kNow && v.manifest.content_version > min_version);
            check(!v.signed_by.empty());
            check_round_trip(v.manifest);
        }
    } else {
        release::Manifest m;
        std::string error;
        if (release::parse_manifest(rest, &m, &error)) {
            check(m.format == release::kFormatVersion && m.targets.size() <= release::kMaxTargets);
            for (const release::Target& t : m.targets)
                check(release::valid_target_name(t.name) && release::valid_sha256_hex(t.sha256) && t.size >= 1);
            check_round_trip(m);
        } else {
            check(!error.empty());
        }
    }
    return 0;
}
