// [SECTION] Mediator request helpers: wiping, dates, phone check, QR code.
#include "mediator.h"

#include <qrencode.h>
#include <unicode/calendar.h>
#include <unicode/datefmt.h>
#include <unicode/smpdtfmt.h>
#include <unicode/timezone.h>

#include <cstring>
#include <memory>

namespace app {

void wipe(std::string& s) {
  if (s.capacity() > 0) explicit_bzero(s.data(), s.capacity());
  s.clear();
}

MediatorForm::MediatorForm() {
  name.reserve(256);
  phone.reserve(64);
}

MediatorForm::~MediatorForm() {
  wipe(name);
  wipe(phone);
}

void MediatorForm::clear() {
  wipe(name);
  wipe(phone);
  stage = Stage::Choose;
  consent = false;
  ref.clear();
  field = 1;
}

static int weekday_index(const std::string& two) {
  static const char* names[] = {"Su", "Mo", "Tu", "We", "Th", "Fr", "Sa"};  // ICU: Sunday = 1
  for (int i = 0; i < 7; i++)
    if (two == names[i]) return i + 1;
  return 0;
}

std::string next_desk_day(const std::vector<std::string>& weekdays, int64_t now_unix_ms) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::Calendar> cal(
      icu::Calendar::createInstance(icu::TimeZone::createTimeZone("Europe/Rome"), icu::Locale::getRoot(), status));
  if (U_FAILURE(status)) return {};
  cal->setTime((UDate)now_unix_ms, status);
  for (int i = 0; i < 14; i++) {
    cal->add(UCAL_DATE, 1, status);  // from tomorrow: today's desk may already be over
    int dow = cal->get(UCAL_DAY_OF_WEEK, status);
    for (const std::string& w : weekdays)
      if (weekday_index(w) == dow) {
        char buf[40];
        snprintf(buf, sizeof buf, "%04d-%02d-%02d", cal->get(UCAL_YEAR, status), cal->get(UCAL_MONTH, status) + 1,
                 cal->get(UCAL_DATE, status));
        return U_SUCCESS(status) ? buf : "";
      }
  }
  return {};
}

std::string format_day(const std::string& day, const std::string& lang) {
  int y = 0, m = 0, d = 0;
  if (sscanf(day.c_str(), "%d-%d-%d", &y, &m, &d) != 3) return day;
  UErrorCode status = U_ZERO_ERROR;
  icu::Locale loc(lang.c_str());
  std::unique_ptr<icu::Calendar> cal(icu::Calendar::createInstance(icu::TimeZone::createTimeZone("Europe/Rome"), loc, status));
  std::unique_ptr<icu::DateFormat> fmt(icu::DateFormat::createInstanceForSkeleton("EEEEdMMMM", loc, status));
  if (U_FAILURE(status) || !cal || !fmt) return day;
  cal->clear();
  cal->set(y, m - 1, d, 12, 0);
  fmt->setTimeZone(cal->getTimeZone());
  icu::UnicodeString out;
  fmt->format(cal->getTime(status), out);
  std::string utf8;
  out.toUTF8String(utf8);
  return U_SUCCESS(status) ? utf8 : day;
}

bool plausible_phone(const std::string& phone) {
  int digits = 0;
  for (size_t i = 0; i < phone.size(); i++) {
    char c = phone[i];
    if (c >= '0' && c <= '9') digits++;
    else if (c == '+' && digits == 0) continue;
    else if (c != ' ') return false;
  }
  return digits >= 6 && digits <= 15;
}

std::vector<bool> qr_modules(const std::string& text, int* size) {
  std::unique_ptr<QRcode, decltype(&QRcode_free)> qr(QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1),
                                                     &QRcode_free);
  *size = 0;
  if (!qr) return {};
  *size = qr->width;
  std::vector<bool> modules((size_t)qr->width * qr->width);
  for (size_t i = 0; i < modules.size(); i++) modules[i] = qr->data[i] & 1;  // bit 0 = dark module
  return modules;
}

}  // namespace app
