// The example nginx site for several hub instances (hub/nginx/sportello-hub-cluster.conf), with
// the policy it shares with the single-hub site (sportello-hub-common.conf): Debian's nginx
// accepts it (nginx -t, unprivileged, in a temporary prefix), and runs it: release targets come
// from the shared directory with nginx's ranges, and nothing but a target's name is served there.
#include "harness.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <csignal>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

std::string free_port() {
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

bool accepts(const std::string& port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)std::stoi(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, (sockaddr*)&a, sizeof a) == 0;
  close(fd);
  return ok;
}

// Replaces every occurrence of `from`; false when there is none.
bool replace_all(std::string* text, const std::string& from, const std::string& to) {
  bool found = false;
  for (size_t at = 0; (at = text->find(from, at)) != std::string::npos; at += to.size()) {
    text->replace(at, from.size(), to);
    found = true;
  }
  return found;
}

struct Nginx {
  pid_t pid = -1;
  ~Nginx() {
    if (pid <= 0) return;
    kill(pid, SIGQUIT);
    int status;
    for (int i = 0; i < 500 && waitpid(pid, &status, WNOHANG) == 0; i++) usleep(10000);
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
};

}  // namespace

TEST_CASE("cluster nginx: the example site passes nginx -t and serves targets from the shared directory",
          "[e2e][hub][nginx]") {
  if (system("test -x /usr/sbin/nginx") != 0) {
    WARN("nginx not installed (.ci/debian-packages lists it): skipped");
    return;
  }
  std::string dir = harness::temp_dir("nginx-cluster");
  REQUIRE(system(("cd " + dir + " && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
                  "-addext subjectAltName=IP:127.0.0.1 -keyout key.pem -out cert.pem 2>/dev/null").c_str()) == 0);
  REQUIRE(system(("mkdir -p " + dir + "/targets").c_str()) == 0);
  std::string site = harness::read_file(SPORTELLO_SOURCE_DIR "/hub/nginx/sportello-hub-cluster.conf");
  std::string https = free_port(), http = free_port();
  // Three instances that do not run: the targets never reach them.
  REQUIRE(replace_all(&site, "10.0.0.11:8443", "127.0.0.1:" + free_port()));
  REQUIRE(replace_all(&site, "10.0.0.12:8443", "127.0.0.1:" + free_port()));
  REQUIRE(replace_all(&site, "10.0.0.13:8443", "127.0.0.1:" + free_port()));
  REQUIRE(replace_all(&site, "listen 80;", "listen 127.0.0.1:" + http + ";"));
  REQUIRE(replace_all(&site, "listen [::]:80;", ""));
  REQUIRE(replace_all(&site, "listen 443 ssl;", "listen 127.0.0.1:" + https + " ssl;"));
  REQUIRE(replace_all(&site, "listen [::]:443 ssl;", ""));
  REQUIRE(replace_all(&site, "/etc/sportello-hub/cert.pem", dir + "/cert.pem"));
  REQUIRE(replace_all(&site, "/etc/sportello-hub/key.pem", dir + "/key.pem"));
  REQUIRE(replace_all(&site, "/etc/sportello-hub/instances-ca.pem", dir + "/cert.pem"));
  REQUIRE(replace_all(&site, "/srv/sportello-hub/targets/", dir + "/targets/"));
  REQUIRE(replace_all(&site, "/etc/nginx/snippets/sportello-hub-common.conf",
                      SPORTELLO_SOURCE_DIR "/hub/nginx/sportello-hub-common.conf"));
  harness::write_file(dir + "/site.conf", site);
  std::string conf = std::string(geteuid() == 0 ? "user root root;\n" : "") +
                     "error_log " + dir + "/error.log;\nevents { worker_connections 256; }\nhttp {\n"
                     "  access_log " + dir + "/access.log;\n  client_body_temp_path " + dir + "/body;\n"
                     "  proxy_temp_path " + dir + "/proxy;\n  fastcgi_temp_path " + dir + "/fastcgi;\n"
                     "  uwsgi_temp_path " + dir + "/uwsgi;\n  scgi_temp_path " + dir + "/scgi;\n"
                     "  include " + dir + "/site.conf;\n}\n";
  harness::write_file(dir + "/nginx.conf", conf);
  std::string globals = "daemon off; pid " + dir + "/nginx.pid;";

  std::string checked = harness::capture({"/usr/sbin/nginx", "-t", "-p", dir, "-c", dir + "/nginx.conf", "-g", globals});
  INFO(checked);
  INFO(harness::read_file(dir + "/error.log"));
  REQUIRE(system(("/usr/sbin/nginx -t -q -p " + dir + " -c " + dir + "/nginx.conf -g '" + globals + "' 2>>" + dir +
                  "/error.log").c_str()) == 0);

  Nginx nginx;
  nginx.pid = fork();
  if (nginx.pid == 0) {
    execl("/usr/sbin/nginx", "nginx", "-p", dir.c_str(), "-c", (dir + "/nginx.conf").c_str(), "-g", globals.c_str(),
          (char*)nullptr);
    _exit(127);
  }
  bool up = false;
  for (int i = 0; i < 200 && !(up = accepts(https)); i++) usleep(50000);
  REQUIRE(up);

  std::string name(64, 'a');
  harness::write_file(dir + "/targets/" + name, "0123456789");
  std::string base = "https://127.0.0.1:" + https + "/api/v1/content/targets/";
  auto curl = [&](std::vector<std::string> args) {
    std::vector<std::string> all = {"curl", "-s", "--cacert", dir + "/cert.pem", "-w", " %{http_code}"};
    all.insert(all.end(), args.begin(), args.end());
    return harness::capture(all);
  };
  CHECK(curl({base + name}) == "0123456789 200");
  CHECK(curl({"-H", "Range: bytes=4-", base + name}) == "456789 206");  // a resumed download
  CHECK(curl({base + std::string(64, 'b')}) == "{\"error\":\"no_target\"} 404");
  CHECK(curl({base + name + ".pem"}) == "{\"error\":\"invalid_target_name\"} 400");
  // A way out of the directory is normalised by nginx out of this location (to an instance).
  std::string out = curl({base + "..%2F..%2F..%2Fkey.pem"});
  CHECK(out.find("PRIVATE KEY") == std::string::npos);
  CHECK(out.substr(out.size() - 4) != " 200");
  CHECK(curl({base + std::string(64, 'A')}) == "{\"error\":\"invalid_target_name\"} 400");
  CHECK(curl({"-o", "/dev/null", "-X", "DELETE", base + name}) == " 403");
  // The shared policy is in force: HSTS on every answer, and nothing below TLS 1.2.
  std::string head = harness::capture({"curl", "-s", "-I", "--cacert", dir + "/cert.pem", base + name});
  CHECK(head.find("Strict-Transport-Security: max-age=31536000") != std::string::npos);
  CHECK(curl({"-o", "/dev/null", "--tlsv1.1", "--tls-max", "1.1", base + name}) == " 000");
  // The instances do not run: a console call fails over to none of them and says so.
  CHECK(curl({"-o", "/dev/null", "https://127.0.0.1:" + https + "/console/login"}) == " 502");
}
