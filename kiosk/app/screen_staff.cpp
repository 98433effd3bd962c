// [SECTION] Staff status: the desk operator's view of this kiosk (queue, errors, content).
// Reached by five quick taps on the top corner of the home screen and the staff PIN; shown in
// Italian. Its "Esci" is the only way out of the kiosk.
#include "app.h"

#include "outbox.h"

#include <algorithm>
#include <arpa/inet.h>
#include <chrono>
#include <cstdio>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <thread>

namespace app {

// The interfaces that are up and have an address, "eth0 192.168.1.20, wlan0 ..."; loopback
// does not count. Reads the kernel's table (getifaddrs): cheap, but still a worker's job.
static std::string network_interfaces() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return {};
  std::string out;
  for (ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr || !(a->ifa_flags & IFF_UP) || !(a->ifa_flags & IFF_RUNNING) || (a->ifa_flags & IFF_LOOPBACK)) continue;
    int family = a->ifa_addr->sa_family;
    if (family != AF_INET && family != AF_INET6) continue;
    char host[INET6_ADDRSTRLEN] = {};
    const void* addr = family == AF_INET ? (const void*)&((sockaddr_in*)a->ifa_addr)->sin_addr
                                         : (const void*)&((sockaddr_in6*)a->ifa_addr)->sin6_addr;
    if (!inet_ntop(family, addr, host, sizeof host)) continue;
    if (family == AF_INET6 && std::string_view(host).rfind("fe80:", 0) == 0) continue;  // link-local only
    if (!out.empty()) out += ", ";
    out += std::string(a->ifa_name) + " " + host;
  }
  freeifaddrs(list);
  return out;
}

void Kiosk::refresh_staff() {
  if (!services_.tasks || staff_.busy) return;
  staff_.busy = true;
  outbox::Outbox* box = services_.outbox;
  outbox::UploaderProcess* uploader = services_.uploader;
  services_.tasks->run([this, box, uploader]() -> Tasks::Done {
    outbox::QueueStatus s;
    if (box) s = box->status();
    std::string uploader_error = uploader ? uploader->last_error() : "";
    update::Status u;
    std::string json = uploader ? uploader->content_status() : "";
    bool has_update = !json.empty() && update::status_from_json(json, &u);
    std::string hub_error;
    bool hub_ok = uploader && uploader->check_hub(&hub_error);
    std::string network = network_interfaces();
    return [this, s, uploader_error, has_update, u, hub_ok, hub_error, network, checked = uploader != nullptr]() {
      staff_.busy = false;
      staff_.refreshed = true;
      staff_.ok = s.ok;
      staff_.queue_depth = s.queue_depth;
      staff_.oldest_unsent_age_s = s.oldest_unsent_age_s;
      staff_.permanent_errors = s.permanent_errors;
      staff_.sent_total = s.sent_total;
      staff_.last_error = !uploader_error.empty() ? uploader_error : s.last_error;
      staff_.has_update = has_update;
      staff_.update = u;
      staff_.hub_checked = checked;
      staff_.hub_ok = hub_ok;
      staff_.hub_error = hub_error;
      staff_.network = network;
      staff_.recent = platform::log_recent();
    };
  });
}

