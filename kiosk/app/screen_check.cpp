// [SECTION] Check my request: the visitor types their reference code and sees where it is.
// The local outbox answers first (queued here, or refused); once sent, the hub is asked.
#include "app.h"

#include "outbox.h"

#include <algorithm>

namespace app {

void Kiosk::check_status() {
  StatusCheck& c = session_.check;
  if (!services_.outbox || c.busy) return;
  c.busy = true;
  std::string typed = c.typed;
  outbox::Outbox* box = services_.outbox;
  outbox::UploaderProcess* uploader = services_.uploader;
  uint64_t session_id = session_serial_;
  std::string prefix = options_.ref_prefix;
  services_.tasks->run([this, box, uploader, typed, session_id, prefix]() -> Tasks::Done {
    std::string key = "status.unknown";
    outbox::LocalLookup local = box->lookup(typed);
    if (local.ok && local.found) {
      if (local.state == outbox::RequestState::Queued) key = "status.queued";
      else if (local.state == outbox::RequestState::Failed) key = "error.storage";
      else if (uploader) {
        outbox::RemoteStatus remote = uploader->remote_status(local.ref);
        if (!remote.ok) key = "status.offline";
        else if (remote.found) key = "status." + remote.status;
        else key = "status.unknown";
      } else {
        key = "status.received";
      }
    }
    return [this, key, session_id]() {
      if (session_id != session_serial_) return;
      session_.check.busy = false;
      session_.check.result_key = key;
    };
  });
}

void Kiosk::draw_check() {
  const ui::Metrics& m = ui_.m();
  StatusCheck& c = session_.check;
  float y = 0;
  nav_bar(&y);
  float x = m.pad, cw = ui_.width() - 2 * m.pad;
  y += ui_.text("check.title", t("mediator.enter_ref"), t_lang("mediator.enter_ref"), {x, y, cw, 0}, m.heading,
                ui_.theme().primary, true, text::Align::Start, "heading") + m.pad * 0.5f;
  float fw = std::min(cw * 0.6f, m.px_per_mm * 150), bw = std::min(cw - fw - m.pad, m.px_per_mm * 70);
  ui_.button("check.field", c.typed, "en", {x, y, fw, m.button_h},
             {ui::Variant::Surface, m.heading, true, text::Align::Start}, "field");
  ui_.outline({x, y, fw, m.button_h}, ui_.theme().primary, 8, 4);
  ui_.focused_field = &c.typed;
  if (ui_.button("check.go", t("mediator.check_button"), t_lang("mediator.check_button"), {x + fw + m.pad, y, bw, m.button_h}))
    check_status();
  y += m.button_h + m.pad * 0.5f;
  if (!c.result_key.empty()) {
    y += ui_.text("check.result", t(c.result_key.c_str()), t_lang(c.result_key.c_str()), {x, y, cw, 0}, m.heading,
                  ui_.theme().ink, true, text::Align::Start, "notice");
  }
  y += m.pad * 0.5f;
  // Codes are Latin letters and digits: the Latin keyboard, whatever the visitor's language.
  c.keyboard.layout = c.keyboard.native = ui::KeyboardLayout::Latin;
  ui::KeyboardLabels labels{t("keyboard.space"), t("keyboard.delete"), t("keyboard.done"), t("keyboard.layout"), session_.lang};
  if (ui::keyboard(ui_, c.keyboard, {x, y, cw, ui_.height() - y - m.pad}, &c.typed, labels, 16)) check_status();
}

}  // namespace app
