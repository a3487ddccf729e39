#!/usr/bin/env bash
# Valid signed Encrypts (p50/p99) against the real xks-proxy on SoftHSMv2, with no flood, during a
# flood of connections pipelining unsigned requests, and during a flood of GET /ping. Everything
# runs on 127.0.0.1 in a temp dir and stops by itself (3 phases of --seconds each, plus warm-up).
#
#   tools/flood-bench.sh [--build-dir build/release] [--proxy-bin PATH]
#                        [flood_bench options: --seconds 10 --valid-connections 4
#                         --flood-connections 16 --pipeline 32]
#
# Needs a build with XKS_BUILD_BENCHMARKS=ON (the default): xks-proxy, xksctl, flood_bench.
# --proxy-bin runs another xks-proxy (e.g. an older build) against the same client, to compare.
# The audit log goes to a fresh directory under --audit-parent (default /var/tmp, a real disk:
# with fsync durability the flush cost is part of what is measured; tmpfs would hide it).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="$here/build/release"
proxy_bin=""
audit_parent=/var/tmp
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build="$(cd "$2" && pwd)"; shift 2 ;;
    --proxy-bin) proxy_bin="$(realpath "$2")"; shift 2 ;;
    --audit-parent) audit_parent="$2"; shift 2 ;;
    *) break ;;
  esac
done
export XKS_PROXY_BIN="${proxy_bin:-$build/proxy/runtime/xks-proxy}"
export XKSCTL_BIN="$build/tools/xksctl/xksctl"
export XKS_SOURCE_DIR="$here"
bench="$build/tests/api/flood_bench"
for bin in "$XKS_PROXY_BIN" "$XKSCTL_BIN" "$bench"; do
  [[ -x "$bin" ]] || { echo "missing $bin: build it first" >&2; exit 2; }
done
# The e2e helpers: temp SoftHSM tokens, xksctl provisioning, proxy start/stop, cleanup on exit.
source "$here/tests/e2e/lib.sh"
disk_audit="$(mktemp -d "$audit_parent/xks-bench-audit.XXXXXX")"
rmdir "$E2E_DIR/audit"
ln -s "$disk_audit" "$E2E_DIR/audit"
bench_cleanup() {
  local rc=$?
  # No set -e here: under it "(exit $rc)" of a failed run would end the trap before e2e_cleanup
  # stops the proxy, prints its log and removes $E2E_DIR.
  set +e
  rm -rf "$disk_audit"
  (exit "$rc")  # e2e_cleanup reads the run's status from $?
  e2e_cleanup
}
trap bench_cleanup EXIT

e2e_config_init
e2e_add_tenant alpha /alpha
xksctl key create alpha bench >/dev/null
e2e_start_proxy
e2e_secret_file bench "$ALPHA_SECRET"
"$bench" --port "$PORT" --ca-file "$E2E_DIR/tls-cert.pem" --prefix /alpha --key bench \
  --access-key-id "$ALPHA_AKID" --secret-file "$SECRET_FILE" "$@"
e2e_stop_proxy
records="$(cat "$E2E_DIR"/audit/audit-*.jsonl | wc -l)"
bytes="$(cat "$E2E_DIR"/audit/audit-*.jsonl | wc -c)"
summaries="$(cat "$E2E_DIR"/audit/audit-*.jsonl | grep -c '"type":"refusal-summary"' || true)"
echo "audit ($(df --output=fstype "$disk_audit" | tail -1)): $records lines, $bytes bytes, $summaries refusal summaries"
e2e_verify_audit >/dev/null && echo "audit log verifies"
