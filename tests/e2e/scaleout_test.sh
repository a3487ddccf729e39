#!/usr/bin/env bash
# Scale-out (issue 17, "Beyond one machine"): two xks-proxy instances with the same tenants and
# the same HSM tokens behind HAProxy (config/haproxy/xks-proxy.cfg, used unchanged) on loopback.
# One instance is killed (SIGKILL) under load: only the requests in flight on it fail, the other
# keeps serving every request, and the audit chains of both instances verify together, each with
# its own coverage. The killed instance is restarted once, which signs the records its crash left
# unsigned (as a real operator's restart would).
source "$(dirname "$0")/lib.sh"
: "${XKS_LOADGEN_BIN:?}"
command -v haproxy >/dev/null || fail "haproxy is not installed (tools/install-deps.sh installs it)"

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

e2e_config_init
e2e_add_tenant alpha /alpha
e2e_add_tenant beta /beta
xksctl key create alpha k1 >/dev/null
xksctl key create beta k1 >/dev/null

# Instance B: the same configuration (tenants, tokens, credentials, signing key) with its own
# audit directory and instance id, as docs/scale-out.md prescribes.
CONFIG_B="$E2E_DIR/config-b.json"
jq --arg dir "$E2E_DIR/audit-b" '.audit.directory = $dir | .audit.instance_id = "e2e-b"' \
  "$XKS_CONFIG" > "$CONFIG_B"
mkdir -p "$E2E_DIR/audit-b"

e2e_start_proxy
PORT_A="$PORT"
start_b() {
  rm -f "$E2E_DIR/proxy-b.port"
  "$XKS_PROXY_BIN" --config "$CONFIG_B" --port-file "$E2E_DIR/proxy-b.port" \
    --pid-file "$E2E_DIR/proxy-b.pid" >>"$E2E_DIR/proxy-b.log" 2>&1 &
  PID_B=$!
  for _ in $(seq 1 200); do
    [[ -s "$E2E_DIR/proxy-b.port" ]] && return 0
    kill -0 "$PID_B" 2>/dev/null || fail "instance B exited during start"
    sleep 0.05
  done
  fail "instance B did not start listening"
}
start_b
PORT_B="$(cat "$E2E_DIR/proxy-b.port")"
cleanup_b() { [[ -n "${PID_B:-}" ]] && kill -KILL "$PID_B" 2>/dev/null || true; }

LB_PORT="$(free_port)"
XKS_LB_BIND="127.0.0.1:$LB_PORT" XKS_PROXY_1="127.0.0.1:$PORT_A" XKS_PROXY_2="127.0.0.1:$PORT_B" \
  XKS_PING_PATH=/ping haproxy -db -f "$XKS_SOURCE_DIR/config/haproxy/xks-proxy.cfg" \
  >"$E2E_DIR/haproxy.log" 2>&1 &
HAPROXY_PID=$!
trap 'cleanup_b; kill "$HAPROXY_PID" 2>/dev/null || true; e2e_cleanup' EXIT

LB="https://127.0.0.1:$LB_PORT"
for _ in $(seq 1 100); do
  curl -sf --cacert "$E2E_DIR/tls-cert.pem" "$LB/ping" >/dev/null && break
  sleep 0.05
done
curl -sf --cacert "$E2E_DIR/tls-cert.pem" "$LB/ping" >/dev/null || fail "HAProxy does not answer"

e2e_secret_file alpha "$ALPHA_SECRET"
ALPHA_SECRET_FILE="$SECRET_FILE"
e2e_secret_file beta "$BETA_SECRET"
BETA_SECRET_FILE="$SECRET_FILE"
CONNS=8
# loadgen NAME TENANT AKID SECRET_FILE ARGS...: through the load balancer; sets rc.
loadgen() {
  local name="$1" tenant="$2" akid="$3" secret_file="$4"; shift 4
  rc=0
  "$XKS_LOADGEN_BIN" --url "$LB/$tenant" --key-id k1 --access-key-id "$akid" \
    --secret-file "$secret_file" --ca-file "$E2E_DIR/tls-cert.pem" --warmup 200ms \
    --json "$E2E_DIR/$name.json" "$@" >"$E2E_DIR/$name.out" 2>"$E2E_DIR/$name.err" || rc=$?
}
records_of() { cat "$1"/audit-*.jsonl | jq -c 'select(.type == "request")' | wc -l; }

