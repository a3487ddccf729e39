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

# 60 parallel connections, 10 requests each. Each client's pid is kept and waited for by name
# (not through `jobs -p`, whose view of finished and running jobs is the shell's), so every
# output file is complete before it is counted.
parallel_pids=()
for i in $(seq 1 60); do
  curl -sS --cacert "$E2E_DIR/tls-cert.pem" --aws-sigv4 "aws:amz:us-east-1:kms-xks-proxy" \
    --user "$ALPHA_AKID:$ALPHA_SECRET" -H "Content-Type: application/json" \
    -d "$(encrypt_body "$PLAINTEXT")" -w '%{http_code}\n' \
    "${urls[@]:0:30}" > "$E2E_DIR/par.$i" 2>&1 &
  parallel_pids+=("$!")
done
wait_failed=0
for pid in "${parallel_pids[@]}"; do wait "$pid" || wait_failed=1; done
((wait_failed == 0)) || fail "a parallel client failed"
statuses="$(cat "$E2E_DIR"/par.* | sort | uniq -c)"
# Every request gets an answer: 200, or on a machine so loaded that a request would wait past its
# 200 ms budget, 503 DependencyTimeoutException or (shed at the token's queue before it waits)
# 429 ThrottlingException: the answers KMS retries; seen under CI load. Nothing else, and those
# stay the exception.
ok_count="$(cat "$E2E_DIR"/par.* | grep -c '^200$' || true)"
late_count="$(cat "$E2E_DIR"/par.* | grep -cE '^(503|429)$' || true)"
if ((ok_count + late_count != 600 || late_count > 30)); then
  for f in "$E2E_DIR"/par.*; do
    n="$(grep -c '^200$' "$f" || true)"
    [[ "$n" == 10 ]] || echo "  $(basename "$f"): $n x 200 of 10; other lines: $(grep -v '^200$' "$f" | head -5 | tr '\n' '|')" >&2
  done
  fail "parallel statuses: $(tr '\n' ';' <<<"$statuses")"
fi
pass "60 parallel connections x 10 requests: $ok_count x 200, $late_count x 503/429 (over budget)"

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

# Issue 11 item 1: KMS asks for a CDIV on every encrypt; an encrypt-only key must still encrypt
# (the verifying decrypt is skipped, and the audit record says so).
cdiv_body() {  # cdiv_body PLAINTEXT_B64: an Encrypt body that asks for the CDIV
  printf '{"requestMetadata":%s,"plaintext":"%s","encryptionAlgorithm":"AES_GCM","ciphertextDataIntegrityValueAlgorithm":"SHA_256"}' \
    "$(metadata Encrypt)" "$1"
}
out="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/keys/eo/encrypt" "$(cdiv_body "$PLAINTEXT")")"
expect_status "$out" 200
[[ -n "$(body_of "$out" | jq -r '.ciphertextDataIntegrityValue // empty')" ]] || fail "no CDIV: $out"
out="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/keys/shared/encrypt" "$(cdiv_body "$PLAINTEXT")")"
expect_status "$out" 200
pass "encrypt-only key encrypts when KMS asks for a CDIV"

# Issue 11 item 5: one signed body, one request. Bytes after the document (behind a NUL) and
# duplicate keys at any depth are refused; so are raw NUL bytes and invalid UTF-8.
good_body="$(encrypt_body "$PLAINTEXT")"
xks_call_file() {  # xks_call_file FILE: a signed Encrypt whose body is the file's exact bytes
  curl -sS --cacert "$E2E_DIR/tls-cert.pem" --aws-sigv4 "aws:amz:us-east-1:kms-xks-proxy" \
    --user "$ALPHA_AKID:$ALPHA_SECRET" -H "Content-Type: application/json" \
    --data-binary "@$1" -w ' %{http_code}' "$ENDPOINT$A/keys/shared/encrypt"
}
{ printf '%s' "$good_body"; printf '\0GARBAGE'; } > "$E2E_DIR/nul-trailer.json"
out="$(xks_call_file "$E2E_DIR/nul-trailer.json")"
expect_status "$out" 400 ValidationException
sed 's/^{/{"plaintext":"AAAA",/' <<<"$good_body" > "$E2E_DIR/dup-top.json"
out="$(xks_call_file "$E2E_DIR/dup-top.json")"
expect_status "$out" 400 ValidationException
sed 's/"kmsRequestId"/"kmsRequestId":"other","kmsRequestId"/' <<<"$good_body" > "$E2E_DIR/dup-md.json"
out="$(xks_call_file "$E2E_DIR/dup-md.json")"
expect_status "$out" 400 ValidationException
printf '{"requestMetadata":{"kmsRequestId":"a\0b"}}' > "$E2E_DIR/raw-nul.json"
out="$(xks_call_file "$E2E_DIR/raw-nul.json")"
expect_status "$out" 400 ValidationException
printf '{"requestMetadata":{"kmsRequestId":"\xff\xfe"}}' > "$E2E_DIR/bad-utf8.json"
out="$(xks_call_file "$E2E_DIR/bad-utf8.json")"
expect_status "$out" 400 ValidationException
printf '%s' "$good_body" > "$E2E_DIR/good.json"
out="$(xks_call_file "$E2E_DIR/good.json")"
expect_status "$out" 200
pass "trailing bytes, duplicate keys, raw NUL and invalid UTF-8 refused with 400"

# Issue 11 item 13: why a 401 happened is in the log (never the secret); a kmsRequestId with
# unusual characters is escaped in the log line and bounded in the audit record.
WRONG_SECRET="wrong${ALPHA_SECRET:5}"
out="$(xks_call "$ALPHA_AKID" "$WRONG_SECRET" "$A/health" "$(health_body)")"
expect_status "$out" 401 AuthenticationFailedException
# Signed correctly, by botocore, but with a clock an hour behind (curl cannot be given the date).
skewed="$(python3 - "$ENDPOINT$A/health" "$ALPHA_AKID" "$ALPHA_SECRET" "$E2E_DIR/tls-cert.pem" \
  "$(health_body)" <<'PY'
