// [SECTION] sd_notify(3) over the NOTIFY_SOCKET datagram socket, so the kiosk needs no libsystemd
// for the two messages it sends (READY=1 and WATCHDOG=1).
#include "platform.h"

#include <cstdlib>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace platform {

static void notify(const char* message) {
  const char* path = getenv("NOTIFY_SOCKET");
  if (!path || !path[0]) return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  size_t len = strlen(path);
  if (len >= sizeof addr.sun_path) return;
  memcpy(addr.sun_path, path, len);
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // abstract socket namespace
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  sendto(fd, message, strlen(message), MSG_NOSIGNAL, (sockaddr*)&addr,
         (socklen_t)(offsetof(sockaddr_un, sun_path) + len));
  close(fd);
}

void notify_ready() { notify("READY=1"); }
void notify_watchdog() { notify("WATCHDOG=1"); }

uint64_t watchdog_interval_ms() {
  const char* usec = getenv("WATCHDOG_USEC");
  if (!usec) return 0;
  uint64_t us = strtoull(usec, nullptr, 10);
  return us / 2000;  // ping twice per period, as sd_watchdog_enabled(3) recommends
}

}  // namespace platform
