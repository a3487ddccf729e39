#!/usr/bin/env bash
# End to end over real TLS against SoftHSMv2: the four operations, the spec's error names, tenant
# isolation, keep-alive, parallel connections, an oversized body, requests signed by curl and by
# botocore, secrets absent from logs and audit, a clean SIGTERM, and an audit log that verifies.
source "$(dirname "$0")/lib.sh"

e2e_config_init
e2e_add_tenant alpha /alpha
e2e_add_tenant beta /tenants/beta
xksctl key create alpha shared >/dev/null
xksctl key create alpha eo --usage encrypt >/dev/null
xksctl key create alpha do --usage decrypt >/dev/null
xksctl key create alpha none --usage none >/dev/null
xksctl key create alpha dis >/dev/null
xksctl key disable alpha dis >/dev/null
xksctl key create beta shared >/dev/null
e2e_start_proxy
A="/alpha/kms/xks/v1"
B="/tenants/beta/kms/xks/v1"

# Load-balancer ping: no authentication, nothing about tenants.
ping="$(curl -sS --cacert "$E2E_DIR/tls-cert.pem" -w ' %{http_code}' "$ENDPOINT/ping")"
expect_status "$ping" 200
[[ "$ping" != *alpha* && "$ping" != *beta* ]] || fail "ping reveals tenants: $ping"
pass "ping"

out="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/health" "$(health_body)")"
expect_status "$out" 200
[[ "$(body_of "$out" | jq -r '.ekmFleetDetails | length')" == 1 ]] || fail "fleet details: $out"
[[ "$(body_of "$out" | jq -r '.ekmFleetDetails[0].healthStatus')" == ACTIVE ]] || fail "health: $out"
[[ "$(body_of "$out" | jq -r '.ekmFleetDetails[0].id')" == alpha ]] || fail "health id: $out"
[[ "$(body_of "$out" | jq -r '.xksProxyFleetSize')" -ge 1 ]] || fail "fleet size: $out"
pass "health reports only the tenant's own token, ACTIVE"

# Known values that must never reach a log or an audit record.
PLAINTEXT_TEXT="e2e-top-secret-data-key-material"
PLAINTEXT="$(printf '%s' "$PLAINTEXT_TEXT" | base64 -w0)"
AAD_TEXT="e2e-confidential-aad-context"
AAD="$(printf '%s' "$AAD_TEXT" | base64 -w0)"

enc="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/keys/shared/encrypt" "$(encrypt_body "$PLAINTEXT" "$AAD")")"
expect_status "$enc" 200
enc_json="$(body_of "$enc")"
decoded_length() { jq -r "$1" <<<"$2" | base64 -d | wc -c; }
[[ "$(decoded_length .ciphertext "$enc_json")" == "${#PLAINTEXT_TEXT}" ]] \
  || fail "ciphertext length differs from plaintext length: $enc_json"
[[ "$(decoded_length .initializationVector "$enc_json")" == 12 ]] || fail "IV: $enc_json"
[[ "$(decoded_length .authenticationTag "$enc_json")" == 16 ]] || fail "tag: $enc_json"
dec="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/keys/shared/decrypt" "$(decrypt_body_from "$enc_json" "$AAD")")"
expect_status "$dec" 200
[[ "$(body_of "$dec" | jq -r .plaintext)" == "$PLAINTEXT" ]] || fail "round trip: $dec"
pass "encrypt then decrypt with curl --aws-sigv4"

enc2="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/keys/shared/encrypt" "$(encrypt_body "$PLAINTEXT" "$AAD")")"
[[ "$(body_of "$enc2" | jq -r .initializationVector)" != "$(jq -r .initializationVector <<<"$enc_json")" ]] \
  || fail "two encrypts reused an IV"
pass "fresh IV per encrypt"

out="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/keys/shared/decrypt" "$(decrypt_body_from "$enc_json" "d3Jvbmc=")")"
expect_status "$out" 400 InvalidCiphertextException
out="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/keys/shared/decrypt" "$(decrypt_body_from "$enc_json")")"
expect_status "$out" 400 InvalidCiphertextException
pass "wrong or missing AAD refused"

