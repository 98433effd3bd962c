// Sportello outbox: the kiosk's durable, sealed queue of mediator requests and the uploader
// thread that delivers them to the hub exactly once (DESIGN.md rules 3 and 4).
//
// Index
//   [SECTION] Configuration
//   [SECTION] Request input (wipeable name and phone)
//   [SECTION] Outbox: enqueue, status, lookup
//   [SECTION] Uploader: the delivery thread
//   [SECTION] Uploader process: the delivery thread in a process of its own (what the kiosk runs)
//   [SECTION] Reference codes
//
// Threads: an Outbox is one SQLite connection; use it from one thread at a time (the UI's worker
// task). The Uploader opens its own connection to the same file and runs on its own thread; its
// public functions may be called from any thread. Nothing here ever throws across this header.
//
// Libraries: sportello_outbox (the queue, reference codes, UploaderProcess) does not link libcurl;
// sportello_uploader (Uploader, HTTP) does, and only the `sportello-uploader` program and the
// tests link it.
//
// Privacy: name and phone are sealed (libsodium crypto_box_seal) with the hub's public key inside
// enqueue() before anything touches the disk; the kiosk cannot open them again. Logs and status
// texts never contain them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace outbox {

// [SECTION] Configuration -------------------------------------------------------------------
struct Config {
  std::string db_path;                 // SQLite file; created with the schema when missing
  std::string hub_url;                 // "https://hub.example.org" (http:// only for 127.0.0.1/localhost)
  std::string kiosk_id;                // as provisioned on the hub
  std::string ref_prefix;              // unique per kiosk by provisioning, e.g. "GR1"
  std::string token;                   // bearer token of this kiosk
  std::string hub_public_key_b64;      // standard base64 of the hub's 32-byte X25519 public key
  std::string ca_file;                 // optional CA bundle (PEM); empty = system store
  std::string pinned_public_key;       // optional "sha256//<base64>" pin of the hub's key
  std::string app_version = "0.1.0";   // sent as User-Agent and in the heartbeat
  std::string content_version;         // sent in the heartbeat

  // Timeouts of one HTTP exchange.
  long connect_timeout_ms = 10000;
  long transfer_timeout_ms = 60000;    // whole exchange, a last resort behind the low-speed limit
  long low_speed_limit_bytes = 16;     // abort when slower than this many bytes/s ...
  long low_speed_time_s = 20;          // ... for this many seconds (a stalled hub or proxy)
  long status_timeout_ms = 5000;       // remote_status(): a visitor is waiting at the screen

  // Retry policy: exponential backoff with full jitter, Retry-After honoured as a minimum.
  uint64_t backoff_base_ms = 1000;
  uint64_t backoff_cap_ms = 15 * 60 * 1000;
  // While waiting longer than this after a connection failure, probe the hub with a bare
  // connect this often and resume at once when it answers ("wakes when the network returns").
  uint64_t probe_interval_ms = 30000;
  uint64_t heartbeat_interval_ms = 0;  // 0 = no heartbeat
  uint64_t checkpoint_batch = 64;      // WAL checkpoint(TRUNCATE) after this many acks or an idle queue

  // Content updates, run by the same network process (kiosk/update).
  std::string update_config;           // update::config_to_json(); "" = no content updates
  // The heartbeat's "update" object (a JSON object as text; "" = none). Set locally in the child
  // process, never sent over the wire.
  std::function<std::string()> heartbeat_update;

  // Injectable sources (tests). Empty = platform::now_ms, platform::wall_clock_unix_ms,
  // libsodium randombytes.
  std::function<uint64_t()> now_ms;    // monotonic milliseconds
  std::function<int64_t()> wall_ms;    // unix time in milliseconds (created_at, ages)
  std::function<uint32_t()> random;    // uniform 32-bit values (backoff jitter only)
};

