// Release keys: Ed25519 key pairs in guarded memory, their ids and base64 forms, and the key
// files `sportello-admin keygen` writes (the secret sealed under an Argon2id passphrase).
//
// Index
//   [SECTION] Encodings
//   [SECTION] Public keys
//   [SECTION] Secret keys
//   [SECTION] Key files
#include "release/release_internal.h"

#include <nlohmann/json.hpp>
#include <sodium.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace release {

using json = nlohmann::json;

// [SECTION] Encodings -------------------------------------------------------------------------
bool sodium_ready() {
    static const bool ok = sodium_init() >= 0;  // idempotent; the static makes it once per process
    return ok;
}

std::string hex(const unsigned char* bytes, size_t n) {
    static const char kDigits[] = "0123456789abcdef";
    std::string s(n * 2, '0');
    for (size_t i = 0; i < n; i++) {
        s[2 * i] = kDigits[bytes[i] >> 4];
        s[2 * i + 1] = kDigits[bytes[i] & 15];
    }
    return s;
}

std::string encode_base64(const unsigned char* bytes, size_t n) {
    std::string s(sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(s.data(), s.size(), bytes, n, sodium_base64_VARIANT_ORIGINAL);
    s.resize(std::strlen(s.c_str()));
    return s;
}

bool decode_base64(std::string_view text, std::vector<unsigned char>* out) {
    if (text.size() > 1 << 20) return false;
    std::vector<unsigned char> bin(text.size() / 4 * 3 + 3);
    size_t len = 0;
    const char* end = nullptr;
    if (sodium_base642bin(bin.data(), bin.size(), text.data(), text.size(), nullptr, &len, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 || end != text.data() + text.size())
        return false;
    bin.resize(len);
    // One encoding per value: stray low bits in the last character would give two spellings.
    if (encode_base64(bin.data(), bin.size()) != text) return false;
    *out = std::move(bin);
    return true;
}

static void set(std::string* error, std::string why) {
    if (error) *error = std::move(why);
}

// [SECTION] Public keys -----------------------------------------------------------------------
std::string PublicKey::id() const {
    sodium_ready();
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, bytes.data(), bytes.size());
    return hex(h, 8);
}

std::string PublicKey::base64() const { return encode_base64(bytes.data(), bytes.size()); }

bool parse_public_key(std::string_view text, PublicKey* out, std::string* error) {
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!text.empty() && space(text.front())) text.remove_prefix(1);
    while (!text.empty() && space(text.back())) text.remove_suffix(1);
    std::vector<unsigned char> raw;
    if (!decode_base64(text, &raw) || raw.size() != 32) {
        set(error, "not a public key (standard base64 of 32 bytes)");
        return false;
    }
    std::memcpy(out->bytes.data(), raw.data(), 32);
    return true;
}

// [SECTION] Secret keys -----------------------------------------------------------------------
// The 64-byte libsodium secret key (seed then public key) in sodium_malloc'd memory.
struct SecretKey::Impl {
    unsigned char* sk = nullptr;
    PublicKey pk;
    Impl() {
        if (sodium_ready()) sk = (unsigned char*)sodium_malloc(crypto_sign_SECRETKEYBYTES);
    }
    ~Impl() { sodium_free(sk); }  // wipes before freeing
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    // Only this file reaches into a key: the seed is what a key file stores.
    static const unsigned char* seed(const SecretKey& k) { return k.impl_ ? k.impl_->sk : nullptr; }
    static SecretKey from_seed(const unsigned char* seed32);
};

SecretKey::SecretKey() = default;
SecretKey::~SecretKey() = default;
SecretKey::SecretKey(SecretKey&&) noexcept = default;
SecretKey& SecretKey::operator=(SecretKey&&) noexcept = default;

SecretKey SecretKey::generate() {
    SecretKey k;
    auto impl = std::make_unique<Impl>();
    if (!impl->sk) return k;
    crypto_sign_keypair(impl->pk.bytes.data(), impl->sk);
    k.impl_ = std::move(impl);
    return k;
}

SecretKey SecretKey::Impl::from_seed(const unsigned char* seed32) {
    SecretKey k;
    auto impl = std::make_unique<Impl>();
    if (!impl->sk) return k;
    crypto_sign_seed_keypair(impl->pk.bytes.data(), impl->sk, seed32);
    k.impl_ = std::move(impl);
    return k;
}

bool SecretKey::ok() const { return impl_ && impl_->sk; }

PublicKey SecretKey::public_key() const { return ok() ? impl_->pk : PublicKey{}; }

std::array<unsigned char, 64> SecretKey::sign(std::string_view message) const {
    std::array<unsigned char, 64> sig{};
    if (ok()) crypto_sign_detached(sig.data(), nullptr, (const unsigned char*)message.data(), message.size(), impl_->sk);
    return sig;
}

