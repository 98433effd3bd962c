// One PostgreSQL server for a whole ctest run (a FIXTURES_SETUP / FIXTURES_CLEANUP pair, see
// tests/hub/CMakeLists.txt): `start FILE` starts it with harness::Postgres and writes its URL,
// directory and port to FILE; `stop FILE` stops it and removes its directory. The tests that
// need it read FILE (SPORTELLO_TEST_POSTGRES) and each make a database of their own.
#include "postgres.h"

#include <cstdio>
#include <fstream>
#include <string>

// Stops the server recorded in `file`, if any (the destructor removes its directory).
static bool stop_recorded(const std::string& file) {
  harness::Postgres pg;
  std::ifstream in(file);
  std::string url;
  if (!std::getline(in, url) || !std::getline(in, pg.dir) || !std::getline(in, pg.port)) return false;
  pg.stop();
  std::remove(file.c_str());
  return !pg.running();
}

int main(int argc, char** argv) {
  if (argc != 3) return fprintf(stderr, "usage: hub-postgres-server start|stop FILE\n"), 2;
  std::string cmd = argv[1], file = argv[2];
  harness::Postgres pg;
  if (cmd == "start") {
    stop_recorded(file);  // a run that was killed before its cleanup left its server behind
    if (!pg.start("ctest", {"max_connections = 300", "fsync = off"}))
      return fprintf(stderr, "hub-postgres-server: %s\n", pg.error.c_str()), 1;
    std::ofstream out(file, std::ios::trunc);
    // The URL without a database: each test appends its own.
    std::string url = pg.url("");
    url.pop_back();
    out << url << "\n" << pg.dir << "\n" << pg.port << "\n";
    if (!out.flush()) return fprintf(stderr, "hub-postgres-server: cannot write %s\n", file.c_str()), 1;
    printf("PostgreSQL for this run: %s (%s)\n", url.c_str(), pg.dir.c_str());
    pg.dir.clear();  // the server outlives this program: `stop` ends it
    return 0;
  }
  if (cmd == "stop") {
    if (!stop_recorded(file)) return fprintf(stderr, "hub-postgres-server: no server recorded in %s\n", file.c_str()), 1;
    return 0;
  }
  return fprintf(stderr, "usage: hub-postgres-server start|stop FILE\n"), 2;
}
