// The release manifest: UTC times, the manifest's JSON both ways, signing, the one verification
// every reader of a release runs, and file hashes. Keys and key files live in keys.cpp.
//
// Index
//   [SECTION] UTC times
//   [SECTION] Strict JSON
//   [SECTION] Manifest
//   [SECTION] Signing
//   [SECTION] Verification
//   [SECTION] Files and hashes
#include "release/release_internal.h"

#include <nlohmann/json.hpp>
#include <sodium.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_set>

namespace release {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

// [SECTION] UTC times -------------------------------------------------------------------------
// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static bool digits(std::string_view s, size_t at, size_t n, int* out) {
    int v = 0;
    for (size_t i = at; i < at + n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

bool parse_utc(std::string_view t, int64_t* unix_s) {
    // Exactly "YYYY-MM-DDTHH:MM:SSZ": no offsets, no fractions, no leap second.
    if (t.size() != 20 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':' || t[19] != 'Z')
        return false;
    int y, mo, d, h, mi, s;
    if (!digits(t, 0, 4, &y) || !digits(t, 5, 2, &mo) || !digits(t, 8, 2, &d) || !digits(t, 11, 2, &h) ||
        !digits(t, 14, 2, &mi) || !digits(t, 17, 2, &s))
        return false;
    static const int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1) return false;
    if (d > kDays[mo - 1] + (mo == 2 && is_leap(y) ? 1 : 0)) return false;
    if (h > 23 || mi > 59 || s > 59) return false;
    *unix_s = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + s;
    return true;
}

std::string format_utc(int64_t unix_s) {
    // Years outside 0000..9999 have no form parse_utc reads back: say so rather than wrap.
    const int64_t kMin = days_from_civil(0, 1, 1) * 86400, kMax = days_from_civil(10000, 1, 1) * 86400 - 1;
    if (unix_s < kMin || unix_s > kMax) return "";
    int64_t days = unix_s / 86400, secs = unix_s % 86400;
    if (secs < 0) { secs += 86400; days -= 1; }
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", (int)y, m, d, (int)(secs / 3600),
                  (int)(secs / 60 % 60), (int)(secs % 60));
    return buf;
}

// [SECTION] Strict JSON -----------------------------------------------------------------------
bool valid_utf8(std::string_view s) {
    const unsigned char* p = (const unsigned char*)s.data();
    size_t n = s.size(), i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (c < 0x80) { i++; continue; }
        size_t len;
        unsigned cp, min;
        if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; min = 0x80; }
        else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; min = 0x800; }
        else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; min = 0x10000; }
        else return false;
        if (n - i < len) return false;
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

// Parses JSON refusing what a lenient reader would let through differently: repeated keys in
// an object (which one wins is a parser's whim) and nesting deeper than any release needs.
static bool parse_strict(std::string_view text, json* out) {
    constexpr int kMaxDepth = 8;
    bool bad = false;
    std::vector<std::unordered_set<std::string>> open;
    auto cb = [&](int depth, json::parse_event_t ev, json& parsed) {
        if (depth > kMaxDepth) bad = true;
        if (ev == json::parse_event_t::object_start) open.emplace_back();
        else if (ev == json::parse_event_t::object_end && !open.empty()) open.pop_back();
        else if (ev == json::parse_event_t::key && !open.empty() && parsed.is_string())
            if (!open.back().insert(parsed.get_ref<const std::string&>()).second) bad = true;
        return true;
    };
    try {
        *out = json::parse(text.begin(), text.end(), cb, /*allow_exceptions=*/false);
    } catch (...) {
        return false;
    }
    return !bad && !out->is_discarded();
}

// An integer in lo..hi. Floats ("1.0", "1e3") and integers out of range are not.
static bool get_int(const json& j, int64_t lo, int64_t hi, int64_t* v) {
    if (j.is_number_unsigned()) {
        uint64_t u = j.get<uint64_t>();
        if (u > (uint64_t)std::numeric_limits<int64_t>::max()) return false;
        *v = (int64_t)u;
    } else if (j.is_number_integer()) {
        *v = j.get<int64_t>();
    } else {
        return false;
    }
    return *v >= lo && *v <= hi;
}

// [SECTION] Manifest --------------------------------------------------------------------------
const Target* Manifest::find(std::string_view name) const {
    for (const Target& t : targets)
        if (t.name == name) return &t;
    return nullptr;
}

bool valid_target_name(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    auto lower_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    if (!lower_digit(name[0])) return false;
    for (char c : name)
        if (!lower_digit(c) && c != '.' && c != '_' && c != '-') return false;
    return name.find("..") == std::string_view::npos;
}

