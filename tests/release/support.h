// Helpers shared by the release tests: temporary directories and envelopes crafted by hand,
// so a test can sign any inner text (even a malformed one) and hit exactly one refusal.
#pragma once

#include "release/release_internal.h"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace rtest {

constexpr int64_t kNow = 1796551200;  // 2026-12-06T10:00:00Z

// A temporary directory removed at the end of the test.
struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/sportello-release-test-XXXXXX";
        path = ::mkdtemp(tmpl) ? tmpl : "";
    }
    ~TempDir() {
        if (!path.empty()) std::system(("rm -rf '" + path + "'").c_str());
    }
    std::string operator/(const std::string& name) const { return path + "/" + name; }
};

inline void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

inline std::string sha_of(const std::string& s) { return release::sha256_hex(s); }

// A valid manifest: version 7, created now - 1 h, expires in 90 days, one content target.
inline release::Manifest good_manifest(int64_t version = 7) {
    release::Manifest m;
    m.content_version = version;
    m.created = kNow - 3600;
    m.expires = kNow + 90 * 86400;
    m.targets.push_back({"content.pack", sha_of("pack bytes"), 10});
    return m;
}

// Signs arbitrary inner text with each key, the way release::sign does, into an envelope.
inline std::string envelope_of(const std::string& inner, const std::vector<const release::SecretKey*>& keys) {
    nlohmann::json env = {{"signed", inner}, {"signatures", nlohmann::json::array()}};
    for (const release::SecretKey* k : keys) {
        auto sig = k->sign(std::string(release::kSignaturePrefix) + inner);
        std::string b64 = release::encode_base64(sig.data(), sig.size());
        env["signatures"].push_back({{"keyid", k->public_key().id()}, {"sig", b64}});
    }
    return env.dump();
}

inline release::Trust trust_of(const std::vector<const release::SecretKey*>& keys, int threshold = 1) {
    release::Trust t;
    for (const release::SecretKey* k : keys) t.keys.push_back(k->public_key());
    t.threshold = threshold;
    return t;
}

}  // namespace rtest
