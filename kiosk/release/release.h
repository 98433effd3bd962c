// Sportello releases: the signed manifest that says which content a kiosk may run, the keys that
// sign it, and the one verification that `sportello-admin`, the hub and the kiosk's updater all
// use, so the three agree byte for byte on what a valid release is. No network, no window.
//
// Threat model: The Update Framework's list of attacks (arbitrary software, rollback, freeze,
// mix-and-match, endless data, wrong key, too few signatures). A hostile server or mirror may send
// any bytes; nothing in a manifest is believed before its signatures are checked, and the
// signatures are checked before the manifest is parsed.
//
// Index
//   [SECTION] Format
//   [SECTION] Keys (Ed25519, libsodium)
//   [SECTION] Manifest
//   [SECTION] Signing and verification
//   [SECTION] Files and hashes
//
// Wire format of a release manifest ("envelope"), UTF-8 JSON of at most kMaxManifestBytes:
//   {"signed":"<the manifest JSON, as a string>",
//    "signatures":[{"keyid":"<16 hex>","sig":"<base64 of the 64-byte Ed25519 signature>"}, ...]}
// Each signature is over kSignaturePrefix followed by the exact bytes of "signed" (domain
// separation: a Sportello release signature can never be replayed as another kind of message).
// The manifest inside:
//   {"format":1,"content_version":7,"created":"2026-12-06T10:00:00Z","expires":"2027-03-06T10:00:00Z",
//    "targets":[{"name":"content.pack","sha256":"<64 lowercase hex>","size":123456}, ...]}
// Target files are published and fetched under their SHA-256 (…/targets/<sha256>), never under
// their name, so a target can be served by any plain HTTP mirror: trust rests on the signature.
//
// Nothing here throws across this header; failures are values with a reason.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace release {

// [SECTION] Format ---------------------------------------------------------------------------
constexpr int kFormatVersion = 1;
constexpr size_t kMaxManifestBytes = 64 * 1024;       // a manifest larger than this is refused unread
constexpr size_t kMaxTargets = 16;
constexpr size_t kMaxSignatures = 16;
constexpr uint64_t kMaxTargetBytes = 2ull << 30;      // 2 GiB: no target may claim more
constexpr const char* kSignaturePrefix = "sportello-release-v1\n";
constexpr const char* kContentTarget = "content.pack"; // every release has one
constexpr const char* kMapTarget = "map.mbtiles";     // the offline map, when a release ships one

// "2026-12-06T10:00:00Z" <-> unix seconds (UTC only; anything else is refused).
bool parse_utc(std::string_view text, int64_t* unix_s);
std::string format_utc(int64_t unix_s);

// [SECTION] Keys (Ed25519, libsodium) -------------------------------------------------------
struct PublicKey {
  std::array<unsigned char, 32> bytes{};
  std::string id() const;                    // first 8 bytes of SHA-256(bytes), 16 lowercase hex
  std::string base64() const;                // standard base64, the form configs and files hold
};
// Standard base64 of 32 bytes; surrounding whitespace ignored. False (with why) otherwise.
bool parse_public_key(std::string_view text, PublicKey* out, std::string* error);

// A secret key held in guarded memory (sodium_malloc: locked, guard pages, wiped on release).
// Move-only; an empty SecretKey (ok() false) signs nothing.
class SecretKey {
public:
  SecretKey();
  ~SecretKey();
  SecretKey(SecretKey&&) noexcept;
  SecretKey& operator=(SecretKey&&) noexcept;
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;

  static SecretKey generate();
  bool ok() const;
  PublicKey public_key() const;
  std::array<unsigned char, 64> sign(std::string_view message) const;  // detached Ed25519

  struct Impl;
private:
  std::unique_ptr<Impl> impl_;
};

