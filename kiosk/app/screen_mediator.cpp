// [SECTION] Talk to a mediator: choose topic and contact, details, privacy and consent, then the
// confirmation with the reference code -- shown only after the request is durably stored.
#include "app.h"

#include "outbox.h"

#include <algorithm>
#include <cmath>

namespace app {

static const char* kTopics[] = {"permits", "health", "documents", "school", "italian", "work", "family"};

void Kiosk::start_mediator(const std::string& topic) {
  session_.mediator.clear();
  session_.mediator.topic = topic.empty() ? "permits" : topic;
  session_.mediator.desk_day = next_desk_day(desk_days(), extra_holidays_, platform::wall_clock_unix_ms());
  session_.mediator.keyboard.native = session_.mediator.keyboard.layout = ui::keyboard_for_language(session_.lang);
  go(Screen::Mediator);
}

// Runs enqueue on the worker: it fsyncs, so it never runs on the frame.
void Kiosk::submit_mediator() {
  MediatorForm& f = session_.mediator;
  f.stage = MediatorForm::Stage::Saving;
  auto input = std::make_shared<outbox::RequestInput>();
  input->lang = session_.lang;
  input->topic = f.topic;
  input->contact = f.contact;
  if (f.contact == "desk") input->desk_day = f.desk_day;
  bool fits = input->name.set(f.name) && input->phone.set(f.phone);
  wipe(f.name);  // the UI copy goes now; the sealed copy is all that will remain
  wipe(f.phone);
  if (!fits || !services_.outbox) {
    f.stage = MediatorForm::Stage::Failed;
    return;
  }
  outbox::Outbox* box = services_.outbox;
  outbox::UploaderProcess* uploader = services_.uploader;
  uint64_t session_id = session_serial_;
  services_.tasks->run([this, box, uploader, input, session_id]() -> Tasks::Done {
    outbox::EnqueueResult r = box->enqueue(*input);
    if (r.ok && uploader) uploader->wake();
    return [this, r, session_id]() {
      if (session_id != session_serial_) return;  // the visitor left (idle reset): show nothing
      MediatorForm& form = session_.mediator;
      if (r.ok) {
        form.ref = r.ref;
        form.stage = MediatorForm::Stage::Saved;
        platform::log_event(platform::LogLevel::Info, "app", "request_queued", r.ref, "mediator request %s queued", r.ref.c_str());
      } else {
        form.stage = MediatorForm::Stage::Failed;
        platform::log_event(platform::LogLevel::Error, "app", "request_not_saved", "", "mediator request not saved: %s", r.error.c_str());
      }
    };
  });
}

void Kiosk::draw_mediator() {
  const ui::Metrics& m = ui_.m();
  MediatorForm& f = session_.mediator;
  float y = 0;
  nav_bar(&y);
  float x = m.pad, cw = ui_.width() - 2 * m.pad;
  y += ui_.text("mediator.title", t("mediator.title"), t_lang("mediator.title"), {x, y, cw, 0}, m.heading,
                ui_.theme().primary, true, text::Align::Start, "heading") + m.pad * 0.5f;
  switch (f.stage) {
    case MediatorForm::Stage::Choose: draw_mediator_choose(x, y, cw); break;
    case MediatorForm::Stage::Details: draw_mediator_details(x, y, cw); break;
    case MediatorForm::Stage::Privacy: draw_mediator_privacy(x, y, cw); break;
    case MediatorForm::Stage::Saving:
      ui_.text("mediator.saving", t("mediator.saving"), t_lang("mediator.saving"), {x, y, cw, 0}, m.heading,
               ui_.theme().ink);
      break;
    case MediatorForm::Stage::Saved: draw_mediator_saved(x, y, cw); break;
    case MediatorForm::Stage::Failed:
      ui_.text("error.storage", t("error.storage"), t_lang("error.storage"), {x, y, cw, 0}, m.heading,
               ui_.theme().danger, true, text::Align::Start, "notice");
      break;
  }
}

void Kiosk::draw_mediator_choose(float x, float y, float cw) {
  const ui::Metrics& m = ui_.m();
  MediatorForm& f = session_.mediator;
  y += ui_.text("mediator.intro", t("mediator.intro"), t_lang("mediator.intro"), {x, y, cw, 0}, m.body, ui_.theme().ink) + m.pad;
  y += ui_.text("mediator.topic", t("mediator.topic"), t_lang("mediator.topic"), {x, y, cw, 0}, m.body,
                ui_.theme().muted, true) + m.pad * 0.4f;
  float gap = m.pad * 0.5f, tw = (cw - 3 * gap) / 4, th = m.button_h;
  for (int i = 0; i < 7; i++) {
    std::string key = std::string("topic.") + kTopics[i];
    bool chosen = f.topic == kTopics[i];
    ui::Rect r{x + (i % 4) * (tw + gap), y + (i / 4) * (th + gap), tw, th};
    if (ui_.button("mediator.topic." + std::string(kTopics[i]), t(key.c_str()), t_lang(key.c_str()), r,
                   {ui::Variant::Surface, m.body, true, text::Align::Center, chosen}, "toggle"))
      f.topic = kTopics[i];
  }
  y += 2 * (th + gap) + m.pad;
  y += ui_.text("mediator.how", t("mediator.how"), t_lang("mediator.how"), {x, y, cw, 0}, m.body, ui_.theme().muted,
                true) + m.pad * 0.4f;
  float bw = (cw - gap) / 2;
  if (ui_.button("mediator.by_phone", t("mediator.by_phone"), t_lang("mediator.by_phone"), {x, y, bw, th},
                 {ui::Variant::Surface, m.body, true, text::Align::Center, f.contact == "phone"}, "toggle"))
    f.contact = "phone";
  if (!f.desk_day.empty()) {
    std::string desk = fill(t("mediator.at_desk"), {{"date", format_day(f.desk_day, session_.lang)}});
    if (ui_.button("mediator.at_desk", desk, t_lang("mediator.at_desk"), {x + bw + gap, y, bw, th},
                   {ui::Variant::Surface, m.body, true, text::Align::Center, f.contact == "desk"}, "toggle"))
      f.contact = "desk";
  }
  y += th + m.pad * 1.5f;
  float nw = std::min(cw, m.px_per_mm * 90);
  if (ui_.button("mediator.next", "→ " + t("welcome.start"), t_lang("welcome.start"), {x + cw - nw, y, nw, th}))
    f.stage = MediatorForm::Stage::Details;
  if (ui_.button("mediator.check", t("mediator.check"), t_lang("mediator.check"), {x, y, nw * 1.4f, th},
                 {ui::Variant::Quiet, m.body}))
    go(Screen::Check);
}

void Kiosk::draw_mediator_details(float x, float y, float cw) {
  const ui::Metrics& m = ui_.m();
  MediatorForm& f = session_.mediator;
  float fh = m.button_h, gap = m.pad * 0.5f, half = (cw - m.pad) / 2;
  // Two fields side by side; the one with the keyboard is outlined.
  ui_.text("mediator.name.label", t("mediator.name"), t_lang("mediator.name"), {x, y, half, 0}, m.small, ui_.theme().muted);
  ui_.text("mediator.phone.label", t("mediator.phone"), t_lang("mediator.phone"), {x + half + m.pad, y, half, 0}, m.small,
           ui_.theme().muted);
  y += m.small * 1.6f;
  ui::ButtonStyle field{ui::Variant::Surface, m.heading * 0.8f, false, text::Align::Start};
  if (ui_.button("mediator.name", f.name, session_.lang, {x, y, half, fh}, field, "field")) f.field = 1;
  if (ui_.button("mediator.phone", f.phone, "en", {x + half + m.pad, y, half, fh}, field, "field")) f.field = 2;
  ui_.outline({f.field == 1 ? x : x + half + m.pad, y, half, fh}, ui_.theme().primary, 8, 4);
  y += fh + gap;
  // Hardware keyboards (and the automation contract's `type`) write into the focused field.
  ui_.focused_field = f.field == 1 ? &f.name : &f.phone;
  bool phone_ok = f.contact == "desk" ? (f.phone.empty() || plausible_phone(f.phone)) : plausible_phone(f.phone);
  float nw = std::min(cw, m.px_per_mm * 90);
  if (ui_.button("mediator.next", "→ " + t("welcome.start"), t_lang("welcome.start"), {x + cw - nw, y, nw, fh},
                 {phone_ok ? ui::Variant::Primary : ui::Variant::Surface, m.body}) &&
      phone_ok) {
    ui_.focused_field = nullptr;
    f.stage = MediatorForm::Stage::Privacy;
    return;
  }
  y += fh + gap;
  ui::KeyboardState& kb = f.keyboard;
  ui::KeyboardState phone_kb{ui::KeyboardLayout::Phone, ui::KeyboardLayout::Phone, {}};
  ui::KeyboardLabels labels{t("keyboard.space"), t("keyboard.delete"), t("keyboard.done"), t("keyboard.layout"), session_.lang};
  float kh = ui_.height() - y - m.pad;
  if (f.field == 2) {
    float kw = std::min(cw, m.px_per_mm * 110);
    if (ui::keyboard(ui_, phone_kb, {x + (cw - kw) / 2, y, kw, kh}, &f.phone, labels, 20)) f.field = 1;
  } else if (ui::keyboard(ui_, kb, {x, y, cw, kh}, &f.name, labels, 120)) {
    f.field = 2;
  }
}

void Kiosk::draw_mediator_privacy(float x, float y, float cw) {
  const ui::Metrics& m = ui_.m();
  MediatorForm& f = session_.mediator;
  ui_.focused_field = nullptr;
  y += ui_.text("mediator.privacy", t("mediator.privacy"), t_lang("mediator.privacy"), {x, y, cw, 0}, m.body,
                ui_.theme().ink) + m.pad;
  float bw = std::min(cw, m.px_per_mm * 120);
  std::string box = f.consent ? "☑ " : "☐ ";
  if (ui_.button("mediator.consent", box + t("mediator.consent"), t_lang("mediator.consent"), {x, y, bw, m.button_h},
                 {ui::Variant::Surface, m.heading * 0.8f, true, text::Align::Start, f.consent}, "checkbox"))
    f.consent = !f.consent;
  y += m.button_h + m.pad;
  // Without consent the button does nothing; it says why by staying grey.
  if (ui_.button("mediator.send", t("mediator.send"), t_lang("mediator.send"), {x, y, bw, m.button_h * 1.2f},
                 {f.consent ? ui::Variant::Primary : ui::Variant::Surface, m.heading}) &&
      f.consent)
    submit_mediator();
}

void Kiosk::draw_mediator_saved(float x, float y, float cw) {
  const ui::Metrics& m = ui_.m();
  MediatorForm& f = session_.mediator;
  y += ui_.text("mediator.done", t("mediator.done"), t_lang("mediator.done"), {x, y, cw, 0}, m.heading,
                ui_.theme().ok, true, text::Align::Start, "notice") + m.pad;
  float half = cw * 0.55f;
  float ty = y;
  ty += ui_.text("mediator.ref.label", t("mediator.ref"), t_lang("mediator.ref"), {x, ty, half, 0}, m.body,
                 ui_.theme().muted) + m.pad * 0.3f;
  // The code itself is Latin letters and digits whatever the language: shape it as such.
  ty += ui_.text("mediator.ref", f.ref, "en", {x, ty, half, 0}, m.title * 1.2f, ui_.theme().ink, true,
                 text::Align::Start, "code") + m.pad * 0.5f;
  ui_.text("mediator.ref_hint", t("mediator.ref_hint"), t_lang("mediator.ref_hint"), {x, ty, half, 0}, m.body,
           ui_.theme().ink);
  int n = 0;
  std::vector<bool> modules = qr_modules(f.ref, &n);
  if (n > 0) {
    float side = std::min(cw - half - m.pad, ui_.height() - y - m.pad * 2), cell = std::floor(side / (n + 8));
    float qx = x + cw - cell * (n + 8), qy = y;
    ui_.fill({qx, qy, cell * (n + 8), cell * (n + 8)}, IM_COL32(255, 255, 255, 255));  // quiet zone
    for (int r = 0; r < n; r++)
      for (int c = 0; c < n; c++)
        if (modules[(size_t)r * n + c]) {
          // QR codes are never mirrored: draw in screen coordinates.
          ui::Rect cellr{qx + (c + 4) * cell, qy + (r + 4) * cell, cell, cell};
          if (ui_.rtl()) cellr.x = ui_.width() - (qx + cell * (n + 8)) + (c + 4) * cell;
          ImGui::GetBackgroundDrawList()->AddRectFilled({cellr.x, cellr.y}, {cellr.x + cell, cellr.y + cell},
                                                        IM_COL32(0, 0, 0, 255));
        }
    ui_.record("mediator.qr", "image", f.ref, "en", {qx, qy, cell * (n + 8), cell * (n + 8)});
  }
}

}  // namespace app
