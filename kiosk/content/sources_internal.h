// The compiler's view of content/ sources: read and validated by sources.cpp, written to a
// pack by compile.cpp. Internal to kiosk/content.
#pragma once

#include "content_internal.h"

#include <map>

namespace content {

struct SrcText {
    std::string lang, path, title, summary;
    Status status = Status::Source;
    int revision = 0;                       // it.md only
    int source_revision = 0;                // translations only
    int revision_line = 0;
    std::vector<Section> sections;
};

struct SrcProcedure {
    std::string id, topic, last_reviewed;
    int order = 0;
    std::vector<std::string> offices;
    std::vector<SrcText> texts;             // in kLanguages order, Italian first
};

struct SrcService {
    std::string id;
    std::map<std::string, std::string> fields;   // name, kind, address, hours, ...
    double lat = 0, lon = 0;
    std::string path;                            // for diagnostics of the hours, found at build
    int hours_line = 0;
};

struct SrcServiceTexts {
    std::string lang;
    Status status = Status::Reviewed;
    std::map<std::string, std::pair<std::string, std::string>> by_id;   // id -> notes, accessibility
};

struct Sources {
    int content_version = 0;
    std::string expires, timezone = "Europe/Rome";
    std::vector<std::string> extra_holidays;
    std::vector<std::pair<std::string, std::string>> mediator_days;   // desk -> "Tu,Th"
    std::vector<std::string> topics;
    std::vector<SrcProcedure> procedures;   // sorted by id
    std::vector<SrcService> services;       // sorted by id
    std::vector<SrcServiceTexts> service_texts;
    std::vector<Diagnostic> warnings;       // not errors: outdated translations, no English text
};

// Reads and validates content_dir; every problem is appended to *errors.
Sources read_sources(const std::string& content_dir, std::vector<Diagnostic>* errors);

}  // namespace content
