#!/usr/bin/env bash
# One audit chain per instance (issue 17): xksctl reaches the running proxy through its admin
# socket (audit.admin_socket, 0600) to reload, to record its administrative events in the proxy's
# own chain and to read live status; with no proxy running it writes the same chain itself under
# the chain's lock. A second proxy on the same audit directory is refused. In the end one
# verification of the one chain holds everything: the proxy's records and xksctl's events.
source "$(dirname "$0")/lib.sh"

# xksctl without --pid-file: everything it tells the proxy goes through the socket.
ctl() { "$XKSCTL_BIN" --config "$XKS_CONFIG" "$@"; }
SOCKET="$E2E_DIR/audit/admin.sock"
admin_records() {  # admin_records OPERATION → how many admin records of that operation
  cat "$E2E_DIR"/audit/audit-*.jsonl | jq -c --arg op "$1" 'select(.type == "admin" and .operation == $op)' | wc -l
}

e2e_config_init
e2e_add_tenant alpha /alpha
xksctl key create alpha k1 >/dev/null
e2e_start_proxy
[[ -S "$SOCKET" ]] || fail "no admin socket at $SOCKET"
mode="$(stat -c %a "$SOCKET")"
[[ "$mode" == 600 ]] || fail "admin socket mode $mode (expected 600)"
pass "the proxy listens on its admin socket, mode 0600"

status="$(ctl --json status)"
jq -e --arg pid "$PROXY_PID" '.status.pid == ($pid | tonumber) and .status.tenants == ["alpha"]
      and .status.audit.healthy == true and .status.audit.lastSeq > 0' <<<"$status" >/dev/null \
  || fail "status: $status"
pass "xksctl status reads the live status: $(jq -c '.status | {pid, tenants, tokens}' <<<"$status")"

# A change while the proxy runs: applied through the socket (no pid file, no signal), recorded
# by the proxy's reload.
encrypt_ok() { expect_status "$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" /alpha/kms/xks/v1/keys/$1/encrypt "$(encrypt_body "$(printf 'admin socket test' | base64)")")" 200; }
out="$(ctl --json key create alpha k2)"
jq -e '.reload.reloaded == true and .reload.via == "admin socket"' <<<"$out" >/dev/null \
  || fail "key create did not reload through the socket: $out"
encrypt_ok k2
pass "a change made while the proxy runs is applied through the socket at once"

# xksctl's own event (a key shred) goes into the proxy's chain through the socket.
out="$(ctl --json key shred alpha k2 --yes-destroy k2 --certificate "$E2E_DIR/k2-erasure.json")"
jq -e '.certificate_body.audit_event.recorded == true and .certificate_body.audit_event.via == "proxy"' <<<"$out" >/dev/null \
  || fail "the shred event did not go through the proxy: $(jq -c .certificate_body.audit_event <<<"$out")"
(($(admin_records key.shred) == 1)) || fail "no key.shred record in the proxy's chain"
compgen -G "$E2E_DIR/audit/xksctl-*.jsonl" >/dev/null && fail "xksctl wrote a chain of its own"
pass "xksctl's shred event is in the proxy's own chain (no second chain)"

# A second proxy on the same audit directory must not fork the chain.
rc=0
"$XKS_PROXY_BIN" --config "$XKS_CONFIG" >"$E2E_DIR/second.log" 2>&1 || rc=$?
((rc != 0)) || fail "a second proxy on the same audit directory started"
grep -q "being written by another process (pid $PROXY_PID)" "$E2E_DIR/second.log" \
  || fail "the second proxy's refusal does not name the holder: $(cat "$E2E_DIR/second.log")"
pass "a second proxy on the same audit directory is refused, naming the first one's pid"

# A peer that is neither root nor the proxy's user is refused even if the file mode is opened up.
if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
  chmod 666 "$SOCKET"
  chmod o+x "$E2E_DIR" "$E2E_DIR/audit"
  # The proxy answers a refused peer at once, before reading; a send error is expected then.
  peer_py='import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
try:
    s.sendall(b"{\"op\":\"status\"}\n")
except BrokenPipeError:
    pass
print(s.makefile().readline().strip())'
  answer="$(setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 -c "$peer_py" "$SOCKET")"
  chmod 600 "$SOCKET"
  chmod o-x "$E2E_DIR" "$E2E_DIR/audit"
  jq -e '.ok == false and (.error | test("permission denied"))' <<<"$answer" >/dev/null \
    || fail "another user was not refused: $answer"
  pass "the peer's credentials are checked: another user is refused"
fi

e2e_stop_proxy
[[ ! -e "$SOCKET" ]] || fail "the socket was left behind after a clean stop"

# No proxy: xksctl records the change in the same chain itself, under the chain's lock.
out="$(ctl --json key create alpha k3)"
jq -e '.reload.audit.recorded == true and .reload.audit.via == "xksctl" and .reload.audit.events >= 1' \
  <<<"$out" >/dev/null || fail "offline change not recorded: $(jq -c .reload <<<"$out")"
(($(admin_records key.add) >= 2)) || fail "the offline key.add is not in the chain"
pass "with no proxy running, xksctl writes the change into the same chain"

# The proxy continues the chain xksctl extended; one verification covers everything.
e2e_start_proxy
encrypt_ok k3
e2e_stop_proxy
xksctl audit public-key --key-file "$AUDIT_KEY" > "$E2E_DIR/audit-public.pem"
report="$(xksctl --json audit verify --public-key "$E2E_DIR/audit-public.pem" "$E2E_DIR"/audit/audit-*.jsonl)" \
  || fail "the one chain does not verify: $report"
pass "one chain, one verification: $(jq -c '{records, signedThrough}' <<<"$report")"
