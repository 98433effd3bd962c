// sportello-hub: provisioning subcommands and the server. See hub/README.md.
//   init --data DIR                      create the database and the key pair; prints the public key
//   add-kiosk --data DIR --id ID --ref-prefix P [--name TEXT] [--group NAME]   prints the kiosk's new token (stored only hashed)
//   set-ref-prefix --data DIR --id ID --ref-prefix P   erase --data DIR --ref REF   (cli_data.cpp)
//   add-mediator --data DIR --user NAME [--cheap-hash]   password on the first line of stdin
//   add-admin --data DIR --user NAME [--cheap-hash]      same; prints the admin's new API token once
//   public-key --data DIR                prints the public key (standard base64)
//   add-council|passwd|disable-user|enable-user|revoke-sessions --data DIR --user NAME [--role admin]
//                                        accounts (users_cli.cpp; passwords on stdin)
//   set-profile|show-profiles --data DIR --user NAME ...   mediator profiles (profiles_cli.cpp)
//   migrate --from DIR/hub.db --to postgresql://...   copies an SQLite store into an empty PostgreSQL
//                                        database; prints each table's rows and checksums (both sides)
//   serve --data DIR --listen HOST:PORT [--tls-cert F --tls-key F] [--max-inflight N] [--retention-days N]
//         [--release-key B64 ...] [--release-threshold N] [--max-target-mb N] [--max-connections N]
//         [--workers N] [--request-timeout S] [--trust-proxy ADDR] [--max-live N]
//         [--kiosk-requests-per-minute N] [--kiosk-requests-per-day N] [--notify-config FILE]
// --database postgresql://USER[:PASSWORD]@HOST[:PORT]/DBNAME (every subcommand that opens the store):
// the store lives in that PostgreSQL database instead of DIR/hub.db; the keys stay in --data DIR.
// $SPORTELLO_DATABASE is the same without showing in ps; a password is best in ~/.pgpass or
// $PGPASSWORD. The hub never prints the password of a URL.
// --cheap-hash (fast Argon2id parameters) is for the tests only: refused unless the environment has
// SPORTELLO_TEST_CHEAP_HASH=1, which the test harness sets.
// Exit codes: 0 ok, 1 failure, 2 usage.
#include "server_internal.h"

#include <sodium.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <algorithm>
#include <map>
#include <thread>



namespace {

// Options by name: the last value given, and for repeatable ones (--release-key) every value.
struct Args {
  std::map<std::string, std::string> one;
  std::map<std::string, std::vector<std::string>> all;
  std::string& operator[](const std::string& key) { return one[key]; }
  size_t count(const std::string& key) const { return one.count(key); }
};

int usage() {
  fputs("usage: sportello-hub init|add-kiosk|add-mediator|add-admin|public-key|serve --data DIR [options]\n"
        "  add-kiosk --id ID --ref-prefix P [--name TEXT] [--group NAME]  prints the new token once (group: default)\n"
        "  set-ref-prefix --id ID --ref-prefix P   erase --ref REF   (a visitor's personal data, now)\n"
        "  add-council|passwd|disable-user|enable-user|revoke-sessions --user NAME [--role admin]\n"
        "  set-profile --user NAME [--role admin] [--languages ar,fr] [--desks GR-01,GR-02] [--duty on|off]\n"
        "              [--email ADDR|none] [--coordinator yes|no]   show-profiles [--role admin]\n"
        "  add-mediator --user NAME [--cheap-hash] reads the password from stdin (--cheap-hash: tests only)\n"
        "  add-admin --user NAME [--cheap-hash]    same; prints the admin API token once (again: both reset)\n"
        "  migrate --from DIR/hub.db --to postgresql://USER@HOST/DB  (no --data; the target must be empty)\n"
        "  serve --listen HOST:PORT [--tls-cert F --tls-key F] [--max-inflight N] [--retention-days N]\n"
        "        [--release-key B64 ...] [--release-threshold N] [--max-target-mb N] [--max-connections N]\n"
        "        [--workers N] [--request-timeout S] [--trust-proxy ADDR] [--max-live N]\n"
        "        [--kiosk-requests-per-minute N] [--kiosk-requests-per-day N]  (0: no limit)\n"
        "        [--notify-config FILE]  (e-mail notifications, see hub/README.md)\n"
        "  --tls-key NAME without a '/' is read from $CREDENTIALS_DIRECTORY (systemd LoadCredential=)\n"
        "  --database postgresql://USER@HOST[:PORT]/DBNAME  the store in PostgreSQL (any subcommand; default DIR/hub.db;\n"
        "        or $SPORTELLO_DATABASE)\n",
        stderr);
  return 2;
}

bool parse(int argc, char** argv, Args* args) {
  for (int i = 2; i < argc; i++) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) return false;
    if (a == "--cheap-hash") {
      args->one["cheap-hash"] = std::string(1, '1');
      continue;
    }
    if (i + 1 >= argc) return false;
    std::string key(argv[i] + 2), value(argv[++i]);
    if (args->count(key) && key != "release-key") return false;  // only --release-key repeats
    args->one[key] = value;
    args->all[key].push_back(value);
  }
  return args->count("data") == 1;
}

