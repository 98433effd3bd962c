// [SECTION] Procedure: one procedure in the visitor's language (or the fallback, said so), its
// steps numbered, documents as a checklist, costs, time, and the offices as cards that say
// whether they are open now.
#include "app.h"

#include "content/content.h"

#include <algorithm>

namespace app {

// `known`: the office as the caller already read it (the services list), so it is not read twice.
const Kiosk::OfficeCard* Kiosk::office_card(const std::string& id, const content::Service* known) {
  if (!services_.pack) return nullptr;
  if (office_cards_lang_ != session_.lang) {
    office_cards_.clear();
    office_cards_lang_ = session_.lang;
  }
  auto it = office_cards_.find(id);
  if (it == office_cards_.end()) {
    OfficeCard card;
    if (known) card.svc = *known;
    else if (!services_.pack->service(id, session_.lang, &card.svc)) return nullptr;  // a read error: try next frame
    card.hours = services_.pack->office_hours(id);
    it = office_cards_.emplace(id, std::move(card)).first;
  }
  OfficeCard& card = it->second;
  int64_t now = platform::wall_clock_unix_ms(), minute = now / 60000;
  if (card.minute != minute) {
    content::OpenState st = content::open_state(card.hours, (double)now);
    // Outside the pack's window (a pack too old) the card says it does not know, never guesses.
    const char* key = !st.known || st.unknown          ? "office.hours_unknown"
                      : st.open && !st.always         ? "office.open_now"
                      : st.change_known && !st.open   ? "office.opens_at"
                                                      : "office.closed";
    card.known = st.known && !st.unknown;
    card.note = st.known ? st.comment : std::string();
    if (!card.known)
      card.open_line = t(key);
    else if (st.open && !st.always)
      card.open_line = fill(t(key), {{"time", content::format_time(st.change_at, session_.lang)}});
    else if (st.open)
      card.open_line = "24/7";
    else if (st.change_known)
      card.open_line = fill(t(key), {{"day", content::format_weekday(st.change_at, session_.lang)},
                                     {"time", content::format_time(st.change_at, session_.lang)}});
    else
      card.open_line = t(key);
    card.open_lang = t_lang(key);
    card.open = st.open;
    card.minute = minute;
    // Lines are worked out for a minute at a time: the next look is never before the next minute.
    card.next_change_ms = std::max(st.same_until_ms, (minute + 1) * 60000);
  }
  hours_change_ms_ = std::min(hours_change_ms_, card.next_change_ms);
  return &card;
}

float Kiosk::draw_office(const std::string& id, float x, float y, float w, const content::Service* known) {
  const ui::Metrics& m = ui_.m();
  const OfficeCard* card = office_card(id, known);
  if (!card) return 0;
  const content::Service& svc = card->svc;
  float pad = m.pad * 0.6f, cy = y + pad, iw = w - 2 * pad;
  std::string kind_key = "kind." + svc.kind;
  // "Show on map" at the card's top end corner, beside the name (not on the map's own card).
  float map_w = 0, map_h = 0;
  if (screen_ != Screen::Map && (svc.lat != 0 || svc.lon != 0)) {
    map_w = std::min(iw * 0.35f, m.px_per_mm * 60);
    map_h = m.min_target * 1.3f;
    if (ui_.button("office." + id + ".map", t("office.map"), t_lang("office.map"), {x + w - pad - map_w, cy, map_w, map_h},
                   {ui::Variant::Surface, m.small}))
      open_map(id, {id});
  }
  float top_line = cy;
  // Office names and addresses are Italian whatever the language: that is what is on the door.
  cy += ui_.text("office." + id, svc.name, "it", {x + pad, cy, iw - (map_w > 0 ? map_w + pad : 0), 0}, m.body,
                 ui_.theme().ink, true, text::Align::Start, "card");
  cy += ui_.text("office." + id + ".kind", t(kind_key.c_str()), t_lang(kind_key.c_str()), {x + pad, cy, iw, 0}, m.small,
                 ui_.theme().muted);
  cy += ui_.text("office." + id + ".address", svc.address, "it", {x + pad, cy, iw, 0}, m.small, ui_.theme().ink);
  if (!svc.phone.empty())
    // The number is isolated left-to-right (LRI ... PDI): in an Arabic line its groups keep their order.
    cy += ui_.text("office." + id + ".phone", t("office.phone") + ": \u2066" + svc.phone + "\u2069", t_lang("office.phone"),
                   {x + pad, cy, iw, 0}, m.small, ui_.theme().ink);
  cy += ui_.text("office." + id + ".open", card->open_line, card->open_lang, {x + pad, cy, iw, 0}, m.small,
                 !card->known ? ui_.theme().muted : card->open ? ui_.theme().ok : ui_.theme().danger, true);
  if (!card->note.empty())  // the hours' own comment, as the office wrote it (Italian)
    cy += ui_.text("office." + id + ".hours_note", card->note, "it", {x + pad, cy, iw, 0}, m.small, ui_.theme().ink);
  std::string distance = distance_line(svc);
  if (!distance.empty())
    cy += ui_.text("office." + id + ".distance", distance, t_lang("map.distance"), {x + pad, cy, iw, 0}, m.small,
                   ui_.theme().ink);
  cy = std::max(cy, top_line + map_h) + pad;
  ui_.outline({x, y, w, cy - y}, ui_.theme().outline, 10, 2);
  return cy - y;
}

// One section: its heading, then paragraphs, numbered steps and checklist items. Returns its height.
float Kiosk::draw_section(const content::Section& sec, const std::string& lang, const std::string& id_prefix, float x,
                          float y, float w) {
  const ui::Metrics& m = ui_.m();
  float cy = y;
  cy += ui_.text(id_prefix + "section." + sec.id, sec.heading, lang, {x, cy, w, 0}, m.heading * 0.8f, ui_.theme().primary,
                 true, text::Align::Start, "heading") + m.pad * 0.3f;
  int index = 0;
  for (const content::Block& b : sec.blocks) {
    std::string id = id_prefix + sec.id + "." + std::to_string(++index);
    // Steps keep their numbers and documents become a checklist: the shape matters to people
    // who read slowly or not at all.
    std::string text = b.text;
    if (b.kind == content::BlockKind::ListItem)
      text = (b.number > 0 ? std::to_string(b.number) + ". " : sec.id == "documents" ? "☐ " : "• ") + b.text;
    const char* role = b.kind == content::BlockKind::ListItem ? (b.number > 0 ? "step" : "item") : "text";
    float indent = b.kind == content::BlockKind::ListItem ? m.pad * 0.6f : 0;
    cy += ui_.text(id, text, lang, {x + indent, cy, w - indent, 0}, m.body, ui_.theme().ink,
                   b.kind == content::BlockKind::Heading, text::Align::Start, role) + m.pad * 0.3f;
  }
  return cy - y;
}

void Kiosk::draw_procedure() {
  const ui::Metrics& m = ui_.m();
  if (!services_.pack) return back();
  std::string key = session_.procedure + "/" + session_.lang;
  if (procedure_key_ != key) {  // read once per page and language, never per frame
    content::ProcedureResult r = services_.pack->procedure(session_.procedure, session_.lang);
    procedure_ = r.ok ? std::make_shared<content::Procedure>(std::move(r.procedure)) : nullptr;
    italian_ = nullptr;
    if (procedure_ && procedure_->lang != "it") {
      content::ProcedureResult it = services_.pack->procedure(session_.procedure, "it");
      if (it.ok) italian_ = std::make_shared<content::Procedure>(std::move(it.procedure));
    }
    procedure_key_ = key;
  }
  float y = 0;
  nav_bar(&y);
  if (!procedure_) return;
  const content::Procedure& p = *procedure_;
  float x = m.pad, cw = std::min(ui_.width() - 2 * m.pad, m.px_per_mm * 420);
  float bottom = ui_.height() - m.button_h * 1.2f - 2 * m.pad;
  float top = ui_.begin_scroll("proc.page", {0, y, ui_.width(), bottom - y});
  float cy = top;
  cy += ui_.text("proc.title", p.title, p.lang, {x, cy, cw, 0}, m.title * 0.8f, ui_.theme().primary, true,
                 text::Align::Start, "heading") + m.pad * 0.4f;
  if (p.fallback) {
    std::string notice = fill(t("notice.fallback"), {{"language", locale::native_name(p.lang)}});
    cy += ui_.text("notice.fallback", notice, t_lang("notice.fallback"), {x, cy, cw, 0}, m.body, ui_.theme().accent, true,
                   text::Align::Start, "notice") + m.pad * 0.3f;
  }
  if (p.status == content::Status::Machine)
    cy += ui_.text("badge.machine", t("badge.machine"), t_lang("badge.machine"), {x, cy, cw, 0}, m.small,
                   ui_.theme().accent, true, text::Align::Start, "badge") + m.pad * 0.2f;
  if (p.outdated)
    cy += ui_.text("badge.outdated", t("badge.outdated"), t_lang("badge.outdated"), {x, cy, cw, 0}, m.small,
                   ui_.theme().accent, true, text::Align::Start, "badge") + m.pad * 0.2f;
  cy += ui_.text("proc.summary", p.summary, p.lang, {x, cy, cw, 0}, m.body, ui_.theme().ink) + m.pad * 0.5f;
  if (p.lang != "it" && italian_) {
    const char* label = session_.show_italian ? "proc.hide_italian" : "proc.show_italian";
    if (ui_.button("proc.show_italian", t(label), t_lang(label), {x, cy, std::min(cw, m.px_per_mm * 80), m.button_h * 0.8f},
                   {ui::Variant::Surface, m.body, true, text::Align::Center, session_.show_italian}, "toggle"))
      session_.show_italian = !session_.show_italian;
    cy += m.button_h * 0.8f + m.pad * 0.5f;
  }
  // "Show Italian too": the Italian text beside the visitor's, section by section, so a visitor
  // and a clerk can read along together.
  bool beside = session_.show_italian && p.lang != "it" && italian_;
  float col = beside ? (cw - m.pad) / 2 : cw;
  for (const content::Section& sec : p.sections) {
    float left = draw_section(sec, p.lang, "", x, cy, col);
    float right = 0;
    if (beside)
      if (const content::Section* it = italian_->section(sec.id))
        right = draw_section(*it, "it", "it.", x + col + m.pad, cy, col);
    cy += std::max(left, right) + m.pad * 0.5f;
  }
  if (!p.offices.empty()) {
    float bw = std::min(cw * 0.4f, m.px_per_mm * 60), bh = m.min_target * 1.3f;
    float hh = ui_.text("proc.where", t("proc.where"), t_lang("proc.where"), {x, cy, cw - bw - m.pad, 0}, m.heading * 0.8f,
                        ui_.theme().primary, true, text::Align::Start, "heading");
    if (ui_.button("proc.where.map", t("office.map"), t_lang("office.map"), {x + cw - bw, cy, bw, bh},
                   {ui::Variant::Surface, m.small}))
      open_map("", p.offices);
    cy += std::max(hh, bh) + m.pad * 0.3f;
    for (const std::string& office : p.offices) cy += draw_office(office, x, cy, cw) + m.pad * 0.5f;
  }
  if (!p.last_reviewed.empty())
    cy += ui_.text("proc.reviewed", fill(t("proc.reviewed"), {{"date", format_day(p.last_reviewed, session_.lang)}}),
                   t_lang("proc.reviewed"), {x, cy, cw, 0}, m.small, ui_.theme().muted) + m.pad;
  ui_.end_scroll(cy - top);
  float bw = std::min(ui_.width() - 2 * m.pad, m.px_per_mm * 140);
  if (ui_.button("nav.mediator", t("nav.mediator"), t_lang("nav.mediator"), {m.pad, bottom + m.pad, bw, m.button_h * 1.2f},
                 {ui::Variant::Primary, m.heading}))
    start_mediator(p.topic);
}

}  // namespace app