// Key files written by `sportello-admin keygen --out DIR`:
//   DIR/release.key  the secret key, mode 0600: JSON {"format":"sportello-release-key","version":1,
//                    "keyid","public","kdf":"argon2id13"|"none",...}; with a passphrase the 32-byte
//                    seed is sealed with crypto_secretbox under a key derived by Argon2id
//                    (crypto_pwhash, OPSLIMIT/MEMLIMIT_MODERATE, random salt)
//   DIR/release.pub  the public key, standard base64 and a newline
// An empty passphrase means --no-passphrase (tests): the seed is stored in the clear.
bool write_key_files(const std::string& dir, const SecretKey& key, std::string_view passphrase, std::string* error);
// Reads release.key (or any path to one). A sealed key needs its passphrase; a wrong one fails
// with "wrong passphrase". Refuses a file readable by group or others.
SecretKey read_secret_key(const std::string& path, std::string_view passphrase, std::string* error);
bool secret_key_needs_passphrase(const std::string& path);
bool read_public_key_file(const std::string& path, PublicKey* out, std::string* error);

// [SECTION] Manifest -------------------------------------------------------------------------
struct Target {
  std::string name;                          // plain name: [a-z0-9][a-z0-9._-]*, at most 64, no ".."
  std::string sha256;                        // 64 lowercase hex
  uint64_t size = 0;                         // bytes, 1..kMaxTargetBytes
};

struct Manifest {
  int format = kFormatVersion;
  int64_t content_version = 0;               // strictly increasing across releases, >= 1
  int64_t created = 0, expires = 0;          // unix seconds (UTC in the JSON)
  std::vector<Target> targets;
  const Target* find(std::string_view name) const;  // nullptr when absent
};

bool valid_target_name(std::string_view name);
bool valid_sha256_hex(std::string_view hex);
// The manifest's JSON (deterministic: same manifest, same bytes).
std::string manifest_json(const Manifest& manifest);

// [SECTION] Signing and verification ---------------------------------------------------------
// The keys a verifier trusts and how many distinct ones must have signed (default 1 of N).
struct Trust {
  std::vector<PublicKey> keys;
  int threshold = 1;
};

enum class Refusal : uint8_t {
  None,
  TooLarge,           // more than kMaxManifestBytes
  NotAManifest,       // not UTF-8 JSON of the envelope's shape (a captive portal's page lands here)
  Unsigned,           // no signatures at all
  UnknownKey,         // signed, but by no trusted key
  BadSignature,       // a trusted key's signature does not verify (tampered)
  TooFewSignatures,   // fewer distinct trusted keys than the threshold
  BadManifest,        // the signed manifest is malformed (fields, target names, hashes, sizes)
  UnsupportedFormat,  // format other than kFormatVersion
  Expired,            // expires <= now: a frozen or replayed old manifest
  Rollback,           // content_version not greater than what the verifier has
  NoContent,          // no kContentTarget target
};
const char* refusal_code(Refusal r);         // "expired", "rollback", ... (heartbeat, logs)

struct Verified {
  bool ok = false;
  Refusal refusal = Refusal::None;
  std::string error;                         // one line for people: what is wrong, no secrets
  Manifest manifest;                         // meaningful only when ok
  std::vector<std::string> signed_by;        // key ids of the trusted keys that signed
  std::string sha256;                        // SHA-256 of the envelope bytes (ETag, logs)
};

// Verifies an envelope: size, shape, then signatures (at least trust.threshold distinct trusted
// keys; signatures by unknown keys are ignored; a trusted key with a bad signature is refused as
// tampered), then the manifest (format, fields, targets, a content target), then expiry against
// now_unix. Rollback is checked only when min_version > 0: content_version must be > it.
Verified verify(std::string_view envelope, const Trust& trust, int64_t now_unix, int64_t min_version = 0);
// Signs a manifest with each key (at least one) and returns the envelope bytes.
std::string sign(const Manifest& manifest, const std::vector<const SecretKey*>& keys);

// [SECTION] Files and hashes -----------------------------------------------------------------
std::string sha256_hex(std::string_view bytes);
// Streams a file through SHA-256. False (with why) when it cannot be read.
bool sha256_file(const std::string& path, std::string* hex, uint64_t* size, std::string* error);
// Does the file at path have the target's size and hash? False with why ("size 10 instead of 12").
bool file_matches(const std::string& path, const Target& target, std::string* error);

}  // namespace release
