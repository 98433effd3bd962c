// sportello-admin keygen / release / verify: release keys, signed releases and their check.
//
//   keygen  --out DIR [--no-passphrase]
//   release --pack PACK [--map FILE] --key SECRET [--key SECRET2 ...] --out DIR [--expires-days N]
//   verify  --release DIR --trust PUBFILE [--trust PUBFILE2 ...] [--threshold N] [--min-version N]
//
// A release directory holds manifest.json (the signed envelope) and targets/<sha256>, the layout
// the hub serves, so any plain HTTP mirror can serve a copy of it.
//
// Index
//   [SECTION] Passphrases
//   [SECTION] Files
//   [SECTION] keygen
//   [SECTION] release
//   [SECTION] verify
#include "release_cmds.h"

#include "content/content.h"
#include "release/release.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include <vector>

namespace {

int fail(const std::string& why) {
    std::fprintf(stderr, "sportello-admin: %s\n", why.c_str());
    return 1;
}

int bad_usage(const std::string& why) {
    std::fprintf(stderr, "sportello-admin: %s (see sportello-admin --help)\n", why.c_str());
    return 2;
}

// A passphrase wiped when it goes out of scope.
struct Passphrase {
    std::string text;
    ~Passphrase() { explicit_bzero(text.data(), text.size()); }
};

// [SECTION] Passphrases -----------------------------------------------------------------------
// Echo off on the terminal for as long as this lives.
struct NoEcho {
    termios saved{};
    bool active = false;
    NoEcho() {
        if (tcgetattr(STDIN_FILENO, &saved) != 0) return;
        termios quiet = saved;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        active = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
    }
    ~NoEcho() {
        if (active) tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    }
};

// One line of stdin without its line end; false at end of input.
bool read_line(std::string* out) {
    out->clear();
    char c;
    for (;;) {
        ssize_t n = ::read(STDIN_FILENO, &c, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return !out->empty();
        if (c == '\n') break;
        out->push_back(c);
    }
    if (!out->empty() && out->back() == '\r') out->pop_back();
    return true;
}

bool ask(const std::string& prompt, std::string* out) {
    std::fprintf(stderr, "%s", prompt.c_str());
    std::fflush(stderr);
    NoEcho quiet;
    bool ok = read_line(out);
    std::fputc('\n', stderr);
    return ok;
}

// The passphrase of a key: SPORTELLO_KEY_PASSPHRASE when set, else asked on the terminal (twice
// when confirm), else the next line of stdin (scripts: one line per sealed key, in order).
bool get_passphrase(const std::string& what, bool confirm, Passphrase* out, std::string* error) {
    if (const char* env = std::getenv("SPORTELLO_KEY_PASSPHRASE")) {
        out->text = env;
    } else if (isatty(STDIN_FILENO)) {
        if (!ask("passphrase for " + what + ": ", &out->text)) {
            *error = "no passphrase given";
            return false;
        }
        if (confirm) {
            Passphrase again;
            if (!ask("the same passphrase again: ", &again.text) || again.text != out->text) {
                *error = "the two passphrases differ";
                return false;
            }
        }
    } else if (!read_line(&out->text)) {
        *error = "no passphrase on stdin for " + what + " (or set SPORTELLO_KEY_PASSPHRASE)";
        return false;
    }
    if (out->text.empty()) {
        *error = "an empty passphrase (use keygen --no-passphrase for an unsealed test key)";
        return false;
    }
    return true;
}

// [SECTION] Files -----------------------------------------------------------------------------
bool exists(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
}

bool dir_is_empty(const std::string& path) {
    DIR* d = ::opendir(path.c_str());
    if (!d) return false;
    bool empty = true;
    while (dirent* e = ::readdir(d))
        if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, "..")) empty = false;
    ::closedir(d);
    return empty;
}

bool fsync_path(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    bool ok = ::fsync(fd) == 0;
    ::close(fd);
    return ok;
}

