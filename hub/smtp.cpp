// [SECTION] One mail through the configured SMTP relay with libcurl: SMTPS (TLS from the first
// byte) or SMTP with STARTTLS required, optional authentication, bounded in time. Runs on the
// notifier's thread only. The server's last reply line is kept for the admins' outbox page.
#include "notify.h"

#include <curl/curl.h>

#include <cstring>
#include <memory>

namespace hub {

namespace {

struct Upload {
  const std::string* message;
  size_t at = 0;
};

size_t read_message(char* buf, size_t size, size_t n, void* user) {
  Upload* u = static_cast<Upload*>(user);
  size_t left = u->message->size() - u->at, chunk = std::min(left, size * n);
  memcpy(buf, u->message->data() + u->at, chunk);
  u->at += chunk;
  return chunk;
}

// libcurl hands the server's replies to the debug callback as CURLINFO_HEADER_IN: keep the last
// line, except the reply to QUIT (221), so that what stays is the answer to the message itself.
int on_debug(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  if (type != CURLINFO_HEADER_IN) return 0;
  std::string line(data, size);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (!line.empty() && line.rfind("221", 0) != 0) *static_cast<std::string*>(user) = line.substr(0, 300);
  return 0;
}

}  // namespace

SmtpResult smtp_send(const NotifyConfig& config, const std::string& to, const std::string& message) {
  SmtpResult result;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> c(curl_easy_init(), &curl_easy_cleanup);
  if (!c) return {false, "curl_easy_init failed"};
  curl_slist* rcpt = curl_slist_append(nullptr, ("<" + to + ">").c_str());
  std::string last_reply;
  Upload upload{&message};
  char error[CURL_ERROR_SIZE] = {};
  CURL* h = c.get();
  // The relay: smtps://host:465 (implicit TLS) or smtp://host:587 (upgraded with STARTTLS below).
  curl_easy_setopt(h, CURLOPT_URL, config.smtp_url.c_str());
  // Only SMTP and SMTPS, also if the URL is ever edited to something else.
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  // STARTTLS is required on smtp:// (the transfer fails rather than sending in the clear), except
  // for a relay on loopback configured with smtp-tls = none.
  curl_easy_setopt(h, CURLOPT_USE_SSL, config.smtp_plain ? (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL);
  // The relay's certificate and name are always checked; smtp-ca-file names a private CA.
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!config.smtp_ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, config.smtp_ca_file.c_str());
  // TLS 1.2 at least, like the hub's own front.
  curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
  if (!config.smtp_user.empty()) {
    // AUTH (PLAIN or LOGIN, whatever the relay offers) only ever after TLS, given USE_SSL above.
    curl_easy_setopt(h, CURLOPT_USERNAME, config.smtp_user.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, config.smtp_password.c_str());
  }
  // MAIL FROM and RCPT TO: the envelope (the message's own headers are in `message`).
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, ("<" + config.smtp_from + ">").c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
  // The message is uploaded as DATA from memory; libcurl dot-stuffs lines that begin with '.'.
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, read_message);
  curl_easy_setopt(h, CURLOPT_READDATA, &upload);
  curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)message.size());
  // Bounds: connecting, and the whole transaction (a relay that stalls is given up and retried).
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)std::min(config.smtp_timeout_s, 30));
  curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)config.smtp_timeout_s);
  // And each reply of the server: libcurl 7.88 waits for the reply to the message's final "."
  // under this bound only (default 120 s), not under CURLOPT_TIMEOUT (seen with a relay that
  // never answers DATA: `curl --max-time 3` returned after 2 minutes, "server response timeout").
  curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT, (long)config.smtp_timeout_s);
  // Threads: no signals for timeouts (the hub has other threads and its own signal handlers).
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  // A fresh connection per mail: mails are rare, and a relay's idle timeout never bites.
  curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
  // The server's replies (to keep the last one) and libcurl's own error text.
  curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
  curl_easy_setopt(h, CURLOPT_DEBUGDATA, &last_reply);
  curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);  // needed for the debug callback; nothing is printed
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  CURLcode code = curl_easy_perform(h);
  long reply = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply);
  curl_slist_free_all(rcpt);
  result.ok = code == CURLE_OK && reply / 100 == 2;
  if (result.ok) {
    result.answer = last_reply.empty() ? "250" : last_reply;
  } else {
    result.answer = std::string(curl_easy_strerror(code)) + (error[0] ? std::string(": ") + error : "");
    if (!last_reply.empty()) result.answer += " (server: " + last_reply + ")";
  }
  result.answer = log_escape(result.answer).substr(0, 500);
  return result;
}

}  // namespace hub
