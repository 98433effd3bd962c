// [SECTION] Offices and services: every office of the pack as a card, in the collation order of
// the visitor's language, filtered by kind.
#include "app.h"

#include <algorithm>
#include <set>

namespace app {

void Kiosk::draw_services() {
  const ui::Metrics& m = ui_.m();
  float y = 0;
  nav_bar(&y);
  if (!services_.pack) return back();
  float x = m.pad, cw = ui_.width() - 2 * m.pad;
  std::string key = session_.lang + "/" + session_.service_kind;
  if (services_key_ != key) {  // one query when the language or the filter changes
    services_list_ = session_.service_kind.empty() ? services_.pack->services(session_.lang)
                                                   : services_.pack->services_of_kind(session_.service_kind, session_.lang);
    if (service_kinds_.empty()) {
      std::set<std::string> kinds;
      for (const content::Service& s : services_.pack->services(session_.lang)) kinds.insert(s.kind);
      service_kinds_.assign(kinds.begin(), kinds.end());
    }
    services_key_ = key;
  }
  float mw = std::min(cw * 0.35f, m.px_per_mm * 70), mh = m.min_target * 1.3f;
  float th = ui_.text("services.title", t("services.title"), t_lang("services.title"), {x, y, cw - mw - m.pad, 0}, m.heading,
                      ui_.theme().primary, true, text::Align::Start, "heading");
  if (ui_.button("services.map", t("services.map"), t_lang("services.map"), {x + cw - mw, y, mw, mh},
                 {ui::Variant::Surface, m.small}))
    open_map("", {});
  y += std::max(th, mh) + m.pad * 0.3f;
  // Kind filters as chips, wrapping onto as many rows as they need.
  float cx = x, chip_h = m.min_target * 1.3f;
  auto chip = [&](const std::string& kind, const std::string& label, const std::string& lang) {
    float w = std::min(cw, m.px_per_mm * 45);
    if (cx + w > x + cw) {
      cx = x;
      y += chip_h + m.pad * 0.3f;
    }
    if (ui_.button("services.kind." + (kind.empty() ? std::string("all") : kind), label, lang, {cx, y, w, chip_h},
                   {ui::Variant::Surface, m.small, true, text::Align::Center, session_.service_kind == kind}, "toggle"))
      session_.service_kind = kind;
    cx += w + m.pad * 0.3f;
  };
  chip("", t("services.all"), t_lang("services.all"));
  for (const std::string& kind : service_kinds_) {
    std::string k = "kind." + kind;
    chip(kind, t(k.c_str()), t_lang(k.c_str()));
  }
  y += chip_h + m.pad * 0.5f;
  float top = ui_.begin_scroll("services.list", {0, y, ui_.width(), ui_.height() - y});
  float cy = top + 2;  // the first card's outline inside the list's clip, not cut by it
  float card_w = std::min(cw, m.px_per_mm * 300);
  for (const content::Service& s : services_list_) cy += draw_office(s.id, x, cy, card_w, &s) + m.pad * 0.5f;
  ui_.end_scroll(cy - top);
}

}  // namespace app
