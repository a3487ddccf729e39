#!/usr/bin/env bash
# The HTTPS front end of the real xks-proxy (issue 11): /ping answers the documented JSON; curl's
# Expect: 100-continue gets its 100; and the `server` section's connection limits reach the
# listener (per-address cap, idle limit for connections that never authenticated). Request
# smuggling shapes (Transfer-Encoding, Content-Length, Host, ...): hostile_test.sh.
source "$(dirname "$0")/lib.sh"

e2e_config_init
e2e_add_tenant alpha /alpha
xksctl key create alpha k1 >/dev/null
A="/alpha/kms/xks/v1"

# hold_connection NAME: a TLS connection that never sends a request, in the background; sets
# HOLD_PID. Its log shows CONNECTION ESTABLISHED once the handshake is done.
hold_connection() {
  openssl s_client -brief -ign_eof -connect "127.0.0.1:$PORT" -CAfile "$E2E_DIR/tls-cert.pem" \
    </dev/null >"$E2E_DIR/$1.log" 2>&1 &
  HOLD_PID=$!
}

await_established() {
  for _ in $(seq 1 600); do
    grep -q "CONNECTION ESTABLISHED" "$E2E_DIR/$1.log" && return 0
    sleep 0.05
  done
  fail "connection $1 did not complete its handshake: $(cat "$E2E_DIR/$1.log")"
}

# Long idle limits in this first run, so held connections stay until the test lets them go.
e2e_set_server '.max_connections_per_address = 2 | .idle_timeout_ms = 600000
            | .unauthenticated_idle_timeout_ms = 600000'
e2e_start_proxy

curl -sS --cacert "$E2E_DIR/tls-cert.pem" -D "$E2E_DIR/ping.headers" -o "$E2E_DIR/ping.body" \
  "$ENDPOINT/ping"
[[ "$(cat "$E2E_DIR/ping.body")" == '{"status":"OK"}' ]] || fail "ping body: $(cat "$E2E_DIR/ping.body")"
grep -qi '^content-type: application/json' "$E2E_DIR/ping.headers" \
  || fail "ping content type: $(cat "$E2E_DIR/ping.headers")"
pass "ping answers {\"status\":\"OK\"} as application/json"

# A body above curl's 1 KiB threshold; without the 100 curl would wait --expect100-timeout.
PLAINTEXT="$(head -c 1500 /dev/zero | tr '\0' 'p' | base64 -w0)"
out="$(curl -sS --cacert "$E2E_DIR/tls-cert.pem" --aws-sigv4 "aws:amz:us-east-1:kms-xks-proxy" \
  --user "$ALPHA_AKID:$ALPHA_SECRET" -H "Content-Type: application/json" \
  -H 'Expect: 100-continue' --expect100-timeout 600 --max-time 60 -v \
  --data-binary "$(encrypt_body "$PLAINTEXT")" -w ' %{http_code}' "$ENDPOINT$A/keys/k1/encrypt" \
  2>"$E2E_DIR/expect.trace")"
expect_status "$out" 200
grep -q '^< HTTP/1.1 100 Continue' "$E2E_DIR/expect.trace" \
  || fail "no 100 Continue before the body: $(cat "$E2E_DIR/expect.trace")"
pass "Expect: 100-continue is answered with 100 before curl sends the body"

# Two anonymous connections fill 127.0.0.1's two slots. A newcomer from the same address (a valid
# client behind the same NAT, say) still gets in: the address's oldest anonymous connection is
# closed to make room, the younger one is kept. (Refusal when the address's connections are
# authenticated or busy: tests/server/connection_limits_test.cc.)
hold_connection first
first_pid=$HOLD_PID
await_established first
hold_connection second
second_pid=$HOLD_PID
await_established second
curl -sS --max-time 30 --cacert "$E2E_DIR/tls-cert.pem" -o /dev/null "$ENDPOINT/ping" \
  || fail "a newcomer from a full address was refused although it held anonymous connections"
for _ in $(seq 1 600); do
  kill -0 "$first_pid" 2>/dev/null || break
  sleep 0.05
done
kill -0 "$first_pid" 2>/dev/null && fail "the oldest anonymous connection of the full address was kept"
kill -0 "$second_pid" 2>/dev/null || fail "the younger anonymous connection was closed too"
kill "$second_pid" 2>/dev/null || true
wait "$first_pid" "$second_pid" 2>/dev/null || true
pass "max_connections_per_address: a full address makes room from its own oldest anonymous connection"
e2e_stop_proxy

# Second run: a short idle limit for connections that never authenticated, a long one otherwise,
# and every other connection limit set to a value of its own that the listener must report.
e2e_set_server '.max_connections_per_address = 255 | .idle_timeout_ms = 3600000
            | .unauthenticated_idle_timeout_ms = 300 | .max_connections = 4000
            | .max_handshakes_in_progress = 63 | .low_priority_queue_limit = 31
            | .queue_limit = 255 | .io_threads = 3'
e2e_start_proxy
listening="$(grep 'INFO server listening on' "$E2E_DIR/proxy.log" | tail -n 1)"
for setting in io_threads=3 queue_limit=255 low_priority_queue_limit=31 max_connections=4000 \
    max_connections_per_address=255 max_handshakes_in_progress=63 idle_timeout_ms=3600000 \
    unauthenticated_idle_timeout_ms=300; do
  [[ "$listening" == *", $setting"* ]] || fail "listener does not run with $setting: $listening"
done
pass "the server section's limits reach the listener"
hold_connection silent
silent_pid=$HOLD_PID
await_established silent
# Only the 300 ms limit can close it this side of an hour; the wait just bounds a hang.
for _ in $(seq 1 1200); do
  kill -0 "$silent_pid" 2>/dev/null || break
  sleep 0.05
done
if kill -0 "$silent_pid" 2>/dev/null; then
  kill "$silent_pid"
  fail "a silent connection was not closed by unauthenticated_idle_timeout_ms"
fi
pass "a connection that never authenticates is closed after unauthenticated_idle_timeout_ms"
e2e_stop_proxy
