#!/usr/bin/env bash
# Issue 16, privilege: started as root with process.user, xks-proxy binds, opens its files and then
# runs as that user for good (real, effective, saved and filesystem ids; no supplementary groups);
# it serves, reloads on SIGHUP with what the user may read (and refuses what it may not), and
# stops cleanly. Root without a user is refused before anything is opened unless allow_root is
# set; a non-root start is unchanged. Needs root (CI and the developers' machines run as root).
source "$(dirname "$0")/lib.sh"

if ((EUID != 0)); then
  echo "skip: privilege_test.sh needs root"
  exit 77
fi

TEST_USER="xkspriv$$"
id -u "$TEST_USER" >/dev/null 2>&1 && fail "test user $TEST_USER exists already"
useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$TEST_USER"
priv_cleanup() {
  local rc=$?
  if [[ -n "$PROXY_PID" ]] && kill -0 "$PROXY_PID" 2>/dev/null; then
    kill -TERM "$PROXY_PID" 2>/dev/null || true
    wait "$PROXY_PID" 2>/dev/null || true
  fi
  PROXY_PID=""
  userdel "$TEST_USER" 2>/dev/null || echo "warning: could not remove user $TEST_USER" >&2
  (exit "$rc")
  e2e_cleanup
}
trap priv_cleanup EXIT
TEST_UID="$(id -u "$TEST_USER")"
TEST_GID="$(id -g "$TEST_USER")"

e2e_config_init
e2e_add_tenant acme /acme
xksctl key create acme k1 >/dev/null
A="/acme/kms/xks/v1"
PLAINTEXT="$(printf 'privilege-test-plaintext' | base64 -w0)"

# The user owns the state it reads and writes: config, secrets, tokens, TLS key, audit directory.
give_to_user() { chown -R "$TEST_USER:" "$E2E_DIR"; }

# Root, no user, no allow_root: refused with the fix, before any file is opened or created.
e2e_set_process '{}'
audit_files_before="$(find "$E2E_DIR/audit" -type f | wc -l)"
rc=0
"$XKS_PROXY_BIN" --config "$XKS_CONFIG" --port-file "$E2E_DIR/refused.port" \
  >"$E2E_DIR/refused.log" 2>&1 || rc=$?
((rc == 1)) || fail "root without process.user: exit $rc, expected 1"
grep -q "refusing to run as root: no process.user to switch to" "$E2E_DIR/refused.log" \
  || fail "no refusal message: $(cat "$E2E_DIR/refused.log")"
grep -q '"allow_root": true' "$E2E_DIR/refused.log" || fail "the refusal names no way out"
[[ ! -e "$E2E_DIR/refused.port" ]] || fail "the refused proxy listened"
(($(find "$E2E_DIR/audit" -type f | wc -l) == audit_files_before)) \
  || fail "the refused proxy created audit files as root"
pass "root without process.user is refused before anything is opened"

# A user that does not exist: refused, naming it.
e2e_set_process '{"user": "nosuchxksuser"}'
rc=0
"$XKS_PROXY_BIN" --config "$XKS_CONFIG" >"$E2E_DIR/nouser.log" 2>&1 || rc=$?
((rc == 1)) && grep -q "no such user: nosuchxksuser" "$E2E_DIR/nouser.log" \
  || fail "unknown process.user: exit $rc, log: $(cat "$E2E_DIR/nouser.log")"
pass "an unknown process.user is refused"

# Root with process.user: runs as the user once listening.
e2e_set_process "{\"user\": \"$TEST_USER\"}"
give_to_user
e2e_start_proxy
for _ in $(seq 1 100); do
  grep -q "running as user $TEST_USER" "$E2E_DIR/proxy.log" && break
  sleep 0.05
done
grep -q "running as user $TEST_USER (uid $TEST_UID, gid $TEST_GID)" "$E2E_DIR/proxy.log" \
  || fail "no 'running as user' line in the log"
