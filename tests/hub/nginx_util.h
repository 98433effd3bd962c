// Debian's real nginx in a test: one of the example sites of hub/nginx/ with its paths and ports
// put into a temporary directory, run unprivileged in the foreground with a temporary prefix, and
// self-signed certificates made with the openssl CLI (nginx's for 127.0.0.1, the instances' for
// the name the cluster site checks). Its access log names the instance(s) each request went to.
#pragma once

#include "harness.h"

#include <arpa/inet.h>
#include <csignal>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace hub_test {

// A free loopback port (bound, read, released: nginx binds it right after).
inline std::string free_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  bind(fd, (sockaddr*)&a, sizeof a);
  getsockname(fd, (sockaddr*)&a, &len);
  close(fd);
  return std::to_string(ntohs(a.sin_port));
}

inline bool accepts(const std::string& port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)std::stoi(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, (sockaddr*)&a, sizeof a) == 0;
  close(fd);
  return ok;
}

// Replaces every occurrence of `from`; false when there is none (the example changed under the test).
inline bool replace_all(std::string* text, const std::string& from, const std::string& to) {
  bool found = false;
  for (size_t at = 0; (at = text->find(from, at)) != std::string::npos; at += to.size()) {
    text->replace(at, from.size(), to);
    found = true;
  }
  return found;
}

inline bool nginx_installed() { return access("/usr/sbin/nginx", X_OK) == 0; }

// dir/<stem>cert.pem and dir/<stem>key.pem for `name` (subjectAltName `alt`), valid two days.
inline bool make_certificate(const std::string& dir, const std::string& stem, const std::string& name,
                             const std::string& alt) {
  return system(("cd " + dir + " && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=" + name +
                 " -addext subjectAltName=" + alt + " -keyout " + stem + "key.pem -out " + stem + "cert.pem 2>/dev/null")
                    .c_str()) == 0;
}

// dir/cert.pem and dir/key.pem for 127.0.0.1: nginx's own, what clients check.
inline bool make_test_certificate(const std::string& dir) {
  return make_certificate(dir, "", "127.0.0.1", "IP:127.0.0.1");
}

// The example site for several instances (hub/nginx/sportello-hub-cluster.conf, with
// sportello-hub-common.conf) put into dir: nginx on 127.0.0.1:https (and :http), its certificate
// dir/cert.pem, targets in dir/targets/, and as the upstream one 127.0.0.1 port per instance (the
// example lists three; lines beyond `instances` are dropped), reached over TLS as the example
// says, checked against dir/instance-cert.pem (make_certificate(dir, "instance-",
// "sportello-hub-instance", "DNS:sportello-hub-instance")). Everything else as shipped. "" when
// the example lost a line the test replaces (named in *missing).
inline std::string cluster_site(const std::string& dir, const std::string& https, const std::string& http,
                                const std::vector<std::string>& instances, std::string* missing) {
  std::string site = harness::read_file(SPORTELLO_SOURCE_DIR "/hub/nginx/sportello-hub-cluster.conf");
  const char* examples[] = {"10.0.0.11:8443", "10.0.0.12:8443", "10.0.0.13:8443"};
  for (size_t i = 0; i < 3; i++) {
    std::string line = "\n    server " + std::string(examples[i]);
    size_t at = site.find(line);
    if (at == std::string::npos) return *missing = line, "";
    if (i < instances.size()) site.replace(at + 12, line.size() - 12, "127.0.0.1:" + instances[i]);
    else site.erase(at, site.find('\n', at + 1) - at);
  }
  const std::pair<std::string, std::string> edits[] = {
      {"listen 80;", "listen 127.0.0.1:" + http + ";"},
      {"listen [::]:80;", ""},
      {"listen 443 ssl;", "listen 127.0.0.1:" + https + " ssl;"},
      {"listen [::]:443 ssl;", ""},
      {"/etc/sportello-hub/cert.pem", dir + "/cert.pem"},
      {"/etc/sportello-hub/key.pem", dir + "/key.pem"},
      {"/etc/sportello-hub/instances-ca.pem", dir + "/instance-cert.pem"},
      {"/srv/sportello-hub/targets/", dir + "/targets/"},
      {"/etc/nginx/snippets/sportello-hub-common.conf", SPORTELLO_SOURCE_DIR "/hub/nginx/sportello-hub-common.conf"}};
  for (const auto& [from, to] : edits)
    if (!replace_all(&site, from, to)) return *missing = from, "";
  return site;
}

// nginx serving `site` (a server block, already rewritten for the test) from dir, in the
// foreground; stopped (SIGQUIT, then SIGKILL) on destruction.
struct Nginx {
  pid_t pid = -1;
  std::string dir, globals;

  // Writes dir/site.conf and an nginx.conf around it with every path in dir.
  void configure(const std::string& in_dir, const std::string& site) {
    dir = in_dir;
    harness::write_file(dir + "/site.conf", site);
    std::string conf = std::string(geteuid() == 0 ? "user root root;\n" : "") +
                       "error_log " + dir + "/error.log;\nevents { worker_connections 256; }\nhttp {\n"
                       "  log_format upstreams '$remote_addr \"$request\" $status upstream=$upstream_addr "
                       "upstream_status=$upstream_status';\n"
                       "  access_log " + dir + "/access.log upstreams;\n  client_body_temp_path " + dir + "/body;\n"
                       "  proxy_temp_path " + dir + "/proxy;\n  fastcgi_temp_path " + dir + "/fastcgi;\n"
                       "  uwsgi_temp_path " + dir + "/uwsgi;\n  scgi_temp_path " + dir + "/scgi;\n"
                       "  include " + dir + "/site.conf;\n}\n";
    harness::write_file(dir + "/nginx.conf", conf);
    globals = "daemon off; pid " + dir + "/nginx.pid;";
  }
  // nginx -t on the configuration; true when nginx accepts it (its words in dir/error.log).
  bool check() const {
    return system(("/usr/sbin/nginx -t -q -p " + dir + " -c " + dir + "/nginx.conf -g '" + globals + "' 2>>" + dir +
                   "/error.log").c_str()) == 0;
  }
  // Starts nginx and waits (at most 10 s) until `port` accepts connections.
  bool start(const std::string& port) {
    pid = fork();
    if (pid == 0) {
      execl("/usr/sbin/nginx", "nginx", "-p", dir.c_str(), "-c", (dir + "/nginx.conf").c_str(), "-g", globals.c_str(),
            (char*)nullptr);
      _exit(127);
    }
    bool up = false;
    for (int i = 0; i < 200 && !(up = accepts(port)); i++) usleep(50000);
    return up;
  }
  ~Nginx() {
    if (pid <= 0) return;
    kill(pid, SIGQUIT);
    int status;
    for (int i = 0; i < 500 && waitpid(pid, &status, WNOHANG) == 0; i++) usleep(10000);
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
};

}  // namespace hub_test