bool valid_sha256_hex(std::string_view h) {
    if (h.size() != 64) return false;
    for (char c : h)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

std::string manifest_json(const Manifest& m) {
    // ordered_json: the fields in the documented order, so people reading a manifest see it so.
    ordered_json j;
    j["format"] = m.format;
    j["content_version"] = m.content_version;
    j["created"] = format_utc(m.created);
    j["expires"] = format_utc(m.expires);
    j["targets"] = ordered_json::array();
    for (const Target& t : m.targets)
        j["targets"].push_back(ordered_json{{"name", t.name}, {"sha256", t.sha256}, {"size", t.size}});
    return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

static Refusal bad(std::string* error, std::string why) {
    if (error) *error = std::move(why);
    return Refusal::BadManifest;
}

static Refusal check_target(const json& j, Target* t, std::string* error) {
    if (!j.is_object()) return bad(error, "a target is not an object");
    auto name = j.find("name"), sha = j.find("sha256"), size = j.find("size");
    if (name == j.end() || !name->is_string() || !valid_target_name(name->get_ref<const std::string&>()))
        return bad(error, "a target has no valid name (a-z, 0-9, '.', '_', '-', at most 64)");
    t->name = name->get<std::string>();
    if (sha == j.end() || !sha->is_string() || !valid_sha256_hex(sha->get_ref<const std::string&>()))
        return bad(error, "target " + t->name + ": sha256 is not 64 lowercase hex digits");
    t->sha256 = sha->get<std::string>();
    int64_t n = 0;
    if (size == j.end() || !get_int(*size, 1, (int64_t)kMaxTargetBytes, &n))
        return bad(error, "target " + t->name + ": size is not an integer in 1.." + std::to_string(kMaxTargetBytes));
    t->size = (uint64_t)n;
    return Refusal::None;
}

Refusal check_manifest(std::string_view text, Manifest* out, std::string* error) {
    try {
        json j;
        if (!valid_utf8(text) || !parse_strict(text, &j) || !j.is_object())
            return bad(error, "the signed manifest is not a JSON object");
        Manifest m;
        int64_t v = 0;
        auto format = j.find("format");
        if (format == j.end() || !get_int(*format, 0, std::numeric_limits<int32_t>::max(), &v))
            return bad(error, "the manifest has no integer format");
        // The format is read before anything else: a later format may change every other field.
        if (v != kFormatVersion) {
            if (error) *error = "manifest format " + std::to_string(v) + " (this build reads " + std::to_string(kFormatVersion) + ")";
            return Refusal::UnsupportedFormat;
        }
        m.format = (int)v;
        auto cv = j.find("content_version");
        if (cv == j.end() || !get_int(*cv, 1, std::numeric_limits<int64_t>::max(), &m.content_version))
            return bad(error, "content_version is not an integer >= 1");
        auto created = j.find("created"), expires = j.find("expires");
        if (created == j.end() || !created->is_string() || !parse_utc(created->get_ref<const std::string&>(), &m.created))
            return bad(error, "created is not a UTC time like 2026-12-06T10:00:00Z");
        if (expires == j.end() || !expires->is_string() || !parse_utc(expires->get_ref<const std::string&>(), &m.expires))
            return bad(error, "expires is not a UTC time like 2026-12-06T10:00:00Z");
        if (m.created > m.expires) return bad(error, "created is after expires");
        auto targets = j.find("targets");
        if (targets == j.end() || !targets->is_array()) return bad(error, "targets is not a list");
        if (targets->size() > kMaxTargets)
            return bad(error, std::to_string(targets->size()) + " targets (at most " + std::to_string(kMaxTargets) + ")");
        for (const json& jt : *targets) {
            Target t;
            if (Refusal r = check_target(jt, &t, error); r != Refusal::None) return r;
            if (m.find(t.name)) return bad(error, "target " + t.name + " is listed twice");
            m.targets.push_back(std::move(t));
        }
        if (out) *out = std::move(m);
        return Refusal::None;
    } catch (...) {  // nlohmann may throw on a type mismatch we did not foresee: a bad manifest still
        return bad(error, "the signed manifest is malformed");
    }
}

bool parse_manifest(std::string_view text, Manifest* out, std::string* error) {
    return check_manifest(text, out, error) == Refusal::None;
}

// [SECTION] Signing ---------------------------------------------------------------------------
static std::string signed_message(std::string_view manifest) {
    std::string msg = kSignaturePrefix;
    msg.append(manifest);
    return msg;
}

std::string sign(const Manifest& manifest, const std::vector<const SecretKey*>& keys) {
    if (keys.empty()) return "";
    for (const SecretKey* k : keys)
        if (!k || !k->ok()) return "";
    const std::string inner = manifest_json(manifest), msg = signed_message(inner);
    ordered_json env;
    env["signed"] = inner;
    env["signatures"] = ordered_json::array();
    for (const SecretKey* k : keys) {
        std::array<unsigned char, 64> sig = k->sign(msg);
        env["signatures"].push_back(ordered_json{{"keyid", k->public_key().id()}, {"sig", encode_base64(sig.data(), sig.size())}});
    }
    return env.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

// [SECTION] Verification ----------------------------------------------------------------------
const char* refusal_code(Refusal r) {
    switch (r) {
    case Refusal::None: return "none";
    case Refusal::TooLarge: return "too_large";
    case Refusal::NotAManifest: return "not_a_manifest";
    case Refusal::Unsigned: return "unsigned";
    case Refusal::UnknownKey: return "unknown_key";
    case Refusal::BadSignature: return "bad_signature";
    case Refusal::TooFewSignatures: return "too_few_signatures";
    case Refusal::BadManifest: return "bad_manifest";
    case Refusal::UnsupportedFormat: return "unsupported_format";
    case Refusal::Expired: return "expired";
    case Refusal::Rollback: return "rollback";
    case Refusal::NoContent: return "no_content";
    }
    return "unknown";
}

static Verified refuse(Verified v, Refusal r, std::string why) {
    v.ok = false;
    v.refusal = r;
    v.error = std::move(why);
    v.manifest = Manifest{};
    return v;
}

struct Signature {
    std::string keyid;
    std::array<unsigned char, 64> sig{};
};

// The envelope's shape: {"signed": string, "signatures": [{"keyid","sig"}...]}. Unknown
// envelope fields are ignored: they are not signed, so nothing may depend on them.
static Refusal read_envelope(std::string_view bytes, std::string* inner, std::vector<Signature>* sigs, std::string* why) {
    json j;
    if (!valid_utf8(bytes) || !parse_strict(bytes, &j) || !j.is_object()) {
        *why = "not a release manifest (not a JSON object)";
        return Refusal::NotAManifest;
    }
    auto s = j.find("signed");
    if (s == j.end() || !s->is_string()) {
        *why = "not a release manifest (no \"signed\" string)";
        return Refusal::NotAManifest;
    }
    *inner = s->get<std::string>();
    auto list = j.find("signatures");
    if (list == j.end() || (list->is_array() && list->empty())) {
        *why = "the manifest is not signed";
        return Refusal::Unsigned;
    }
    if (!list->is_array() || list->size() > kMaxSignatures) {
        *why = "not a release manifest (\"signatures\" is not a list of at most " + std::to_string(kMaxSignatures) + ")";
        return Refusal::NotAManifest;
    }
    for (const json& e : *list) {
        Signature sig;
        std::vector<unsigned char> raw;
        auto id = e.is_object() ? e.find("keyid") : e.end(), b64 = e.is_object() ? e.find("sig") : e.end();
        if (!e.is_object() || id == e.end() || b64 == e.end() || !id->is_string() || !b64->is_string() ||
            id->get_ref<const std::string&>().size() != 16 || !decode_base64(b64->get_ref<const std::string&>(), &raw) ||
            raw.size() != 64) {
            *why = "not a release manifest (a signature is not {\"keyid\": 16 hex, \"sig\": base64 of 64 bytes})";
            return Refusal::NotAManifest;
        }
        sig.keyid = id->get<std::string>();
        std::memcpy(sig.sig.data(), raw.data(), 64);
        sigs->push_back(std::move(sig));
    }
    return Refusal::None;
}

// Counts the distinct trusted keys whose signature verifies; a trusted key whose signature
// fails means the bytes were changed after signing, which is refused outright.
static Refusal check_signatures(const std::string& inner, const std::vector<Signature>& sigs, const Trust& trust,
                                std::vector<std::string>* signed_by, std::string* why) {
    const std::string msg = signed_message(inner);
    std::vector<const PublicKey*> good;
    for (const Signature& s : sigs) {
        for (const PublicKey& k : trust.keys) {
            if (k.id() != s.keyid) continue;
            if (crypto_sign_verify_detached(s.sig.data(), (const unsigned char*)msg.data(), msg.size(), k.bytes.data()) != 0) {
                *why = "the signature of trusted key " + s.keyid + " does not verify (tampered manifest)";
                return Refusal::BadSignature;
            }
            bool seen = false;
            for (const PublicKey* g : good) seen = seen || g->bytes == k.bytes;
            if (!seen) {
                good.push_back(&k);
                signed_by->push_back(s.keyid);
            }
        }
    }
    const size_t threshold = trust.threshold < 1 ? 1 : (size_t)trust.threshold;  // never accept unsigned
    if (good.empty()) {
        *why = "signed only by keys this verifier does not trust";
        return Refusal::UnknownKey;
    }
    if (good.size() < threshold) {
        *why = std::to_string(good.size()) + " trusted signature" + (good.size() == 1 ? "" : "s") + ", " +
               std::to_string(threshold) + " required";
        return Refusal::TooFewSignatures;
    }
    return Refusal::None;
}

Verified verify(std::string_view envelope, const Trust& trust, int64_t now_unix, int64_t min_version) {
    Verified v;
    if (!sodium_ready()) return refuse(std::move(v), Refusal::NotAManifest, "libsodium failed to initialise");
    if (envelope.size() > kMaxManifestBytes)
        return refuse(std::move(v), Refusal::TooLarge, "manifest of " + std::to_string(envelope.size()) + " bytes (at most " +
                                                           std::to_string(kMaxManifestBytes) + ")");
    v.sha256 = sha256_hex(envelope);
    std::string inner, why;
    std::vector<Signature> sigs;
    try {
        if (Refusal r = read_envelope(envelope, &inner, &sigs, &why); r != Refusal::None) return refuse(std::move(v), r, why);
    } catch (...) {
        return refuse(std::move(v), Refusal::NotAManifest, "not a release manifest");
    }
    if (Refusal r = check_signatures(inner, sigs, trust, &v.signed_by, &why); r != Refusal::None)
        return refuse(std::move(v), r, why);
    if (Refusal r = check_manifest(inner, &v.manifest, &why); r != Refusal::None) return refuse(std::move(v), r, why);
    if (!v.manifest.find(kContentTarget))
        return refuse(std::move(v), Refusal::NoContent, std::string("the release has no ") + kContentTarget + " target");
    if (v.manifest.expires <= now_unix)
        return refuse(std::move(v), Refusal::Expired, "the manifest expired at " + format_utc(v.manifest.expires));
    if (min_version > 0 && v.manifest.content_version <= min_version)
        return refuse(std::move(v), Refusal::Rollback, "content version " + std::to_string(v.manifest.content_version) +
                                                           " is not newer than " + std::to_string(min_version));
    v.ok = true;
    return v;
}

// [SECTION] Files and hashes ------------------------------------------------------------------
std::string sha256_hex(std::string_view bytes) {
    sodium_ready();
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char*)bytes.data(), bytes.size());
    return hex(h, sizeof h);
}

namespace {
struct Fd {
    int fd = -1;
    explicit Fd(int f) : fd(f) {}
    ~Fd() { if (fd >= 0) ::close(fd); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
};
}  // namespace

bool sha256_file(const std::string& path, std::string* hex_out, uint64_t* size, std::string* error) {
    sodium_ready();
    Fd f(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (f.fd < 0) {
        if (error) *error = "cannot open " + path + ": " + std::strerror(errno);
        return false;
    }
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    std::vector<unsigned char> buf(1 << 16);
    uint64_t total = 0;
    for (;;) {
        ssize_t n = ::read(f.fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            if (error) *error = "cannot read " + path + ": " + std::strerror(errno);
            return false;
        }
        if (n == 0) break;
        crypto_hash_sha256_update(&st, buf.data(), (unsigned long long)n);
        total += (uint64_t)n;
    }
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, h);
    if (hex_out) *hex_out = hex(h, sizeof h);
    if (size) *size = total;
    return true;
}

bool file_matches(const std::string& path, const Target& target, std::string* error) {
    // The size first: a truncated or endless download is told without hashing it.
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
        if (error) *error = "cannot open " + path + ": " + std::strerror(errno);
        return false;
    }
    if ((uint64_t)st.st_size != target.size) {
        if (error) *error = "size " + std::to_string((uint64_t)st.st_size) + " instead of " + std::to_string(target.size);
        return false;
    }
    std::string h;
    uint64_t n = 0;
    if (!sha256_file(path, &h, &n, error)) return false;
    if (n != target.size) {
        if (error) *error = "size " + std::to_string(n) + " instead of " + std::to_string(target.size);
        return false;
    }
    if (h != target.sha256) {
        if (error) *error = "SHA-256 " + h + " instead of " + target.sha256;
        return false;
    }
    return true;
}

}  // namespace release