// [SECTION] Key files -------------------------------------------------------------------------
namespace {
constexpr const char* kKeyFormat = "sportello-release-key";
constexpr size_t kMaxKeyFileBytes = 4096;

struct Fd {
    int fd = -1;
    explicit Fd(int f) : fd(f) {}
    ~Fd() { if (fd >= 0) ::close(fd); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
};

// A buffer for secrets: sodium_malloc'd, wiped and freed on every path out.
struct Secret {
    unsigned char* p;
    explicit Secret(size_t n) : p((unsigned char*)sodium_malloc(n)) {}
    ~Secret() { sodium_free(p); }
    Secret(const Secret&) = delete;
    Secret& operator=(const Secret&) = delete;
};

bool write_new_file(const std::string& path, const std::string& bytes, mode_t mode, std::string* error) {
    Fd f(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (f.fd < 0) {
        set(error, errno == EEXIST ? path + " already exists (refusing to overwrite a key)" : "cannot create " + path + ": " + std::strerror(errno));
        return false;
    }
    // fchmod: the umask must not widen nor narrow what we ask for.
    bool ok = ::fchmod(f.fd, mode) == 0;
    for (size_t off = 0; ok && off < bytes.size();) {
        ssize_t n = ::write(f.fd, bytes.data() + off, bytes.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) ok = false;
        else off += (size_t)n;
    }
    ok = ok && ::fsync(f.fd) == 0;
    if (!ok) {
        set(error, "cannot write " + path + ": " + std::strerror(errno));
        ::unlink(path.c_str());
    }
    return ok;
}

// Reads a small file; with private set, refuses one that group or others may access.
bool read_small_file(const std::string& path, bool private_only, std::string* out, std::string* error) {
    Fd f(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st;
    if (f.fd < 0 || ::fstat(f.fd, &st) != 0) {
        set(error, "cannot open " + path + ": " + std::strerror(errno));
        return false;
    }
    if (private_only && (st.st_mode & 077)) {
        set(error, path + " may be read by group or others (chmod 600 it)");
        return false;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > (off_t)kMaxKeyFileBytes) {
        set(error, path + " is not a key file");
        return false;
    }
    out->assign((size_t)st.st_size, '\0');
    size_t off = 0;
    while (off < out->size()) {
        ssize_t n = ::read(f.fd, out->data() + off, out->size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        off += (size_t)n;
    }
    out->resize(off);
    return true;
}

bool b64_field(const json& j, const char* name, size_t want, std::vector<unsigned char>* out) {
    auto it = j.find(name);
    return it != j.end() && it->is_string() && decode_base64(it->get_ref<const std::string&>(), out) &&
           (want == 0 || out->size() == want);
}

std::string key_path(const std::string& dir, const char* name) {
    return dir.empty() || dir.back() == '/' ? dir + name : dir + "/" + name;
}
}  // namespace

bool write_key_files(const std::string& dir, const SecretKey& key, std::string_view passphrase, std::string* error) {
    const unsigned char* seed = SecretKey::Impl::seed(key);
    if (!key.ok() || !seed) {
        set(error, "no key to write");
        return false;
    }
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
        set(error, "cannot create " + dir + ": " + std::strerror(errno));
        return false;
    }
    const std::string key_file = key_path(dir, "release.key"), pub_file = key_path(dir, "release.pub");
    for (const std::string& p : {key_file, pub_file}) {
        if (::access(p.c_str(), F_OK) == 0) {
            set(error, p + " already exists (refusing to overwrite a key)");
            return false;
        }
    }
    const PublicKey pk = key.public_key();
    json j = {{"format", kKeyFormat}, {"version", 1}, {"keyid", pk.id()}, {"public", pk.base64()}};
    if (passphrase.empty()) {
        j["kdf"] = "none";
        j["seed"] = encode_base64(seed, 32);
    } else {
        unsigned char salt[crypto_pwhash_SALTBYTES], nonce[crypto_secretbox_NONCEBYTES];
        randombytes_buf(salt, sizeof salt);
        randombytes_buf(nonce, sizeof nonce);
        Secret box_key(crypto_secretbox_KEYBYTES);
        const unsigned long long ops = crypto_pwhash_OPSLIMIT_MODERATE;
        const size_t mem = crypto_pwhash_MEMLIMIT_MODERATE;
        if (!box_key.p || crypto_pwhash(box_key.p, crypto_secretbox_KEYBYTES, passphrase.data(), passphrase.size(), salt,
                                        ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
            set(error, "cannot derive a key from the passphrase (out of memory?)");
            return false;
        }
        unsigned char sealed[32 + crypto_secretbox_MACBYTES];
        crypto_secretbox_easy(sealed, seed, 32, nonce, box_key.p);
        j["kdf"] = "argon2id13";
        j["opslimit"] = ops;
        j["memlimit"] = mem;
        j["salt"] = encode_base64(salt, sizeof salt);
        j["nonce"] = encode_base64(nonce, sizeof nonce);
        j["sealed"] = encode_base64(sealed, sizeof sealed);
    }
    std::string text = j.dump(2) + "\n";
    bool ok = write_new_file(key_file, text, 0600, error);
    sodium_memzero(text.data(), text.size());
    if (!ok) return false;
    if (!write_new_file(pub_file, pk.base64() + "\n", 0644, error)) {
        ::unlink(key_file.c_str());
        return false;
    }
    return true;
}

// Opens a key file's JSON, whatever its kdf. False with why.
static bool load_key_json(const std::string& path, json* j, std::string* error) {
    std::string text;
    if (!read_small_file(path, true, &text, error)) return false;
    try {
        *j = json::parse(text, nullptr, false);
    } catch (...) {
        *j = json::value_t::discarded;
    }
    sodium_memzero(text.data(), text.size());
    auto format = j->is_object() ? j->find("format") : j->end();
    if (j->is_discarded() || !j->is_object() || format == j->end() || *format != kKeyFormat || j->value("version", 0) != 1) {
        set(error, path + " is not a Sportello release key");
        return false;
    }
    return true;
}

static SecretKey unseal(const json& j, const std::string& path, std::string_view passphrase, std::string* error) {
    std::vector<unsigned char> salt, nonce, sealed;
    auto ops = j.find("opslimit"), mem = j.find("memlimit");
    if (!b64_field(j, "salt", crypto_pwhash_SALTBYTES, &salt) || !b64_field(j, "nonce", crypto_secretbox_NONCEBYTES, &nonce) ||
        !b64_field(j, "sealed", 32 + crypto_secretbox_MACBYTES, &sealed) || ops == j.end() || !ops->is_number_unsigned() ||
        mem == j.end() || !mem->is_number_unsigned()) {
        set(error, path + " is damaged (sealed key fields)");
        return SecretKey();
    }
    // Bounds on what the file may ask of Argon2id: a doctored file must not eat the machine.
    const uint64_t o = ops->get<uint64_t>(), m = mem->get<uint64_t>();
    if (o < crypto_pwhash_OPSLIMIT_MIN || o > crypto_pwhash_OPSLIMIT_SENSITIVE || m < crypto_pwhash_MEMLIMIT_MIN ||
        m > crypto_pwhash_MEMLIMIT_SENSITIVE) {
        set(error, path + " is damaged (Argon2id limits out of range)");
        return SecretKey();
    }
    if (passphrase.empty()) {
        set(error, path + " is sealed: a passphrase is needed");
        return SecretKey();
    }
    Secret box_key(crypto_secretbox_KEYBYTES), seed(32);
    if (!box_key.p || !seed.p ||
        crypto_pwhash(box_key.p, crypto_secretbox_KEYBYTES, passphrase.data(), passphrase.size(), salt.data(), o, (size_t)m,
                      crypto_pwhash_ALG_ARGON2ID13) != 0) {
        set(error, "cannot derive a key from the passphrase (out of memory?)");
        return SecretKey();
    }
    if (crypto_secretbox_open_easy(seed.p, sealed.data(), sealed.size(), nonce.data(), box_key.p) != 0) {
        set(error, "wrong passphrase");
        return SecretKey();
    }
    return SecretKey::Impl::from_seed(seed.p);
}

SecretKey read_secret_key(const std::string& path, std::string_view passphrase, std::string* error) {
    if (!sodium_ready()) {
        set(error, "libsodium failed to initialise");
        return SecretKey();
    }
    try {
        json j;
        if (!load_key_json(path, &j, error)) return SecretKey();
        const std::string kdf = j.value("kdf", "");
        SecretKey key;
        if (kdf == "none") {
            std::vector<unsigned char> seed;
            if (!b64_field(j, "seed", 32, &seed)) {
                set(error, path + " is damaged (seed)");
                return SecretKey();
            }
            key = SecretKey::Impl::from_seed(seed.data());
            sodium_memzero(seed.data(), seed.size());
        } else if (kdf == "argon2id13") {
            key = unseal(j, path, passphrase, error);
        } else {
            set(error, path + ": unknown kdf \"" + kdf + "\"");
            return SecretKey();
        }
        if (!key.ok()) return key;
        // The public key stored beside the secret must be the one the secret gives.
        if (key.public_key().base64() != j.value("public", "")) {
            set(error, path + " is damaged (its public key does not match its secret)");
            return SecretKey();
        }
        return key;
    } catch (...) {
        set(error, path + " is not a Sportello release key");
        return SecretKey();
    }
}

bool secret_key_needs_passphrase(const std::string& path) {
    try {
        json j;
        std::string ignored;
        return load_key_json(path, &j, &ignored) && j.value("kdf", "") != "none";
    } catch (...) {
        return false;
    }
}

bool read_public_key_file(const std::string& path, PublicKey* out, std::string* error) {
    std::string text;
    if (!read_small_file(path, false, &text, error)) return false;
    if (!parse_public_key(text, out, error)) {
        set(error, path + ": not a public key (standard base64 of 32 bytes)");
        return false;
    }
    return true;
}

}  // namespace release
