#!/usr/bin/env bash
# Erasure an auditor can verify: the real proxy serves two tenants, one is crypto-shredded, and
# its certificate is verified with `xksctl audit verify-erasure`, with `xks-audit verify-erasure`
# and with the independent openssl + Python recipe extracted from docs/erasure-verification.md.
# Then the certificate, the shred record and a later record (a forged successful Encrypt after
# the shred, re-chained) are tampered with, and each is refused with its finding. Before that,
# each tenant's tenant-complete export is proven complete (by xksctl and by the documented
# Python recipe), and a record deleted from one is reported missing by both.
source "$(dirname "$0")/lib.sh"

e2e_config_init
e2e_add_tenant alpha /alpha
e2e_add_tenant beta /beta
xksctl key create alpha a1 >/dev/null
xksctl key create beta b1 >/dev/null
e2e_start_proxy
PLAINTEXT="$(printf 'erasure-test' | base64 -w0)"
for _ in 1 2 3; do
  out="$(xks_call "$ALPHA_AKID" "$ALPHA_SECRET" /alpha/kms/xks/v1/keys/a1/encrypt "$(encrypt_body "$PLAINTEXT")")"
  expect_status "$out" 200
  expect_status "$(xks_call "$BETA_AKID" "$BETA_SECRET" /beta/kms/xks/v1/keys/b1/encrypt "$(encrypt_body "$PLAINTEXT")")" 200
done
canary="$(body_of "$out")"
pass "traffic for alpha and beta"

CERT="$E2E_DIR/erasure.json"
xksctl --json tenant shred alpha --yes-destroy alpha --certificate "$CERT" > "$E2E_DIR/shred.json" \
  || fail "shred: $(cat "$E2E_DIR/shred.json")"
jq -e '.certificate_body.complete == true and (.certificate_body.members | length) == 1' \
  "$E2E_DIR/shred.json" >/dev/null || fail "certificate: $(cat "$CERT")"
jq -e '.out_of_scope | test("HSM backups")' "$CERT" >/dev/null || fail "no out_of_scope statement"
retry_status 404 "$ALPHA_AKID" "$ALPHA_SECRET" /alpha/kms/xks/v1/keys/a1/decrypt "$(decrypt_body_from "$canary")"
expect_status "$(xks_call "$BETA_AKID" "$BETA_SECRET" /beta/kms/xks/v1/keys/b1/encrypt "$(encrypt_body "$PLAINTEXT")")" 200
e2e_stop_proxy  # its shutdown checkpoint signs everything
pass "alpha shredded, beta still served"

