// [SECTION] Options: a `key = value` config file (--config) and flags; flags win.
#include "app.h"

#include <cmath>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <sodium.h>

namespace app {

const char* usage() {
  return
      "usage: sportello [options]\n"
      "  --config FILE        read options from FILE (key = value, same names without --)\n"
      "  --content PACK       content pack to show (built by sportello-admin build)\n"
      "  --locales DIR        UI strings when no pack is given (default: the source tree's locales/)\n"
      "  --font-dir DIR       root of the Noto fonts (default /usr/share/fonts)\n"
      "  --windowed WxH       a window of that size instead of full screen (development)\n"
      "  --lang CODE          language of the attract screen (default it)\n"
      "  --idle-timeout S     seconds without input before \"still there?\" (default 90)\n"
      "  --idle-grace S       seconds the prompt waits before going home (default 10)\n"
      "  --display-width-mm N physical width of the screen, when the display does not report it\n"
      "  --headless --size WxH --script FILE --out DIR\n"
      "                       play FILE on the offscreen driver with a virtual clock (see README)\n"
      "  --outbox-db FILE     where mediator requests wait for the hub (SQLite; default: none)\n"
      "  --hub-url URL --kiosk-id ID --ref-prefix P --hub-token-file F --hub-public-key B64\n"
      "  [--hub-ca-file PEM] [--hub-pin sha256//...]   the hub requests are uploaded to\n"
      "  --uploader FILE      the sportello-uploader program (default: beside sportello)\n"
      "  --state-dir DIR      installed content releases (e.g. /var/lib/sportello/content); with a hub,\n"
      "                       the kiosk takes signed releases from it and runs the newest it can open\n"
      "  --release-key B64    a release key the kiosk trusts (repeatable; base64 of release.pub)\n"
      "  --release-threshold N  how many distinct trusted keys must sign a release (default 1)\n"
      "  --update-interval S  seconds between two asks to the hub for a release (default 900)\n"
      "  --content-mirror URL a plain HTTP(S) mirror serving the release files as URL/<sha256>\n"
      "  --desk ID            this desk's id in the pack: its mediator days are mediator_days.ID\n"
      "  --mediator-days Tu,Th  weekly mediator days at this desk when the pack lists none\n"
      "  --staff-pin-hash H   Argon2id hash of the staff PIN (print one with --hash-pin); without it\n"
      "                       the staff view cannot be opened\n"
      "  --staff-lock-file F  where wrong PINs and the lockout are kept (default: beside the outbox\n"
      "                       database, else beside the state directory)\n"
      "  --hash-pin           read a PIN (4 to 12 digits) on stdin and print its staff-pin-hash line\n"
      "  --map FILE           offline map for the map screen: vector tiles in an MBTiles file (made by\n"
      "                       tilemaker); without it, or when it cannot be read, the screen shows a\n"
      "                       schematic map and the staff view says why\n"
      "  --position LAT,LON   where this kiosk stands (WGS84 degrees, e.g. 42.7606,11.1135): the map's\n"
      "                       \"you are here\" and each office's straight-line distance\n"
      "  --log-target T       where the log goes: auto (the journal when stderr is systemd's journal\n"
      "                       stream, else stderr; the default), journal, stderr, or export (the\n"
      "                       journal's fields on stderr in the Journal Export Format)\n"
      "  --frame-stats FILE   at exit, write to FILE a line per frame a finger or inertia caused: its\n"
      "                       time in ms, when it was presented (ms of CLOCK_MONOTONIC), then its\n"
      "                       phases in ms (layout, atlas upload, submit, wait for the GPU), its\n"
      "                       vertex count and the process's CPU ms over it (benchmarks)\n"
      "  --trace-startup      print to stderr a line per start-up phase with the milliseconds since\n"
      "                       the process started (monotonic clock) (benchmarks)\n"
      "  --help               this text\n";
}

static bool parse_size(const std::string& v, int* w, int* h) {
  char x = 0;
  char rest = 0;
  return sscanf(v.c_str(), "%d%c%d%c", w, &x, h, &rest) == 3 && (x == 'x' || x == 'X') && *w >= 64 &&
         *h >= 64 && *w <= 16384 && *h <= 16384;
}

static bool parse_int(const std::string& v, int lo, int hi, int* out) {
  char* end = nullptr;
  long n = strtol(v.c_str(), &end, 10);
  if (v.empty() || *end || n < lo || n > hi) return false;
  *out = (int)n;
  return true;
}

// An id as the hub and the pack spell them: letters, digits, '.', '_' and '-', 1 to 64 of them.
static bool plain_id(const std::string& v) {
  if (v.empty() || v.size() > 64) return false;
  for (char c : v)
    if (!isalnum((unsigned char)c) && c != '.' && c != '_' && c != '-') return false;
  return true;
}

// Options whose value is a file or directory: any path, but not an empty one (a line left
// half-edited); whether it exists is checked where it is used, with its own message.
static bool is_path_key(const std::string& key) {
  for (const char* k : {"script", "out", "content", "locales", "font-dir", "outbox-db", "uploader", "hub-token-file",
                        "hub-ca-file", "state-dir", "staff-lock-file", "frame-stats", "map"})
    if (key == k) return true;
  return false;
}

// Applies one option; `where` prefixes errors ("--size" or "kiosk.conf:3: size").
static std::string apply(Options& o, const std::string& key, const std::string& value, const std::string& where) {
  auto bad = [&](const char* expected) { return where + ": invalid value \"" + value + "\" (expected " + expected + ")"; };
  if (is_path_key(key) && value.empty()) return bad("a file or directory; comment the line out to leave it unset");
  if (key == "windowed" || key == "size") {
    if (!parse_size(value, &o.width, &o.height)) return bad("WIDTHxHEIGHT, e.g. 1280x720");
  } else if (key == "script") {
    o.script = value;
  } else if (key == "out") {
    o.out_dir = value;
  } else if (key == "content") {
    o.content_pack = value;
  } else if (key == "locales") {
    o.locales_dir = value;
  } else if (key == "font-dir") {
    o.font_dir = value;
  } else if (key == "lang") {
    if (!locale::find_language(value)) return bad("one of the 18 language codes, e.g. it, ar, bn");
    o.default_lang = value;
  } else if (key == "idle-timeout") {
    if (!parse_int(value, 5, 3600, &o.idle_timeout_s)) return bad("seconds between 5 and 3600");
  } else if (key == "idle-grace") {
    if (!parse_int(value, 1, 600, &o.idle_grace_s)) return bad("seconds between 1 and 600");
  } else if (key == "outbox-db") {
    o.outbox_db = value;
  } else if (key == "hub-url") {
    if (value.rfind("https://", 0) != 0 && value.rfind("http://127.0.0.1", 0) != 0 && value.rfind("http://localhost", 0) != 0)
      return bad("an https:// address (http:// only for 127.0.0.1 or localhost)");
    o.hub_url = value;
  } else if (key == "kiosk-id") {
    if (!plain_id(value)) return bad("the id the hub knows this kiosk by: letters, digits, '.', '_', '-'");
    o.kiosk_id = value;
  } else if (key == "ref-prefix") {
    bool ok = !value.empty() && value.size() <= 4;
    for (char c : value) ok = ok && ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));
    if (!ok) return bad("1 to 4 capital letters or digits, e.g. GR1");
    o.ref_prefix = value;
  } else if (key == "uploader") {
    o.uploader_program = value;
  } else if (key == "hub-token-file") {
    o.hub_token_file = value;
  } else if (key == "hub-public-key") {
    unsigned char bytes[64];
    size_t n = 0;
    if (sodium_base642bin(bytes, sizeof bytes, value.c_str(), value.size(), nullptr, &n, nullptr,
                          sodium_base64_VARIANT_ORIGINAL) != 0 || n != 32)
      return bad("the base64 of the hub's 32-byte public key, as sportello-hub init prints it");
    o.hub_public_key = value;
  } else if (key == "hub-ca-file") {
    o.hub_ca_file = value;
  } else if (key == "hub-pin") {
    if (value.rfind("sha256//", 0) != 0) return bad("sha256//<base64 of the key's SHA-256>");
    o.hub_pin = value;
  } else if (key == "desk") {
    if (!plain_id(value)) return bad("a desk id of the pack: letters, digits, '.', '_', '-'");
    o.desk = value;
  } else if (key == "mediator-days") {
    o.mediator_days.clear();
    std::string day;
    for (size_t i = 0; i <= value.size(); i++) {
      if (i == value.size() || value[i] == ',') {
        content::Weekday d;
        if (!content::parse_weekday(day, &d)) return bad("weekdays like Tu,Th");
        o.mediator_days.push_back(d);
        day.clear();
      } else if (value[i] != ' ') {
        day += value[i];
      }
    }
  } else if (key == "state-dir") {
    o.state_dir = value;
  } else if (key == "release-key") {
    release::PublicKey k;
    std::string why;
    if (!release::parse_public_key(value, &k, &why)) return where + ": invalid release key (" + why + ")";
    for (const release::PublicKey& known : o.trust.keys)
      if (known.bytes == k.bytes) return where + ": release key " + k.id() + " given twice";
    o.trust.keys.push_back(k);
  } else if (key == "release-threshold") {
    if (!parse_int(value, 1, (int)release::kMaxSignatures, &o.trust.threshold)) return bad("a number of keys, at least 1");
  } else if (key == "update-interval") {
    if (!parse_int(value, 60, 86400, &o.update_interval_s)) return bad("seconds between 60 and 86400");
  } else if (key == "content-mirror") {
    if (value.rfind("https://", 0) != 0 && value.rfind("http://", 0) != 0) return bad("an http:// or https:// address");
    o.content_mirror = value;
  } else if (key == "staff-pin-hash") {
    if (!pin_hash_valid(value)) return where + ": invalid value (expected an Argon2id hash as printed by sportello --hash-pin)";
    o.staff_pin_hash = value;
  } else if (key == "staff-lock-file") {
    o.staff_lock_file = value;
  } else if (key == "map") {
    o.map_file = value;
  } else if (key == "position") {
    double lat = 0, lon = 0;
    char comma = 0, rest = 0;
    if (sscanf(value.c_str(), "%lf %c %lf %c", &lat, &comma, &lon, &rest) != 3 || comma != ',' || !std::isfinite(lat) ||
        !std::isfinite(lon) || lat < -85 || lat > 85 || lon < -180 || lon > 180)
      return bad("LAT,LON in degrees, e.g. 42.7606,11.1135");
    o.has_position = true;
    o.position_lat = lat;
    o.position_lon = lon;
  } else if (key == "log-target") {
    platform::LogTarget target;
    if (!platform::log_target_from_name(value, &target)) return bad("auto, journal, stderr or export");
    o.log_target = value;
  } else if (key == "frame-stats") {
    o.frame_stats = value;
  } else if (key == "display-width-mm") {
    int mm = 0;
    if (!parse_int(value, 50, 5000, &mm)) return bad("millimetres between 50 and 5000");
    o.display_width_mm = (float)mm;
  } else {
    return where + ": unknown option \"" + key + "\" (see sportello --help)";
  }
  return {};
}

