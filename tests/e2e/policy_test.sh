#!/usr/bin/env bash
# End to end (issue 15, policies): a tenant policy enforced over HTTPS by the real proxy on
# SoftHSM. An allowed request records its allowing statement; an explicit deny and a default deny
# answer 403 AccessDeniedException, and their audit records and log lines name the statement;
# health is never subject to policy; report mode (after a reload) lets the same requests through
# and records what would have been denied; xksctl policy eval agrees with the proxy; the audit log
# verifies.
source "$(dirname "$0")/lib.sh"

e2e_config_init
e2e_add_tenant alpha /alpha
xksctl key create alpha k1 >/dev/null
xksctl key create alpha k2 >/dev/null
set_policy() {  # set_policy MODE: alpha's policy (metadata() sends account 123456789012)
  jq --arg mode "$1" '.tenants[0].policy = {mode: $mode, statements: [
      {id: "deny-s3-decrypt", effect: "deny", operations: ["decrypt"],
       conditions: {kmsViaService: ["s3"]}},
      {id: "acct-allow", effect: "allow", keys: ["k1"],
       conditions: {kmsKeyArn: ["arn:aws:kms:*:123456789012:key/*"]}}]}' "$XKS_CONFIG" \
    > "$E2E_DIR/config.tmp"
  cat "$E2E_DIR/config.tmp" > "$XKS_CONFIG"
}
set_policy enforce
xksctl config validate >/dev/null || fail "the policy does not validate"
e2e_start_proxy
A="/alpha/kms/xks/v1"
PLAINTEXT="$(printf 'policy-e2e' | base64 -w0)"

audit_records() { cat "$E2E_DIR"/audit/audit-*.jsonl; }
# last_statement KEY OPERATION → the policyStatement of the last request record for them.
last_statement() {
  audit_records | jq -rs --arg k "$1" --arg op "$2" \
    '[.[] | select(.type == "request" and .externalKeyId == $k and .operation == $op)]
     | last | "\(.httpStatus) \(.result) \(.policyStatement)"'
}
via_s3() { jq -c '.requestMetadata.kmsViaService = "s3"'; }

out="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/keys/k1/encrypt" "$(encrypt_body "$PLAINTEXT")")"
expect_status "$out" 200
encrypted="$(body_of "$out")"
out="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/keys/k1/decrypt" "$(decrypt_body_from "$encrypted")")"
expect_status "$out" 200
[[ "$(last_statement k1 Decrypt)" == "200 OK acct-allow" ]] \
  || fail "allowed decrypt recorded as: $(last_statement k1 Decrypt)"
pass "allowed requests record the allowing statement"

out="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/keys/k1/decrypt" \
  "$(decrypt_body_from "$encrypted" | via_s3)")"
expect_status "$out" 403 AccessDeniedException
[[ "$(last_statement k1 Decrypt)" == "403 AccessDeniedException deny-s3-decrypt" ]] \
  || fail "explicit deny recorded as: $(last_statement k1 Decrypt)"
out="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/keys/k2/encrypt" "$(encrypt_body "$PLAINTEXT")")"
expect_status "$out" 403 AccessDeniedException
[[ "$(last_statement k2 Encrypt)" == "403 AccessDeniedException default deny" ]] \
  || fail "default deny recorded as: $(last_statement k2 Encrypt)"
grep -q 'op=Decrypt key=k1 .*status=403 result=AccessDeniedException policy=deny-s3-decrypt ' \
  "$E2E_DIR/proxy.log" || fail "no access-log line names deny-s3-decrypt"
grep -q 'op=Encrypt key=k2 .*status=403 result=AccessDeniedException policy=default%20deny ' \
  "$E2E_DIR/proxy.log" || fail "no access-log line names the default deny"
pass "denials are 403 AccessDeniedException, audited and logged with their statement"

expect_status "$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/health" "$(health_body)")" 200
pass "health is not subject to policy"

eval_out="$(xksctl --json policy eval alpha --operation decrypt --key k1 \
  --metadata "$(metadata Decrypt | jq -c '.kmsViaService = "s3"')")"
[[ "$(jq -r '"\(.allowed) \(.policy_statement)"' <<<"$eval_out")" == "false deny-s3-decrypt" ]] \
  || fail "xksctl policy eval disagrees: $eval_out"
pass "xksctl policy eval gives the proxy's answer"

set_policy report
e2e_reload
out="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/keys/k2/encrypt" "$(encrypt_body "$PLAINTEXT")")"
expect_status "$out" 200
[[ "$(last_statement k2 Encrypt)" == "200 OK report: default deny" ]] \
  || fail "report mode recorded: $(last_statement k2 Encrypt)"
out="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/keys/k1/decrypt" \
  "$(decrypt_body_from "$encrypted" | via_s3)")"
expect_status "$out" 200
[[ "$(last_statement k1 Decrypt)" == "200 OK report: deny-s3-decrypt" ]] \
  || fail "report mode recorded: $(last_statement k1 Decrypt)"
pass "after a reload into report mode nothing is denied and what would have been is recorded"

e2e_stop_proxy
e2e_verify_audit
pass "the audit log verifies"
