#!/usr/bin/env bash
# xks-loadgen (issue 13) against the real xks-proxy on SoftHSMv2: a short closed loop and a short
# open loop give answers for every operation of the mix and no errors; a wrong secret is counted
# under the errorName the proxy answers; the secret never reaches the output. Latencies and rates
# are printed, never asserted (the machine may be busy).
source "$(dirname "$0")/lib.sh"
: "${XKS_LOADGEN_BIN:?}"

e2e_config_init
e2e_add_tenant alpha /alpha
xksctl key create alpha lg >/dev/null
e2e_start_proxy
e2e_secret_file loadgen "$ALPHA_SECRET"

# loadgen NAME ARGS...: runs xks-loadgen, JSON to $E2E_DIR/NAME.json, stderr to NAME.err; sets rc.
loadgen() {
  local name="$1"; shift
  rc=0
  "$XKS_LOADGEN_BIN" --url "$ENDPOINT/alpha" --key-id lg --access-key-id "$ALPHA_AKID" \
    --ca-file "$E2E_DIR/tls-cert.pem" --warmup 200ms --json "$E2E_DIR/$name.json" "$@" \
    >"$E2E_DIR/$name.out" 2>"$E2E_DIR/$name.err" || rc=$?
  ! grep -qsF "$ALPHA_SECRET" "$E2E_DIR/$name.json" "$E2E_DIR/$name.out" "$E2E_DIR/$name.err" \
    || fail "$name: the secret appears in the output"
}

# expect_clean NAME OPS...: exit 0, no errors of any kind, answers for each named operation.
expect_clean() {
  local name="$1" json="$E2E_DIR/$1.json"; shift
  ((rc == 0)) || fail "$name: exit $rc: $(cat "$E2E_DIR/$name.err")"
  jq -e '.total.errors == 0 and .errors == {} and .transport_errors == {}' "$json" >/dev/null \
    || fail "$name: errors: $(jq -c '{errors, transport_errors}' "$json")"
  for op in "$@"; do
    jq -e --arg op "$op" '.ops[$op].ok > 0 and .ops[$op].count == .ops[$op].ok' "$json" >/dev/null \
      || fail "$name: no clean $op answers: $(jq -c .ops "$json")"
  done
  jq -e '.total.latency_us | .p50 > 0 and .p50 <= .p99 and .p99 <= .p99_9 and .p99_9 <= .max' \
    "$json" >/dev/null || fail "$name: percentiles out of order: $(jq -c .total "$json")"
  echo "  $name: $(jq -c '{rps: .total.rps, latency_us: .total.latency_us}' "$json")"
}

loadgen closed --connections 4 --duration 1s --secret-file "$SECRET_FILE"
expect_clean closed encrypt decrypt metadata
[[ "$(jq -r .config.mode "$E2E_DIR/closed.json")" == closed ]] || fail "closed: mode"
pass "closed loop, default mix: every operation answered, no errors"

# The secret from the environment this time.
XKS_SECRET_ACCESS_KEY="$ALPHA_SECRET" loadgen open --rate 100 --connections 2 --duration 1s \
  --mix encrypt=40,decrypt=40,metadata=10,health=10 --progress
expect_clean open encrypt decrypt metadata health
# Every request of the window's timetable was sent and answered (100/s for 1 s): counting, not
# timing.
jq -e '.config.mode == "open" and .total.count >= .open_loop.scheduled - 1
       and .total.count <= .open_loop.scheduled + 1' \
  "$E2E_DIR/open.json" >/dev/null || fail "open: count vs timetable: $(jq -c . "$E2E_DIR/open.json")"
pass "open loop at a fixed rate: the whole timetable answered, no errors"

# A wrong secret: every request is refused and counted under the proxy's errorName.
XKS_SECRET_ACCESS_KEY="wrong${ALPHA_SECRET:5}" loadgen wrong --connections 2 --duration 500ms \
  --mix encrypt=50,metadata=50
((rc == 1)) || fail "wrong secret: exit $rc (expected 1): $(cat "$E2E_DIR/wrong.err")"
jq -e '.total.ok == 0 and .total.errors > 0 and .errors.AuthenticationFailedException > 0
       and ([.errors[]] | add) == .total.errors and .transport_errors == {}' \
  "$E2E_DIR/wrong.json" >/dev/null || fail "wrong secret: $(jq -c '{total, errors}' "$E2E_DIR/wrong.json")"
pass "a wrong secret is counted under AuthenticationFailedException"

# With decrypts in the mix the start-up encrypts fail first: a set-up failure, said plainly.
XKS_SECRET_ACCESS_KEY="wrong${ALPHA_SECRET:5}" loadgen wrong_setup --duration 500ms
((rc == 2)) || fail "wrong secret with decrypts: exit $rc (expected 2)"
grep -q "AuthenticationFailedException" "$E2E_DIR/wrong_setup.err" \
  || fail "wrong secret with decrypts: $(cat "$E2E_DIR/wrong_setup.err")"
pass "a refused start-up encrypt is a set-up failure naming the errorName"

e2e_stop_proxy
