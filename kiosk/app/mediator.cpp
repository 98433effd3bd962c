// [SECTION] Mediator request helpers: wiping, dates, phone check, QR code.
#include "mediator.h"

#include <qrencode.h>
#include <unicode/calendar.h>
#include <unicode/datefmt.h>
#include <unicode/smpdtfmt.h>
#include <unicode/timezone.h>

#include <cstring>
#include <ctime>
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

std::string next_desk_day(const std::vector<content::Weekday>& days, const std::vector<std::string>& extra_holidays,
                          int64_t now_unix_ms) {
  double noon = 0;  // from tomorrow: today's desk may already be over
  if (!content::next_day_of(days, (double)now_unix_ms, false, extra_holidays, &noon)) return {};
  time_t t = (time_t)(noon / 1000);  // local noon in Rome is the same date in UTC
  tm utc{};
  gmtime_r(&t, &utc);
  char buf[40];
  snprintf(buf, sizeof buf, "%04d-%02d-%02d", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday);
  return buf;
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
