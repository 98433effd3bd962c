// [SECTION] Staff status: the desk operator's view of this kiosk (queue, errors, content).
// Reached by five quick taps on the top corner of the home screen; shown in Italian.
#include "app.h"

#include "outbox.h"

#include <chrono>
#include <thread>

namespace app {

void Kiosk::refresh_staff() {
  if (!services_.outbox || staff_.busy) return;
  staff_.busy = true;
  outbox::Outbox* box = services_.outbox;
  outbox::UploaderProcess* uploader = services_.uploader;
  services_.tasks->run([this, box, uploader]() -> Tasks::Done {
    outbox::QueueStatus s = box->status();
    std::string uploader_error = uploader ? uploader->last_error() : "";
    return [this, s, uploader_error]() {
      staff_.busy = false;
      staff_.ok = s.ok;
      staff_.queue_depth = s.queue_depth;
      staff_.oldest_unsent_age_s = s.oldest_unsent_age_s;
      staff_.permanent_errors = s.permanent_errors;
      staff_.sent_total = s.sent_total;
      staff_.last_error = !uploader_error.empty() ? uploader_error : s.last_error;
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
  if (!services_.outbox) {
    ui_.text("staff.no_outbox", "Coda richieste non configurata (outbox-db)", lang, {x, y, cw, 0}, m.body, ui_.theme().danger);
    return;
  }
  y += ui_.text("staff.queue", fmt("staff.queue", "count", (double)staff_.queue_depth), lang, {x, y, cw, 0}, m.body,
                ui_.theme().ink) + m.pad * 0.5f;
  y += ui_.text("staff.oldest", fmt("staff.oldest", "minutes", (double)(staff_.oldest_unsent_age_s / 60)), lang,
                {x, y, cw, 0}, m.body, ui_.theme().ink) + m.pad * 0.5f;
  y += ui_.text("staff.errors", fmt("staff.errors", "count", (double)staff_.permanent_errors), lang, {x, y, cw, 0}, m.body,
                staff_.permanent_errors ? ui_.theme().danger : ui_.theme().ink) + m.pad * 0.5f;
  if (!staff_.last_error.empty())
    y += ui_.text("staff.last_error", staff_.last_error, "en", {x, y, cw, 0}, m.small, ui_.theme().muted) + m.pad * 0.5f;
  y += ui_.text("staff.content", fill(strings_.get("staff.content", lang).text, {{"version", content_version()}}), lang,
                {x, y, cw, 0}, m.body, ui_.theme().ink) + m.pad;
  if (ui_.button("staff.refresh", "Aggiorna", lang, {x, y, m.px_per_mm * 70, m.button_h})) refresh_staff();
}

}  // namespace app
