// [SECTION] sportello-hub's account subcommands, for an operator at the hub's shell (the same
// tasks as the admin console's "Utenti" page; each one is audited like the erase subcommand:
// actor "sportello-hub <subcommand>", role "operator", client "cli"):
//   add-council     --data DIR --user NAME                       password on stdin's first line
//   passwd          --data DIR --user NAME [--role admin]        new password on stdin; ends sessions
//   disable-user    --data DIR --user NAME [--role admin]        ends sessions (and an admin's API token)
//   enable-user     --data DIR --user NAME [--role admin]
//   revoke-sessions --data DIR --user NAME [--role admin]
#include "server_internal.h"

#include <sodium.h>

#include <cstdio>
#include <iostream>

namespace hub {

namespace {

std::string option(const std::map<std::string, std::string>& options, const char* key) {
  auto it = options.find(key);
  return it == options.end() ? std::string() : it->second;
}

// A new password from stdin's first line, hashed; "" after saying why not.
std::string read_new_password(const std::string& user, bool cheap) {
  std::string password;
  std::getline(std::cin, password);
  std::string problem = password_problem(password, user);
  std::string hash = problem.empty() ? password_hash(password, cheap) : std::string();
  sodium_memzero(password.data(), password.size());
  if (!problem.empty()) fprintf(stderr, "sportello-hub: %s\n", problem.c_str());
  return hash;
}

}  // namespace

int account_command(const std::string& cmd, const std::string& data_dir,
                    const std::map<std::string, std::string>& options) {
  if (cmd != "add-council" && cmd != "passwd" && cmd != "disable-user" && cmd != "enable-user" &&
      cmd != "revoke-sessions")
    return -1;
  std::string user = option(options, "user"), role = option(options, "role");
  if (user.empty() || (!role.empty() && role != "admin")) {
    fprintf(stderr, "usage: sportello-hub %s --data DIR --user NAME [--role admin]\n", cmd.c_str());
    return 2;
  }
  std::string realm = role == "admin" ? "admin" : "console";
  bool cheap = !option(options, "cheap-hash").empty();
  auto store = Store::open_data(data_dir);
  if (!store->ok()) {
    fprintf(stderr, "sportello-hub: %s\n", store->error().c_str());
    return 1;
  }
  auto audit = [&](const std::string& action) {
    return store->audit(AuditEvent{unix_now(), "sportello-hub " + cmd, "operator", action,
                                   "user:" + user + (realm == "admin" ? " (admin)" : ""), "cli"});
  };
  if (cmd == "add-council" || cmd == "passwd") {
    std::string hash = read_new_password(user, cheap);
    if (hash.empty()) return 1;
    bool ok = cmd == "add-council" ? store->add_account("console", user, "council", hash)
                                   : store->set_password(realm, user, hash);
    if (!ok) return fprintf(stderr, "sportello-hub: %s: no such user, or the name is taken\n", user.c_str()), 1;
    audit(cmd == "add-council" ? "user_added:council" : "password_reset");
    printf(cmd == "add-council" ? "council member %s added\n" : "password of %s changed; sessions ended\n", user.c_str());
    return 0;
  }
  if (cmd == "revoke-sessions") {
    int ended = store->end_sessions(realm, user);
    audit("sessions_revoked");
    printf("%d session(s) of %s ended\n", ended, user.c_str());
    return 0;
  }
  bool disable = cmd == "disable-user";
  if (!store->set_disabled(realm, user, disable)) return fprintf(stderr, "sportello-hub: %s: no such user\n", user.c_str()), 1;
  audit(disable ? "user_disabled" : "user_enabled");
  printf(disable ? "%s disabled; sessions ended\n" : "%s enabled\n", user.c_str());
  return 0;
}

}  // namespace hub
