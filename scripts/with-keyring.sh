#!/usr/bin/env bash
# Runs a command with private D-Bus session buses, each with a fresh, unlocked gnome-keyring (one
# per test worker), and HOME, XDG_* and TMPDIR pointed at one throwaway folder that is removed
# afterwards, so tests never touch the user's real keychain or config and leave nothing behind.
# Recipe and pitfalls: shared/KEYRING.md.
set -euo pipefail

# Every tool a test runs, so a contributor learns all that is missing at once.
missing=()
for tool in dbus-daemon dbus-send dbus-run-session gnome-keyring-daemon secret-tool pass gpg git openssl; do
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
# is removed however the run ends. Buses of an enclosing run are not this run's to end.
unset "${!CDCREDS_TEST_BUS_@}"
# The keyrings' buses (started below) and their end: each daemon first, waiting for its end, so
# that nothing writes in the folder being removed; then the buses.
bus_pids=()
stop_keyrings() {
  local n pid state
  for n in $(seq "${started_keyrings:-0}"); do
    local address="CDCREDS_TEST_BUS_$n"
    [ -n "${!address:-}" ] || continue
    pid=$(DBUS_SESSION_BUS_ADDRESS=${!address} dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null | sed -n "s/.*uint32 //p") || true
    [ -n "$pid" ] || continue
    # SIGCONT too: a daemon a test stopped (SIGSTOP) would never act on the SIGTERM.
    kill -TERM "$pid" 2>/dev/null && kill -CONT "$pid" 2>/dev/null || continue
    # Gone, or a zombie (whoever adopted it may not reap it at once); else, after 2 s, killed.
    for i in $(seq 101); do
      state=$(sed "s/.*) //" "/proc/$pid/stat" 2>/dev/null | cut -c1) || true
      [ -n "$state" ] && [ "$state" != Z ] || break
      [ "$i" -le 100 ] || kill -KILL "$pid" 2>/dev/null || true
      sleep 0.02
    done
  done
  [ ${#bus_pids[@]} -eq 0 ] || kill "${bus_pids[@]}" 2>/dev/null || true
  bus_pids=()
}
# The tests' status is the run's: with set -e, an rm failing in an EXIT trap would turn a green run
# into exit 1, with every test passed. A process still ending (a keyring daemon losing its bus)
# can add a file while the folder is removed, so it is tried again.
cleanup() {
  local status=$?
  stop_keyrings # already done after a command that ran to its end; here for one interrupted
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

# Test files run side by side, each worker with a keyring of its own: gnome-keyring-daemon 42 can
# crash (status 133, "assertion 'client' failed") when many clients use it at once, and a
# keyring shared by all workers would then fail whatever another file asked of it. Each keyring has
# a bus, a runtime folder and a data folder of its own; test/support/worker-keyring.ts points each
# worker at its bus (CDCREDS_TEST_BUS_<worker>), and vitest.config.ts runs as many workers as there
# are keyrings: one more than the cores, at most 4 (CDCREDS_TEST_KEYRINGS overrides). Keyring 1's
# bus is the command's own session bus (what a command without workers, like the bench, uses).
if [ -z "${CDCREDS_TEST_KEYRINGS:-}" ]; then
  CDCREDS_TEST_KEYRINGS=$(($(nproc 2>/dev/null || echo 1) + 1))
  [ "$CDCREDS_TEST_KEYRINGS" -le 4 ] || CDCREDS_TEST_KEYRINGS=4
fi
case "$CDCREDS_TEST_KEYRINGS" in
  [1-9]) ;;
  *) echo "error: CDCREDS_TEST_KEYRINGS must be a number from 1 to 9, not '$CDCREDS_TEST_KEYRINGS'" >&2; exit 2 ;;
esac
export CDCREDS_TEST_KEYRINGS

# Each bus starts its daemon by D-Bus activation, from a service file of its own: unlocked, with a
# password that only opens this throwaway keyring (an empty one would make the daemon prompt). So
# a daemon that crashed is started again, unlocked, by the next call, which waits for it meanwhile
# (the system's own service file would start it locked). The buses know no other service: nothing
# else (a prompter) is started. Each start is logged; more than one is reported after the run.
start_keyring() {
  local n=$1 dir="$root/keyring-$1" address pid
  mkdir -p "$dir/bus" "$dir/services" "$dir/data" "$dir/runtime"
  chmod 700 "$dir/runtime"
  cat >"$dir/start" <<START
#!/bin/sh
echo "cdcreds test setup: gnome-keyring-daemon $n started" >>"$dir/log"
printf %s cdcreds-throwaway-keyring |
  XDG_DATA_HOME="$dir/data" XDG_RUNTIME_DIR="$dir/runtime" gnome-keyring-daemon --replace --foreground --unlock --components=secrets >/dev/null 2>>"$dir/log"
echo "cdcreds test setup: gnome-keyring-daemon $n ended with status \$?" >>"$dir/log"
START
  chmod 700 "$dir/start"
  printf '[D-BUS Service]\nName=org.freedesktop.secrets\nExec=/bin/sh %s\n' "$dir/start" >"$dir/services/org.freedesktop.secrets.service"
  cat >"$dir/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:dir=$dir/bus</listen>
  <auth>EXTERNAL</auth>
  <servicedir>$dir/services</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  <limit name="max_completed_connections">100000</limit>
  <limit name="max_incomplete_connections">10000</limit>
  <limit name="max_connections_per_user">100000</limit>
  <limit name="max_pending_service_starts">10000</limit>
  <limit name="max_replies_per_connection">50000</limit>
</busconfig>
CONF
  # --fork prints the address, then the pid, and leaves a bus that stop_keyrings ends.
  if ! { read -r address && read -r pid; } < <(dbus-daemon --config-file="$dir/bus.conf" --fork --print-address=1 --print-pid=1 2>>"$root/bus.log"); then
    echo "error: the D-Bus session bus of keyring $n did not start" >&2
    cat "$root/bus.log" >&2
    return 1
  fi
  bus_pids+=("$pid")
  started_keyrings=$n
  export "CDCREDS_TEST_BUS_$n=$address"
  # The first call starts the daemon; the keyring is ready once an entry can be written and read back.
  for _ in $(seq 50); do
    if printf ok | DBUS_SESSION_BUS_ADDRESS=$address secret-tool store --label=probe cdcreds-probe probe 2>/dev/null &&
      [ "$(DBUS_SESSION_BUS_ADDRESS=$address secret-tool lookup cdcreds-probe probe 2>/dev/null)" = ok ]; then
      DBUS_SESSION_BUS_ADDRESS=$address secret-tool clear cdcreds-probe probe
      return 0
    fi
    sleep 0.1
  done
  echo "error: gnome-keyring $n did not start on its private D-Bus session" >&2
  cat "$dir/log" "$root/bus.log" >&2 2>/dev/null || true
  return 1
}

# The folder's path goes into a bus's XML configuration, a service file's Exec line and a script.
case "$root" in
  *[!A-Za-z0-9/._-]*)
    echo "error: the test folder $root (made in TMPDIR) must have letters, digits and / . _ - only in its path: the keyrings' bus configurations name folders in it" >&2
    exit 2
    ;;
esac
status=0
for n in $(seq "$CDCREDS_TEST_KEYRINGS"); do
  start_keyring "$n" || { status=1; break; }
done
if [ "$status" -eq 0 ]; then
  DBUS_SESSION_BUS_ADDRESS=$CDCREDS_TEST_BUS_1 "$@" || status=$?
fi
stop_keyrings
# A daemon started more than once ended during the run: what it printed then, not its warnings of
# no consequence ("already registered"), nor the end of the run (status 0 or 143).
for log in "$root"/keyring-*/log; do
  starts=$(grep -c "^cdcreds test setup: .* started" "$log" 2>/dev/null || true)
  [ "${starts:-0}" -gt 1 ] || continue
  keyring=${log%/log}
  echo "note: test keyring daemon ${keyring##*-} was started $starts times: it ended during the run, and the next call started it again (cdcreds tries again a call it did not answer)" >&2
  grep -E "ended with status|CRITICAL|ERROR" "$log" | grep -vE "ended with status (0|143)$" >&2 || true
done
exit "$status"