void Kiosk::drain_outbox(uint64_t timeout_ms, bool* drained) {
  *drained = false;
  if (!services_.outbox || !services_.tasks) return;
  outbox::Outbox* box = services_.outbox;
  outbox::UploaderProcess* uploader = services_.uploader;
  services_.tasks->run([box, uploader, timeout_ms, drained]() -> Tasks::Done {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    bool empty = false;
    while (!(empty = box->status().queue_depth == 0) && std::chrono::steady_clock::now() < deadline) {
      if (uploader) uploader->wake();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return [empty, drained]() { *drained = empty; };
  });
}

// The updater's state in the staff's words.
static const char* update_state_it(const std::string& state) {
  if (state == "idle") return "in attesa del prossimo controllo";
  if (state == "checking") return "controllo in corso";
  if (state == "downloading") return "download in corso";
  if (state == "installing") return "installazione in corso";
  if (state == "error") return "errore";
  return "sconosciuto";
}

static std::string minutes_ago(int64_t unix_s) {
  if (unix_s <= 0) return "mai";
  int64_t age = std::max<int64_t>(0, platform::wall_clock_unix_ms() / 1000 - unix_s) / 60;
  return age == 0 ? "meno di un minuto fa" : age == 1 ? "1 minuto fa" : std::to_string(age) + " minuti fa";
}

// Content: what runs, what the network process has installed or is fetching, and "check now".
float Kiosk::draw_staff_content(float x, float y, float cw) {
  const ui::Metrics& m = ui_.m();
  const std::string lang = "it";
  auto line = [&](const char* id, const std::string& text, ImU32 color) {
    y += ui_.text(id, text, lang, {x, y, cw, 0}, m.body, color) + m.pad * 0.5f;
  };
  line("staff.content", fill(strings_.get("staff.content", lang).text, {{"version", content_version()}}), ui_.theme().ink);
  if (next_)
    line("staff.update.pending", "Versione " + std::to_string(next_->version) +
                                     " pronta: sarà mostrata al ritorno alla schermata iniziale", ui_.theme().ink);
  if (!options_.updates()) {
    line("staff.update.off", "Aggiornamenti dei contenuti non configurati (state-dir, hub-url)", ui_.theme().muted);
    return y;
  }
  if (!staff_.has_update) {
    line("staff.update.state", "Aggiornamenti: stato non disponibile (processo di rete non avviato)", ui_.theme().muted);
  } else {
    const update::Status& u = staff_.update;
    line("staff.update.state", std::string("Aggiornamenti: ") + update_state_it(u.state), ui_.theme().ink);
    line("staff.update.versions", "Versione installata " + std::to_string(u.installed_version) +
                                      ", offerta dal server " + (u.offered_version ? std::to_string(u.offered_version) : "-"),
         ui_.theme().ink);
    line("staff.update.check", "Ultimo controllo: " + minutes_ago(u.last_check), ui_.theme().ink);
    if (u.total > 0) {
      char progress[96];
      snprintf(progress, sizeof progress, "Scaricati %.1f MB di %.1f MB (%d%%)", u.downloaded / 1e6, u.total / 1e6,
               (int)(u.downloaded * 100 / u.total));
      line("staff.update.progress", progress, ui_.theme().ink);
    }
    if (!u.last_error.empty()) {
      std::string why = u.last_refusal.empty() ? u.last_error : u.last_refusal + ": " + u.last_error;
      y += ui_.text("staff.update.error", "Ultimo errore: " + why, "en", {x, y, cw, 0}, m.small, ui_.theme().danger) +
           m.pad * 0.5f;
    }
  }
  if (services_.uploader &&
      ui_.button("staff.check_content", "Controlla contenuti ora", lang, {x, y, m.px_per_mm * 110, m.button_h})) {
    services_.uploader->check_content();  // never blocks: the network process polls at once
    refresh_staff();
  }
  return y + m.button_h + m.pad;
}

// This kiosk, the network, the hub, and the last errors of the log.
float Kiosk::draw_staff_health(float x, float y, float cw) {
  const ui::Metrics& m = ui_.m();
  const std::string lang = "it";
  auto line = [&](const char* id, const std::string& text, ImU32 color) {
    y += ui_.text(id, text, lang, {x, y, cw, 0}, m.body, color) + m.pad * 0.5f;
  };
  line("staff.kiosk", "Chiosco " + (options_.kiosk_id.empty() ? std::string("non registrato") : options_.kiosk_id) +
                          " · app " SPORTELLO_VERSION " · contenuti " + content_version(), ui_.theme().ink);
  if (!staff_.refreshed) {
    line("staff.network", "Rete: verifica in corso…", ui_.theme().muted);
  } else {
    line("staff.network", staff_.network.empty() ? "Rete: nessuna interfaccia attiva" : "Rete: " + staff_.network,
         staff_.network.empty() ? ui_.theme().danger : ui_.theme().ink);
    if (options_.hub_url.empty())
      line("staff.hub", "Hub non configurato (hub-url)", ui_.theme().muted);
    else if (!staff_.hub_checked)
      line("staff.hub", "Hub: processo di rete non avviato", ui_.theme().danger);
    else if (staff_.hub_ok)
      line("staff.hub", "Hub raggiungibile (" + options_.hub_url + ")", ui_.theme().ink);
    else  // the reason is curl's, in English
      y += ui_.text("staff.hub", "Hub non raggiungibile: " + staff_.hub_error, "en", {x, y, cw, 0}, m.body,
                    ui_.theme().danger) + m.pad * 0.5f;
  }
  return y;
}

// The last warnings and errors of this process's log, newest first (the journal has the rest
// and the network process's own).
void Kiosk::draw_staff_recent(float x, float y, float cw) {
  const ui::Metrics& m = ui_.m();
  y += ui_.text("staff.recent.title", staff_.recent.empty() ? "Nessun errore recente" : "Errori recenti", "it",
                {x, y, cw, 0}, m.body, ui_.theme().ink) + m.pad * 0.5f;
  int shown = 0;
  for (auto it = staff_.recent.rbegin(); it != staff_.recent.rend() && shown < 8; ++it, ++shown) {
    std::string id = "staff.recent." + std::to_string(shown);
    y += ui_.text(id.c_str(), *it, "en", {x, y, cw, 0}, m.small, ui_.theme().muted) + m.pad * 0.25f;
  }
}

void Kiosk::draw_staff() {
  const ui::Metrics& m = ui_.m();
  float y = 0;
  nav_bar(&y);
  float x = m.pad, cw = ui_.width() - 2 * m.pad;
  const std::string lang = "it";
  auto fmt = [&](const char* key, const char* arg, double n) {
    std::pair<std::string_view, double> args[] = {{arg, n}};
    return strings_.format(key, lang, args).text;
  };
  y += ui_.text("staff.title", strings_.get("staff.title", lang).text, lang, {x, y, cw, 0}, m.heading, ui_.theme().primary,
                true, text::Align::Start, "heading") + m.pad;
  // Two columns: this kiosk, its queue and content on the left; the actions, then recent errors, on
  // the right, where they stay on screen however long the left column grows.
  float rx = x + cw * 0.55f, rw = cw * 0.45f, bw = m.px_per_mm * 70;
  if (ui_.button("staff.refresh", "Aggiorna", lang, {rx, y, bw, m.button_h})) refresh_staff();
  if (ui_.button("staff.touch", "Prova tocco", lang, {rx + bw + m.pad, y, bw, m.button_h})) {
    touch_ = TouchTest{};
    go(Screen::StaffTouch);
  }
  float ry = draw_staff_actions(rx, y + m.button_h + m.pad, rw);
  draw_staff_recent(rx, ry + m.pad, rw);
  cw *= 0.52f;
  y = draw_staff_health(x, y, cw);
  if (!services_.outbox) {
    y += ui_.text("staff.no_outbox", "Coda richieste non configurata (outbox-db)", lang, {x, y, cw, 0}, m.body,
                  ui_.theme().danger) + m.pad * 0.5f;
  } else {
    y += ui_.text("staff.queue", fmt("staff.queue", "count", (double)staff_.queue_depth), lang, {x, y, cw, 0}, m.body,
                  ui_.theme().ink) + m.pad * 0.5f;
    y += ui_.text("staff.oldest", fmt("staff.oldest", "minutes", (double)(staff_.oldest_unsent_age_s / 60)), lang,
                  {x, y, cw, 0}, m.body, ui_.theme().ink) + m.pad * 0.5f;
    y += ui_.text("staff.errors", fmt("staff.errors", "count", (double)staff_.permanent_errors), lang, {x, y, cw, 0},
                  m.body, staff_.permanent_errors ? ui_.theme().danger : ui_.theme().ink) + m.pad * 0.5f;
    if (!staff_.last_error.empty())
      y += ui_.text("staff.last_error", staff_.last_error, "en", {x, y, cw, 0}, m.small, ui_.theme().muted) + m.pad * 0.5f;
    if (services_.uploader) {
      // "Sync now": the network process tries the queue at once instead of at the end of its wait.
      if (ui_.button("staff.sync", "Invia ora", lang, {x, y, m.px_per_mm * 70, m.button_h})) {
        platform::log_event(platform::LogLevel::Info, "staff", "staff_sync", "", "sync asked from the staff view");
        services_.uploader->wake();
        staff_.sync_asked = true;
        refresh_staff();
      }
      if (staff_.sync_asked)
        ui_.text("staff.sync.asked", "Invio richiesto", lang, {x + m.px_per_mm * 70 + m.pad, y + m.button_h * 0.25f, cw, 0},
                 m.small, ui_.theme().muted);
      y += m.button_h + m.pad * 0.5f;
    }
  }
  // The map screen's tiles: the file in use, or why the screen shows the schematic.
  std::string map_line = map_staff_line();
  y += ui_.text("staff.map", map_line, lang, {x, y, cw, 0}, m.body,
                map_line.find("schematica") == std::string::npos ? ui_.theme().ink : ui_.theme().danger) + m.pad * 0.5f;
  y += m.pad * 0.5f;
  draw_staff_content(x, y, cw);
}

// Restart (the service manager starts the kiosk again) and quit (it does not: exit status
// kExitStaffQuit, which the unit lists in RestartPreventExitStatus=). Quitting asks twice.
// Returns the y below the actions.
float Kiosk::draw_staff_actions(float x, float y, float w) {
  const ui::Metrics& m = ui_.m();
  const std::string lang = "it";
  float bw = m.px_per_mm * 70;
  if (ui_.button("staff.restart", "Riavvia", lang, {x, y, bw, m.button_h})) {
    platform::log_event(platform::LogLevel::Info, "staff", "staff_restart", "", "restart asked from the staff view");
    exit_status_ = 0;
  }
  if (!staff_exit_confirm_) {
    if (ui_.button("staff.exit", "Esci", lang, {x + bw + m.pad, y, bw, m.button_h})) staff_exit_confirm_ = true;
    return y + m.button_h;
  }
  // The confirmation takes the place of "Esci" and the row below, so the column's width holds it.
  y += m.button_h + m.pad;
  float confirm_w = std::max(bw, w - bw - m.pad);
  if (ui_.button("staff.exit.confirm", "Conferma: chiudi il chiosco", lang, {x, y, confirm_w, m.button_h},
                 {ui::Variant::Primary})) {
    platform::log_event(platform::LogLevel::Info, "staff", "staff_exit", "", "quit asked from the staff view: the kiosk stays closed");
    exit_status_ = kExitStaffQuit;
  }
  if (ui_.button("staff.exit.cancel", "Annulla", lang, {x + confirm_w + m.pad, y, bw, m.button_h}))
    staff_exit_confirm_ = false;
  return y + m.button_h;
}

}  // namespace app
