// Opening the outbox and enqueueing a request: validate, seal name+phone, wipe, one transaction.
#include "outbox_internal.h"

#include <nlohmann/json.hpp>
#include <sodium.h>
#include <sqlite3.h>

namespace outbox {

static bool sodium_ready() {
  static const bool ready = sodium_init() >= 0;  // thread-safe static init; sodium_init is idempotent
  return ready;
}

Outbox Outbox::open(const Config& config) {
  Outbox box;
  box.state_ = std::make_unique<OutboxState>();
  OutboxState& s = *box.state_;
  s.config = config;
  if (!sodium_ready()) {
    s.error = "libsodium failed to initialise";
    return box;
  }
  size_t len = 0;
  const std::string& pk = config.hub_public_key_b64;
  if (sodium_base642bin(s.hub_pk, sizeof s.hub_pk, pk.data(), pk.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0 || len != sizeof s.hub_pk) {
    s.error = "hub public key must be standard base64 of 32 bytes";
    return box;
  }
  if (config.ref_prefix.empty() || config.kiosk_id.empty()) {
    s.error = "kiosk id and reference prefix are required";
    return box;
  }
  s.db = open_db(config.db_path, &s.error);
  if (!s.db && s.error.empty()) s.error = "cannot open the outbox database";
  return box;
}

// [SECTION] Validation ------------------------------------------------------------------------
static bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = (unsigned char)s[i];
    int n = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : -1;
    if (n < 0 || (n == 1 && c < 0xc2) || i + (size_t)n > s.size() - 1) return false;
    uint32_t cp = n == 0 ? c : c & (0x3f >> n);
    for (int k = 1; k <= n; k++) {
      unsigned char d = (unsigned char)s[i + k];
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += (size_t)n + 1;
  }
  return true;
}

static bool plain_token(const std::string& s) {  // lang, topic: short, printable ASCII
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!(isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.')) return false;
  return true;
}

static bool valid_day(const std::string& d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
  for (int i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (!isdigit((unsigned char)d[i])) return false;
  return true;
}

static std::string validate(const RequestInput& in) {
  if (!plain_token(in.lang)) return "invalid language code";
  if (!plain_token(in.topic)) return "invalid topic";
  if (in.contact != "phone" && in.contact != "desk") return "contact must be phone or desk";
  if (in.contact == "phone" && in.phone.empty()) return "a phone number is required";
  if (!in.desk_day.empty() && (in.contact != "desk" || !valid_day(in.desk_day))) return "invalid desk day";
  if (!valid_utf8(in.name.view()) || !valid_utf8(in.phone.view())) return "name or phone is not valid UTF-8";
  return "";
}

// [SECTION] Sealing ---------------------------------------------------------------------------
// The plaintext JSON is built in a fixed stack buffer (no heap copies) and wiped after sealing.
static constexpr size_t kPlainMax = 2 * 6 * SecretText::kCapacity + 64;

static size_t put_json_string(unsigned char* out, size_t at, std::string_view s) {
  static const char hex[] = "0123456789abcdef";
  out[at++] = '"';
  for (char ch : s) {
    unsigned char c = (unsigned char)ch;
    if (c == '"' || c == '\\') {
      out[at++] = '\\';
      out[at++] = c;
    } else if (c < 0x20) {
      for (char e : {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]}) out[at++] = (unsigned char)e;
    } else {
      out[at++] = c;
    }
  }
  out[at++] = '"';
  return at;
}

static size_t put_raw(unsigned char* out, size_t at, const char* s) {
  while (*s) out[at++] = (unsigned char)*s++;
  return at;
}

static bool seal_contact(const OutboxState& s, const RequestInput& in, std::string* sealed_b64) {
  unsigned char plain[kPlainMax];
  size_t n = put_raw(plain, 0, "{\"name\":");
  n = put_json_string(plain, n, in.name.view());
  n = put_raw(plain, n, ",\"phone\":");
  n = put_json_string(plain, n, in.phone.view());
  n = put_raw(plain, n, "}");
  std::vector<unsigned char> sealed(crypto_box_SEALBYTES + n);
  bool ok = crypto_box_seal(sealed.data(), plain, n, s.hub_pk) == 0;
  sodium_memzero(plain, sizeof plain);
  if (!ok) return false;
  std::string b64(sodium_base64_ENCODED_LEN(sealed.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(b64.data(), b64.size(), sealed.data(), sealed.size(), sodium_base64_VARIANT_ORIGINAL);
  b64.resize(b64.size() - 1);  // the terminating NUL
  *sealed_b64 = std::move(b64);
  return true;
}

// [SECTION] Enqueue ---------------------------------------------------------------------------
static EnqueueResult failed(RequestInput& in, std::string why) {
  in.name.wipe();
  in.phone.wipe();
  EnqueueResult r;
  r.error = std::move(why);
  return r;
}

// Everything of the request in one transaction: the sequence step, the ref, the id, the body.
static bool insert_request(OutboxState& s, const RequestInput& in, const std::string& sealed, EnqueueResult* r) {
  sqlite3* db = s.db.get();
  if (!exec(db, "BEGIN IMMEDIATE", &r->error)) return false;
  Stmt seq(db, "UPDATE counters SET value = value + 1 WHERE name = 'ref_seq' RETURNING value");
  if (seq.step() != SQLITE_ROW) {
    r->error = sqlite3_errmsg(db);
    exec(db, "ROLLBACK", nullptr);
    return false;
  }
  int64_t n = seq.col_int(0);
  seq.step();  // finish the statement so COMMIT is not blocked by it
  int64_t created = cfg_wall_ms(s.config);
  r->id = uuid_v4();
  r->ref = make_ref(s.config.ref_prefix, (uint64_t)n - 1);
  nlohmann::json body = {{"id", r->id},          {"ref", r->ref},       {"kiosk", s.config.kiosk_id},
                         {"created_at", iso_utc(created)}, {"lang", in.lang}, {"topic", in.topic},
                         {"contact", in.contact}, {"sealed", sealed}};
  if (!in.desk_day.empty()) body["desk_day"] = in.desk_day;
  Stmt ins(db,
           "INSERT INTO requests(seq, id, ref, created_ms, lang, topic, contact, desk_day, body)"
           " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)");
  ins.bind(1, n);
  ins.bind(2, r->id);
  ins.bind(3, r->ref);
  ins.bind(4, created);
  ins.bind(5, in.lang);
  ins.bind(6, in.topic);
  ins.bind(7, in.contact);
  if (in.desk_day.empty()) ins.bind_null(8);
  else ins.bind(8, in.desk_day);
  ins.bind(9, body.dump());  // sorted keys: the exact bytes every retry will send
  if (ins.step() != SQLITE_DONE) {
    r->error = std::string("cannot store the request: ") + sqlite3_errmsg(db);
    exec(db, "ROLLBACK", nullptr);
    return false;
  }
  if (!exec(db, "COMMIT", &r->error)) {
    exec(db, "ROLLBACK", nullptr);
    return false;
  }
  return true;
}

EnqueueResult Outbox::enqueue(RequestInput& in) {
  if (!ok()) return failed(in, error());
  std::string why = validate(in);
  if (!why.empty()) return failed(in, why);
  std::string sealed;
  bool sealed_ok = seal_contact(*state_, in, &sealed);
  in.name.wipe();
  in.phone.wipe();
  if (!sealed_ok) return failed(in, "sealing failed");
  EnqueueResult r;
  if (!insert_request(*state_, in, sealed, &r)) {
    r.id.clear();
    r.ref.clear();
    return r;
  }
  r.ok = true;
  return r;
}

}  // namespace outbox
