#!/usr/bin/env bash
# Configuration changes in a running proxy, never restarted: SigV4 credential rotation, a key
# disabled and re-enabled while a client keeps calling, an invalid configuration refused, a tenant
# added, and a tenant crypto-shredded while the others keep being served.
source "$(dirname "$0")/lib.sh"

e2e_config_init
e2e_add_tenant alpha /alpha
xksctl key create alpha k1 >/dev/null
xksctl key create alpha k2 >/dev/null
e2e_start_proxy
pid_at_start="$PROXY_PID"
A="/alpha/kms/xks/v1"
OLD_AKID="$ALPHA_AKID" OLD_SECRET="$ALPHA_SECRET"
PLAINTEXT="$(printf 'reload-test' | base64 -w0)"

expect_status "$(xks_call "$OLD_AKID" "$OLD_SECRET" "$A/health" "$(health_body)")" 200

# Rotation: add a second credential; both work; revoke the old one; only the new one works.
e2e_new_credential alpha
retry_status 200 "$NEW_AKID" "$NEW_SECRET" "$A/health" "$(health_body)"
expect_status "$out" 200
expect_status "$(xks_call "$OLD_AKID" "$OLD_SECRET" "$A/health" "$(health_body)")" 200
pass "old and new credentials both accepted after the new one was added"
xksctl credential revoke alpha "$OLD_AKID" >/dev/null
retry_status 401 "$OLD_AKID" "$OLD_SECRET" "$A/health" "$(health_body)"
expect_status "$out" 401 AuthenticationFailedException
expect_status "$(xks_call "$NEW_AKID" "$NEW_SECRET" "$A/health" "$(health_body)")" 200
pass "revoked credential refused, the new one still works"

# A client keeps encrypting with k2 while k1 is disabled and enabled again: k2 never fails.
(
  while [[ ! -f "$E2E_DIR/stop-client" ]]; do
    xks_call "$NEW_AKID" "$NEW_SECRET" "$A/keys/k2/encrypt" "$(encrypt_body "$PLAINTEXT")" \
      | awk '{print $NF}' >> "$E2E_DIR/client-statuses"
  done
) &
client_pid=$!
xksctl key disable alpha k1 >/dev/null
retry_status 400 "$NEW_AKID" "$NEW_SECRET" "$A/keys/k1/encrypt" "$(encrypt_body "$PLAINTEXT")"
expect_status "$out" 400 InvalidStateException
xksctl key enable alpha k1 >/dev/null
retry_status 200 "$NEW_AKID" "$NEW_SECRET" "$A/keys/k1/encrypt" "$(encrypt_body "$PLAINTEXT")"
expect_status "$out" 200
touch "$E2E_DIR/stop-client"
wait "$client_pid"
total="$(wc -l < "$E2E_DIR/client-statuses")"
good="$(grep -c '^200$' "$E2E_DIR/client-statuses" || true)"
((total > 0 && total == good)) || fail "the concurrent client saw failures: $(sort "$E2E_DIR/client-statuses" | uniq -c)"
pass "k1 disabled and re-enabled; a concurrent client on k2 saw $total x 200"

# An invalid configuration is refused with the validator's message; the old one stays in force.
cp "$XKS_CONFIG" "$E2E_DIR/config.good"
jq '.tenants[0].path_prefix = "no-leading-slash"' "$E2E_DIR/config.good" > "$XKS_CONFIG"
e2e_reload
grep -q 'reload refused: tenants\[0\].path_prefix' "$E2E_DIR/proxy.log" \
  || fail "the refused reload did not name tenants[0].path_prefix"
expect_status "$(xks_call "$NEW_AKID" "$NEW_SECRET" "$A/keys/k1/encrypt" "$(encrypt_body "$PLAINTEXT")")" 200
cp "$E2E_DIR/config.good" "$XKS_CONFIG"
pass "invalid configuration refused; the running one stays in force"

# A tenant added at run time (its token is opened by the reload).
e2e_add_tenant gamma /gamma
xksctl key create gamma g1 >/dev/null
retry_status 200 "$GAMMA_AKID" "$GAMMA_SECRET" "/gamma/kms/xks/v1/keys/g1/encrypt" "$(encrypt_body "$PLAINTEXT")"
expect_status "$out" 200
canary="$(body_of "$out")"
pass "tenant added without a restart"

# Crypto-shredding gamma: a wrong confirmation refuses; then its ciphertext is gone for good, while
# alpha keeps being served; a second shred is a clear error.
rc=0; xksctl tenant shred gamma --yes-destroy alpha >/dev/null 2>&1 || rc=$?
((rc != 0)) || fail "shred with the wrong confirmation succeeded"
xksctl --json tenant shred gamma --yes-destroy gamma --certificate "$E2E_DIR/erasure.json" \
  > "$E2E_DIR/shred.json"
jq -e '.ok == true' "$E2E_DIR/shred.json" >/dev/null || fail "shred: $(cat "$E2E_DIR/shred.json")"
[[ -s "$E2E_DIR/erasure.json" ]] || fail "no erasure certificate"
retry_status 404 "$GAMMA_AKID" "$GAMMA_SECRET" "/gamma/kms/xks/v1/keys/g1/decrypt" "$(decrypt_body_from "$canary")"
expect_status "$out" 404 InvalidUriPathException
expect_status "$(xks_call "$NEW_AKID" "$NEW_SECRET" "$A/keys/k1/encrypt" "$(encrypt_body "$PLAINTEXT")")" 200
rc=0; xksctl tenant shred gamma --yes-destroy gamma >/dev/null 2>&1 || rc=$?
((rc == 1)) || fail "a second shred should fail with exit 1, got $rc"
pass "tenant shredded while alpha keeps being served; second shred refused"

[[ "$PROXY_PID" == "$pid_at_start" ]] && kill -0 "$PROXY_PID" || fail "the proxy was restarted"
e2e_stop_proxy
for operation in config.reload credential.add credential.revoke key.disable key.enable tenant.add \
                 tenant.remove; do
  grep -q "\"operation\":\"$operation\"" "$E2E_DIR"/audit/audit-*.jsonl \
    || fail "no $operation admin record in the audit log"
done
e2e_verify_audit
pass "one process throughout; audit log verifies"
