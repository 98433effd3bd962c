// update-tool: the content updater from the command line (tests, provisioning checks).
//   update-tool check CONFIG       one poll (check_once); prints the status JSON
//   update-tool installed CONFIG   what select_installed() returns, as JSON
// CONFIG is a file holding update::config_to_json() output, or that JSON itself (starts with '{').
// Exit codes: 0 ok, 1 the poll was refused or nothing is installed, 2 bad arguments.
#include "update_internal.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc != 3 || (strcmp(argv[1], "check") && strcmp(argv[1], "installed"))) {
    fprintf(stderr, "usage: update-tool check|installed CONFIG.json\n");
    return 2;
  }
  std::string text = argv[2], error;
  if (text.empty() || text[0] != '{') {
    if (!update::read_file(argv[2], &text, 1 << 20, &error)) return fprintf(stderr, "update-tool: %s\n", error.c_str()), 2;
  }
  update::Config config;
  if (!update::config_from_json(text, &config, &error)) return fprintf(stderr, "update-tool: %s\n", error.c_str()), 2;
  if (!strcmp(argv[1], "installed")) {
    update::Installed in = update::select_installed(config.state_dir, config.trust);
    nlohmann::json j = {{"ok", in.ok}, {"pack_path", in.pack_path}, {"map_path", in.map_path},
                        {"version", in.version}, {"sha256", in.sha256}, {"from_previous", in.from_previous},
                        {"error", in.error}};
    printf("%s\n", j.dump().c_str());
    return in.ok ? 0 : 1;
  }
  update::Status s = update::check_once(config);
  printf("%s\n", update::status_to_json(s).c_str());
  fflush(stdout);
  return s.last_error.empty() ? 0 : 1;
}
