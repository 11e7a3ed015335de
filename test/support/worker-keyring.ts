// Points this test file's worker at a keyring of its own (scripts/with-keyring.sh starts one per
// worker): gnome-keyring-daemon 42 can crash when many clients use it at once, and other files
// would fail for it if they shared the daemon.
const worker = process.env.VITEST_POOL_ID;
const keyrings = process.env.CDCREDS_TEST_KEYRINGS;
if (worker !== undefined && keyrings !== undefined) {
  const bus = process.env[`CDCREDS_TEST_BUS_${worker}`];
  if (bus === undefined) {
    throw new Error(`test worker ${worker} has no keyring: scripts/with-keyring.sh started ${keyrings}; run at most that many workers`);
  }
  process.env.DBUS_SESSION_BUS_ADDRESS = bus;
}
