// [SECTION] Store: admins, content releases and their rollout, and what each kiosk's updater
// reported. A release's version only goes up, and its rollout only widens: both are decided here,
// inside one transaction, so two admins publishing at once cannot both win.
#include "store_internal.h"

#include <nlohmann/json.hpp>

namespace hub {

bool Store::add_admin(const std::string& user, const std::string& hash, const std::string& token_sha256) {
  if (user.empty() || !clean_text(user, 64)) return false;
  db::Lease c = db_->lease();
  Stmt q(c, "INSERT INTO admins(\"user\", password_hash, token_sha256) VALUES(?,?,?) ON CONFLICT(\"user\") DO UPDATE"
              " SET password_hash = excluded.password_hash, token_sha256 = excluded.token_sha256");
  return q.bind(1, user).bind(2, hash).bind(3, token_sha256).step() == db::kDone;
}

std::optional<std::string> Store::admin_for_token(const std::string& token_sha256, bool* unavailable) {
  db::Lease c = db_->lease();
  return lookup_text(c, "SELECT \"user\" FROM admins WHERE token_sha256 = ?", token_sha256, unavailable);
}

// The rollout summary kept on the release row, for people reading the database.
static std::string rollout_json(bool all, const std::vector<std::string>& groups) {
  return nlohmann::json{{"all", all}, {"groups", groups}}.dump();
}

PublishResult Store::add_release(const Release& r) {
  db::Lease c = db_->lease();
  PublishResult result = PublishResult::Error;
  bool committed = db::transaction(c, [&] {
    result = PublishResult::Error;
    Stmt newest(c, "SELECT coalesce(max(version), 0) FROM releases");
    if (newest.step() != db::kRow) return false;
    if (newest.num(0) >= r.version) {
      result = PublishResult::Rollback;
      return false;
    }
    Stmt ins(c, "INSERT INTO releases(version, envelope, sha256, created_at, published_by, rollout)"
                " VALUES(?,?,?,?,?,?)");
    ins.bind(1, r.version).bind(2, r.envelope).bind(3, r.sha256).bind(4, r.created_at).bind(5, r.published_by);
    ins.bind(6, rollout_json(false, {}));
    if (ins.step() != db::kDone) return false;
    result = PublishResult::Created;
    return true;
  });
  if (result == PublishResult::Created && !committed) return PublishResult::Error;
  return result;
}

int64_t Store::newest_version() {
  db::Lease c = db_->lease();
  Stmt q(c, "SELECT coalesce(max(version), 0) FROM releases");
  return q.step() == db::kRow ? q.num(0) : 0;
}

// Fills a release's rollout from the rollouts table (the caller holds the lock).
static void read_rollout(db::Lease& c, Release* r) {
  Stmt q(c, "SELECT grp, at FROM rollouts WHERE version = ? ORDER BY grp");
  q.bind(1, r->version);
  while (q.step() == db::kRow) {
    if (q.text(0) == "*") {
      r->all = true;
      r->all_at = q.num(1);
    } else {
      r->groups.push_back(q.text(0));
    }
  }
}

std::vector<Release> Store::releases() {
  db::Lease c = db_->lease();
  Stmt q(c, "SELECT version, sha256, created_at, published_by FROM releases ORDER BY version DESC LIMIT 200");
  std::vector<Release> out;
  while (q.step() == db::kRow) {
    Release r;
    r.version = q.num(0);
    r.sha256 = q.text(1);
    r.created_at = q.num(2);
    r.published_by = q.text(3);
    read_rollout(c, &r);
    out.push_back(std::move(r));
  }
  return out;
}

std::optional<Release> Store::release(int64_t version) {
  db::Lease c = db_->lease();
  Stmt q(c, "SELECT version, envelope, sha256, created_at, published_by FROM releases WHERE version = ?");
  if (q.bind(1, version).step() != db::kRow) return std::nullopt;
  Release r;
  r.version = q.num(0);
  r.envelope = q.text(1);
  r.sha256 = q.text(2);
  r.created_at = q.num(3);
  r.published_by = q.text(4);
  read_rollout(c, &r);
  return r;
}

bool Store::roll_out(int64_t version, const std::vector<std::string>& groups, bool all, int64_t now) {
  db::Lease c = db_->lease();
  return db::transaction(c, [&] {
    Stmt exists(c, "SELECT 1 FROM releases WHERE version = ?");
    if (exists.bind(1, version).step() != db::kRow) return false;
    std::vector<std::string> targets = groups;
    if (all) targets.push_back("*");
    // DO NOTHING: a group already reached keeps its first time (the 24 h rule counts from it).
    for (const std::string& g : targets) {
      Stmt ins(c, "INSERT INTO rollouts(version, grp, at) VALUES(?,?,?) ON CONFLICT DO NOTHING");
      if (ins.bind(1, version).bind(2, g).bind(3, now).step() != db::kDone) return false;
    }
    Release r;
    r.version = version;
    read_rollout(c, &r);
    Stmt upd(c, "UPDATE releases SET rollout = ? WHERE version = ?");
    return upd.bind(1, rollout_json(r.all, r.groups)).bind(2, version).step() == db::kDone;
  });
}

std::optional<Offer> Store::offer_for_group(const std::string& group) {
  db::Lease c = db_->lease();
  Stmt q(c, "SELECT r.version, r.envelope, r.sha256, min(o.at) FROM releases r JOIN rollouts o ON o.version = r.version"
              " WHERE o.grp = ? OR o.grp = '*' GROUP BY r.version ORDER BY r.version DESC LIMIT 1");
  if (q.bind(1, group).step() != db::kRow) return std::nullopt;
  return Offer{q.num(0), q.num(3), q.text(1), q.text(2)};
}

std::optional<std::string> Store::kiosk_group(const std::string& kiosk) {
  db::Lease c = db_->lease();
  Stmt q(c, "SELECT grp FROM kiosks WHERE id = ?");
  if (q.bind(1, kiosk).step() != db::kRow) return std::nullopt;
  return q.text(0);
}

bool Store::kiosk_update(const std::string& kiosk, int64_t running_version, const std::string& update_json) {
  db::Lease c = db_->lease();
  Stmt q(c, "UPDATE kiosks SET running_version = ?, update_json = ? WHERE id = ?");
  return q.bind(1, running_version).bind(2, update_json).bind(3, kiosk).step() == db::kDone && q.changes() == 1;
}

}  // namespace hub