// Copies src to dst (created, must not exist) and flushes it to disk.
bool copy_file(const std::string& src, const std::string& dst, std::string* error) {
    int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        *error = "cannot open " + src + ": " + std::strerror(errno);
        return false;
    }
    int out = ::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) {
        *error = "cannot create " + dst + ": " + std::strerror(errno);
        ::close(in);
        return false;
    }
    std::vector<char> buf(1 << 16);
    bool ok = true;
    for (;;) {
        ssize_t n = ::read(in, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) { ok = false; break; }
        if (n == 0) break;
        for (ssize_t off = 0; ok && off < n;) {
            ssize_t w = ::write(out, buf.data() + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) ok = false;
            else off += w;
        }
        if (!ok) break;
    }
    ok = ok && ::fsync(out) == 0;
    if (!ok) *error = "cannot copy " + src + " to " + dst + ": " + std::strerror(errno);
    ::close(in);
    ::close(out);
    return ok;
}

bool write_file_durably(const std::string& path, const std::string& bytes, std::string* error) {
    const std::string tmp = path + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "wbx");
    bool ok = f && std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size() && std::fflush(f) == 0 && ::fsync(fileno(f)) == 0;
    if (f) std::fclose(f);
    ok = ok && ::rename(tmp.c_str(), path.c_str()) == 0;
    if (!ok) {
        *error = "cannot write " + path + ": " + std::strerror(errno);
        ::unlink(tmp.c_str());
    }
    return ok;
}

bool read_file(const std::string& path, size_t cap, std::string* out, std::string* error) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) {
        *error = "cannot open " + path + ": " + std::strerror(errno);
        return false;
    }
    out->assign(cap, '\0');
    out->resize(std::fread(out->data(), 1, cap, f));
    std::fclose(f);
    return true;
}

}  // namespace

// [SECTION] keygen ----------------------------------------------------------------------------

int admin_keygen(int argc, char** argv) {
    std::string out;
    bool sealed = true;
    for (int i = 2; i < argc; i++) {
        std::string a = argv[i];
        if (a == "--out" && i + 1 < argc) out = argv[++i];
        else if (a == "--no-passphrase") sealed = false;
        else return bad_usage("keygen: unknown option " + a);
    }
    if (out.empty()) return bad_usage("keygen: --out DIR is required");
    // Before asking for a passphrase: an existing key is never overwritten.
    for (const char* name : {"/release.key", "/release.pub"})
        if (exists(out + name)) return fail(out + name + " already exists (refusing to overwrite a key)");
    Passphrase pass;
    std::string error;
    if (sealed && !get_passphrase("the new key", true, &pass, &error)) return fail(error);
    release::SecretKey key = release::SecretKey::generate();
    if (!key.ok()) return fail("cannot generate a key (libsodium)");
    if (!release::write_key_files(out, key, pass.text, &error)) return fail(error);
    const release::PublicKey pk = key.public_key();
    std::printf("public key: %s\nkey id:     %s\n", pk.base64().c_str(), pk.id().c_str());
    std::printf("wrote %s/release.key (mode 0600, %s) and %s/release.pub\n", out.c_str(),
                sealed ? "sealed with the passphrase" : "NOT sealed: for tests only", out.c_str());
    return 0;
}

// [SECTION] release ---------------------------------------------------------------------------
namespace {

// Copies a file into DIR/targets under its hash, opened as a pack first when it is one: the
// bytes described by the manifest are the copied bytes, whatever happens to the source later.
bool add_target(const std::string& src, const char* name, const std::string& dir, int* pack_version,
                release::Manifest* m, std::string* error) {
    const std::string tmp = dir + "/targets/" + name + ".tmp";
    if (!copy_file(src, tmp, error)) return false;
    if (pack_version) {
        content::Pack pack;
        content::OpenResult r = pack.open(tmp);
        if (!r.ok) {
            *error = src + ": " + r.error;
            ::unlink(tmp.c_str());
            return false;
        }
        *pack_version = pack.content_version();
    }
    release::Target t;
    t.name = name;
    if (!release::sha256_file(tmp, &t.sha256, &t.size, error)) return false;
    if (t.size < 1 || t.size > release::kMaxTargetBytes) {
        *error = src + ": " + std::to_string(t.size) + " bytes (a target has 1 to " + std::to_string(release::kMaxTargetBytes) + ")";
        ::unlink(tmp.c_str());
        return false;
    }
    const std::string final_path = dir + "/targets/" + t.sha256;
    if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
        *error = "cannot rename " + tmp + ": " + std::strerror(errno);
        return false;
    }
    m->targets.push_back(t);
    return true;
}