# Tenant isolation: beta's key of the same id cannot open alpha's ciphertext; alpha's credential
# is refused on beta's prefix.
out="$(xks_call "$BETA_AKID" "$BETA_SECRET" "$B/keys/shared/decrypt" "$(decrypt_body_from "$enc_json" "$AAD")")"
expect_status "$out" 400 InvalidCiphertextException
out="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$B/keys/shared/encrypt" "$(encrypt_body "$PLAINTEXT")")"
expect_status "$out" 401 AuthenticationFailedException
out="$(xks_call "$BETA_AKID" "$BETA_SECRET" "$B/keys/shared/encrypt" "$(encrypt_body "$PLAINTEXT")")"
expect_status "$out" 200
pass "tenants share a key id, not keys or credentials"

out="$(xks_call "$ALPHA_AKID" "wrong${ALPHA_SECRET:5}" "$A/health" "$(health_body)")"
expect_status "$out" 401 AuthenticationFailedException
out="$(xks_call "XKSAAAAAAAAAAAAAAAAAAAAA" "$ALPHA_SECRET" "$A/health" "$(health_body)")"
expect_status "$out" 401 AuthenticationFailedException
out="$(curl -sS --cacert "$E2E_DIR/tls-cert.pem" -w ' %{http_code}' -d "$(health_body)" "$ENDPOINT$A/health")"
expect_status "$out" 401 AuthenticationFailedException
pass "wrong secret, unknown key id and unsigned requests refused"

md="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/keys/shared/metadata" "{\"requestMetadata\":$(metadata CreateKey)}")"
expect_status "$md" 200
[[ "$(body_of "$md" | jq -c '[.keySpec, .keyStatus, (.keyUsage|sort)]')" == '["AES_256","ENABLED",["DECRYPT","ENCRYPT"]]' ]] \
  || fail "metadata: $md"
md="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/keys/dis/metadata" "{\"requestMetadata\":$(metadata DescribeKey)}")"
[[ "$(body_of "$md" | jq -r .keyStatus)" == DISABLED ]] || fail "disabled metadata: $md"
out="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/keys/dis/encrypt" "$(encrypt_body "$PLAINTEXT")")"
expect_status "$out" 400 InvalidStateException
pass "metadata, and a disabled key refuses encrypt"

out="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/keys/eo/encrypt" "$(encrypt_body "$PLAINTEXT")")"
expect_status "$out" 200
out_dec="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/keys/eo/decrypt" "$(decrypt_body_from "$(body_of "$out")")")"
expect_status "$out_dec" 400 InvalidKeyUsageException
out="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/keys/do/encrypt" "$(encrypt_body "$PLAINTEXT")")"
expect_status "$out" 400 InvalidKeyUsageException
out="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/keys/none/encrypt" "$(encrypt_body "$PLAINTEXT")")"
expect_status "$out" 400 InvalidKeyUsageException
pass "key usage enforced (encrypt-only, decrypt-only, none)"

out="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/keys/missing/encrypt" "$(encrypt_body "$PLAINTEXT")")"
expect_status "$out" 404 KeyNotFoundException
out="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "/nobody/kms/xks/v1/health" "$(health_body)")"
expect_status "$out" 404 InvalidUriPathException
out="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/keys/shared/rewrap" "$(encrypt_body "$PLAINTEXT")")"
expect_status "$out" 404 InvalidUriPathException
out="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/keys/shared/encrypt" \
  "{\"requestMetadata\":$(metadata Encrypt),\"plaintext\":\"not*base64\",\"encryptionAlgorithm\":\"AES_GCM\"}")"
expect_status "$out" 400 ValidationException
out="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/keys/shared/encrypt" \
  "{\"requestMetadata\":$(metadata FutureBulkEncrypt),\"plaintext\":\"$PLAINTEXT\",\"encryptionAlgorithm\":\"AES_GCM\",\"someFutureField\":1}")"
expect_status "$out" 200
pass "not found, bad path, bad Base64; unknown fields and kmsOperation accepted"

for op in health keys/shared/metadata keys/shared/encrypt keys/shared/decrypt; do
  out="$(curl -sS --cacert "$E2E_DIR/tls-cert.pem" -w ' %{http_code}' "$ENDPOINT$A/$op")"
  expect_status "$out" 405
  body_of "$out" | jq -e .errorName >/dev/null || fail "405 without a JSON error body: $out"
done
pass "GET answers 405 with a JSON error body"

# A 1 MiB body is refused cleanly and the server keeps serving.
head -c 1048576 /dev/zero | tr '\0' 'a' > "$E2E_DIR/big.json"
out="$(curl -sS --cacert "$E2E_DIR/tls-cert.pem" -w ' %{http_code}' -H "Content-Type: application/json" \
  --data-binary "@$E2E_DIR/big.json" "$ENDPOINT$A/keys/shared/encrypt" || true)"