status="/proc/$PROXY_PID/status"
read -r -a uids <<<"$(awk '/^Uid:/ {print $2, $3, $4, $5}' "$status")"
read -r -a gids <<<"$(awk '/^Gid:/ {print $2, $3, $4, $5}' "$status")"
groups="$(awk '/^Groups:/ {$1 = ""; print $0}' "$status" | xargs)"
for id in "${uids[@]}"; do [[ "$id" == "$TEST_UID" ]] || fail "Uid: ${uids[*]}, want $TEST_UID"; done
for id in "${gids[@]}"; do [[ "$id" == "$TEST_GID" ]] || fail "Gid: ${gids[*]}, want $TEST_GID"; done
((${#uids[@]} == 4 && ${#gids[@]} == 4)) || fail "unreadable $status"
[[ "$groups" == "$TEST_GID" ]] || fail "supplementary groups: '$groups', want only $TEST_GID"
[[ "$(awk '/^CapEff:/ {print $2}' "$status")" == 0000000000000000 ]] \
  || fail "capabilities left: $(grep ^Cap "$status")"
pass "the proxy runs as $TEST_USER (uid, gid, groups, no capabilities)"

enc="$(xks_call "$ACME_AKID" "$ACME_SECRET" "$A/keys/k1/encrypt" "$(encrypt_body "$PLAINTEXT")")"
expect_status "$enc" 200
dec="$(xks_call "$ACME_AKID" "$ACME_SECRET" "$A/keys/k1/decrypt" \
  "$(decrypt_body_from "$(body_of "$enc")")")"
expect_status "$dec" 200
[[ "$(body_of "$dec" | jq -r .plaintext)" == "$PLAINTEXT" ]] || fail "decrypt: $dec"
pass "after the switch it serves encrypt and decrypt"

# Reloads after the switch: a new credential whose secret file root owns cannot be read by the
# user, so the reload xksctl asks for through the admin socket is refused (xksctl says so, exit 1)
# and the old credentials keep working; once the user owns the file, a SIGHUP applies it.
rc=0
"$XKSCTL_BIN" --config "$XKS_CONFIG" --json credential new acme --out-dir "$E2E_DIR/secrets" \
  >"$E2E_DIR/cred.out" 2>"$E2E_DIR/cred.err" || rc=$?
((rc == 1)) && grep -q "refused to apply" "$E2E_DIR/cred.err" \
  || fail "the refused reload was not reported (exit $rc): $(cat "$E2E_DIR/cred.err")"
grep -q "reload refused" "$E2E_DIR/proxy.log" || fail "a root-only secret file was read after the switch"
NEW_AKID="$(jq -r '.tenants[] | select(.name == "acme") | .credentials[-1].access_key_id' "$XKS_CONFIG")"
NEW_SECRET="$(cat "$(jq -r '.tenants[] | select(.name == "acme") | .credentials[-1].secret.file' "$XKS_CONFIG")")"
expect_status "$(xks_call "$ACME_AKID" "$ACME_SECRET" "$A/health" "$(health_body)")" 200
give_to_user
e2e_reload
grep -q "configuration reloaded" "$E2E_DIR/proxy.log" || fail "reload as $TEST_USER did not apply"
expect_status "$(xks_call "$NEW_AKID" "$NEW_SECRET" "$A/keys/k1/encrypt" \
  "$(encrypt_body "$PLAINTEXT")")" 200
pass "SIGHUP reload after the switch reads the user's files (and only those)"

e2e_stop_proxy
[[ ! -e "$E2E_DIR/proxy.pid" ]] || fail "the pid file was not removed at exit"
pass "SIGTERM after the switch: clean exit 0"

# Root with allow_root and no user: runs as root (the e2e tests' setting), with a warning.
e2e_set_process '{"allow_root": true}'
: >"$E2E_DIR/proxy.log"
e2e_start_proxy
[[ "$(awk '/^Uid:/ {print $3}' "/proc/$PROXY_PID/status")" == 0 ]] || fail "allow_root: not root"
grep -q "running as root (process.allow_root is true)" "$E2E_DIR/proxy.log" \
  || fail "no warning about running as root"
e2e_stop_proxy
pass "allow_root runs on as root, with a warning"

# Not root: unchanged, whatever "process" says (no switch, no refusal).
e2e_set_process '{}'
give_to_user
rm -f "$E2E_DIR/proxy.port"
setpriv --reuid="$TEST_UID" --regid="$TEST_GID" --clear-groups \
  "$XKS_PROXY_BIN" --config "$XKS_CONFIG" --port-file "$E2E_DIR/proxy.port" \
  --pid-file "$E2E_DIR/proxy.pid" >>"$E2E_DIR/proxy.log" 2>&1 &
PROXY_PID=$!
for _ in $(seq 1 200); do
  [[ -s "$E2E_DIR/proxy.port" ]] && break
  kill -0 "$PROXY_PID" 2>/dev/null || fail "xks-proxy started as $TEST_USER exited"
  sleep 0.05
done
PORT="$(cat "$E2E_DIR/proxy.port")"
ENDPOINT="https://127.0.0.1:$PORT"
expect_status "$(xks_call "$ACME_AKID" "$ACME_SECRET" "$A/keys/k1/encrypt" \
  "$(encrypt_body "$PLAINTEXT")")" 200
e2e_stop_proxy
pass "a non-root start is unchanged"