// [SECTION] Request input -------------------------------------------------------------------
// Personal text held in fixed inline storage, so no reallocation leaves copies on the heap.
// The on-screen keyboard should write straight into it; wipe() zeroes it with sodium_memzero.
class SecretText {
public:
  static constexpr size_t kCapacity = 256;  // bytes of UTF-8
  SecretText() = default;
  ~SecretText() { wipe(); }
  SecretText(const SecretText&) = delete;
  SecretText& operator=(const SecretText&) = delete;

  bool set(std::string_view text);    // false (and empty) when longer than kCapacity
  bool append(std::string_view text); // false when it would not fit
  void wipe();                        // zero every byte, length 0
  std::string_view view() const { return std::string_view(data_, size_); }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const char* data() const { return data_; }  // for the tests that check the wipe

private:
  char data_[kCapacity] = {};
  size_t size_ = 0;
};

struct RequestInput {
  std::string lang;                    // "ar", "bn", ...
  std::string topic;                   // content topic id, e.g. "health"
  std::string contact;                 // "phone" or "desk"
  std::string desk_day;                // "YYYY-MM-DD", only with contact == "desk"
  SecretText name;                     // may be empty
  SecretText phone;                    // required when contact == "phone"
};

// [SECTION] Outbox ---------------------------------------------------------------------------
enum class RequestState : uint8_t { Queued = 0, Sent = 1, Failed = 2 };  // Failed = permanent error
const char* state_name(RequestState state);  // "queued", "sent", "failed"

struct EnqueueResult {
  bool ok = false;
  std::string error;                   // no personal data
  std::string id;                      // UUID v4, lowercase
  std::string ref;                     // "GR1-K7P4X": say it aloud, show it on the confirmation
};

struct QueueStatus {
  bool ok = false;
  std::string error;
  int64_t queue_depth = 0;             // queued (unsent, retryable)
  int64_t oldest_unsent_age_s = 0;     // 0 when the queue is empty
  int64_t permanent_errors = 0;        // failed rows staff must look at
  int64_t sent_total = 0;
  int64_t last_success_unix_ms = 0;    // 0 = never
  std::string last_error;              // last delivery error, e.g. "HTTP 503" (no personal data)
};

struct LocalLookup {
  bool ok = false;                     // false: database error (see error)
  bool found = false;
  std::string error;
  std::string ref;                     // normalised
  RequestState state = RequestState::Queued;
  int http_status = 0;                 // of the permanent error, if any
  std::string failure;                 // text of the permanent error, if any
};

struct OutboxState;

class Outbox {
public:
  // Opens (or creates and migrates) the database: WAL, synchronous=FULL, secure_delete=ON.
  // Never fails by exception: check ok() / error().
  static Outbox open(const Config& config);
  Outbox();
  ~Outbox();
  Outbox(Outbox&&) noexcept;
  Outbox& operator=(Outbox&&) noexcept;
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  bool ok() const;                     // opened and usable
  const std::string& error() const;    // why not

  // Seals name+phone, writes id, ref, metadata and the exact request body in ONE transaction and
  // returns after COMMIT is durable (synchronous=FULL). Always wipes input.name and input.phone,
  // on success and on error. Blocking (an fsync): call it from a worker task, never the frame.
  EnqueueResult enqueue(RequestInput& input);
  QueueStatus status();                // staff screen and heartbeat figures
  LocalLookup lookup(std::string_view ref);  // the visitor's own check; accepts lower case/spaces
  int64_t retry_failed();              // staff action: requeue permanent errors; returns how many

  OutboxState* state() { return state_.get(); }  // for the uploader (internal)

private:
  std::unique_ptr<OutboxState> state_;
};

// [SECTION] Uploader --------------------------------------------------------------------------
struct UploaderStatus {
  bool running = false;
  uint64_t attempts = 0;               // HTTP attempts since start
  uint64_t acked = 0;                  // requests acknowledged since start
  uint64_t permanent = 0;              // requests flagged permanent since start
  uint64_t backoff_ms = 0;             // current wait, 0 when not waiting
  int consecutive_failures = 0;
  std::string last_error;              // no personal data
};

