// The outbox configuration of a kiosk provisioned on a real hub that tests/harness started.
#pragma once

#include "harness.h"
#include "outbox.h"
#include "test_util.h"

namespace outbox_test {

// `url` overrides the hub's own address (a fault proxy in front of it).
inline outbox::Config config_for(const harness::Hub& hub, const TempDir& dir, const std::string& url = "") {
  outbox::Config c;
  c.db_path = dir.file("outbox.db");
  c.hub_url = url.empty() ? hub.url() : url;
  c.kiosk_id = "GR-01";
  c.ref_prefix = "GR1";
  c.token = hub.token;
  c.hub_public_key_b64 = hub.public_key;
  return c;
}

}  // namespace outbox_test
