#!/usr/bin/env bash
# Tenant quotas (issue 15) at the level of the real xks-proxy process: tenant alpha has
# "quota": {"requests_per_second": 50, "burst": 50, "max_concurrent_hsm": 4}, tenant beta none,
# each on its own SoftHSMv2 token. "One tenant at its limit never slows another": beta is measured
# alone (xks-loadgen, open loop at QUOTA_BETA_RATE), then again while a second xks-loadgen floods
# alpha at QUOTA_FLOOD_RATE (16× its quota). Checked:
#   - beta: no error of any kind in either run, and its ok/s during the flood ≥ QUOTA_MIN_RATIO ×
#     its ok/s alone (a generous bound: the flood still costs TLS and SigV4 on the shared cores);
#   - alpha: every error is 429 ThrottlingException (no transport error), most of the flood is
#     refused, and its successes stay near its quota (ok/s ≤ 2 × 50);
#   - a throttled request is audited (result ThrottlingException, tenant alpha) and its access
#     log line names the limit ("detail=tenant alpha requests_per_second 50").
# Open loops on purpose: a fixed rate measures what the flood does to beta's success rate and
# latency, where two closed loops would only measure how the cores are shared. The
# "quota summary: ..." line has every figure, to quote.
#
# By hand, from the worktree, after building xks-proxy xksctl xks-loadgen:
#   b=build/release
#   XKS_PROXY_BIN=$b/proxy/runtime/xks-proxy XKSCTL_BIN=$b/tools/xksctl/xksctl \
#   XKS_LOADGEN_BIN=$b/tools/loadgen/xks-loadgen XKS_SOURCE_DIR=$PWD bash tests/e2e/quota_test.sh
source "$(dirname "$0")/lib.sh"
: "${XKS_LOADGEN_BIN:?}"
QUOTA_BETA_RATE="${QUOTA_BETA_RATE:-200}"
QUOTA_FLOOD_RATE="${QUOTA_FLOOD_RATE:-800}"
QUOTA_MIN_RATIO="${QUOTA_MIN_RATIO:-0.5}"
QUOTA_RPS=50

FLOOD_PID=""
quota_cleanup() {
  local rc=$?
  set +e
  [[ -n "$FLOOD_PID" ]] && kill -TERM "$FLOOD_PID" 2>/dev/null && wait "$FLOOD_PID" 2>/dev/null
  (exit "$rc")  # e2e_cleanup reads the run's status from $?
  e2e_cleanup
}
trap quota_cleanup EXIT

e2e_config_init
e2e_add_tenant alpha /alpha
e2e_add_tenant beta /beta
xksctl key create alpha qk >/dev/null
xksctl key create beta qk >/dev/null
# xksctl has no quota command: the operator writes it into the file (docs/configuration.md).
jq --argjson rps "$QUOTA_RPS" \
  '(.tenants[] | select(.name == "alpha")).quota =
     {requests_per_second: $rps, burst: $rps, max_concurrent_hsm: 4}
   | .server.max_concurrent_hsm = 64' "$XKS_CONFIG" >"$E2E_DIR/config.new"
mv "$E2E_DIR/config.new" "$XKS_CONFIG"
e2e_start_proxy
e2e_secret_file alpha "$ALPHA_SECRET"
e2e_secret_file beta "$BETA_SECRET"

# loadgen NAME TENANT RATE SECONDS: an open loop against TENANT, JSON to $E2E_DIR/NAME.json; a
# warm-up that is not a whole number of seconds (see hang_test.sh); `timeout` ends a run that
# would never return. Sets rc.
loadgen() {
  local name="$1" tenant="$2" rate="$3" seconds="$4" akid_var="${2^^}_AKID"
  rc=0
  timeout "$((seconds + 40))" "$XKS_LOADGEN_BIN" --url "$ENDPOINT/$tenant" --key-id qk \
    --access-key-id "${!akid_var}" --secret-file "$E2E_DIR/secrets/$tenant.secret" \
    --ca-file "$E2E_DIR/tls-cert.pem" --rate "$rate" --connections 16 --warmup 1500ms \
    --duration "${seconds}s" --json "$E2E_DIR/$name.json" \
    >"$E2E_DIR/$name.out" 2>"$E2E_DIR/$name.err" || rc=$?
  [[ -s "$E2E_DIR/$name.json" ]] || fail "$name: no JSON result (exit $rc): $(cat "$E2E_DIR/$name.err")"
}
field() { jq -r "$2" "$E2E_DIR/$1.json"; }

