#!/usr/bin/env bash
# docs/operator-guide.md works as written: every block fenced as ```sh runnable is extracted, in
# order, into one script that runs in a scratch directory with `set -euo pipefail`, with the
# build's xks-proxy and xksctl on PATH and the guide's XKS_ETC / XKS_STATE pointed at scratch
# directories (the guide's own SoftHSMv2 configuration puts the tokens there). The guide's blocks
# start the proxy, make SigV4-signed calls with curl, rotate a credential, disable a key, shred one,
# verify the audit log and restart the proxy; this script then checks what they left behind.
# CTest passes the binaries' paths in the environment (tests/docs/CMakeLists.txt).
set -euo pipefail

: "${XKS_PROXY_BIN:?}" "${XKSCTL_BIN:?}" "${XKS_SOURCE_DIR:?}"
guide="$XKS_SOURCE_DIR/docs/operator-guide.md"
tmp_root=/tmp
[[ -d /dev/shm && -w /dev/shm ]] && tmp_root=/dev/shm
dir="$(mktemp -d "$tmp_root/xks-guide.XXXXXX")"
chmod 700 "$dir"

fail() { echo "FAIL: $*" >&2; exit 1; }

guide_cleanup() {
  local rc=$?
  local pid_file="$dir/state/proxy.pid"
  if [[ -s "$pid_file" ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
    kill -TERM "$(cat "$pid_file")" 2>/dev/null || true
    for _ in $(seq 100); do [[ -e "$pid_file" ]] || break; sleep 0.1; done
  fi
  if ((rc != 0)) && [[ -f "$dir/state/proxy.log" ]]; then
    echo "---- proxy log (last 40 lines) ----" >&2
    tail -n 40 "$dir/state/proxy.log" >&2 || true
  fi
  if [[ "${GUIDE_KEEP:-0}" == 1 ]]; then echo "kept $dir" >&2; else rm -rf "$dir"; fi
  exit "$rc"
}
trap guide_cleanup EXIT

# The fenced blocks whose info string is exactly "sh runnable", fence indentation removed (blocks
# inside list items are indented), each preceded by a comment naming its line in the guide.
awk '
  !inside && /^ *```sh runnable *$/ {
    inside = 1; match($0, /^ */); indent = RLENGTH; blocks++
    printf "# ---- docs/operator-guide.md line %d ----\n", NR
    next
  }
  inside && /^ *``` *$/ { inside = 0; next }
  inside { print substr($0, 1 + (length($0) >= indent ? indent : length($0))) }
  END {
    if (inside) { print "unterminated runnable block" > "/dev/stderr"; exit 1 }
    printf "%d\n", blocks > "/dev/stderr"
  }
' "$guide" > "$dir/guide.sh" 2> "$dir/blocks"
blocks="$(cat "$dir/blocks")"
fences="$(grep -c '^ *```sh runnable *$' "$guide")"
((blocks == fences)) || fail "extracted $blocks runnable blocks, the guide has $fences"
# The walkthrough is most of the guide: losing blocks to a changed fence must not go unnoticed.
((blocks >= 15)) || fail "only $blocks runnable blocks in the guide"
if grep -n '^ *```sh *runnable' "$guide" | grep -v '```sh runnable *$'; then
  fail "a fence above is misspelt: runnable blocks are fenced exactly as \`\`\`sh runnable"
fi

mkdir -p "$dir/bin" "$dir/work"
ln -s "$XKS_PROXY_BIN" "$dir/bin/xks-proxy"
ln -s "$XKSCTL_BIN" "$dir/bin/xksctl"

# Nothing of the caller's environment leaks in: the guide sets SOFTHSM2_CONF, XKS_CONFIG and
# XKS_PID_FILE itself. Port 0: any free port (the guide reads it from --port-file).
(
  cd "$dir/work"
  unset SOFTHSM2_CONF XKS_CONFIG XKS_PID_FILE
  export PATH="$dir/bin:$PATH" XKS_ETC="$dir/etc" XKS_STATE="$dir/state" XKS_PORT=0
  bash -euo pipefail "$dir/guide.sh"
) || fail "the guide's runnable blocks failed (script: $dir/guide.sh, GUIDE_KEEP=1 keeps it)"
echo "ok - $blocks runnable blocks of the operator guide ran"

# What the walkthrough must have left behind, checked independently of its own checks.
state="$dir/state"
[[ ! -e "$state/proxy.pid" ]] || fail "the guide left the proxy running"
# has_record FILTER FILE...: some record of the files matches FILTER (jq 1.6's -e judges only the
# last output, so the records are slurped and tested with any).
has_record() {
  local filter="$1"; shift
  cat "$@" | jq -se "any(.[]; $filter)" >/dev/null
}
for operation in credential.add credential.revoke key.add key.disable key.enable key.remove \
  proxy.start proxy.stop; do
  has_record ".type == \"admin\" and .operation == \"$operation\"" "$state"/audit/audit-*.jsonl \
    || fail "no $operation admin record in the proxy's audit chain"
done
has_record '.type == "request" and .operation == "Encrypt" and .result == "OK" and
  .tenant == "acme" and .requestMetadata.kmsRequestId == "guide-1"' "$state"/audit/audit-*.jsonl \
  || fail "no audited Encrypt of guide-1"
has_record '.type == "request" and .result == "AuthenticationFailedException"' \
  "$state"/audit/audit-*.jsonl || fail "the revoked credential's refusal is not audited"
has_record '.type == "admin" and .operation == "key.shred"' "$state"/audit/audit-*.jsonl \
  || fail "no key.shred event in the proxy's chain"
! compgen -G "$state/audit/xksctl-*.jsonl" >/dev/null || fail "xksctl wrote a chain of its own"
starts="$(ls "$state"/audit/audit-*.jsonl | wc -l)"
((starts >= 2)) || fail "expected one audit file per start (2), found $starts"
grep -q 'stopped' "$state/proxy.log" || fail "the proxy did not log a clean stop"
if grep -E ' (ERROR) ' "$state/proxy.log"; then fail "the proxy logged errors (above)"; fi
echo "ok - audit chain and log hold what the guide did"
