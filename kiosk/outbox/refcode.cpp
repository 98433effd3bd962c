// [SECTION] Reference codes, ids, time text, the wipeable input buffer and config helpers.
#include "outbox_internal.h"

#include "platform.h"

#include <sodium.h>

#include <cctype>
#include <ctime>

namespace outbox {

// No 0/O, 1/I/L, no vowels (no words can appear), 27 symbols.
const char kRefAlphabet[] = "23456789BCDFGHJKMNPQRSTVWXZ";
static constexpr uint64_t kBase = sizeof(kRefAlphabet) - 1;
static constexpr uint64_t kSpace4 = kBase * kBase * kBase * kBase;  // 531441 codes of 4 chars

static int symbol_value(char c) {
  for (uint64_t i = 0; i < kBase; i++)
    if (kRefAlphabet[i] == c) return (int)i;
  return -1;
}

// Weights coprime to 27 and pairwise differing by a unit: catch one wrong symbol and a swap.
static char check_symbol(std::string_view code) {
  static const int weights[] = {1, 2, 4, 5, 7, 8};
  uint64_t sum = 0;
  for (size_t i = 0; i < code.size() && i < 6; i++) sum += (uint64_t)weights[i] * (uint64_t)symbol_value(code[i]);
  return kRefAlphabet[sum % kBase];
}

// The per-kiosk sequence is scrambled by a bijection (multiplier coprime to 27) so that
// consecutive visitors do not get look-alike codes; 5 characters once 4 are used up.
std::string make_ref(std::string_view prefix, uint64_t seq) {
  int len = 4;
  uint64_t space = kSpace4, n = seq;
  if (seq >= kSpace4) {
    len = 5;
    space = kSpace4 * kBase;
    n = seq - kSpace4;
  }
  uint64_t v = (n % space * 7919 + 104729) % space;
  std::string code(len, '2');
  for (int i = len - 1; i >= 0; i--) {
    code[i] = kRefAlphabet[v % kBase];
    v /= kBase;
  }
  code += check_symbol(code);
  std::string ref(prefix);
  ref += '-';
  ref += code;
  return ref;
}

std::string normalize_ref(std::string_view typed, std::string_view prefix) {
  std::string s;
  for (char c : typed) {
    if (c == ' ' || c == '\t') continue;
    s += (char)toupper((unsigned char)c);
  }
  std::string pre, code;
  size_t dash = s.rfind('-');
  if (dash != std::string::npos) {
    pre = s.substr(0, dash);
    code = s.substr(dash + 1);
  } else {
    std::string up_prefix;
    for (char c : prefix) up_prefix += (char)toupper((unsigned char)c);
    if (up_prefix.empty() || s.compare(0, up_prefix.size(), up_prefix) != 0) return "";
    pre = up_prefix;
    code = s.substr(up_prefix.size());
  }
  if (pre.empty() || (code.size() != 5 && code.size() != 6)) return "";
  for (char c : code)
    if (symbol_value(c) < 0) return "";
  if (check_symbol(std::string_view(code).substr(0, code.size() - 1)) != code.back()) return "";
  return pre + "-" + code;
}

std::string uuid_v4() {
  unsigned char b[16];
  randombytes_buf(b, sizeof b);
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static const char hex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += hex[b[i] >> 4];
    out += hex[b[i] & 15];
  }
  return out;
}

std::string iso_utc(int64_t unix_ms) {
  time_t t = (time_t)(unix_ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}


uint64_t cfg_now_ms(const Config& c) {
  return c.now_ms ? c.now_ms() : platform::now_ms();
}

int64_t cfg_wall_ms(const Config& c) {
  return c.wall_ms ? c.wall_ms() : platform::wall_clock_unix_ms();
}

uint32_t cfg_random(const Config& c) { return c.random ? c.random() : randombytes_random(); }

const char* state_name(RequestState state) {
  switch (state) {
    case RequestState::Queued: return "queued";
    case RequestState::Sent: return "sent";
    case RequestState::Failed: return "failed";
  }
  return "?";
}

// [SECTION] SecretText
bool SecretText::set(std::string_view text) {
  wipe();
  return append(text);
}

bool SecretText::append(std::string_view text) {
  if (text.size() > kCapacity - size_) return false;
  for (size_t i = 0; i < text.size(); i++) data_[size_ + i] = text[i];
  size_ += text.size();
  return true;
}

void SecretText::wipe() {
  sodium_memzero(data_, sizeof data_);
  size_ = 0;
}

}  // namespace outbox
