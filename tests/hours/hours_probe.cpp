// hours-probe: what Sportello answers for OSM opening_hours values, for the differential test
// against the reference implementation (compare.js). Reads one value per line, evaluates each
// with sportello-admin's evaluator (kiosk/hours, KOpeningHours) over the window, and answers
// with the kiosk's own lookup (content::open_state) at every moment given. One JSON line per
// value on stdout:
//   {"v": value, "ok": false, "error": "..."}
//   {"v": value, "ok": true, "iv": [[from, to, unknown, comment], ...],
//    "at": [[moment, state, change], ...]}     state: "open" | "unknown" | "closed" | "none"
// Times are UTC seconds; change is -1 when the kiosk announces none (two weeks, or the window).
//
// usage: hours-probe --from YYYY-MM-DD --days N --values FILE --moments FILE
#include "content/content.h"
#include "hours/hours.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

static int usage() {
    std::fprintf(stderr, "usage: hours-probe --from YYYY-MM-DD --days N --values FILE --moments FILE\n");
    return 2;
}

int main(int argc, char** argv) {
    std::string from_date, values_path, moments_path;
    int days = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "--from") from_date = argv[i + 1];
        else if (a == "--days") days = std::atoi(argv[i + 1]);
        else if (a == "--values") values_path = argv[i + 1];
        else if (a == "--moments") moments_path = argv[i + 1];
        else return usage();
    }
    int64_t from = 0, to = 0;
    if (days <= 0 || !hours::local_midnight(from_date, 0, &from) || !hours::local_midnight(from_date, days, &to)) return usage();
    std::ifstream values(values_path), moments_in(moments_path);
    if (!values || !moments_in) return usage();
    std::vector<int64_t> moments;
    for (int64_t m; moments_in >> m;) moments.push_back(m);
    std::string value;
    while (std::getline(values, value)) {
        if (value.empty()) continue;
        nlohmann::json out;
        out["v"] = value;
        content::HoursTable t;
        std::string err;
        if (!hours::evaluate(value, from, to, {}, &t, &err)) {
            out["ok"] = false;
            out["error"] = err;
        } else {
            out["ok"] = true;
            nlohmann::json iv = nlohmann::json::array();
            for (const content::OpenInterval& x : t.intervals) iv.push_back({x.from, x.to, x.unknown, x.comment});
            out["iv"] = iv;
            nlohmann::json at = nlohmann::json::array();
            for (int64_t m : moments) {
                content::OpenState s = content::open_state(t, double(m) * 1000.0);
                const char* state = !s.known ? "none" : s.unknown ? "unknown" : s.open ? "open" : "closed";
                at.push_back({m, state, s.change_known ? int64_t(s.change_at / 1000.0) : int64_t(-1)});
            }
            out["at"] = at;
        }
        std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    }
    return 0;
}
