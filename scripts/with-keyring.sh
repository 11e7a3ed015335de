#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with a fresh, unlocked gnome-keyring, with HOME,
# XDG_* and TMPDIR pointed at one throwaway folder that is removed afterwards, so tests never touch
# the user's real keychain or config and leave nothing behind. Recipe and pitfalls: shared/KEYRING.md.
set -euo pipefail

# Every tool a test runs, so a contributor learns all that is missing at once.
missing=()
for tool in dbus-run-session gnome-keyring-daemon secret-tool pass gpg git openssl; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
/usr/bin/python3 -c 'import keyring' 2>/dev/null || missing+=("python3-keyring")
if [ ${#missing[@]} -gt 0 ]; then
  echo "error: missing for the keychain and pass tests: ${missing[*]}" >&2
  echo "hint: apt-get install -y --no-install-recommends gnome-keyring dbus libsecret-tools python3-keyring openssl pass git" >&2
  exit 1
fi
# Only the network-namespace test needs these (and root); it skips, saying why, without them.
for tool in ip unshare; do
  command -v "$tool" >/dev/null 2>&1 || echo "note: '$tool' not found: the network-namespace test will be skipped (apt-get install iproute2 util-linux)" >&2
done

root=$(mktemp -d "${TMPDIR:-/tmp}/cdcreds-test.XXXXXX")
# Not `exec` below: this shell stays, so the folder (a keyring whose password is known, test keys)
# is removed however the run ends.
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/home" "$root/runtime" "$root/data" "$root/config" "$root/cache" "$root/state" "$root/tmp"
chmod 700 "$root/runtime"
export HOME="$root/home" XDG_RUNTIME_DIR="$root/runtime" XDG_DATA_HOME="$root/data" \
  XDG_CONFIG_HOME="$root/config" XDG_CACHE_HOME="$root/cache" XDG_STATE_HOME="$root/state" TMPDIR="$root/tmp"
# NODE_EXTRA_CA_CERTS: a test that needs an extra root names its own. A machine-wide bundle there
# (~140 roots) is parsed by every Node start: ~60 ms of CPU each on 2 cores, ~1,300 starts a run.
unset NODE_EXTRA_CA_CERTS
unset DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY CDCREDS_ENV CDCREDS_AUTH_URL CDCREDS_STORE CDCREDS_KIND CDCREDS_API_URL \
  CDCREDS_LOGIN CDCREDS_PASSPHRASE CDCREDS_KEY_FILE CREDENTIALS_DIRECTORY CDISCOUNT_API_LOGIN CDISCOUNT_API_PASSWORD \
  OCTOPIA_CLIENT_ID OCTOPIA_CLIENT_SECRET OCTOPIA_SELLER_ID

# The command's stderr is fd 3; the bus and what it starts (gcr-prompter's "cannot open display",
# the daemon's "Failed to set fd limit") write to a log, shown only when the daemon had to restart.
exec 3>&2
# The password only unlocks this throwaway keyring; an empty one would make the daemon prompt.
# The daemon runs in the foreground under a loop that starts it again, unlocked, should it ever
# end: left to D-Bus activation, a new daemon would come up with the keyring locked, and every
# test after it would fail for that. Each end is logged and reported after the run.
status=0
dbus-run-session -- bash -c '
  log="$XDG_RUNTIME_DIR/gnome-keyring.log"
  (
    while :; do
      printf %s cdcreds-throwaway-keyring |
        gnome-keyring-daemon --replace --foreground --unlock --components=secrets >/dev/null 2>>"$log"
      echo "cdcreds test setup: gnome-keyring-daemon ended with status $?; starting it again, unlocked" >>"$log"
      sleep 0.05
    done
  ) 2>>"$log" &
  supervisor=$!
  # Wait for the daemon to own its bus name (NameHasOwner activates nothing), then for it to answer.
  owned() {
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true"
  }
  for _ in $(seq 100); do owned && break; sleep 0.05; done
  for _ in $(seq 50); do
    if printf ok | secret-tool store --label=probe cdcreds-probe probe 2>/dev/null &&
      [ "$(secret-tool lookup cdcreds-probe probe 2>/dev/null)" = ok ]; then ready=1; break; fi
    sleep 0.1
  done
  if [ -z "${ready:-}" ]; then echo "error: gnome-keyring did not start on the private D-Bus session" >&3; cat "$log" >&3; exit 1; fi
  secret-tool clear cdcreds-probe probe
  status=0
  "$@" 2>&3 || status=$?
  kill "$supervisor" 2>/dev/null
  if grep -q "^cdcreds test setup:" "$log"; then
    echo "warning: the test keyring daemon ended during the run (tests running then may have failed for it); its log:" >&3
    grep -v "Failed to set fd limit" "$log" >&3
  fi
  exit "$status"' bash "$@" 2>>"$root/bus.log" || status=$?
exit "$status"
