#!/usr/bin/env bash
# Writes tenant-export seeds for the audit_verifier fuzz target (docs/fuzzing.md, "Seeds"): a real
# format-2 chain written by xksctl (config init, two tenants, keys, a credential; every change is
# recorded in the chain, signed with the fuzz test key of tests/fuzz/audit_fuzz_key.h), each
# tenant's tenant-complete export, and damaged copies (a record deleted, a proof altered), each
# seed named by its content hash like the others.
# usage: tests/fuzz/make_export_seeds.sh BUILD_DIR
set -euo pipefail
build="$(cd "${1:?usage: make_export_seeds.sh BUILD_DIR}" && pwd)"
src="$(cd "$(dirname "$0")/../.." && pwd)"
out="$src/tests/fuzz/corpus/audit_verifier"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export SOFTHSM2_CONF="$work/softhsm2.conf" XKS_CONFIG="$work/config.json"
mkdir -p "$work/tokens" "$work/secrets"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\n' "$work" > "$SOFTHSM2_CONF"
xksctl() { "$build/tools/xksctl/xksctl" "$@"; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=seed \
  -keyout "$work/tls-key.pem" -out "$work/tls-cert.pem" 2>/dev/null
chmod 600 "$work/tls-key.pem"
xksctl config init --listen 127.0.0.1:0 --tls-cert "$work/tls-cert.pem" --tls-key "$work/tls-key.pem" \
  --audit-dir "$work/audit" --instance-id fuzz >/dev/null
# Sign with the fuzz key from here on: the target verifies against it.
key_file="$(jq -r '.audit.signer.key_file' "$XKS_CONFIG")"
sed -n '/BEGIN PRIVATE KEY/,/END PRIVATE KEY/p' "$src/tests/fuzz/audit_fuzz_key.h" | sed 's/.*R"(//' > "$key_file"
chmod 600 "$key_file"
rm -f "$work"/audit/*.jsonl
for tenant in a b; do
  xksctl tenant add "$tenant" --prefix "/$tenant" --pin-file "$work/secrets/$tenant.pin" --init-token \
    --out-dir "$work/secrets" >/dev/null
  xksctl key create "$tenant" k1 >/dev/null
done
xksctl key create a k2 >/dev/null
xksctl credential new a --out-dir "$work/secrets" >/dev/null
"$build/proxy/audit/xks-audit" verify --public-key <(openssl pkey -in "$key_file" -pubout) \
  "$work"/audit/*.jsonl >/dev/null
seed() { cp "$1" "$out/$(sha256sum "$1" | cut -c1-16)"; }
for tenant in a b; do
  "$build/proxy/audit/xks-audit" export --tenant "$tenant" -o "$work/export-$tenant.jsonl" \
    "$work"/audit/*.jsonl >/dev/null
  seed "$work/export-$tenant.jsonl"
done
sed '3d' "$work/export-a.jsonl" > "$work/export-a-deleted.jsonl"
seed "$work/export-a-deleted.jsonl"
sed '0,/"path":\["/s//"path":["00/' "$work/export-a.jsonl" > "$work/export-a-bad-proof.jsonl"
seed "$work/export-a-bad-proof.jsonl"
# The log itself, its files separated by form feeds as the target splits its input.
awk 'FNR == 1 && NR != 1 { printf "\f" } { print }' "$work"/audit/*.jsonl > "$work/log.jsonl"
seed "$work/log.jsonl"
echo "wrote 5 seeds to $out"
