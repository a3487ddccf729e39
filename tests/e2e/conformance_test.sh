#!/usr/bin/env bash
# xks-conformance against the real proxy on SoftHSMv2, with every key kind and a second tenant:
# every required case must pass.
source "$(dirname "$0")/lib.sh"
: "${XKS_CONFORMANCE_BIN:?}"

e2e_config_init
e2e_add_tenant alpha /conformance/alpha
e2e_add_tenant beta /conformance/beta
xksctl key create alpha normal-key >/dev/null
xksctl key create alpha encrypt-only-key --usage encrypt >/dev/null
xksctl key create alpha decrypt-only-key --usage decrypt >/dev/null
xksctl key create alpha no-usage-key --usage none >/dev/null
xksctl key create alpha disabled-key >/dev/null
xksctl key disable alpha disabled-key >/dev/null
xksctl key create beta beta-key >/dev/null

# Mutual TLS as KMS does it: a client certificate for cks.kms.<region>.amazonaws.com from a CA the
# proxy trusts.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=e2e test CA" \
  -keyout "$E2E_DIR/ca-key.pem" -out "$E2E_DIR/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -subj "/CN=cks.kms.us-east-1.amazonaws.com" -keyout "$E2E_DIR/client-key.pem" \
  -out "$E2E_DIR/client.csr" 2>/dev/null
openssl x509 -req -in "$E2E_DIR/client.csr" -CA "$E2E_DIR/ca.pem" -CAkey "$E2E_DIR/ca-key.pem" \
  -CAcreateserial -days 2 -out "$E2E_DIR/client.pem" 2>/dev/null
jq --arg ca "$E2E_DIR/ca.pem" '.server.tls.client_ca_file = $ca
  | .server.tls.allowed_client_common_names = ["cks.kms.us-east-1.amazonaws.com"]' \
  "$XKS_CONFIG" > "$XKS_CONFIG.new" && mv "$XKS_CONFIG.new" "$XKS_CONFIG"
e2e_start_proxy

cat > "$E2E_DIR/conformance.env" <<ENV
XKS_ENDPOINT=$ENDPOINT
XKS_URI_PREFIX=/conformance/alpha
XKS_ACCESS_KEY_ID=$ALPHA_AKID
XKS_SECRET_ACCESS_KEY=$ALPHA_SECRET
XKS_KEY_ID=normal-key
XKS_ENCRYPT_ONLY_KEY_ID=encrypt-only-key
XKS_DECRYPT_ONLY_KEY_ID=decrypt-only-key
XKS_NO_USAGE_KEY_ID=no-usage-key
XKS_DISABLED_KEY_ID=disabled-key
XKS_TENANT2_URI_PREFIX=/conformance/beta
XKS_TENANT2_ACCESS_KEY_ID=$BETA_AKID
XKS_TENANT2_SECRET_ACCESS_KEY=$BETA_SECRET
XKS_TENANT2_KEY_ID=beta-key
XKS_CA_FILE=$E2E_DIR/tls-cert.pem
XKS_SERVER_NAME=localhost
XKS_CLIENT_CERT=$E2E_DIR/client.pem
XKS_CLIENT_KEY=$E2E_DIR/client-key.pem
ENV
rc=0
"$XKS_CONFORMANCE_BIN" --env-file "$E2E_DIR/conformance.env" --junit "$E2E_DIR/conformance.xml" \
  > "$E2E_DIR/conformance.txt" 2>&1 || rc=$?
# Every failing case with its expectation and observation, then the summary line.
grep -A2 "^FAIL" "$E2E_DIR/conformance.txt" | head -n 60 || true
grep -E "^SKIP|cases:" "$E2E_DIR/conformance.txt" || true
((rc == 0)) || fail "xks-conformance exited $rc"
grep -q "<testsuite" "$E2E_DIR/conformance.xml" || fail "no JUnit report written"
pass "xks-conformance: every required case passes"
e2e_stop_proxy
e2e_verify_audit