# Both instances serve both tenants through the balancer.
loadgen warm-alpha alpha "$ALPHA_AKID" "$ALPHA_SECRET_FILE" --connections "$CONNS" --duration 1s
((rc == 0)) || fail "warm-up (alpha): exit $rc: $(cat "$E2E_DIR/warm-alpha.err")"
loadgen warm-beta beta "$BETA_AKID" "$BETA_SECRET_FILE" --connections "$CONNS" --duration 1s
((rc == 0)) || fail "warm-up (beta): exit $rc: $(cat "$E2E_DIR/warm-beta.err")"
a_before="$(records_of "$E2E_DIR/audit")"
b_before="$(records_of "$E2E_DIR/audit-b")"
((a_before > 0 && b_before > 0)) || fail "the balancer did not use both instances (A $a_before, B $b_before records)"
pass "HAProxy spreads two tenants over two instances (A: $a_before, B: $b_before request records)"

# Kill B in the middle of a closed-loop run: each connection has at most one request in flight, so
# at most CONNS requests may fail; every later request goes to A.
loadgen kill alpha "$ALPHA_AKID" "$ALPHA_SECRET_FILE" --connections "$CONNS" --duration 4s &
LOADGEN_PID=$!
sleep 1.5
kill -KILL "$PID_B"
wait "$PID_B" 2>/dev/null || true
wait "$LOADGEN_PID" || true
json="$E2E_DIR/kill.json"
[[ -s "$json" ]] || fail "the load generator wrote no result: $(cat "$E2E_DIR/kill.err")"
failed="$(jq '.total.count - .total.ok' "$json")"
ok="$(jq .total.ok "$json")"
echo "  kill run: $(jq -c '{count: .total.count, ok: .total.ok, errors, transport_errors}' "$json")"
jq -e '.errors == {}' "$json" >/dev/null || fail "answers other than success: $(jq -c .errors "$json")"
((failed <= CONNS)) || fail "$failed requests failed; at most the $CONNS in flight on B may"
((ok > 0)) || fail "nothing succeeded"
pass "instance B killed under load: $failed of $(jq .total.count "$json") requests failed (at most $CONNS in flight)"

# After the kill, A alone serves everything without a single error.
loadgen after alpha "$ALPHA_AKID" "$ALPHA_SECRET_FILE" --connections "$CONNS" --duration 1s
((rc == 0)) || fail "after the kill: exit $rc: $(cat "$E2E_DIR/after.err")"
jq -e '.total.errors == 0 and .transport_errors == {} and .total.ok > 0' "$E2E_DIR/after.json" \
  >/dev/null || fail "after the kill: $(jq -c .total "$E2E_DIR/after.json")"
pass "the surviving instance serves every request ($(jq .total.ok "$E2E_DIR/after.json") ok, 0 failed)"

# Restart B (it signs what its crash left unsigned) and stop both cleanly.
start_b
kill -TERM "$PID_B"
rc_b=0
wait "$PID_B" || rc_b=$?
PID_B=""
((rc_b == 0)) || fail "instance B exited with $rc_b after SIGTERM"
e2e_stop_proxy

# One verification over both instances' files: each chain on its own, each with its coverage.
xksctl audit public-key --key-file "$AUDIT_KEY" > "$E2E_DIR/audit-public.pem"
report="$E2E_DIR/verify.json"
xksctl --json audit verify --public-key "$E2E_DIR/audit-public.pem" \
  "$E2E_DIR"/audit/audit-*.jsonl "$E2E_DIR"/audit-b/audit-*.jsonl > "$report" \
  || fail "the two instances' chains do not verify together: $(cat "$report")"
jq -e '(.chains | length) == 2' "$report" >/dev/null \
  || fail "expected two chains in the report: $(jq -c . "$report")"
for inst in e2e e2e-b; do
  jq -e --arg i "$inst" '[.chains[] | select(.instanceId == $i and .signedThrough >= 1)] | length == 1' \
    "$report" >/dev/null || fail "no verified chain for instance $inst: $(jq -c .chains "$report")"
done
pass "both chains verify together: $(jq -c '[.chains[] | {instanceId, records, signedThrough}]' "$report")"