struct ReleaseArgs {
    std::string pack, map, out;
    std::vector<std::string> keys;
    long expires_days = 90;
};

int parse_release_args(int argc, char** argv, ReleaseArgs* a) {
    for (int i = 2; i < argc; i++) {
        std::string o = argv[i];
        if (i + 1 >= argc) return bad_usage("release: missing value after " + o);
        if (o == "--pack") a->pack = argv[++i];
        else if (o == "--map") a->map = argv[++i];
        else if (o == "--key") a->keys.push_back(argv[++i]);
        else if (o == "--out") a->out = argv[++i];
        else if (o == "--expires-days") {
            char* end = nullptr;
            a->expires_days = std::strtol(argv[++i], &end, 10);
            if (!*argv[i] || *end || a->expires_days < 1 || a->expires_days > 3650)
                return bad_usage("release: --expires-days takes 1 to 3650");
        } else return bad_usage("release: unknown option " + o);
    }
    if (a->pack.empty() || a->keys.empty() || a->out.empty()) return bad_usage("release: --pack, --key and --out are required");
    return 0;
}

// Loads each --key, asking for the passphrases of sealed ones. Refuses a key given twice.
bool load_keys(const std::vector<std::string>& paths, std::vector<release::SecretKey>* keys, std::string* error) {
    for (const std::string& path : paths) {
        Passphrase pass;
        if (release::secret_key_needs_passphrase(path) && !get_passphrase(path, false, &pass, error)) return false;
        release::SecretKey k = release::read_secret_key(path, pass.text, error);
        if (!k.ok()) return false;
        for (const release::SecretKey& other : *keys)
            if (other.public_key().bytes == k.public_key().bytes) {
                *error = path + ": the same key is given twice (it would count once)";
                return false;
            }
        keys->push_back(std::move(k));
    }
    return true;
}

// Removes a half-written release directory on every failure path, so a refused release leaves
// nothing an operator could publish by mistake. Disarmed once manifest.json is in place.
struct PartialRelease {
    std::string dir;
    bool created_dir = false, armed = true;
    ~PartialRelease() {
        if (!armed || dir.empty()) return;
        const std::string targets = dir + "/targets";
        if (DIR* d = ::opendir(targets.c_str())) {
            while (dirent* e = ::readdir(d))
                if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, "..")) ::unlink((targets + "/" + e->d_name).c_str());
            ::closedir(d);
        }
        ::rmdir(targets.c_str());
        if (created_dir) ::rmdir(dir.c_str());
    }
};

}  // namespace

