// [SECTION] sportello-hub's profile subcommands, for an operator at the hub's shell (the same
// task as the admin console's "Profili" page; audited as actor "sportello-hub set-profile", role
// "operator", client "cli"):
//   set-profile   --data DIR --user NAME [--role admin] [--languages ar,fr] [--desks GR-01,GR-02]
//                 [--duty on|off] [--email ADDR|none] [--coordinator yes|no]
//                 options not given keep their value
//   show-profiles --data DIR [--role admin]   one line per account: user, role, duty, languages, desks, address
#include "server_internal.h"

#include <cstdio>

namespace hub {

namespace {

bool has(const std::map<std::string, std::string>& options, const char* key) { return options.count(key) > 0; }

// "on"/"yes"/"1" or "off"/"no"/"0"; false when it is neither.
bool parse_flag(const std::string& text, bool* out) {
  if (text == "on" || text == "yes" || text == "1") return *out = true, true;
  if (text == "off" || text == "no" || text == "0") return *out = false, true;
  return false;
}

}  // namespace

int profile_command(const std::string& cmd, const std::string& data_dir,
                    const std::map<std::string, std::string>& options) {
  if (cmd != "set-profile" && cmd != "show-profiles") return -1;
  std::string role = has(options, "role") ? options.at("role") : "";
  if (!role.empty() && role != "admin") return fprintf(stderr, "sportello-hub: --role: only admin\n"), 2;
  std::string realm = role == "admin" ? "admin" : "console";
  auto store = Store::open_data(data_dir);
  if (!store->ok()) return fprintf(stderr, "sportello-hub: %s\n", store->error().c_str()), 1;
  if (cmd == "show-profiles") {
    for (const Profile& p : store->profiles(realm))
      printf("%s %s %s%s%s languages=%s desks=%s email=%s\n", p.user.c_str(), p.role.c_str(),
             p.on_duty ? "on-duty" : "off-duty", p.coordinator ? " coordinator" : "", p.disabled ? " disabled" : "",
             join_list(p.languages).c_str(), join_list(p.desks).c_str(), p.email.empty() ? "-" : p.email.c_str());
    return 0;
  }
  std::string user = has(options, "user") ? options.at("user") : "";
  auto current = store->profile(realm, user);
  if (!current) return fprintf(stderr, "sportello-hub: %s: no such user\n", user.c_str()), 1;
  Profile p = *current;
  if (has(options, "languages")) p.languages = split_list(options.at("languages"));
  if (has(options, "desks")) p.desks = split_list(options.at("desks"));
  if (has(options, "email")) p.email = options.at("email") == "none" ? "" : options.at("email");
  if (has(options, "duty") && !parse_flag(options.at("duty"), &p.on_duty))
    return fprintf(stderr, "sportello-hub: --duty on|off\n"), 2;
  if (has(options, "coordinator") && !parse_flag(options.at("coordinator"), &p.coordinator))
    return fprintf(stderr, "sportello-hub: --coordinator yes|no\n"), 2;
  if (std::string problem = profile_problem(p); !problem.empty())
    return fprintf(stderr, "sportello-hub: %s\n", problem.c_str()), 2;
  if (!store->set_profile(p, unix_now())) return fprintf(stderr, "sportello-hub: cannot store the profile\n"), 1;
  store->audit(AuditEvent{unix_now(), "sportello-hub set-profile", "operator", "profile_set",
                          "user:" + user + (realm == "admin" ? " (admin)" : ""), "cli"});
  printf("profile of %s: %s%s, languages %s, desks %s, address %s\n", user.c_str(), p.on_duty ? "on duty" : "off duty",
         p.coordinator ? ", coordinator" : "", p.languages.empty() ? "-" : join_list(p.languages).c_str(),
         p.desks.empty() ? "-" : join_list(p.desks).c_str(), p.email.empty() ? "-" : p.email.c_str());
  return 0;
}

}  // namespace hub