[[ "${out##* }" =~ ^4[0-9][0-9]$ ]] || fail "1 MiB body not refused with a 4xx: ${out:0:200}"
out="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/health" "$(health_body)")"
expect_status "$out" 200
pass "1 MiB body refused, server still serving"

# Keep-alive: 100 requests through one curl process must use a single connection.
urls=()  # curl's -o applies to one URL: pair each with its own
for _ in $(seq 1 100); do urls+=(-o /dev/null "$ENDPOINT$A/health"); done
stats="$(curl -sS --cacert "$E2E_DIR/tls-cert.pem" --aws-sigv4 "aws:amz:us-east-1:kms-xks-proxy" \
  --user "$ALPHA_AKID:$ALPHA_SECRET" -H "Content-Type: application/json" -d "$(health_body)" \
  -w '%{http_code} %{num_connects}\n' "${urls[@]}")"
[[ "$(grep -c '^200 ' <<<"$stats")" == 100 ]] || fail "keep-alive statuses: $(sort <<<"$stats" | uniq -c)"
[[ "$(awk '{s+=$2} END {print s}' <<<"$stats")" == 1 ]] || fail "keep-alive opened more than one connection"
pass "100 requests on one keep-alive connection"

# 60 parallel connections, 10 requests each.
for i in $(seq 1 60); do
  curl -sS --cacert "$E2E_DIR/tls-cert.pem" --aws-sigv4 "aws:amz:us-east-1:kms-xks-proxy" \
    --user "$ALPHA_AKID:$ALPHA_SECRET" -H "Content-Type: application/json" \
    -d "$(encrypt_body "$PLAINTEXT")" -w '%{http_code}\n' \
    "${urls[@]:0:30}" > "$E2E_DIR/par.$i" 2>&1 &
done
wait_failed=0
for job in $(jobs -p); do [[ "$job" == "$PROXY_PID" ]] && continue; wait "$job" || wait_failed=1; done
((wait_failed == 0)) || fail "a parallel client failed"
statuses="$(cat "$E2E_DIR"/par.* | sort | uniq -c)"
[[ "$(cat "$E2E_DIR"/par.* | grep -c '^200$')" == 600 ]] || fail "parallel statuses: $statuses"
pass "60 parallel connections x 10 requests, all 200"

# A client we did not write: botocore's SigV4Auth.
out="$(python3 - "$ENDPOINT$A/keys/shared/encrypt" "$ALPHA_AKID" "$ALPHA_SECRET" \
  "$E2E_DIR/tls-cert.pem" "$(encrypt_body "$PLAINTEXT")" <<'PY'
import ssl, sys, urllib.request
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
url, akid, secret, cafile, body = sys.argv[1:6]
req = AWSRequest(method="POST", url=url, data=body.encode(), headers={"Content-Type": "application/json"})
SigV4Auth(Credentials(akid, secret), "kms-xks-proxy", "us-east-1").add_auth(req)
r = urllib.request.Request(url, data=body.encode(), headers=dict(req.headers.items()), method="POST")
with urllib.request.urlopen(r, context=ssl.create_default_context(cafile=cafile)) as resp:
    print(resp.status)
PY
)"
[[ "$out" == 200 ]] || fail "botocore-signed request: $out"
pass "botocore-signed request accepted"

e2e_stop_proxy
pass "SIGTERM drained and exited 0"

# Nothing secret in any log or audit record: plaintext, AAD (raw or Base64), SigV4 secrets, PINs.
needles=("$PLAINTEXT_TEXT" "$PLAINTEXT" "$AAD_TEXT" "$AAD" "$ALPHA_SECRET" "$BETA_SECRET"
         "$(cat "$E2E_DIR/secrets/alpha.pin")" "$(cat "$E2E_DIR/secrets/beta.pin")")
for needle in "${needles[@]}"; do
  if grep -rqF -- "$needle" "$E2E_DIR/audit" "$E2E_DIR/proxy.log"; then
    fail "a secret value appears in the audit log or the proxy log"
  fi
done
[[ "$(cat "$E2E_DIR"/audit/*.jsonl | grep -c '"type":"request"')" -ge 700 ]] \
  || fail "fewer audit request records than requests"
pass "no plaintext, AAD, secret or PIN in logs or audit records"

e2e_verify_audit
pass "audit log verifies offline"
