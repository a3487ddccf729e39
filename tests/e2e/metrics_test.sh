#!/usr/bin/env bash
# The admin listener and its Prometheus metrics, and the JSON log format: the configuration check
# refuses an admin listener off loopback without TLS (or with TLS but no token or client
# certificates); a scrape needs the bearer token; traffic (a success, a 401, a KeyNotFound)
# moves exactly the counters it should; `promtool check metrics` accepts the output; a reload
# moves the configuration series; every log line is one JSON object, also for a kmsRequestId
# crafted to forge a line; config/grafana-dashboard.json parses and uses only real series.
source "$(dirname "$0")/lib.sh"

command -v promtool >/dev/null || fail "promtool missing (Debian package prometheus, tools/install-deps.sh)"

e2e_config_init
e2e_add_tenant alpha /alpha
xksctl key create alpha k1 >/dev/null
A="/alpha/kms/xks/v1"
TOKEN_FILE="$E2E_DIR/secrets/admin.token"
(umask 077 && openssl rand -hex 32 > "$TOKEN_FILE")
cp "$XKS_CONFIG" "$E2E_DIR/config.base"

# check_config_refused JQ_FILTER PATTERN: the configuration check fails, naming PATTERN.
check_config_refused() {
  jq "$1" "$E2E_DIR/config.base" > "$E2E_DIR/config.bad.json"
  local rc=0
  "$XKS_PROXY_BIN" --config "$E2E_DIR/config.bad.json" --check-config >"$E2E_DIR/check.out" 2>&1 || rc=$?
  ((rc != 0)) || fail "config check accepted: $1"
  grep -q -- "$2" "$E2E_DIR/check.out" || fail "config check did not say '$2': $(cat "$E2E_DIR/check.out")"
}
check_config_refused '.admin = {"listen_address": "0.0.0.0", "port": 9443}' \
  'admin.listen_address.*not a loopback address'
check_config_refused ".admin = {\"listen_address\": \"0.0.0.0\", \"port\": 9443, \"tls\":
  {\"certificate_chain_file\": \"$E2E_DIR/tls-cert.pem\", \"private_key_file\": \"$E2E_DIR/tls-key.pem\"}}" \
  'needs tls and either bearer_token_file or tls.client_ca_file'
chmod 644 "$TOKEN_FILE"
check_config_refused ".admin = {\"port\": 0, \"bearer_token_file\": \"$TOKEN_FILE\"}" \
  'admin.bearer_token_file'
chmod 600 "$TOKEN_FILE"
jq ".admin = {\"listen_address\": \"0.0.0.0\", \"port\": 9443, \"bearer_token_file\": \"$TOKEN_FILE\",
  \"tls\": {\"certificate_chain_file\": \"$E2E_DIR/tls-cert.pem\", \"private_key_file\": \"$E2E_DIR/tls-key.pem\"}}" \
  "$E2E_DIR/config.base" > "$E2E_DIR/config.tls.json"
"$XKS_PROXY_BIN" --config "$E2E_DIR/config.tls.json" --check-config >/dev/null 2>&1 \
  || fail "config check refused admin on 0.0.0.0 with TLS and a bearer token"
pass "admin off loopback refused without TLS, or with TLS but no token; accepted with both"

# The proxy with admin on loopback (plain HTTP, a token) and JSON log lines.
jq ".admin = {\"listen_address\": \"127.0.0.1\", \"port\": 0, \"bearer_token_file\": \"$TOKEN_FILE\"}
  | .log = {\"format\": \"json\"}" "$E2E_DIR/config.base" > "$XKS_CONFIG"
e2e_start_proxy
admin_port="$(jq -r 'select(.message? // "" | startswith("admin listener")) | .message' \
  "$E2E_DIR/proxy.log" | sed -n 's/.* on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' | head -1)"
[[ -n "$admin_port" ]] || fail "no admin listener line in the log"
ADMIN="http://127.0.0.1:$admin_port"

scrape() {  # scrape FILE: GET /metrics with the token into FILE
  curl -sS -f -H "Authorization: Bearer $(cat "$TOKEN_FILE")" "$ADMIN/metrics" > "$1" \
    || fail "scrape with the bearer token failed"
}
# value FILE SERIES: the sample value of one exact series line (empty when absent).
value() { awk -v s="$2" '$1 == s { print $2 }' "$1"; }
expect_value() {
  local got
  got="$(value "$1" "$2")"
  [[ "$got" == "$3" ]] || fail "$2: expected $3, got '${got}'"
}

status="$(curl -sS -o /dev/null -w '%{http_code}' "$ADMIN/metrics")"
[[ "$status" == 401 ]] || fail "a scrape without the token got $status (expected 401)"
status="$(curl -sS -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer wrong' "$ADMIN/metrics")"
[[ "$status" == 401 ]] || fail "a scrape with a wrong token got $status (expected 401)"
status="$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$TOKEN_FILE")" "$ADMIN/other")"
[[ "$status" == 404 ]] || fail "GET /other got $status (expected 404)"
pass "the admin listener wants its bearer token and serves only /metrics"

scrape "$E2E_DIR/before.txt"
PLAINTEXT="$(printf 'metrics-test' | base64 -w0)"
expect_status "$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/keys/k1/encrypt" "$(encrypt_body "$PLAINTEXT")")" 200
expect_status "$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/keys/nope/metadata" \
  "{\"requestMetadata\":$(metadata GetKeyMetadata)}")" 404 KeyNotFoundException
