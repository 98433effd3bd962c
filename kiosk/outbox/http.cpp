// The HTTP client of the uploader: one libcurl easy handle (connection reuse) with every option
// written down with its reason, in curl's own spirit.
#include "outbox_internal.h"

#include <curl/curl.h>

#include <cstring>
#include <mutex>

namespace outbox {

// [SECTION] Owners ----------------------------------------------------------------------------
struct SList {  // move-only owner of a curl_slist
  curl_slist* list = nullptr;
  SList() = default;
  ~SList() { curl_slist_free_all(list); }
  SList(SList&& o) noexcept : list(o.list) { o.list = nullptr; }
  SList(const SList&) = delete;
  SList& operator=(const SList&) = delete;
  SList& operator=(SList&&) = delete;
  void add(const std::string& line) {
    curl_slist* next = curl_slist_append(list, line.c_str());
    if (next) list = next;
  }
};

struct Easy {  // move-only owner of a CURL easy handle
  CURL* h = curl_easy_init();
  Easy() = default;
  ~Easy() { curl_easy_cleanup(h); }
  Easy(Easy&& o) noexcept : h(o.h) { o.h = nullptr; }
  Easy(const Easy&) = delete;
  Easy& operator=(const Easy&) = delete;
  Easy& operator=(Easy&&) = delete;
};

static void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// [SECTION] Callbacks ---------------------------------------------------------------------------
struct Transfer {
  HttpResponse* response;
  const std::atomic<bool>* abort;
  bool overflow = false;
};

static size_t on_body(char* data, size_t size, size_t n, void* user) {
  Transfer* t = (Transfer*)user;
  size_t bytes = size * n;
  if (t->response->body.size() + bytes > kMaxResponseBytes) {  // no hub answer is this big
    t->overflow = true;
    return 0;
  }
  t->response->body.append(data, bytes);
  return bytes;
}

static size_t on_header(char* data, size_t size, size_t n, void* user) {
  Transfer* t = (Transfer*)user;
  size_t bytes = size * n;
  static const char name[] = "retry-after:";
  if (bytes > sizeof name - 1 && strncasecmp(data, name, sizeof name - 1) == 0)
    t->response->retry_after.assign(data + sizeof name - 1, bytes - (sizeof name - 1));
  return bytes;
}

// Called often during a transfer (and during connect): lets stop() abort at once.
static int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  Transfer* t = (Transfer*)user;
  return t->abort && t->abort->load() ? 1 : 0;
}

// [SECTION] Options -----------------------------------------------------------------------------
static bool loopback_http(const std::string& url) { return url.rfind("http://", 0) == 0; }

static void set_common(CURL* c, const Config& cfg, long timeout_ms) {
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);                  // we are a thread: no SIGALRM for DNS timeouts
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, cfg.connect_timeout_ms);  // a dead route fails fast
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, cfg.low_speed_limit_bytes);  // a stalled hub or proxy ...
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, cfg.low_speed_time_s);       // ... is given up on
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);        // last resort for a trickling peer
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);            // always: sealed data still tells who asked
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);            // always: the name must match the cert
  if (!cfg.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, cfg.ca_file.c_str());  // private hub CA
  if (!cfg.pinned_public_key.empty())                         // survive a rogue but "valid" certificate
    curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, cfg.pinned_public_key.c_str());
  curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);  // HTTP/2 when the hub offers it
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);            // a redirect is a captive portal, not the hub
  // https only; plain http only for a development hub on loopback (hub_url_allowed checked it).
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, loopback_http(cfg.hub_url) ? "http" : "https");
  curl_easy_setopt(c, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1");  // loopback never via a proxy
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);             // notice a dead idle connection
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)kMaxResponseBytes);  // refuse huge answers early
  std::string agent = "sportello-kiosk/" + cfg.app_version;
  curl_easy_setopt(c, CURLOPT_USERAGENT, agent.c_str());      // copied by curl; lets the hub tell versions apart
}

// [SECTION] Client ------------------------------------------------------------------------------
HttpClient::HttpClient(const Config& config, const std::atomic<bool>* abort_flag) : config_(&config), abort_(abort_flag) {
  global_init();
  curl_ = curl_easy_init();
}

HttpClient::~HttpClient() { curl_easy_cleanup((CURL*)curl_); }

static bool connect_error(CURLcode rc) {
  return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY;
}

HttpResponse HttpClient::request(const char* method, const std::string& path, const std::string& body,
                                 const std::vector<std::string>& headers, long timeout_ms) {
  HttpResponse r;
  CURL* c = (CURL*)curl_;
  if (!c) {
    r.error = "curl_easy_init failed";
    return r;
  }
  curl_easy_reset(c);  // keeps the connection cache, drops the previous request's options
  set_common(c, *config_, timeout_ms);
  std::string url = config_->hub_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += path;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  SList list;
  list.add("Authorization: Bearer " + config_->token);
  list.add("Expect:");  // no 100-continue round trip for our small bodies
  for (const std::string& h : headers) list.add(h);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.list);
  if (strcmp(method, "POST") == 0) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());  // not copied: body outlives perform
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body.size());
  } else {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  }
  Transfer t{&r, abort_};
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  char errbuf[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  CURLcode rc = curl_easy_perform(c);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);
  if (rc == CURLE_OK) {
    r.transport_ok = true;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    return r;
  }
  r.connect_failed = connect_error(rc);
  r.error = t.overflow ? "response too large" : std::string(curl_easy_strerror(rc));
  if (errbuf[0] && !t.overflow) r.error += std::string(": ") + errbuf;
  r.body.clear();
  return r;
}

bool HttpClient::probe(std::string* error, long timeout_ms) {
  Easy easy;
  CURL* c = easy.h;
  if (!c) {
    if (error) *error = "out of memory";
    return false;
  }
  set_common(c, *config_, timeout_ms > 0 ? timeout_ms : config_->connect_timeout_ms);
  curl_easy_setopt(c, CURLOPT_URL, config_->hub_url.c_str());
  curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);  // TCP + TLS handshake, no request: cheap for the hub
  Transfer t{nullptr, abort_};
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK && error) *error = curl_easy_strerror(rc);
  return rc == CURLE_OK;
}

}  // namespace outbox
