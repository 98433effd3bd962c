#!/bin/sh
# e2e: the real sportello-admin binary signs a release and checks it as a kiosk would: keygen
# (unsealed and sealed), release with two keys, verify (threshold, rotation), and refusals after
# a flipped byte of the target, a changed manifest, a wrong passphrase, a key others may read.
# usage: admin_release_cli.sh SPORTELLO_ADMIN CONTENT_FIXTURES_DIR
set -u
admin=$1 fixtures=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sportello-release-e2e-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
unset SPORTELLO_KEY_PASSPHRASE

"$admin" build --content "$fixtures/good" --locales "$fixtures/locales" --out "$tmp/p.pack" > /dev/null 2>&1 || fail "build"

# Keys: one for tests, one sealed with a passphrase read from stdin (not a terminal here).
"$admin" keygen --out "$tmp/k1" --no-passphrase > "$tmp/out" || fail "keygen --no-passphrase"
grep -q "^key id:     [0-9a-f]\{16\}$" "$tmp/out" || fail "keygen prints the key id: $(cat "$tmp/out")"
grep -q "^public key: $(cat "$tmp/k1/release.pub")$" "$tmp/out" || fail "keygen prints the public key"
echo "s3cret words" | "$admin" keygen --out "$tmp/k2" > /dev/null || fail "sealed keygen"
[ "$(stat -c %a "$tmp/k2/release.key")" = 600 ] || fail "release.key mode $(stat -c %a "$tmp/k2/release.key")"
grep -q argon2id13 "$tmp/k2/release.key" || fail "the sealed key names its kdf"
"$admin" keygen --out "$tmp/k3" --no-passphrase > /dev/null || fail "third key"
"$admin" keygen --out "$tmp/k1" --no-passphrase > /dev/null 2>&1
[ $? -eq 1 ] || fail "keygen must refuse to overwrite a key"
"$admin" keygen > /dev/null 2>&1
[ $? -eq 2 ] || fail "keygen without --out is exit 2"

# A release signed by both keys; the passphrase of the sealed one from the environment.
SPORTELLO_KEY_PASSPHRASE="s3cret words" "$admin" release --pack "$tmp/p.pack" --key "$tmp/k1/release.key" \
    --key "$tmp/k2/release.key" --out "$tmp/rel" --expires-days 30 > "$tmp/out" 2> "$tmp/err" || fail "release: $(cat "$tmp/err")"
grep -q "content version 7" "$tmp/out" || fail "release summary: $(cat "$tmp/out")"
sha=$(sha256sum "$tmp/p.pack" | cut -d' ' -f1)
[ -f "$tmp/rel/targets/$sha" ] || fail "target named by its hash"
cmp -s "$tmp/p.pack" "$tmp/rel/targets/$sha" || fail "target bytes"
[ -f "$tmp/rel/manifest.json" ] || fail "manifest.json"
ls "$tmp/rel/targets" | grep -q tmp && fail "temporary file left behind"

"$admin" verify --release "$tmp/rel" --trust "$tmp/k1/release.pub" --trust "$tmp/k2/release.pub" --threshold 2 > "$tmp/out" \
    || fail "verify 2 of 2: $(cat "$tmp/out")"
grep -q "^valid: content version 7" "$tmp/out" || fail "verify output: $(cat "$tmp/out")"
"$admin" verify --release "$tmp/rel" --trust "$tmp/k2/release.pub" > /dev/null || fail "verify by the second key alone"
"$admin" verify --release "$tmp/rel" --trust "$tmp/k3/release.pub" > "$tmp/out"
[ $? -eq 1 ] || fail "an untrusted signer must be exit 1"
grep -q "^refused (unknown_key)" "$tmp/out" || fail "unknown key: $(cat "$tmp/out")"
"$admin" verify --release "$tmp/rel" --trust "$tmp/k1/release.pub" --trust "$tmp/k3/release.pub" --threshold 2 > "$tmp/out"
grep -q "^refused (too_few_signatures)" "$tmp/out" || fail "too few: $(cat "$tmp/out")"
"$admin" verify --release "$tmp/rel" --trust "$tmp/k1/release.pub" --min-version 7 > "$tmp/out"
grep -q "^refused (rollback)" "$tmp/out" || fail "rollback: $(cat "$tmp/out")"

# Refusals: an existing release directory, a wrong passphrase, a key others may read.
"$admin" release --pack "$tmp/p.pack" --key "$tmp/k1/release.key" --out "$tmp/rel" > /dev/null 2>&1
[ $? -eq 1 ] || fail "release must refuse a non-empty --out"
echo "wrong words" | "$admin" release --pack "$tmp/p.pack" --key "$tmp/k2/release.key" --out "$tmp/rel2" > /dev/null 2> "$tmp/err"
[ $? -eq 1 ] || fail "wrong passphrase must be exit 1"
grep -q "wrong passphrase" "$tmp/err" || fail "wrong passphrase message: $(cat "$tmp/err")"
chmod 640 "$tmp/k1/release.key"
"$admin" release --pack "$tmp/p.pack" --key "$tmp/k1/release.key" --out "$tmp/rel3" > /dev/null 2> "$tmp/err"
[ $? -eq 1 ] || fail "a group-readable key must be refused"
chmod 600 "$tmp/k1/release.key"
echo "not a pack" > "$tmp/junk.pack"
"$admin" release --pack "$tmp/junk.pack" --key "$tmp/k1/release.key" --out "$tmp/rel4" > /dev/null 2>&1
[ $? -eq 1 ] || fail "a file that is not a pack must be refused"
[ -e "$tmp/rel4" ] && fail "a refused release left $tmp/rel4 behind"
mkdir "$tmp/rel5"
"$admin" release --pack "$tmp/junk.pack" --key "$tmp/k1/release.key" --out "$tmp/rel5" > /dev/null 2>&1
[ -d "$tmp/rel5" ] && [ -z "$(ls -A "$tmp/rel5")" ] || fail "a refused release into an empty directory must leave it empty"

# One flipped byte in the target: refused; a changed manifest: refused as tampered.
cp -r "$tmp/rel" "$tmp/flip"
printf 'X' | dd of="$tmp/flip/targets/$sha" bs=1 seek=5000 conv=notrunc 2> /dev/null
"$admin" verify --release "$tmp/flip" --trust "$tmp/k1/release.pub" > "$tmp/out"
[ $? -eq 1 ] || fail "a flipped byte must be exit 1"
grep -q "^refused (target): content.pack: SHA-256" "$tmp/out" || fail "flipped byte: $(cat "$tmp/out")"
cp -r "$tmp/rel" "$tmp/edit"
sed -i 's/content_version\\":7/content_version\\":8/' "$tmp/edit/manifest.json"
grep -q 'content_version\\":8' "$tmp/edit/manifest.json" || fail "the test could not edit the manifest"
"$admin" verify --release "$tmp/edit" --trust "$tmp/k1/release.pub" > "$tmp/out"
grep -q "^refused (bad_signature)" "$tmp/out" || fail "edited manifest: $(cat "$tmp/out")"
echo "ok"
