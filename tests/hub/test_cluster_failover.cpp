// Failover under the cluster module (hub/cluster.h): a primary with a synchronous standby, two
// instances' bridges and a job lock on a two-host URL (target_session_attrs=read-write). The
// primary dies (kill -9), the standby is promoted, and through the same URL the bridges find it,
// tell their consoles to re-fetch, and carry events again; the job lock is held again.
#include "cluster_util.h"
#include "postgres.h"

#include <catch2/catch.hpp>

using cluster_test::Bus;
using cluster_test::eventually;
using cluster_test::Instance;
using hub::Event;

TEST_CASE("cluster failover: bridges and job locks follow the promoted standby", "[cluster][postgres][failover]") {
  harness::Postgres primary, standby;
  REQUIRE(primary.start("cluster-primary"));
  REQUIRE(standby.start_standby("cluster-standby", primary, "standby1"));
  REQUIRE(primary.require_synchronous("standby1"));

  // The standby is listed first: libpq skips it while it is read-only, and takes it once promoted.
  std::string url = "postgresql://postgres@127.0.0.1:" + standby.port + ",127.0.0.1:" + primary.port +
                    "/postgres?target_session_attrs=read-write";
  Instance a(url), b(url);
  hub::JobLock job(url, "escalation", std::chrono::milliseconds(200));
  REQUIRE(eventually([&] { return a.bridge.connected() && b.bridge.connected() && job.held(); }));
  std::string server;
  REQUIRE(primary.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'sportello-hub %'", &server));
  CHECK(server == "3");  // all on the primary
  a.bus.bus.publish({Event::RequestChanged, "aaaaaaaa-0000-4000-8000-000000000001", "received"});
  REQUIRE(b.bus.wait_for("aaaaaaaa-0000-4000-8000-000000000001", "received"));

  primary.kill9();
  REQUIRE_FALSE(primary.running());
  REQUIRE(eventually([&] { return !a.bridge.connected() && !b.bridge.connected() && !job.held(); }));
  // While no server takes writes, what A publishes cannot reach B; B re-fetches once back.
  a.bus.bus.publish({Event::RequestChanged, "aaaaaaaa-0000-4000-8000-000000000002", "received"});
  REQUIRE(standby.promote());

  REQUIRE(eventually([&] { return a.bridge.connected() && b.bridge.connected(); }, 30));
  CHECK(a.bridge.connections() == 2);
  CHECK(b.bridge.connections() == 2);
  CHECK(a.bus.wait_for("", ""));  // both re-fetch: events may have been missed
  CHECK(b.bus.wait_for("", ""));
  CHECK(b.bus.count("aaaaaaaa-0000-4000-8000-000000000002", "received") == 0);
  REQUIRE(eventually([&] { return job.held(); }, 30));

  b.bus.bus.publish({Event::RequestChanged, "aaaaaaaa-0000-4000-8000-000000000003", "done"});
  CHECK(a.bus.wait_for("aaaaaaaa-0000-4000-8000-000000000003", "done"));
  a.bus.bus.publish({Event::RequestChanged, "aaaaaaaa-0000-4000-8000-000000000004", "done"});
  CHECK(b.bus.wait_for("aaaaaaaa-0000-4000-8000-000000000004", "done"));
  REQUIRE(standby.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'sportello-hub %'", &server));
  CHECK(server == "3");  // all on the new primary
}