xksctl audit public-key --key-file "$AUDIT_KEY" > "$E2E_DIR/audit-public.pem"
PUB="$E2E_DIR/audit-public.pem"
AUDIT_FILES=("$E2E_DIR"/audit/*.jsonl)

# One chain per instance: xksctl's shred event is in the proxy's own chain (admin socket).
xksctl --json audit verify --public-key "$PUB" "${AUDIT_FILES[@]}" > "$E2E_DIR/verify.json" \
  || fail "audit verify: $(cat "$E2E_DIR/verify.json")"
jq -e '[.chains[].chainId] == ["e2e/audit"]' "$E2E_DIR/verify.json" >/dev/null \
  || fail "chains: $(jq -c .chains "$E2E_DIR/verify.json")"
compgen -G "$E2E_DIR/audit/xksctl-*.jsonl" >/dev/null && fail "xksctl wrote a chain of its own"
pass "audit verify: one chain holds the requests and the shred event"

# Tenant-complete exports: each tenant's export proves it holds every one of its records (its
# tenant chain, proven at every checkpoint) and holds nothing of the other tenant.
for tenant in alpha beta; do
  other=beta; [[ $tenant == beta ]] && other=alpha
  xksctl --json audit export --tenant "$tenant" -o "$E2E_DIR/export-$tenant.jsonl" "${AUDIT_FILES[@]}" \
    > "$E2E_DIR/export-$tenant.json" || fail "export $tenant: $(cat "$E2E_DIR/export-$tenant.json")"
  jq -e '.form == "complete" and .firstTenantSeq == 1 and .proofs > 0 and .redactedRecords == 0' \
    "$E2E_DIR/export-$tenant.json" >/dev/null || fail "export $tenant: $(cat "$E2E_DIR/export-$tenant.json")"
  xksctl --json audit verify --public-key "$PUB" "$E2E_DIR/export-$tenant.jsonl" \
    > "$E2E_DIR/verify-$tenant.json" || fail "verify export $tenant: $(cat "$E2E_DIR/verify-$tenant.json")"
  records="$(jq .tenantRecords "$E2E_DIR/export-$tenant.json")"
  jq -e --argjson n "$records" '.ok and .records == $n and .signedThrough == $n' \
    "$E2E_DIR/verify-$tenant.json" >/dev/null || fail "export $tenant not proven: $(cat "$E2E_DIR/verify-$tenant.json")"
  ! grep -q "\"tenant\":\"$other\"\|/$other/kms\|\"redacted\"" "$E2E_DIR/export-$tenant.jsonl" \
    || fail "export $tenant holds something of $other"
done
jq -e '.tenantRecords >= 4' "$E2E_DIR/export-beta.json" >/dev/null || fail "beta's traffic not exported"
pass "each tenant's export verifies as complete through its last checkpoint, with nothing of the other"

# One of beta's records deleted from its export: reported as missing, by its tenantSeq.
victim="$(grep -n '"operation":"Encrypt"' "$E2E_DIR/export-beta.jsonl" | sed -n 2p | cut -d: -f1)"
victim_seq="$(sed -n "${victim}p" "$E2E_DIR/export-beta.jsonl" | sed 's/.*"tenantSeq":\([0-9]*\).*/\1/')"
sed "${victim}d" "$E2E_DIR/export-beta.jsonl" > "$E2E_DIR/export-beta-cut.jsonl"
rc=0
xksctl --json audit verify --public-key "$PUB" "$E2E_DIR/export-beta-cut.jsonl" \
  > "$E2E_DIR/verify-cut.json" || rc=$?
[[ $rc == 1 ]] || fail "a cut export verified (exit $rc)"
jq -e --argjson s "$victim_seq" '[.findings[] | select(.kind == "tenant-missing" and .seq == $s)] | length == 1' \
  "$E2E_DIR/verify-cut.json" >/dev/null || fail "missing record not reported: $(cat "$E2E_DIR/verify-cut.json")"
pass "a record deleted from beta's export is reported: tenant-missing, tenantSeq $victim_seq"

# The same with the documented Python + openssl recipe, independent of this project's verifier.
EXPORT_RECIPE="$E2E_DIR/verify_tenant_export.py"
sed -n '/^<!-- recipe: verify_tenant_export.py -->$/,/^```$/p' "$XKS_SOURCE_DIR/docs/audit-format.md" \
  | sed '1,2d;$d' > "$EXPORT_RECIPE"
[[ -s "$EXPORT_RECIPE" ]] || fail "no export recipe in docs/audit-format.md"
for tenant in alpha beta; do
  python3 "$EXPORT_RECIPE" "$E2E_DIR/export-$tenant.jsonl" "$PUB" > "$E2E_DIR/recipe-$tenant.out" 2>&1 \
    || fail "export recipe on $tenant: $(cat "$E2E_DIR/recipe-$tenant.out")"
  grep -q "^OK: tenant $tenant holds every record, tenantSeq 1\.\." "$E2E_DIR/recipe-$tenant.out" \
    || fail "export recipe: $(cat "$E2E_DIR/recipe-$tenant.out")"
done
rc=0
python3 "$EXPORT_RECIPE" "$E2E_DIR/export-beta-cut.jsonl" "$PUB" > "$E2E_DIR/recipe-cut.out" 2>&1 || rc=$?
[[ $rc == 1 ]] && grep -q "^FAIL: records $victim_seq\.\.$victim_seq of tenant beta are missing" \
  "$E2E_DIR/recipe-cut.out" || fail "export recipe on the cut export (exit $rc): $(cat "$E2E_DIR/recipe-cut.out")"
pass "the documented Python + openssl recipe proves both exports complete and finds the deleted record"

# verify-erasure EXPECTED_EXIT CERT FILES... → the JSON report in $E2E_DIR/ve.json
verify_erasure() {
  local expected="$1" rc=0
  shift
  xksctl --json audit verify-erasure "$1" --public-key "$PUB" "${@:2}" > "$E2E_DIR/ve.json" || rc=$?
  ((rc == expected)) || fail "verify-erasure exit $rc (expected $expected): $(cat "$E2E_DIR/ve.json")"
}
has_finding() {
  jq -e --arg k "$1" '[.findings[].kind] | index($k) != null' "$E2E_DIR/ve.json" >/dev/null \
    || fail "no $1 finding: $(jq -c .findings "$E2E_DIR/ve.json")"
}

verify_erasure 0 "$CERT" "${AUDIT_FILES[@]}"
jq -e '.ok == true and .signature.valid == true and .event.chain == "e2e/audit" and
       .coveringCheckpointSeq > .event.seq' "$E2E_DIR/ve.json" >/dev/null \
  || fail "verify-erasure report: $(cat "$E2E_DIR/ve.json")"
XKS_AUDIT="${XKS_AUDIT_BIN:?the standalone verifier xks-audit}"
"$XKS_AUDIT" verify-erasure "$CERT" --public-key "$PUB" "${AUDIT_FILES[@]}" > "$E2E_DIR/ve.txt" \
  || fail "xks-audit verify-erasure: $(cat "$E2E_DIR/ve.txt")"
grep -q '^VERIFIED' "$E2E_DIR/ve.txt" || fail "xks-audit output: $(cat "$E2E_DIR/ve.txt")"
pass "verify-erasure: certificate, shred event, covering checkpoint, no use after erasure"

# The independent recipe, exactly as the documentation shows it.
RECIPE="$E2E_DIR/verify_erasure.py"
sed -n '/^<!-- recipe: verify_erasure.py -->$/,/^```$/p' "$XKS_SOURCE_DIR/docs/erasure-verification.md" \
  | sed '1,2d;$d' > "$RECIPE"
[[ -s "$RECIPE" ]] || fail "no recipe in docs/erasure-verification.md"
recipe() {  # recipe EXPECTED_EXIT CERT FILES...
  local expected="$1" rc=0
  shift
  python3 "$RECIPE" "$1" "$PUB" "${@:2}" > "$E2E_DIR/recipe.out" 2>&1 || rc=$?
  ((rc == expected)) || fail "recipe exit $rc (expected $expected): $(cat "$E2E_DIR/recipe.out")"
}
recipe 0 "$CERT" "${AUDIT_FILES[@]}"
grep -q '^OK: erasure of tenant alpha' "$E2E_DIR/recipe.out" || fail "recipe: $(cat "$E2E_DIR/recipe.out")"
pass "the documented openssl + Python recipe verifies the certificate and its checkpoint"

# Tampering 1: the certificate (any field changed after signing).
jq '.keys[0].erased = true | .started_at = "2000-01-01T00:00:00Z"' "$CERT" > "$E2E_DIR/forged-cert.json"
verify_erasure 1 "$E2E_DIR/forged-cert.json" "${AUDIT_FILES[@]}"
has_finding bad-signature
recipe 1 "$E2E_DIR/forged-cert.json" "${AUDIT_FILES[@]}"
grep -q 'bad-signature' "$E2E_DIR/recipe.out" || fail "recipe: $(cat "$E2E_DIR/recipe.out")"
pass "an altered certificate is refused: bad-signature"

# edit_record FILE MATCH PYEXPR: rewrites the first record whose line contains MATCH (PYEXPR
# edits `r`, the parsed record), canonically serialised, and re-chains every later line so the
# hash chain is consistent again (only the signed checkpoints can tell).
edit_record() {
  python3 - "$@" <<'PY'
import hashlib, json, sys
path, match, expr = sys.argv[1:4]
lines = open(path).read().split("\n")[:-1]
prev, edited = None, False
for i, line in enumerate(lines):
    body = line[:-76] + "}"
    r = json.loads(body)
    if prev is None:
        prev = bytes.fromhex(r["prevChain"]) if r.get("type") == "file-start" else None
    if not edited and match in line:
        exec(expr)
        body = json.dumps(r, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        edited = True
    prev = hashlib.sha256(prev + hashlib.sha256(body.encode()).digest()).digest()
    lines[i] = body[:-1] + ',"chain":"' + prev.hex() + '"}'
assert edited, "no line matches " + match
open(path, "w").write("\n".join(lines) + "\n")
PY
}
tampered_copy() {  # a fresh copy of the audit directory in $E2E_DIR/t
  rm -rf "$E2E_DIR/t" && cp -r "$E2E_DIR/audit" "$E2E_DIR/t"
  TAMPERED=("$E2E_DIR"/t/*.jsonl)
}

# Tampering 2: the shred record (a label in its details), re-chained.
tampered_copy
edit_record "$(grep -l '"tenant.shred"' "$E2E_DIR"/t/audit-*.jsonl | head -1)" '"tenant.shred"' \
  'r["details"]["labels"][0] = "forged"'
verify_erasure 1 "$CERT" "${TAMPERED[@]}"
has_finding not-checkpointed
has_finding event-mismatch:labels
recipe 1 "$CERT" "${TAMPERED[@]}"
grep -q 'does not verify' "$E2E_DIR/recipe.out" || fail "recipe: $(cat "$E2E_DIR/recipe.out")"
pass "an altered shred record is refused: not-checkpointed, event-mismatch:labels"

# Tampering 3: a later record turned into a successful Encrypt of alpha's key, re-chained.
tampered_copy
last_beta="$(grep -h '"operation":"Encrypt"' "$E2E_DIR"/t/audit-*.jsonl | grep '"tenant":"beta"' | tail -1)"
seq="$(jq -r .seq <<<"${last_beta:0:${#last_beta}-76}}")"
file="$(grep -l "\"seq\":$seq," "$E2E_DIR"/t/audit-*.jsonl | head -1)"
edit_record "$file" "\"seq\":$seq," \
  'r.update(tenant="alpha", externalKeyId="a1", keyLabel=r["keyLabel"].replace("beta", "alpha"), httpPath="/alpha/kms/xks/v1/keys/a1/encrypt", result="OK")'
verify_erasure 1 "$CERT" "${TAMPERED[@]}"
has_finding use-after-erasure
has_finding audit-tampered
pass "a forged successful Encrypt after the shred is refused: use-after-erasure, audit-tampered"

# Without the files that hold the event, nothing proves the erasure was recorded.
verify_erasure 1 "$CERT" "$(ls "$E2E_DIR"/audit/audit-*.jsonl | head -1)"
has_finding no-shred-event
pass "missing audit files are findings: no-shred-event"
