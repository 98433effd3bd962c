// One Catch2 main for every unit-test binary.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

int main(int argc, char** argv) {
  Catch::Session session;
  // ctest runs each test by its name as a filter. A filter that matches no test must fail, not pass
  // with nothing run: CMake splits a discovered name at ';', and a name that begins with "--" is read
  // as an option, and either would otherwise count as a pass.
  session.configData().warnings = static_cast<Catch::WarnAbout::What>(Catch::WarnAbout::NoTests);
  if (int rc = session.applyCommandLine(argc, argv)) return rc;
  return session.run();
}