static bool takes_no_value(const std::string& key) {
  return key == "headless" || key == "help" || key == "hash-pin" || key == "trace-startup";
}

ParseResult parse_options(int argc, char** argv) {
  ParseResult r;
  Options& o = r.options;
  // The config file comes first so that flags given on the command line override it.
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], "--config") == 0) {
      platform::ConfigFile file = platform::read_config_file(argv[i + 1]);
      if (!file.ok) {
        r.error = file.error;
        return r;
      }
      std::map<std::string, int> seen;  // key -> line: only release-key may be given twice
      for (const platform::ConfigEntry& e : file.entries) {
        std::string where = std::string(argv[i + 1]) + ":" + std::to_string(e.line) + ": " + e.key;
        auto [it, first] = seen.emplace(e.key, e.line);
        if (!first && e.key != "release-key") {
          r.error = where + ": given again (first at line " + std::to_string(it->second) + ")";
          return r;
        }
        if (e.key == "headless" || e.key == "hash-pin" || e.key == "trace-startup") {
          r.error = where + ": " + e.key + " is a command-line flag only";
          return r;
        }
        std::string err = apply(o, e.key, e.value, where);
        if (!err.empty()) {
          r.error = err;
          return r;
        }
      }
    }
  bool keys_from_flags = false;  // --release-key on the command line replaces the config file's keys
  for (int i = 1; i < argc; i++) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) {
      r.error = "unexpected argument \"" + arg + "\" (options start with --; see sportello --help)";
      return r;
    }
    std::string key = arg.substr(2), value;
    size_t eq = key.find('=');
    if (eq != std::string::npos) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
    } else if (!takes_no_value(key)) {
      if (i + 1 >= argc) {
        r.error = "--" + key + " needs a value (see sportello --help)";
        return r;
      }
      value = argv[++i];
    }
    if (key == "config") continue;  // already read
    if (key == "headless") {
      o.headless = true;
      continue;
    }
    if (key == "help") {
      o.show_help = true;
      continue;
    }
    if (key == "hash-pin") {
      o.hash_pin = true;
      continue;
    }
    if (key == "trace-startup") {
      o.trace_startup = true;
      continue;
    }
    if (key == "release-key" && !keys_from_flags) {
      o.trust.keys.clear();
      keys_from_flags = true;
    }
    std::string err = apply(o, key, value, "--" + key);
    if (!err.empty()) {
      r.error = err;
      return r;
    }
  }
  if (o.headless && (o.script.empty() || o.out_dir.empty() || o.width == 0)) {
    r.error = "--headless needs --size WxH, --script FILE and --out DIR";
    return r;
  }
  if (!o.hub_url.empty() && (o.outbox_db.empty() || o.kiosk_id.empty() || o.hub_token_file.empty() || o.hub_public_key.empty())) {
    r.error = "--hub-url needs --outbox-db, --kiosk-id, --hub-token-file and --hub-public-key";
    return r;
  }
  if (!o.trust.keys.empty() && o.trust.threshold > (int)o.trust.keys.size()) {
    r.error = "--release-threshold " + std::to_string(o.trust.threshold) + " is more than the " +
              std::to_string(o.trust.keys.size()) + " release keys given";
    return r;
  }
  if (!o.content_mirror.empty() && !o.updates()) {
    r.error = "--content-mirror needs --state-dir and --hub-url";
    return r;
  }
  if (!o.script.empty() && !o.headless) {
    r.error = "--script needs --headless";
    return r;
  }
  r.ok = true;
  return r;
}

}  // namespace app