int admin_release(int argc, char** argv) {
    ReleaseArgs a;
    if (int r = parse_release_args(argc, argv, &a)) return r;
    if (exists(a.out) && !dir_is_empty(a.out)) return fail(a.out + " exists and is not empty (refusing to mix two releases)");
    std::vector<release::SecretKey> keys;
    std::string error;
    if (!load_keys(a.keys, &keys, &error)) return fail(error);

    PartialRelease partial;
    partial.created_dir = !exists(a.out);
    if (partial.created_dir && ::mkdir(a.out.c_str(), 0755) != 0) return fail("cannot create " + a.out + ": " + std::strerror(errno));
    partial.dir = a.out;
    if (::mkdir((a.out + "/targets").c_str(), 0755) != 0) return fail("cannot create " + a.out + "/targets: " + std::strerror(errno));
    release::Manifest m;
    int version = 0;
    if (!add_target(a.pack, release::kContentTarget, a.out, &version, &m, &error)) return fail(error);
    if (version < 1) return fail(a.pack + ": content_version " + std::to_string(version) + " (a release needs 1 or more)");
    if (!a.map.empty() && !add_target(a.map, release::kMapTarget, a.out, nullptr, &m, &error)) return fail(error);
    m.content_version = version;
    m.created = (int64_t)std::time(nullptr);
    m.expires = m.created + (int64_t)a.expires_days * 86400;

    std::vector<const release::SecretKey*> signers;
    release::Trust own;
    for (const release::SecretKey& k : keys) {
        signers.push_back(&k);
        own.keys.push_back(k.public_key());
    }
    own.threshold = (int)keys.size();
    const std::string envelope = release::sign(m, signers);
    // Check what we wrote with the very code every kiosk runs, before anyone sees it.
    release::Verified v = release::verify(envelope, own, m.created);
    if (!v.ok) return fail("the signed release does not verify: " + v.error);
    if (!fsync_path(a.out + "/targets") || !write_file_durably(a.out + "/manifest.json", envelope, &error)) return fail(error);
    partial.armed = false;
    fsync_path(a.out);

    std::printf("release %s: content version %lld\n", a.out.c_str(), (long long)m.content_version);
    for (const release::Target& t : m.targets)
        std::printf("  %-14s %12llu bytes  targets/%s\n", t.name.c_str(), (unsigned long long)t.size, t.sha256.c_str());
    std::string ids;
    for (const std::string& id : v.signed_by) ids += (ids.empty() ? "" : ", ") + id;
    std::printf("signed by: %s\nexpires:   %s (%ld days)\n", ids.c_str(), release::format_utc(m.expires).c_str(), a.expires_days);
    return 0;
}

// [SECTION] verify ----------------------------------------------------------------------------
int admin_verify(int argc, char** argv) {
    std::string dir, error;
    release::Trust trust;
    long long min_version = 0;
    for (int i = 2; i < argc; i++) {
        std::string o = argv[i];
        if (i + 1 >= argc) return bad_usage("verify: missing value after " + o);
        if (o == "--release") dir = argv[++i];
        else if (o == "--trust") {
            release::PublicKey pk;
            if (!release::read_public_key_file(argv[++i], &pk, &error)) return fail(error);
            trust.keys.push_back(pk);
        } else if (o == "--threshold" || o == "--min-version") {
            char* end = nullptr;
            long long n = std::strtoll(argv[++i], &end, 10);
            if (!*argv[i] || *end || n < (o == "--threshold" ? 1 : 0)) return bad_usage("verify: bad number after " + o);
            if (o == "--threshold") trust.threshold = (int)n;
            else min_version = n;
        } else return bad_usage("verify: unknown option " + o);
    }
    if (dir.empty() || trust.keys.empty()) return bad_usage("verify: --release and --trust are required");
    std::string envelope;
    // One byte over the cap, so verify says "too large" rather than reading a cut manifest.
    if (!read_file(dir + "/manifest.json", release::kMaxManifestBytes + 1, &envelope, &error)) return fail(error);
    release::Verified v = release::verify(envelope, trust, (int64_t)std::time(nullptr), min_version);
    if (!v.ok) {
        std::printf("refused (%s): %s\n", release::refusal_code(v.refusal), v.error.c_str());
        return 1;
    }
    for (const release::Target& t : v.manifest.targets) {
        if (!release::file_matches(dir + "/targets/" + t.sha256, t, &error)) {
            std::printf("refused (target): %s: %s\n", t.name.c_str(), error.c_str());
            return 1;
        }
    }
    std::string ids;
    for (const std::string& id : v.signed_by) ids += (ids.empty() ? "" : ", ") + id;
    std::printf("valid: content version %lld, %zu target%s, signed by %s, expires %s\n", (long long)v.manifest.content_version,
                v.manifest.targets.size(), v.manifest.targets.size() == 1 ? "" : "s", ids.c_str(),
                release::format_utc(v.manifest.expires).c_str());
    return 0;
}