// Reads a password from stdin's first line and hashes it (Argon2id); "" after printing why.
std::string read_password_hash(const Args& args) {
  std::string password;
  std::getline(std::cin, password);
  if (std::string problem = hub::password_problem(password, args.one.at("user")); !problem.empty()) {
    fprintf(stderr, "sportello-hub: %s\n", problem.c_str());  // the console's rules (passwords.cpp)
    return {};
  }
  bool cheap = args.count("cheap-hash") > 0;
  const char* test = getenv("SPORTELLO_TEST_CHEAP_HASH");
  if (cheap && !(test && std::string(test) == "1")) {
    sodium_memzero(password.data(), password.size());
    fprintf(stderr, "sportello-hub: --cheap-hash is for the test suite only (it needs SPORTELLO_TEST_CHEAP_HASH=1); "
                    "real passwords get the full Argon2id cost\n");
    return {};
  }
  std::string hash = hub::password_hash(password, cheap);
  sodium_memzero(password.data(), password.size());
  return hash;
}

std::unique_ptr<hub::Store> open_store(const std::string& dir) {
  auto store = hub::Store::open_data(dir);
  if (!store->ok()) fprintf(stderr, "sportello-hub: %s\n", store->error().c_str());
  return store;
}

int cmd_init(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  chmod(dir.c_str(), 0700);
  std::string key_path = dir + "/hub.key";
  if (!std::filesystem::exists(key_path)) {
    std::vector<unsigned char> pk(crypto_box_PUBLICKEYBYTES), sk(crypto_box_SECRETKEYBYTES);
    crypto_box_keypair(pk.data(), sk.data());
    umask(077);
    std::ofstream out(key_path, std::ios::binary);
    out.write((const char*)pk.data(), pk.size());
    out.write((const char*)sk.data(), sk.size());
    sodium_memzero(sk.data(), sk.size());
    if (!out) {
      fprintf(stderr, "sportello-hub: cannot write %s\n", key_path.c_str());
      return 1;
    }
    chmod(key_path.c_str(), 0600);
  }
  if (!open_store(dir)->ok()) return 1;
  hub::KeyPair keys;
  std::string error;
  if (!hub::load_keys(dir, &keys, &error)) return fprintf(stderr, "sportello-hub: %s\n", error.c_str()), 1;
  printf("hub initialised in %s; public key for the kiosks:\n%s\n", dir.c_str(), hub::base64(keys.public_key).c_str());
  return 0;
}

// The process holds the key that opens every visitor's name and phone: it never leaves a core
// dump, and other processes of the same user cannot attach to it.
void no_core_dumps() {
  rlimit none{0, 0};
  setrlimit(RLIMIT_CORE, &none);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

// A TLS key given as a bare name is a systemd credential (LoadCredential=NAME:/etc/...): the
// service reads it from $CREDENTIALS_DIRECTORY, so the file in /etc can stay readable by root only.
std::string credential_path(const std::string& name) {
  const char* dir = getenv("CREDENTIALS_DIRECTORY");
  if (name.empty() || name.find('/') != std::string::npos || !dir) return name;
  return std::string(dir) + "/" + name;
}

int positive(const std::string& text, int fallback) {
  int v = std::atoi(text.c_str());
  return v > 0 ? v : fallback;
}

}  // namespace

