// Runs the real `sportello` binary headless with a script and reads back what it wrote.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace harness {

struct Run {
  int exit_code = -1;
  std::string stderr_text;
  std::string out_dir;
};

// A fresh directory under the build tree, unique per call.
std::string temp_dir(const std::string& name);
void write_file(const std::string& path, const std::string& data);
std::string read_file(const std::string& path);

// Runs sportello --headless --size WxH --script (the given lines) --out DIR plus extra args.
Run run_kiosk(const std::string& script, const std::vector<std::string>& extra_args = {},
              const std::string& size = "1920x1080");
// Runs sportello with exactly these arguments (for option errors).
Run run_raw(const std::vector<std::string>& args);

// Runs a command to completion and returns its stdout.
std::string capture(const std::vector<std::string>& args);
std::string last_line(const std::string& text);

// A server process started in the background; start() waits (bounded) for a line on its stdout
// beginning with `ready_prefix` and keeps what follows as the port. Killed on destruction.
struct Server {
  int pid = -1;
  std::string port;
  bool start(const std::vector<std::string>& args, const std::string& ready_prefix);
  ~Server();
};

nlohmann::json load_dump(const Run& run, const std::string& name);
// The element with this id in a dump, or null json when absent.
nlohmann::json element(const nlohmann::json& dump, const std::string& id);

}  // namespace harness
