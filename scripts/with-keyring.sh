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
# The tests' status is the run's: with set -e, an rm failing in an EXIT trap would turn a green run
# into exit 1, with every test passed. A process still ending (a keyring daemon losing its bus)
# can add a file while the folder is removed, so it is tried again.
cleanup() {
  local status=$?
  for _ in 1 2 3 4 5; do
    rm -rf "$root" 2>/dev/null && break
    sleep 0.2
  done
  [ ! -e "$root" ] || echo "warning: could not remove $root: a process of the run still writes in it" >&2
  exit "$status"
}
trap cleanup EXIT
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

# Test files run side by side, each worker with a keyring of its own: gnome-keyring-daemon 42
# aborts on an OpenSession from a client that is already gone, which the tests that kill a cdcreds
# process provoke, and a keyring shared by all workers would then fail whatever another file asked
# of it. Keyring 1 is the session's own bus (what a command without workers, like the bench, uses);
# each other one has a bus, a runtime folder and a data folder of its own. test/support/worker-keyring.ts
# points each worker at its keyring (CDCREDS_TEST_BUS_<worker>), and vitest.config.ts runs as many
# workers as there are keyrings: one more than the cores, at most 4 (CDCREDS_TEST_KEYRINGS overrides).
if [ -z "${CDCREDS_TEST_KEYRINGS:-}" ]; then
  CDCREDS_TEST_KEYRINGS=$(($(nproc 2>/dev/null || echo 1) + 1))
  [ "$CDCREDS_TEST_KEYRINGS" -le 4 ] || CDCREDS_TEST_KEYRINGS=4
fi
case "$CDCREDS_TEST_KEYRINGS" in
  [1-9]) ;;
  *) echo "error: CDCREDS_TEST_KEYRINGS must be a number from 1 to 9, not '$CDCREDS_TEST_KEYRINGS'" >&2; exit 2 ;;
esac
export CDCREDS_TEST_KEYRINGS

# The command's stderr is fd 3; the buses and what they start (gcr-prompter's "cannot open
# display", the daemon's "Failed to set fd limit") write to logs, shown only when a daemon had to
# restart. The password only unlocks a throwaway keyring; an empty one would make the daemon
# prompt. Each daemon runs in the foreground under a loop that starts it again, unlocked, should it
# ever end: left to D-Bus activation, a new daemon would come up with the keyring locked, and every
# test after it would fail for that. Each end is logged and reported after the run.
exec 3>&2
status=0
dbus-run-session -- bash -c '
  supervisors=() buses=()
  # keyring <n> <folder>: a supervised, unlocked gnome-keyring on the bus of DBUS_SESSION_BUS_ADDRESS,
  # its keyring in <folder>/data, its control socket in <folder>/runtime.
  keyring() {
    local dir=$2 ready=
    mkdir -p "$dir/data" "$dir/runtime"
    chmod 700 "$dir/runtime"
    (
      export XDG_DATA_HOME="$dir/data" XDG_RUNTIME_DIR="$dir/runtime"
      while :; do
        printf %s cdcreds-throwaway-keyring |
          gnome-keyring-daemon --replace --foreground --unlock --components=secrets >/dev/null 2>>"$dir/log"
        echo "cdcreds test setup: gnome-keyring-daemon $1 ended with status $?; starting it again, unlocked" >>"$dir/log"
        sleep 0.05
      done
    ) 2>>"$dir/log" &
    supervisors+=($!)
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
    if [ -z "$ready" ]; then echo "error: gnome-keyring $1 did not start on its private D-Bus session" >&3; cat "$dir/log" >&3; return 1; fi
    secret-tool clear cdcreds-probe probe
  }
  ok=1
  export CDCREDS_TEST_BUS_1=$DBUS_SESSION_BUS_ADDRESS
  keyring 1 "$XDG_RUNTIME_DIR/keyring-1" || ok=
  for n in $(seq 2 "$CDCREDS_TEST_KEYRINGS"); do
    [ -n "$ok" ] || break
    dir="$XDG_RUNTIME_DIR/keyring-$n"
    mkdir -p "$dir/bus"
    # --fork prints the address, then the pid, and leaves a daemon that this shell ends below.
    { read -r address && read -r bus_pid; } < <(dbus-daemon --session --address="unix:dir=$dir/bus" --fork --print-address=1 --print-pid=1)
    buses+=("$bus_pid")
    export "CDCREDS_TEST_BUS_$n=$address"
    DBUS_SESSION_BUS_ADDRESS=$address keyring "$n" "$dir" || ok=
  done
  status=1
  if [ -n "$ok" ]; then
    status=0
    "$@" 2>&3 || status=$?
  fi
  # The supervisors first, so that no daemon is started again; then each daemon, waiting for its
  # end, so that none still writes in the folder being removed; then the buses.
  kill "${supervisors[@]}" 2>/dev/null
  wait "${supervisors[@]}" 2>/dev/null
  for n in $(seq "$CDCREDS_TEST_KEYRINGS"); do
    bus=CDCREDS_TEST_BUS_$n
    pid=$(DBUS_SESSION_BUS_ADDRESS=${!bus:-} dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null | sed -n "s/.*uint32 //p")
    [ -n "$pid" ] || continue
    kill "$pid" 2>/dev/null
    # Gone, or a zombie (whoever adopted it after its supervisor ended may not reap it at once).
    for _ in $(seq 100); do
      state=$(sed "s/.*) //" "/proc/$pid/stat" 2>/dev/null | cut -c1)
      [ -n "$state" ] && [ "$state" != Z ] || break
      sleep 0.02
    done
  done
  [ ${#buses[@]} -eq 0 ] || kill "${buses[@]}" 2>/dev/null
  # Its own lines only: the daemons also log warnings of no consequence ("already registered").
  if grep -q "^cdcreds test setup:" "$XDG_RUNTIME_DIR"/keyring-*/log 2>/dev/null; then
    echo "note: a test keyring daemon ended during the run, and was started again (cdcreds tries again a call it did not answer):" >&3
    grep -hE "^cdcreds test setup:|CRITICAL|ERROR" "$XDG_RUNTIME_DIR"/keyring-*/log >&3
  fi
  exit "$status"' bash "$@" 2>>"$root/bus.log" || status=$?
exit "$status"
