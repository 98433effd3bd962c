#!/bin/sh
# The differential test of opening hours: every opening_hours value of the OSM extracts in
# tests/data/osm, the categories of values.txt and the examples of the reference's own README,
# evaluated by Sportello (hours-probe) and by the reference implementation (opening_hours.js,
# installed here with npm ci from the pinned lock file), compared over a window of 14 months and at
# every moment compare.js lists, in Europe/Rome with Italian public holidays. Fails on any wrong
# answer, and when npm ci fails.
# usage: differential.sh HOURS_PROBE TESTS_HOURS_DIR OSM_DIR
set -u
probe=$1 here=$2 osm=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sportello-hours-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
export TZ=Europe/Rome
from=2026-11-01 days=425

command -v node > /dev/null || fail "node is not installed (Debian package nodejs)"
command -v npm > /dev/null || fail "npm is not installed (Debian package npm)"
command -v osmium > /dev/null || fail "osmium is not installed (Debian package osmium-tool)"
cp "$here/package.json" "$here/package-lock.json" "$here/compare.js" "$here/reference-bugs.txt" "$tmp/"
(cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund > npm.log 2>&1) ||
  fail "npm ci could not install the reference (opening_hours.js) from the npm registry: $(tail -5 "$tmp/npm.log")"

for f in "$osm"/*.osm.pbf; do
  osmium cat -f opl "$f" || fail "osmium cat $f"
done > "$tmp/all.opl"
(cd "$tmp" && node compare.js extract < all.opl > osm-values.txt) || fail "extracting the values"
n_osm=$(wc -l < "$tmp/osm-values.txt")
[ "$n_osm" -ge 50 ] || fail "only $n_osm opening_hours values in the extracts"
(cd "$tmp" && node compare.js examples > examples.txt) || fail "reading the reference's examples"
n_examples=$(wc -l < "$tmp/examples.txt")
[ "$n_examples" -ge 50 ] || fail "only $n_examples examples in the reference's README"
cat "$tmp/osm-values.txt" "$here/values.txt" "$tmp/examples.txt" | awk '!seen[$0]++' > "$tmp/values.txt"
(cd "$tmp" && node compare.js moments $from $days > moments.txt) || fail "listing the moments"

"$probe" --from $from --days $days --values "$tmp/values.txt" --moments "$tmp/moments.txt" > "$tmp/ours.jsonl" ||
  fail "hours-probe"
echo "values: $n_osm from the OSM extracts, $(wc -l < "$here/values.txt") of the categories, $n_examples of the reference's README; moments: $(wc -l < "$tmp/moments.txt")"
(cd "$tmp" && node compare.js compare $from $days ours.jsonl)
