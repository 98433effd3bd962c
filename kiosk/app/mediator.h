// The visitor's request for a mediator: form state, wiping of personal text, and the pieces the
// mediator screens share (next desk day, reference code as a QR code).
#pragma once

#include "content/content.h"

#include "ui.h"

#include <cstdint>
#include <string>
#include <vector>

namespace app {

// Zeroes a string's whole buffer (not just its length) and empties it.
void wipe(std::string& s);

struct MediatorForm {
  enum class Stage : uint8_t { Choose, Details, Privacy, Saving, Saved, Failed };
  Stage stage = Stage::Choose;
  std::string topic;               // preselected from the page the visitor came from
  std::string contact = "phone";   // "phone" or "desk"
  std::string desk_day;            // YYYY-MM-DD of the next mediator day
  std::string name, phone;         // personal: reserved once (no reallocation copies), wiped
  int field = 1;                   // 1 = name, 2 = phone has the keyboard
  bool consent = false;
  std::string ref;                 // after the request is durably stored
  ui::KeyboardState keyboard;
  MediatorForm();
  ~MediatorForm();
  void clear();                    // wipes personal text and starts over
};

struct StatusCheck {
  std::string typed;
  ui::KeyboardState keyboard;
  bool busy = false;
  std::string result_key;          // a status.* string key, empty before the first check
};

// The next of this desk's weekly mediator days after today that is not a public holiday (Italian
// ones plus the pack's extras), as YYYY-MM-DD in Europe/Rome; "" when there is none.
std::string next_desk_day(const std::vector<content::Weekday>& days, const std::vector<std::string>& extra_holidays,
                          int64_t now_unix_ms);
// "martedì 24 novembre" / "الثلاثاء 24 نوفمبر" for a YYYY-MM-DD day, in a language.
std::string format_day(const std::string& yyyy_mm_dd, const std::string& lang);
// A phone number a mediator can call: 6 to 15 digits, an optional leading +, spaces allowed.
bool plausible_phone(const std::string& phone);
// QR code modules of text (true = dark), side length in *size; empty on failure.
std::vector<bool> qr_modules(const std::string& text, int* size);

}  // namespace app
