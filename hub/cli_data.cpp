// [SECTION] Data-protection subcommands of sportello-hub: answering a visitor's erasure request by
// their reference code, and giving an existing kiosk its reference prefix without a new token.
// Both work on the database directly; the hub may be running (SQLite serializes the writers).
#include "hub.h"

#include <cstdio>
#include <ctime>

namespace hub {

static std::unique_ptr<Store> open_data(const std::string& data_dir) {
  auto store = Store::open_data(data_dir);
  if (!store->ok()) fprintf(stderr, "sportello-hub: %s\n", store->error().c_str());
  return store;
}

int cli_erase(const std::string& data_dir, const std::string& ref) {
  if (ref.empty() || ref.size() > 16 || !printable_ascii(ref, 16)) {
    fprintf(stderr, "usage: sportello-hub erase --data DIR --ref REF (the visitor's code, e.g. GR1-K7P4X)\n");
    return 2;
  }
  auto store = open_data(data_dir);
  if (!store->ok()) return 1;
  AuditEvent by{(int64_t)time(nullptr), "sportello-hub erase", "operator", "erase", "", "cli"};
  int done = store->erase(ref, by);
  if (done < 0) return fprintf(stderr, "sportello-hub: %s: the erasure failed, nothing changed\n", ref.c_str()), 1;
  if (done == 0) return fprintf(stderr, "sportello-hub: no request has the reference %s\n", ref.c_str()), 1;
  printf("%s: name, phone and desk day erased; the reference now answers \"expired\"\n", ref.c_str());
  return 0;
}

int cli_set_ref_prefix(const std::string& data_dir, const std::string& kiosk, const std::string& ref_prefix) {
  if (!valid_kiosk_id(kiosk) || !valid_ref_prefix(ref_prefix)) {
    fprintf(stderr, "usage: sportello-hub set-ref-prefix --data DIR --id KIOSK --ref-prefix P (1-4 of A-Z 0-9)\n");
    return 2;
  }
  auto store = open_data(data_dir);
  if (!store->ok()) return 1;
  if (!store->set_ref_prefix(kiosk, ref_prefix)) {
    fprintf(stderr, "sportello-hub: no kiosk %s, or another kiosk has the prefix %s\n", kiosk.c_str(), ref_prefix.c_str());
    return 1;
  }
  printf("kiosk %s: reference prefix %s\n", kiosk.c_str(), ref_prefix.c_str());
  return 0;
}

}  // namespace hub