expect_clean() {
  ((rc == 0)) || fail "$1: exit $rc: $(jq -c '{errors, transport_errors}' "$E2E_DIR/$1.json")"
  jq -e '.total.ok > 0 and .total.errors == 0 and .errors == {} and .transport_errors == {}' \
    "$E2E_DIR/$1.json" >/dev/null || fail "$1: errors: $(jq -c '{total, errors}' "$E2E_DIR/$1.json")"
}

loadgen beta_solo beta "$QUOTA_BETA_RATE" 4
expect_clean beta_solo
pass "beta alone: $(field beta_solo .total.rps) ok/s, no errors"

# The flood runs 9.5 s (1.5 s warm-up + 8 s); beta's 4 s window starts 2 s into it.
(loadgen alpha_flood alpha "$QUOTA_FLOOD_RATE" 8; exit "$rc") &
FLOOD_PID=$!
sleep 2
loadgen beta_flood beta "$QUOTA_BETA_RATE" 4
beta_rc=$rc
flood_rc=0
wait "$FLOOD_PID" || flood_rc=$?
FLOOD_PID=""
rc=$beta_rc
expect_clean beta_flood
solo_rps="$(field beta_solo .total.rps)"
flood_rps="$(field beta_flood .total.rps)"
awk -v f="$flood_rps" -v s="$solo_rps" -v r="$QUOTA_MIN_RATIO" 'BEGIN { exit !(f >= r * s) }' \
  || fail "beta during the flood: $flood_rps ok/s < $QUOTA_MIN_RATIO × $solo_rps alone"
pass "beta during alpha's flood: $flood_rps ok/s (alone $solo_rps), no errors"

((flood_rc == 1)) || fail "alpha flood: exit $flood_rc (expected 1: throttled requests)"
jq -e '(.errors | keys) == ["ThrottlingException"] and .transport_errors == {}
       and .errors.ThrottlingException > .total.ok' "$E2E_DIR/alpha_flood.json" >/dev/null \
  || fail "alpha flood: $(jq -c '{total, errors, transport_errors}' "$E2E_DIR/alpha_flood.json")"
alpha_rps="$(field alpha_flood .total.rps)"
awk -v a="$alpha_rps" -v q="$QUOTA_RPS" 'BEGIN { exit !(a <= 2 * q) }' \
  || fail "alpha: $alpha_rps ok/s, beyond twice its quota of $QUOTA_RPS/s"
pass "alpha beyond its quota: every error is ThrottlingException, $alpha_rps ok/s"

grep -q "tenant=alpha .*status=429 result=ThrottlingException.*detail=tenant alpha requests_per_second $QUOTA_RPS" \
  "$E2E_DIR/proxy.log" || fail "no access log line naming alpha's requests_per_second limit"
throttle_records="$(cat "$E2E_DIR"/audit/audit-*.jsonl \
  | jq -c 'select(.tenant == "alpha" and .result == "ThrottlingException" and .httpStatus == 429)' \
  | wc -l)"
((throttle_records > 0)) || fail "no audit record of a throttled alpha request"
if grep -q "tenant=beta .*status=429" "$E2E_DIR/proxy.log"; then
  fail "beta was throttled: $(grep -m1 "tenant=beta .*status=429" "$E2E_DIR/proxy.log")"
fi
pass "throttles are audited ($throttle_records records) and logged with the limit"

lat() { field "$1" '"p50 \(.total.latency_us.p50 / 1000) ms p99 \(.total.latency_us.p99 / 1000) ms"'; }
echo "quota summary: beta alone $solo_rps ok/s ($(lat beta_solo)), beta during alpha's flood" \
  "$flood_rps ok/s ($(lat beta_flood)), $(field beta_flood .total.errors) errors of" \
  "$(field beta_flood .total.count); alpha flooded at $QUOTA_FLOOD_RATE/s (quota $QUOTA_RPS/s):" \
  "$(field alpha_flood .total.count) sent, $alpha_rps ok/s," \
  "$(field alpha_flood .errors.ThrottlingException) ThrottlingException"

e2e_stop_proxy
e2e_verify_audit