WRONG_SECRET="$(printf '%s' "$ALPHA_SECRET" | tr 'A-Za-z' 'B-ZAb-za')"
expect_status "$(xks_call "$ALPHA_AKID" "$WRONG_SECRET" "$A/health" "$(health_body)")" 401 \
  AuthenticationFailedException
# A kmsRequestId made to end the line and start a forged JSON object, with control characters.
FORGED='e2e-forge\n{\"x\":1}\r\u0007\u001b[31m'
expect_status "$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/keys/k1/metadata" \
  "{\"requestMetadata\":{\"awsPrincipalArn\":\"arn:aws:iam::123456789012:user/e2e\",\"kmsOperation\":\"DescribeKey\",\"kmsRequestId\":\"$FORGED\"}}")" 200
scrape "$E2E_DIR/metrics.txt"

r='xks_requests_total{tenant="alpha",operation='
expect_value "$E2E_DIR/metrics.txt" "${r}\"Encrypt\",error=\"OK\"}" 1
expect_value "$E2E_DIR/metrics.txt" "${r}\"GetKeyMetadata\",error=\"KeyNotFoundException\"}" 1
expect_value "$E2E_DIR/metrics.txt" "${r}\"GetKeyMetadata\",error=\"OK\"}" 1
expect_value "$E2E_DIR/metrics.txt" "${r}\"GetHealthStatus\",error=\"AuthenticationFailedException\"}" 1
[[ -z "$(value "$E2E_DIR/before.txt" "${r}\"Encrypt\",error=\"OK\"}")" ]] \
  || fail "an Encrypt was counted before it was sent"
expect_value "$E2E_DIR/metrics.txt" \
  'xks_request_duration_seconds_count{tenant="alpha",operation="Encrypt"}' 1
expect_value "$E2E_DIR/metrics.txt" 'xks_hsm_duration_seconds_count{tenant="alpha",operation="Encrypt"}' 1
handshakes="$(value "$E2E_DIR/metrics.txt" xks_tls_handshakes_total)"
((handshakes >= 4)) || fail "xks_tls_handshakes_total is '$handshakes' after 4 HTTPS requests"
token="$(jq -r '.tenants[0].token' "$XKS_CONFIG")"
expect_value "$E2E_DIR/metrics.txt" "xks_token_health{token=\"$token\",state=\"ACTIVE\"}" 1
expect_value "$E2E_DIR/metrics.txt" "xks_token_health{token=\"$token\",state=\"UNAVAILABLE\"}" 0
expect_value "$E2E_DIR/metrics.txt" "xks_hsm_sessions_in_use{token=\"$token\"}" 0
[[ -n "$(value "$E2E_DIR/metrics.txt" "xks_hsm_sessions_max{token=\"$token\"}")" ]] \
  || fail "no xks_hsm_sessions_max for $token"
expect_value "$E2E_DIR/metrics.txt" xks_config_generation 1
[[ -n "$(value "$E2E_DIR/metrics.txt" xks_audit_last_checkpoint_age_seconds)" ]] \
  || fail "no xks_audit_last_checkpoint_age_seconds"
flushes="$(value "$E2E_DIR/metrics.txt" xks_audit_flush_duration_seconds_count)"
((flushes >= 1)) || fail "xks_audit_flush_duration_seconds_count is '$flushes'"
pass "a success, a KeyNotFound and a 401 each counted once, with latency, health, HSM, audit and TLS series"

promtool check metrics < "$E2E_DIR/metrics.txt" > "$E2E_DIR/promtool.out" 2>&1 \
  || fail "promtool check metrics: $(cat "$E2E_DIR/promtool.out")"
pass "promtool check metrics accepts the scrape"

e2e_reload
scrape "$E2E_DIR/after-reload.txt"
expect_value "$E2E_DIR/after-reload.txt" xks_config_generation 2
expect_value "$E2E_DIR/after-reload.txt" 'xks_config_reloads_total{result="applied"}' 1
expect_value "$E2E_DIR/after-reload.txt" xks_config_last_reload_success 1
pass "a reload moves the configuration generation and the last reload result"

# Every line of the log is one JSON object; the forged id is one string of one request line.
lines="$(wc -l < "$E2E_DIR/proxy.log")"
objects="$(jq -c 'select(type == "object")' "$E2E_DIR/proxy.log" | wc -l)" \
  || fail "the log is not JSON lines"
((lines == objects)) || fail "$lines log lines but $objects JSON objects"
forged="$(jq -c 'select(.event? == "request" and (.kmsRequestId // "" | startswith("e2e-forge")))' "$E2E_DIR/proxy.log")"
[[ "$(printf '%s\n' "$forged" | wc -l)" == 1 ]] || fail "expected one line for the forged id: $forged"
[[ "$(jq -r .kmsRequestId <<<"$forged")" == "$(printf 'e2e-forge\n{"x":1}\r\a\033[31m')" ]] \
  || fail "the forged id did not round-trip: $forged"
! grep -q '^{"x"' "$E2E_DIR/proxy.log" || fail "a forged line starts the log"
jq -s -e 'map(select(.event? == "request" and .operation == "Encrypt")) | length == 1 and
  (.[0] | .tenant == "alpha" and .key == "k1" and .result == "OK" and (.latencyUs | type) == "number")' \
  "$E2E_DIR/proxy.log" >/dev/null \
  || fail "the Encrypt request line lacks its fields"
! grep -q "$PLAINTEXT" "$E2E_DIR/proxy.log" || fail "the plaintext reached the log"
pass "JSON log: one object per line, a forging kmsRequestId stays inside its string"

# The example dashboard: valid JSON, and every series its queries use exists in a scrape.
DASHBOARD="$XKS_SOURCE_DIR/config/grafana-dashboard.json"
jq -e '.panels | length > 0' "$DASHBOARD" >/dev/null || fail "$DASHBOARD does not parse or has no panels"
used="$(jq -r '.. | objects | select(has("expr")) | .expr' "$DASHBOARD" \
  | grep -o 'xks_[a-z_]*' | sed -E 's/_(bucket|sum|count)$//' | sort -u)"
[[ -n "$used" ]] || fail "the dashboard queries no xks_ series"
for name in $used; do
  grep -q "^# TYPE $name " "$E2E_DIR/after-reload.txt" || fail "the dashboard uses $name, which no scrape has"
done
pass "the Grafana dashboard parses and uses only real series ($(wc -w <<<"$used") names)"

e2e_stop_proxy
e2e_verify_audit
pass "metrics e2e"
