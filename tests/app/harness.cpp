#include "harness.h"

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace harness {

std::string temp_dir(const std::string& name) {
  static std::atomic<int> counter{0};
  std::string dir = std::string(SPORTELLO_BINARY_DIR) + "/test-output/" + name + "-" + std::to_string(getpid()) +
                    "-" + std::to_string(counter++);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

static std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

static Run exec(const std::vector<std::string>& args, const std::string& dir) {
  Run run;
  run.out_dir = dir;
  std::string cmd = std::string("env -u DISPLAY -u WAYLAND_DISPLAY ") + quote(SPORTELLO_KIOSK_BIN);
  for (const std::string& a : args) cmd += " " + quote(a);
  cmd += " 2>" + quote(dir + "/stderr.txt") + " >/dev/null";
  int status = system(cmd.c_str());
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.stderr_text = read_file(dir + "/stderr.txt");
  return run;
}

Run run_kiosk(const std::string& script, const std::vector<std::string>& extra_args, const std::string& size) {
  std::string dir = temp_dir("kiosk");
  write_file(dir + "/script.txt", script);
  std::vector<std::string> args = {"--headless", "--size", size, "--script", dir + "/script.txt", "--out", dir};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  return exec(args, dir);
}

Run run_raw(const std::vector<std::string>& args) { return exec(args, temp_dir("raw")); }

nlohmann::json load_dump(const Run& run, const std::string& name) {
  std::string text = read_file(run.out_dir + "/" + name + ".json");
  if (text.empty()) return nlohmann::json();
  return nlohmann::json::parse(text);
}

nlohmann::json element(const nlohmann::json& dump, const std::string& id) {
  if (!dump.contains("elements")) return nlohmann::json();
  for (const auto& e : dump["elements"])
    if (e["id"] == id) return e;
  return nlohmann::json();
}

}  // namespace harness