import datetime, ssl, sys, urllib.error, urllib.request
import botocore.auth
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
url, akid, secret, cafile, body = sys.argv[1:6]
now = botocore.auth.get_current_datetime
botocore.auth.get_current_datetime = lambda: now() - datetime.timedelta(hours=1)
req = AWSRequest(method="POST", url=url, data=body.encode(), headers={"Content-Type": "application/json"})
SigV4Auth(Credentials(akid, secret), "kms-xks-proxy", "us-east-1").add_auth(req)
r = urllib.request.Request(url, data=body.encode(), headers=dict(req.headers.items()), method="POST")
try:
    urllib.request.urlopen(r, context=ssl.create_default_context(cafile=cafile))
    print("200", req.headers["X-Amz-Date"])
except urllib.error.HTTPError as e:
    print(e.code, req.headers["X-Amz-Date"])
PY
)"
[[ "${skewed%% *}" == 401 ]] || fail "request signed an hour ago: $skewed"
skewed_date="${skewed#* }"
for reason in "sigv4 signature_mismatch: " "sigv4 clock_skew: X-Amz-Date $skewed_date is 3"; do
  grep -F "status=401" "$E2E_DIR/proxy.log" | grep -qF -- "$reason" \
    || fail "no 401 log line with reason '$reason'"
done
if grep -qF -- "$WRONG_SECRET" "$E2E_DIR/proxy.log"; then fail "the wrong secret reached the log"; fi
odd_id='odd id "quoted"'$'\n''status=200 x'
odd_md="$(jq -c --arg id "$odd_id" '.kmsRequestId = $id' <<<"$(metadata Encrypt)")"
out="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" "$A/keys/shared/encrypt" \
  "{\"requestMetadata\":$odd_md,\"plaintext\":\"$PLAINTEXT\",\"encryptionAlgorithm\":\"AES_GCM\"}")"
expect_status "$out" 200
grep -qF 'kmsRequestId=odd%20id%20%22quoted%22%0Astatus%3D200%20x status=200 ' "$E2E_DIR/proxy.log" \
  || fail "kmsRequestId not escaped in the log: $(grep -F 'odd' "$E2E_DIR/proxy.log" | tail -1)"
long_id="$(head -c 60000 /dev/zero | tr '\0' 'L')"
long_md="$(jq -c --arg id "$long_id" '.kmsRequestId = $id' <<<"$(metadata Encrypt)")"
printf '{"requestMetadata":%s,"plaintext":"%s","encryptionAlgorithm":"AES_GCM"}' "$long_md" \
  "$PLAINTEXT" > "$E2E_DIR/long-id.json"
out="$(xks_call_file "$E2E_DIR/long-id.json")"
expect_status "$out" 200
grep -qF "kmsRequestId=$(head -c 256 /dev/zero | tr '\0' 'L')~ status=200" "$E2E_DIR/proxy.log" \
  || fail "long kmsRequestId not cut and marked in the log"
pass "401 reasons logged without the secret; kmsRequestId escaped and bounded in the log"

e2e_stop_proxy
pass "SIGTERM drained and exited 0"

eo_record="$(cat "$E2E_DIR"/audit/audit-*.jsonl | jq -c 'select(.type == "request" and .externalKeyId == "eo" and .operation == "Encrypt" and .result == "OK")' | tail -1)"
[[ "$(jq -r .encryptVerification <<<"$eo_record")" == skipped_key_cannot_decrypt ]] \
  || fail "encrypt-only audit record: $eo_record"
shared_cdiv="$(cat "$E2E_DIR"/audit/audit-*.jsonl | jq -r 'select(.type == "request" and .externalKeyId == "shared" and .operation == "Encrypt" and .result == "OK") | .encryptVerification' | sort | uniq -c)"
grep -q ' decrypted$' <<<"$shared_cdiv" && grep -q ' not_requested$' <<<"$shared_cdiv" \
  || fail "encryptVerification of shared encrypts: $shared_cdiv"
pass "audit records say how each encrypt was verified"

odd_record="$(cat "$E2E_DIR"/audit/audit-*.jsonl | grep -F 'odd id' | head -1)"
[[ "$(jq -r .requestMetadata.kmsRequestId <<<"$odd_record")" == "$odd_id" ]] \
  || fail "audit record does not keep the exact kmsRequestId"
long_record="$(cat "$E2E_DIR"/audit/audit-*.jsonl | grep -F "$(head -c 256 /dev/zero | tr '\0' 'L')" | head -1)"
((${#long_record} < 4096)) || fail "audit record of a 60,000-character kmsRequestId is ${#long_record} bytes"
[[ "$(jq -r .requestMetadataTruncated.fields.kmsRequestId <<<"$long_record")" == 60000 ]] \
  || fail "cut not recorded: ${long_record:0:400}"
pass "audit keeps unusual kmsRequestIds exactly and bounds long ones (${#long_record} bytes)"

# Nothing secret in any log or audit record: plaintext, AAD (raw or Base64), SigV4 secrets, PINs.
needles=("$PLAINTEXT_TEXT" "$PLAINTEXT" "$AAD_TEXT" "$AAD" "$ALPHA_SECRET" "$BETA_SECRET"
         "$(cat "$E2E_DIR/secrets/alpha.pin")" "$(cat "$E2E_DIR/secrets/beta.pin")")
needles+=("$WRONG_SECRET")
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
