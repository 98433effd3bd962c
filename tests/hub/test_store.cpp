// hub store and crypto: requests stored exactly once, claims atomic, passwords and sealed boxes.
#include "hub.h"
#include "store_util.h"

#include <catch2/catch.hpp>
#include <sodium.h>

#include <atomic>
#include <filesystem>
#include <thread>

static std::string fresh_db(const char* name) {
  std::string dir = std::string(SPORTELLO_BINARY_DIR) + "/test-output/hub-" + name + "-" + std::to_string(getpid());
  return storetest::fresh_target(dir, std::string("hub-") + name);
}

static hub::Request request(const char* id, const char* ref) {
  hub::Request r;
  r.id = id;
  r.ref = ref;
  r.kiosk = "GR-01";
  r.lang = "ar";
  r.topic = "health";
  r.contact = "phone";
  r.sealed.assign(80, 7);
  return r;
}

TEST_CASE("a request is stored once: replay gives the same answer, another body is a conflict", "[unit][hub]") {
  auto store = hub::Store::open(fresh_db("once"));
  REQUIRE(store->ok());
  hub::Request r = request("6f1c2b9e-1d2a-4c3b-8a5e-0a1b2c3d4e5f", "GR1-BCDF");
  CHECK(store->store(r, "hash-a", 100) == hub::StoreResult::Created);
  CHECK(store->store(r, "hash-a", 101) == hub::StoreResult::Replayed);
  CHECK(store->store(r, "hash-b", 102) == hub::StoreResult::Conflict);
  CHECK(store->count_requests() == 1);
  CHECK(store->status_of("GR1-BCDF") == std::optional<std::string>("received"));
  CHECK_FALSE(store->status_of("GR1-XXXX"));
}

TEST_CASE("identical posts racing each other store one row", "[unit][hub]") {
  auto store = hub::Store::open(fresh_db("race"));
  REQUIRE(store->ok());
  hub::Request r = request("0d3e5f7a-9b1c-4d2e-9f3a-5b6c7d8e9f0a", "GR1-GHJK");
  std::atomic<int> created{0}, replayed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; i++)
    threads.emplace_back([&] {
      hub::StoreResult res = store->store(r, "same", 1);
      if (res == hub::StoreResult::Created) created++;
      if (res == hub::StoreResult::Replayed) replayed++;
    });
  for (auto& t : threads) t.join();
  CHECK(created == 1);
  CHECK(replayed == 7);
  CHECK(store->count_requests() == 1);
}

TEST_CASE("two mediators claim the same request: one wins, only the winner closes it", "[unit][hub]") {
  auto store = hub::Store::open(fresh_db("claim"));
  REQUIRE(store->ok());
  const char* id = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
  REQUIRE(store->store(request(id, "GR1-MNPQ"), "h", 1) == hub::StoreResult::Created);
  std::atomic<int> wins{0};
  std::thread a([&] { wins += store->claim(id, "anna", 2); });
  std::thread b([&] { wins += store->claim(id, "bruno", 2); });
  a.join();
  b.join();
  CHECK(wins == 1);
  std::string owner = store->get(id)->mediator;
  std::string other = owner == "anna" ? "bruno" : "anna";
  CHECK_FALSE(store->close(id, other, "done", 3));
  CHECK_FALSE(store->close(id, owner, "lost", 3));
  CHECK(store->close(id, owner, "done", 3));
  CHECK(store->status_of("GR1-MNPQ") == std::optional<std::string>("done"));
  // Retention removes the sealed data of closed requests, keeping the rest.
  CHECK(store->retention(10) == 1);
  CHECK(store->get(id)->sealed.empty());
  CHECK(store->get(id)->status == "done");
}

TEST_CASE("passwords are Argon2id and verify, sealed boxes open only with the hub's key", "[unit][hub]") {
  REQUIRE(sodium_init() >= 0);
  std::string hash = hub::password_hash("correct horse", true);
  CHECK(hash.rfind("$argon2id$", 0) == 0);
  CHECK(hub::password_verify(hash, "correct horse"));
  CHECK_FALSE(hub::password_verify(hash, "wrong horse"));

  hub::KeyPair keys{std::vector<unsigned char>(crypto_box_PUBLICKEYBYTES), std::vector<unsigned char>(crypto_box_SECRETKEYBYTES)};
  crypto_box_keypair(keys.public_key.data(), keys.secret_key.data());
  std::string plain = "{\"name\":\"Amina\",\"phone\":\"3331234567\"}";
  std::vector<unsigned char> sealed(plain.size() + crypto_box_SEALBYTES);
  crypto_box_seal(sealed.data(), (const unsigned char*)plain.data(), plain.size(), keys.public_key.data());
  CHECK(hub::open_sealed(keys, sealed) == std::optional<std::string>(plain));
  sealed[5] ^= 1;
  CHECK_FALSE(hub::open_sealed(keys, sealed));

  std::vector<unsigned char> decoded;
  CHECK(hub::base64_decode(hub::base64({1, 2, 3, 250}), &decoded));
  CHECK(decoded == std::vector<unsigned char>{1, 2, 3, 250});
  CHECK_FALSE(hub::base64_decode("not base64!", &decoded));
  CHECK(hub::valid_utf8("العربية"));
  CHECK_FALSE(hub::valid_utf8("\xff"));
  CHECK_FALSE(hub::valid_utf8("\xed\xa0\x80"));
}
