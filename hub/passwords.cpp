// [SECTION] Password rules: long enough, not a well-known password, not the user's name; and
// whether a stored hash was made with other Argon2id parameters than today's (then it is redone
// at the next successful login, when the password is at hand).
#include "hub.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace hub {

namespace {

// Passwords of 12 characters or more that people pick first (the shorter ones are refused for
// their length anyway): keyboard runs, repeated words, the service's own words, Italian classics.
const char* const kCommon[] = {
    "123456789012", "1234567890123", "12345678901234", "123456789123", "1234567891011", "123123123123",
    "111111111111", "000000000000", "121212121212", "012345678901", "098765432109", "987654321098",
    "qwertyuiopas", "qwertyuiop123", "qwertyuiopasd", "qwertyuiopasdf", "qwertyuiopasdfgh", "qwerty123456",
    "qwertyqwerty", "asdfghjklzxc", "asdfghjkl123", "azertyuiopqs", "zxcvbnmasdfg", "1q2w3e4r5t6y",
    "1qaz2wsx3edc", "q1w2e3r4t5y6", "qazwsxedcrfv", "password1234", "password12345", "password123456",
    "passwordpassword", "password2023", "password2024", "password2025", "password2026", "mypassword123",
    "passw0rd1234", "p@ssword1234", "p@ssw0rd1234", "letmein12345", "welcome12345", "welcome123456",
    "iloveyou1234", "iloveyou12345", "abc123456789", "abcdefghijkl", "abcdef123456", "abcd12345678",
    "aa1234567890", "administrator", "administrator1", "admin1234567", "adminadmin123", "changeme1234",
    "changemenow!", "superman1234", "batman123456", "football1234", "baseball1234", "sunshine1234",
    "princess1234", "dragon123456", "monkey123456", "starwars1234", "trustno11234", "masterkey123",
    "letmeinletmein", "secret123456", "nopassword12", "computer1234", "internet1234", "sportello123",
    "sportello1234", "sportello2025", "sportello2026", "sportellosportello", "mediatore123", "mediatore1234",
    "mediatrice123", "mediatrice1234", "passwordsportello", "ciaociaociao", "ciao12345678", "ciaomondo123",
    "ti amo per sempre", "tiamo1234567", "amoremio1234", "amore1234567", "forzaitalia1", "forzajuve1234",
    "forzainter123", "forzamilan12", "forzaroma1234", "forzanapoli1", "juventus1234", "napoli123456",
    "roma12345678", "milano123456", "italia123456", "italia2006!!", "grosseto1234", "toscana12345",
    "benvenuto123", "buongiorno12", "buonasera123", "passwordnuova", "nuovapassword", "cambiami1234",
};

size_t code_points(const std::string& s) {
  return (size_t)std::count_if(s.begin(), s.end(), [](char c) { return ((unsigned char)c & 0xC0) != 0x80; });
}

std::string lower(std::string s) {
  for (char& c : s) c = (char)std::tolower((unsigned char)c);
  return s;
}

}  // namespace

std::string password_problem(const std::string& password, const std::string& user) {
  if (!valid_utf8(password)) return "La password contiene caratteri non validi.";
  if (code_points(password) < 12) return "La password deve avere almeno 12 caratteri.";
  if (password.size() > 256) return "La password può avere al massimo 256 caratteri.";
  std::string low = lower(password);
  if (low.find_first_not_of(low[0]) == std::string::npos) return "La password non può ripetere un solo carattere.";
  if (!user.empty() && low == lower(user)) return "La password non può essere il nome utente.";
  for (const char* common : kCommon)
    if (low == common) return "Questa password è tra le più usate: scegline un'altra.";
  return {};
}

bool password_needs_rehash(const std::string& hash) {
  return crypto_pwhash_str_needs_rehash(hash.c_str(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0;
}

}  // namespace hub