struct RemoteStatus {
  bool ok = false;                     // the hub answered 200 or 404
  bool found = false;
  std::string status;                  // "received", "in_progress", "done", "unreachable"
  std::string error;
};

struct UploaderImpl;

class Uploader {
public:
  explicit Uploader(Config config);   // does nothing until start()
  ~Uploader();                         // stop()
  Uploader(const Uploader&) = delete;
  Uploader& operator=(const Uploader&) = delete;

  bool start(std::string* error = nullptr);  // opens its own connection and starts the thread
  void wake();                         // a new request, or a network-change hint: try now
  void stop();                         // prompt even mid-backoff or mid-transfer; joins
  UploaderStatus snapshot() const;
  void set_content_version(const std::string& version);  // the content the screen runs (heartbeat)
  // Asks the hub for a ref's status (short timeout). Blocking: call from a worker task.
  RemoteStatus remote_status(std::string_view ref) const;
  // Connects to the hub now (TCP + TLS, no request; bounded by status_timeout_ms): true when it
  // answers, else false with why ("Couldn't connect to server"). Blocking: worker task.
  bool check_hub(std::string* error) const;

private:
  std::unique_ptr<UploaderImpl> impl_;
};

// [SECTION] Uploader process ------------------------------------------------------------------
// The kiosk runs its Uploader in a child process, `sportello-uploader`, so the process that draws
// the screen never loads libcurl (with Debian's TLS, LDAP, Kerberos and RTMP libraries: ~5.5 MB
// resident) and a crash in the network code cannot take the screen down. The two share the
// outbox file (SQLite WAL, safe across processes) and a socketpair that carries the configuration
// first (the token never appears on a command line) and then wake / status / snapshot messages.
// The child stops when the socket closes, so it never outlives the kiosk, even after a kill -9;
// a child that dies is started again after restart_delay_ms.
class UploaderProcess {
public:
  UploaderProcess(Config config, std::string program);  // program: path of sportello-uploader
  ~UploaderProcess();                  // closes the socket, waits (bounded) for the child to stop
  UploaderProcess(const UploaderProcess&) = delete;
  UploaderProcess& operator=(const UploaderProcess&) = delete;

  // Spawns and configures the child; false (with why) when it cannot be started or refuses the
  // configuration (e.g. an http:// hub that is not on loopback). Call once, from any thread.
  bool start(std::string* error = nullptr);
  void wake();                         // as Uploader::wake(); never blocks on the network
  std::string last_error();            // the uploader's last delivery error, or why it did not
                                       // start; "" when none
  // As Uploader::remote_status(); {ok=false} when the child is not running. Blocking: worker task.
  RemoteStatus remote_status(std::string_view ref);
  bool check_hub(std::string* error);  // as Uploader::check_hub(); false when the child is not running
  int pid() const;                     // the running child's pid, -1 between restarts (tests)

  // Content updates (Config::update_config). None of these waits on the network.
  void check_content();                // poll the hub for content now; never blocks
  // update::status_to_json() of the child's updater; "" when the child is not running or runs
  // no content updates. Waits for the child's answer (bounded): call from a worker task.
  std::string content_status();
  void content_running(int64_t version);  // the screen now runs content `version` (heartbeat)
  uint64_t restarts() const;           // children started again after one ended

  uint64_t restart_delay_ms = 2000;    // set before start()

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
};

// [SECTION] Reference codes ------------------------------------------------------------------
// "PREFIX-" + 4 code characters (5 after 27^4 requests) + 1 check character, from an alphabet
// without 0/O, 1/I/L and vowels: easy to read aloud, no words. Unique per kiosk without network.
extern const char kRefAlphabet[];      // "23456789BCDFGHJKMNPQRSTVWXZ"
std::string make_ref(std::string_view prefix, uint64_t seq);
// Upper-cases, drops spaces, restores the dash (given the prefix when the visitor left it out);
// "" when malformed or the check character does not match.
std::string normalize_ref(std::string_view typed, std::string_view prefix = {});

}  // namespace outbox