int main(int argc, char** argv) {
  no_core_dumps();
  if (sodium_init() < 0 || argc < 2) return usage();
  std::string cmd = argv[1];
  Args args;
  if (cmd == "migrate") {  // no data directory: a file and a database
    parse(argc, argv, &args);
    if (args["from"].empty() || args["to"].empty()) return usage();
    if (std::string problem = hub::db::postgres_url_problem(args["to"]); !problem.empty())
      return fprintf(stderr, "sportello-hub: %s\n", problem.c_str()), 2;
    return hub::migrate_store(args["from"], args["to"], stdout);
  }
  if (!parse(argc, argv, &args)) return usage();
  std::string dir = args["data"];
  // $SPORTELLO_DATABASE does the same as --database and keeps a URL with a password out of ps.
  const char* from_env = getenv("SPORTELLO_DATABASE");
  std::string database = args.count("database") ? args["database"] : from_env ? from_env : "";
  if (!database.empty()) {
    if (std::string problem = hub::db::postgres_url_problem(database); !problem.empty())
      return fprintf(stderr, "sportello-hub: %s\n", problem.c_str()), 2;
    hub::set_database(database);
  }
  if (cmd == "init") return cmd_init(dir);
  if (int status = hub::account_command(cmd, dir, args.one); status >= 0) return status;  // users_cli.cpp
  if (int status = hub::profile_command(cmd, dir, args.one); status >= 0) return status;  // profiles_cli.cpp
  if (cmd == "public-key") {
    hub::KeyPair keys;
    std::string error;
    if (!hub::load_keys(dir, &keys, &error)) return fprintf(stderr, "sportello-hub: %s\n", error.c_str()), 1;
    printf("%s\n", hub::base64(keys.public_key).c_str());
    return 0;
  }
  if (cmd == "erase") return hub::cli_erase(dir, args["ref"]);
  if (cmd == "set-ref-prefix") return hub::cli_set_ref_prefix(dir, args["id"], args["ref-prefix"]);
  if (cmd == "add-kiosk") {
    if (args["id"].empty()) return usage();
    // The prefix binds the token to the kiosk's own reference codes: required.
    if (!hub::valid_ref_prefix(args["ref-prefix"]))
      return fprintf(stderr, "sportello-hub: --ref-prefix: 1 to 4 of A-Z 0-9, unique per kiosk\n"), 2;
    std::string group = args.count("group") ? args["group"] : "default";
    if (!hub::valid_group(group)) return fprintf(stderr, "sportello-hub: group: [a-z0-9][a-z0-9_-]*, 32 at most\n"), 2;
    auto store = open_store(dir);
    std::string token = hub::random_token();
    if (!store->ok() || !store->add_kiosk(args["id"], args["name"], hub::sha256_hex(token), group, args["ref-prefix"]))
      return fprintf(stderr, "sportello-hub: cannot add kiosk %s (id, name, or a prefix another kiosk has)\n",
                     args["id"].c_str()), 1;
    printf("kiosk %s added; its token (shown once, give it to the kiosk):\n%s\n", args["id"].c_str(), token.c_str());
    return 0;
  }
  if (cmd == "add-mediator") {
    if (args["user"].empty()) return usage();
    std::string hash = read_password_hash(args);
    if (hash.empty()) return 1;
    auto store = open_store(dir);
    if (!store->ok() || !store->add_mediator(args["user"], hash)) return 1;
    printf("mediator %s added\n", args["user"].c_str());
    return 0;
  }
  if (cmd == "add-admin") {
    if (args["user"].empty()) return usage();
    std::string hash = read_password_hash(args);
    if (hash.empty()) return 1;
    auto store = open_store(dir);
    std::string token = hub::random_token();
    if (!store->ok() || !store->add_admin(args["user"], hash, hub::sha256_hex(token))) return 1;
    printf("admin %s added; its API token (shown once, for sportello-admin --admin-token):\n%s\n",
           args["user"].c_str(), token.c_str());
    return 0;
  }
  if (cmd == "serve") {
    hub::ServeConfig config;
    config.data_dir = dir;
    std::string listen = args.count("listen") ? args["listen"] : "127.0.0.1:8443";
    size_t colon = listen.rfind(':');
    if (colon == std::string::npos) return usage();
    config.host = listen.substr(0, colon);
    config.port = std::atoi(listen.c_str() + colon + 1);
    config.tls_cert = args["tls-cert"];
    config.tls_key = credential_path(args["tls-key"]);
    if (args.count("max-connections")) config.max_connections = positive(args["max-connections"], config.max_connections);
    if (args.count("max-live")) config.max_live = positive(args["max-live"], config.max_live);
    if (args.count("workers")) config.workers = std::min(256, positive(args["workers"], config.workers));
    if (args.count("request-timeout")) config.request_timeout_s = positive(args["request-timeout"], config.request_timeout_s);
    if (args.count("trust-proxy")) config.trust_proxy = args["trust-proxy"];
    if (args.count("notify-config")) config.notify_config = args["notify-config"];
    if (args.count("max-inflight")) config.max_inflight = std::max(1, std::atoi(args["max-inflight"].c_str()));
    if (args.count("retention-days")) config.retention_days = std::max(1, std::atoi(args["retention-days"].c_str()));
    if (args.count("release-key")) config.release_keys = args.all["release-key"];
    if (args.count("release-threshold")) config.release_threshold = std::atoi(args["release-threshold"].c_str());
    if (args.count("kiosk-requests-per-minute"))
      config.kiosk_limits.per_minute = std::max(0LL, std::atoll(args["kiosk-requests-per-minute"].c_str()));
    if (args.count("kiosk-requests-per-day"))
      config.kiosk_limits.per_day = std::max(0LL, std::atoll(args["kiosk-requests-per-day"].c_str()));
    if (args.count("max-target-mb")) config.max_target_mb = std::clamp(std::atoll(args["max-target-mb"].c_str()), 1LL, 2048LL);
    return hub::serve(config);
  }
  return usage();
}
