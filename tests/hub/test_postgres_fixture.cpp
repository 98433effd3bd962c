// The PostgreSQL fixture itself (tests/harness/postgres.h): a server of its own, a synchronous
// standby made with pg_basebackup, and a promotion after the primary is killed, with every
// committed row on the new primary. The hub's own failover tests stand on this.
#include "postgres.h"

#include <catch2/catch.hpp>

TEST_CASE("postgres fixture: a server of its own answers on loopback", "[postgres]") {
  harness::Postgres pg;
  REQUIRE(pg.start("fixture"));
  std::string out;
  REQUIRE(pg.psql("SELECT 40 + 2", &out));
  CHECK(out == "42");
  REQUIRE(pg.create_database("hub_one"));
  REQUIRE(pg.psql("SELECT current_database()", &out, "hub_one"));
  CHECK(out == "hub_one");
  CHECK_FALSE(pg.psql("SELECT * FROM no_such_table"));
}

TEST_CASE("postgres fixture: a synchronous standby keeps every commit when the primary dies", "[postgres]") {
  harness::Postgres primary, standby;
  REQUIRE(primary.start("primary"));
  REQUIRE(standby.start_standby("standby", primary, "standby1"));
  // The standby must be the synchronous one before a commit can count on it.
  REQUIRE(primary.require_synchronous("standby1"));
  REQUIRE(primary.psql("CREATE TABLE t(id int primary key)"));
  REQUIRE(primary.psql("INSERT INTO t SELECT generate_series(1, 100)"));
  primary.kill9();
  CHECK_FALSE(primary.running());
  std::string recovering;
  REQUIRE(standby.psql("SELECT pg_is_in_recovery()", &recovering));
  CHECK(recovering == "t");
  REQUIRE(standby.promote());
  REQUIRE(standby.psql("SELECT pg_is_in_recovery()", &recovering));
  CHECK(recovering == "f");
  std::string count;
  REQUIRE(standby.psql("SELECT count(*) FROM t", &count));
  CHECK(count == "100");
  REQUIRE(standby.psql("INSERT INTO t VALUES (101)"));
}
