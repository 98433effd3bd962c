#!/bin/sh
# e2e: the real sportello-admin binary. Exit codes 0/1/2, errors as path:line on stderr, no
# pack after a failed build, identical bytes for two builds.
# usage: admin_cli.sh SPORTELLO_ADMIN FIXTURES_DIR
set -u
admin=$1 fixtures=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sportello-admin-e2e-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$admin" build --content "$fixtures/good" --locales "$fixtures/locales" --out "$tmp/a.pack" --hours-from 2026-11-01 > "$tmp/out" 2> "$tmp/err"
[ $? -eq 0 ] || fail "good build exit code (stderr: $(cat "$tmp/err"))"
grep -q "2 procedures, 8 texts, 2 offices, 4 UI strings" "$tmp/out" || fail "summary line: $(cat "$tmp/out")"
grep -q "^warning: .*/permit-renewal/ar.md:5: translated from revision 1" "$tmp/err" || fail "outdated warning: $(cat "$tmp/err")"
"$admin" build --content "$fixtures/good" --locales "$fixtures/locales" --out "$tmp/b.pack" --hours-from 2026-11-01 > /dev/null 2>&1 || fail "second build"
cmp -s "$tmp/a.pack" "$tmp/b.pack" || fail "two builds differ"

cp -r "$fixtures/good" "$tmp/bad"
sed -i 's/^status: machine$/status: machin/' "$tmp/bad/procedures/permit-renewal/ar.md"
"$admin" build --content "$tmp/bad" --locales "$fixtures/locales" --out "$tmp/bad.pack" > /dev/null 2> "$tmp/err"
[ $? -eq 1 ] || fail "bad build exit code"
expected="$tmp/bad/procedures/permit-renewal/ar.md:4: unknown status \"machin\" (expected source, reviewed or machine)"
[ "$(sed -n 1p "$tmp/err")" = "$expected" ] || fail "error line: $(cat "$tmp/err")"
[ "$(sed -n 2p "$tmp/err")" = "sportello-admin: 1 error, no pack written" ] || fail "summary: $(cat "$tmp/err")"
[ ! -e "$tmp/bad.pack" ] || fail "a pack was written by a failed build"
ls "$tmp" | grep -q 'bad.pack.tmp' && fail "temporary file left behind"

"$admin" build --content "$fixtures/good" > /dev/null 2>&1
[ $? -eq 2 ] || fail "missing --out must be exit 2"
"$admin" build --content "$fixtures/good" --out "$tmp/c.pack" --hours-from 2026-13-01 > /dev/null 2>&1
[ $? -eq 2 ] || fail "a bad --hours-from must be exit 2"
# An opening_hours value KOpeningHours refuses fails the build at its file:line.
cp -r "$fixtures/good" "$tmp/badhours"
sed -i 's/^hours: Mo-Fr 08:30-12:30; PH off$/hours: Mo-Fr 08:30-12:30; PH of/' "$tmp/badhours/services/entrate-test.txt"
"$admin" build --content "$tmp/badhours" --out "$tmp/bh.pack" > /dev/null 2> "$tmp/err"
[ $? -eq 1 ] || fail "bad hours exit code"
grep -q "^$tmp/badhours/services/entrate-test.txt:6: bad opening hours \"Mo-Fr 08:30-12:30; PH of\": not valid OpenStreetMap opening_hours syntax\$" "$tmp/err" || fail "bad hours message: $(cat "$tmp/err")"
"$admin" frobnicate > /dev/null 2>&1
[ $? -eq 2 ] || fail "unknown command must be exit 2"
"$admin" --help | grep -q "usage: sportello-admin build" || fail "--help"
echo "ok"
