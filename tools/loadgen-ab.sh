#!/usr/bin/env bash
# Two xks-proxy binaries (A and B) under the same xks-loadgen load, alternated A, B, A, B, ... in
# one run on the same tenant, token and configuration, so the figures compare as ratios on a shared,
# noisy machine. Prints one line per run and the B/A ratio of successful requests per second.
#
#   tools/loadgen-ab.sh --a PROXY_A --b PROXY_B [--build-dir build/release] [--rounds 2]
#                       [--durability fsync|write] [--audit-parent /var/tmp]
#                       [xks-loadgen options, default: --connections 64 --duration 10s]
#
# The audit log goes to a fresh directory under --audit-parent (default /var/tmp, a real disk:
# with fsync durability the flush is part of what is measured; tmpfs would hide it). Everything
# runs on 127.0.0.1 in a temp dir and is removed at the end.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="$here/build/release"
proxy_a="" proxy_b="" rounds=2 durability=fsync audit_parent=/var/tmp
while [[ $# -gt 0 ]]; do
  case "$1" in
    --a) proxy_a="$(realpath "$2")"; shift 2 ;;
    --b) proxy_b="$(realpath "$2")"; shift 2 ;;
    --build-dir) build="$(cd "$2" && pwd)"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --durability) durability="$2"; shift 2 ;;
    --audit-parent) audit_parent="$2"; shift 2 ;;
    *) break ;;
  esac
done
[[ -x "$proxy_a" && -x "$proxy_b" ]] || { echo "usage: $0 --a PROXY_A --b PROXY_B ..." >&2; exit 2; }
(($# > 0)) || set -- --connections 64 --duration 10s
export XKS_PROXY_BIN="$proxy_a" XKSCTL_BIN="$build/tools/xksctl/xksctl" XKS_SOURCE_DIR="$here"
loadgen="$build/tools/loadgen/xks-loadgen"
source "$here/tests/e2e/lib.sh"

audit_dir="$(mktemp -d "$audit_parent/xks-ab-audit.XXXXXX")"
# The run's status goes on through e2e_cleanup (which exits with $?), not rm's.
ab_cleanup() {
  local rc=$?
  set +e
  rm -rf "$audit_dir"
  (exit "$rc")
  e2e_cleanup
}
trap ab_cleanup EXIT
e2e_config_init
jq --arg dir "$audit_dir" --arg d "$durability" '.audit.directory = $dir | .audit.durability = $d' \
  "$XKS_CONFIG" > "$XKS_CONFIG.new" && mv "$XKS_CONFIG.new" "$XKS_CONFIG"
e2e_add_tenant alpha /alpha
xksctl key create alpha ab >/dev/null
e2e_secret_file ab "$ALPHA_SECRET"

declare -A sum=([a]=0 [b]=0)
for ((round = 1; round <= rounds; ++round)); do
  for side in a b; do
    if [[ $side == a ]]; then XKS_PROXY_BIN="$proxy_a"; else XKS_PROXY_BIN="$proxy_b"; fi
    e2e_start_proxy
    json="$E2E_DIR/$side-$round.json"
    "$loadgen" --url "$ENDPOINT/alpha" --key-id ab --access-key-id "$ALPHA_AKID" \
      --secret-file "$SECRET_FILE" --ca-file "$E2E_DIR/tls-cert.pem" --json "$json" "$@" \
      >/dev/null 2>"$E2E_DIR/loadgen.err" || true
    e2e_stop_proxy
    rps="$(jq -r '.total.rps' "$json")"
    sum[$side]="$(echo "${sum[$side]} + $rps" | bc -l)"
    echo "$side round $round: $(jq -c '{rps: .total.rps, errors: .total.errors,
      p50: .total.latency_us.p50, p99: .total.latency_us.p99, max: .total.latency_us.max}' "$json")"
  done
done
printf 'durability=%s  B/A successful-rps ratio: %.2f\n' "$durability" \
  "$(echo "${sum[b]} / ${sum[a]}" | bc -l)"
