#!/usr/bin/env bash
# End to end (issue 11 item 8): a flood of unauthenticated requests from one address is audited
# as a few individual records plus refusal-summary records whose counts account for every
# refusal; summaries appear when the interval ends and at shutdown; valid requests keep working;
# the log verifies, and a tenant's export holds its own summaries only.
source "$(dirname "$0")/lib.sh"

e2e_config_init
e2e_add_tenant alpha /alpha
e2e_add_tenant beta /beta
xksctl key create alpha k >/dev/null
set_interval() {  # set_interval MS: audit.refusal_aggregation_interval_ms (applies at start)
  jq --argjson ms "$1" '.audit.refusal_aggregation_interval_ms = $ms' "$XKS_CONFIG" \
    > "$E2E_DIR/config.tmp"
  cat "$E2E_DIR/config.tmp" > "$XKS_CONFIG"
}
# First an interval longer than the test, so what is recorded does not depend on timing.
set_interval 3600000
e2e_start_proxy
A="/alpha/kms/xks/v1"

audit_records() { cat "$E2E_DIR"/audit/audit-*.jsonl; }
# accounted RESULT TENANT: individual request records + summary counts for that refusal.
accounted() {
  audit_records | jq -s --arg r "$1" --arg t "$2" \
    '[.[] | select(.result == $r and .tenant == $t and .clientAddress != null)
          | if .type == "refusal-summary" then .count
            elif .type == "request" then 1 else 0 end] | add // 0'
}

# 200 unsigned Encrypts on one keep-alive connection (all 401), 100 GETs of unknown paths (404).
unsigned_urls=()
for _ in $(seq 1 200); do unsigned_urls+=(-o /dev/null "$ENDPOINT$A/keys/k/encrypt"); done
statuses="$(curl -sS --cacert "$E2E_DIR/tls-cert.pem" -H "Content-Type: application/json" \
  -d "$(encrypt_body AAAA)" -w '%{http_code}\n' "${unsigned_urls[@]}" | sort | uniq -c)"
[[ "$(awk '$2 == 401 {print $1}' <<<"$statuses")" == 200 ]] || fail "unsigned statuses: $statuses"
unknown_urls=()
for _ in $(seq 1 100); do unknown_urls+=(-o /dev/null "$ENDPOINT/probe/admin.php"); done
statuses="$(curl -sS --cacert "$E2E_DIR/tls-cert.pem" -w '%{http_code}\n' "${unknown_urls[@]}" \
  | sort | uniq -c)"
[[ "$(awk '$2 == 404 {print $1}' <<<"$statuses")" == 100 ]] || fail "unknown-path statuses: $statuses"
# A valid request with beta's credential on alpha's path: 401 on alpha, counted too.
out="$(xks_call "$BETA_AKID" "$BETA_SECRET" "$A/health" "$(health_body)")"
expect_status "$out" 401 AuthenticationFailedException
out="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/keys/k/encrypt" "$(encrypt_body AAAA)")"
expect_status "$out" 200
pass "300 unauthenticated requests refused, valid requests still served"

audit_records | grep -q '"type":"refusal-summary"' && fail "a summary before the interval ended"
e2e_stop_proxy

# The interval never ended while running: the counts came out at shutdown.
[[ "$(accounted AuthenticationFailedException alpha)" == 201 ]] \
  || fail "401s accounted: $(accounted AuthenticationFailedException alpha), expected 201"
[[ "$(accounted InvalidUriPathException "")" == 100 ]] \
  || fail "404s accounted: $(accounted InvalidUriPathException ""), expected 100"
individual="$(audit_records | jq -s '[.[] | select(.type == "request" and .httpStatus != 200)] | length')"
[[ "$individual" == 2 ]] || fail "$individual individual refusal records, expected 2 (one per kind)"
summaries="$(audit_records | jq -c 'select(.type == "refusal-summary") | [.clientAddress, .tenant, .result, .httpStatus, .count]' | sort)"
[[ "$summaries" == '["127.0.0.1","","InvalidUriPathException",404,99]'$'\n''["127.0.0.1","alpha","AuthenticationFailedException",401,200]' ]] \
  || fail "summaries written at shutdown: $summaries"
pass "301 refusals: 2 individual records, the rest counted into 2 summaries at shutdown"

# A short interval: summaries are also written when an interval ends, while the proxy runs.
set_interval 200
e2e_start_proxy
for _ in $(seq 1 50); do
  curl -sS --cacert "$E2E_DIR/tls-cert.pem" -o /dev/null -o /dev/null -o /dev/null \
    "$ENDPOINT/probe/a" "$ENDPOINT/probe/b" "$ENDPOINT/probe/c" || true
  sleep 0.1
  [[ "$(audit_records | grep -c '"type":"refusal-summary"')" -gt 2 ]] && break
done
[[ "$(audit_records | grep -c '"type":"refusal-summary"')" -gt 2 ]] \
  || fail "no refusal-summary written while the proxy runs"
pass "a refusal-summary is written when the interval ends"
e2e_stop_proxy

e2e_verify_audit
xksctl audit export --tenant alpha -o "$E2E_DIR/alpha.jsonl" "$E2E_DIR"/audit/audit-*.jsonl >/dev/null
grep -q '"type":"refusal-summary"' "$E2E_DIR/alpha.jsonl" || fail "alpha's summaries not exported"
! grep -q 'InvalidUriPathException' "$E2E_DIR/alpha.jsonl" || fail "tenant-less refusals exported"
xksctl audit verify --public-key "$E2E_DIR/audit-public.pem" "$E2E_DIR/alpha.jsonl" >/dev/null \
  || fail "alpha's export does not verify"
pass "the log and alpha's export verify, with alpha's summaries only"
