// Internals of the release module shared by its two source files, its tests and its fuzz
// target. Not part of the module's face: nothing outside kiosk/release and tests/ includes it.
#pragma once

#include "release/release.h"

#include <string>
#include <string_view>
#include <vector>

namespace release {

// Parses the inner manifest JSON (the "signed" string) and checks its fields and targets.
// Unknown fields are ignored (a later version may add some); format must be kFormatVersion.
// Does not check expiry, rollback or the presence of a content target.
bool parse_manifest(std::string_view json, Manifest* out, std::string* error);
// The same, telling BadManifest from UnsupportedFormat (None when the manifest is good).
Refusal check_manifest(std::string_view json, Manifest* out, std::string* error);

// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view bytes);
// Canonical standard base64 (with padding) to bytes; false when not canonical.
bool decode_base64(std::string_view text, std::vector<unsigned char>* out);
std::string encode_base64(const unsigned char* bytes, size_t n);
std::string hex(const unsigned char* bytes, size_t n);
// Makes sure libsodium is initialised (idempotent, thread-safe in libsodium).
bool sodium_ready();

}  // namespace release
