// [SECTION] Crypto helpers: hashes, tokens, base64, sealed boxes, Argon2id, all libsodium.
#include "hub.h"

#include <sodium.h>

#include <cstring>
#include <ctime>

namespace hub {

// [SECTION] Guarded and wiping memory
SecretBytes::SecretBytes(size_t n) { assign(nullptr, n); }

SecretBytes::SecretBytes(const std::vector<unsigned char>& bytes) { assign(bytes.data(), bytes.size()); }

SecretBytes& SecretBytes::operator=(SecretBytes&& o) noexcept {
  if (this != &o) {
    sodium_free(p_);
    p_ = o.p_, n_ = o.n_;
    o.p_ = nullptr, o.n_ = 0;
  }
  return *this;
}

SecretBytes::~SecretBytes() { sodium_free(p_); }  // wipes before freeing; null is fine

// Copies n bytes (or zeroes, when bytes is null) into fresh guarded memory.
void SecretBytes::assign(const unsigned char* bytes, size_t n) {
  sodium_free(p_);
  p_ = nullptr;
  n_ = 0;
  if (n == 0) return;
  p_ = (unsigned char*)sodium_malloc(n);
  if (!p_) return;  // out of lockable memory: an empty key opens nothing
  n_ = n;
  if (bytes) memcpy(p_, bytes, n);
  else sodium_memzero(p_, n);
}

SecretString& SecretString::operator=(SecretString&& o) noexcept {
  if (this != &o) {
    wipe();
    s_ = o.s_;
    o.wipe();
  }
  return *this;
}

void SecretString::wipe() {
  if (s_.capacity() > 0) sodium_memzero(s_.data(), s_.capacity());
  s_.clear();
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, (const unsigned char*)data.data(), data.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

std::string random_token(size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  std::string out(sodium_base64_encoded_len(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), raw.data(), raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(strlen(out.c_str()));
  return out;
}

std::string base64(const std::vector<unsigned char>& bytes) {
  std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(strlen(out.c_str()));
  return out;
}

bool base64_decode(std::string_view text, std::vector<unsigned char>* out) {
  out->resize(text.size());
  size_t len = 0;
  if (sodium_base642bin(out->data(), out->size(), text.data(), text.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0)
    return false;
  out->resize(len);
  return true;
}

bool valid_utf8(std::string_view s) {
  const unsigned char* p = (const unsigned char*)s.data();
  size_t n = s.size(), i = 0;
  while (i < n) {
    unsigned c = p[i];
    int len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || i + len > n) return false;
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k < len; k++) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    static const uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

std::string password_hash(const std::string& password, bool cheap) {
  char out[crypto_pwhash_STRBYTES];
  // Interactive limits for real mediators; the minimum only where a test asks for it.
  unsigned long long ops = cheap ? crypto_pwhash_OPSLIMIT_MIN : crypto_pwhash_OPSLIMIT_INTERACTIVE;
  size_t mem = cheap ? crypto_pwhash_MEMLIMIT_MIN : crypto_pwhash_MEMLIMIT_INTERACTIVE;
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
    return {};
  return out;
}

bool password_verify(const std::string& hash, const std::string& password) {
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

bool open_sealed(const KeyPair& keys, const std::vector<unsigned char>& sealed, SecretString* plain) {
  plain->wipe();
  if (sealed.size() < crypto_box_SEALBYTES || keys.secret_key.size() != crypto_box_SECRETKEYBYTES) return false;
  std::string& out = plain->buffer();
  out.resize(sealed.size() - crypto_box_SEALBYTES);
  if (crypto_box_seal_open((unsigned char*)out.data(), sealed.data(), sealed.size(), keys.public_key.data(),
                           keys.secret_key.data()) != 0) {
    plain->wipe();
    return false;
  }
  return true;
}

std::optional<std::string> open_sealed(const KeyPair& keys, const std::vector<unsigned char>& sealed) {
  if (sealed.size() < crypto_box_SEALBYTES || keys.secret_key.size() != crypto_box_SECRETKEYBYTES) return std::nullopt;
  std::string plain(sealed.size() - crypto_box_SEALBYTES, '\0');
  if (crypto_box_seal_open((unsigned char*)plain.data(), sealed.data(), sealed.size(), keys.public_key.data(),
                           keys.secret_key.data()) != 0)
    return std::nullopt;
  return plain;
}

// [SECTION] Text checks
// The next code point of s at *i (advancing *i), or -1 on invalid UTF-8.
static int32_t next_code_point(std::string_view s, size_t* i) {
  const unsigned char* p = (const unsigned char*)s.data();
  unsigned c = p[*i];
  int len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
  if (len == 0 || *i + len > s.size()) return -1;
  if (!valid_utf8(s.substr(*i, len))) return -1;
  uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
  for (int k = 1; k < len; k++) cp = (cp << 6) | (p[*i + k] & 0x3F);
  *i += len;
  return (int32_t)cp;
}

// Control characters, and the invisible ones that reorder or break what follows them on screen.
static bool unsafe_code_point(int32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029;
}

bool clean_text(std::string_view s, size_t max_bytes) {
  if (s.size() > max_bytes) return false;
  for (size_t i = 0; i < s.size();) {
    int32_t cp = next_code_point(s, &i);
    if (cp < 0 || unsafe_code_point(cp)) return false;
  }
  return true;
}

void strip_unsafe_text(std::string* s) {
  size_t out = 0;
  for (size_t i = 0; i < s->size();) {
    size_t from = i;
    int32_t cp = next_code_point(*s, &i);
    if (cp < 0) i = from + 1;  // an invalid byte goes too
    if (cp < 0 || unsafe_code_point(cp)) continue;
    memmove(s->data() + out, s->data() + from, i - from);
    out += i - from;
  }
  if (out < s->size()) sodium_memzero(s->data() + out, s->size() - out);
  s->resize(out);
}

bool printable_ascii(std::string_view s, size_t max_bytes) {
  if (s.size() > max_bytes) return false;
  for (char c : s)
    if (c < 0x20 || c > 0x7E) return false;
  return true;
}

bool valid_ref_prefix(std::string_view p) {
  if (p.empty() || p.size() > 4) return false;
  for (char c : p)
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

bool valid_kiosk_id(std::string_view id) {
  if (id.empty() || id.size() > 32) return false;
  for (char c : id)
    if (!(isalnum((unsigned char)c) || c == '-' || c == '_')) return false;
  return true;
}

int64_t parse_utc(std::string_view t) {
  static const char shape[] = "9999-99-99T99:99:99Z";
  if (t.size() != sizeof shape - 1) return -1;
  for (size_t i = 0; i < t.size(); i++)
    if (shape[i] == '9' ? !isdigit((unsigned char)t[i]) : t[i] != shape[i]) return -1;
  auto num = [&](size_t at, size_t n) {
    int v = 0;
    for (size_t i = 0; i < n; i++) v = v * 10 + (t[at + i] - '0');
    return v;
  };
  struct tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(5, 2) - 1;
  tm.tm_mday = num(8, 2);
  tm.tm_hour = num(11, 2);
  tm.tm_min = num(14, 2);
  tm.tm_sec = num(17, 2);
  struct tm want = tm;
  time_t at = timegm(&tm);
  // timegm normalizes Feb 30 into March: a changed field means the text was not a real time.
  if (tm.tm_year != want.tm_year || tm.tm_mon != want.tm_mon || tm.tm_mday != want.tm_mday ||
      tm.tm_hour != want.tm_hour || tm.tm_min != want.tm_min || tm.tm_sec != want.tm_sec)
    return -1;
  return (int64_t)at;
}

}  // namespace hub
