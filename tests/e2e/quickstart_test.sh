#!/usr/bin/env bash
# The README's quickstart, as a user runs it (in the background, on a free port, in a temp state
# dir): the env file it writes works with curl for an encrypt/decrypt round trip, and a second run
# reuses the provisioned state.
set -euo pipefail
: "${XKS_SOURCE_DIR:?}" "${XKS_BUILD_DIR:?}"
work="$(mktemp -d /tmp/xks-quickstart.XXXXXX)"
# Run as root, the quickstart creates the system user xks-proxy and the proxy switches to it: the
# state under $work must be reachable by that user (mktemp made $work 0700).
chmod 711 "$work"
had_user=0
id -u xks-proxy >/dev/null 2>&1 && had_user=1
# For e2e_secret_scan (tests/e2e/lib.sh does the same for the other tests): the logs, the audit
# files and the secrets used, in ${XKS_BUILD_DIR}/test-artifacts/quickstart/.
save_artifacts() {
  local dest="$XKS_BUILD_DIR/test-artifacts/quickstart" f
  mkdir -p "$dest" && chmod 700 "$XKS_BUILD_DIR/test-artifacts" "$dest"
  (cd "$work/qs" && find . -type f \( -name '*.log' -o -path './audit/*' \) \
    -exec cp --parents {} "$dest/" \;)
  (umask 077 && touch "$dest/secrets.list")
  while IFS= read -r -d '' f; do
    printf '%s\t%s\n' "$([[ "$f" == *.secret ]] && echo secret || echo pin)" \
      "$(tr -d '\r\n' < "$f")" >> "$dest/secrets.list"
  done < <(find "$work/qs" -type f \( -name '*.pin' -o -name '*.pin.so' -o -name '*.secret' \) -print0)
  printf 'data\tSGVsbG8gV29ybGQh\n' >> "$dest/secrets.list"
}
cleanup() {
  local rc=$?
  [[ -f "$work/qs/proxy.pid" ]] && kill -TERM "$(cat "$work/qs/proxy.pid")" 2>/dev/null || true
  sleep 0.2
  [[ -d "$work/qs" ]] && { save_artifacts || echo "warning: artefacts not saved" >&2; }
  rm -rf "$work"
  if ((EUID == 0 && had_user == 0)) && id -u xks-proxy >/dev/null 2>&1; then
    userdel xks-proxy 2>/dev/null || echo "warning: could not remove user xks-proxy" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export XKS_BUILD_DIR

"$XKS_SOURCE_DIR/tools/quickstart.sh" --background --port 0 --state-dir "$work/qs" > "$work/out" 2>&1 \
  || { cat "$work/out"; fail "quickstart failed"; }
grep -q "curl --cacert" "$work/out" || fail "quickstart printed no curl command"
[[ "$(stat -c %a "$work/qs.env")" == 600 ]] || fail "the env file with the secret is not 0600"
set -a; source "$work/qs.env"; set +a
for name in XKS_ENDPOINT XKS_URI_PREFIX XKS_ACCESS_KEY_ID XKS_SECRET_ACCESS_KEY XKS_KEY_ID; do
  [[ -n "${!name:-}" ]] || fail "$name missing from the env file"
done
[[ "$XKS_ENDPOINT" =~ ^https://127\.0\.0\.1:[0-9]+$ ]] || fail "XKS_ENDPOINT=$XKS_ENDPOINT"
# The admin listener the quickstart enables: Prometheus text on loopback.
[[ "${XKS_ADMIN_ENDPOINT:-}" =~ ^http://127\.0\.0\.1:[0-9]+$ ]] || fail "XKS_ADMIN_ENDPOINT=${XKS_ADMIN_ENDPOINT:-}"
# Into a variable first: `curl | grep -q` fails under pipefail when grep stops reading early.
scrape="$(curl -sS -f "$XKS_ADMIN_ENDPOINT/metrics")" || fail "no metrics at $XKS_ADMIN_ENDPOINT/metrics"
grep -q '^# TYPE xks_requests_total counter$' <<<"$scrape" \
  || fail "no xks_requests_total in the metrics at $XKS_ADMIN_ENDPOINT/metrics"

call() {
  curl -sS --cacert "$XKS_CA_FILE" --aws-sigv4 "aws:amz:us-east-1:kms-xks-proxy" \
    --user "$XKS_ACCESS_KEY_ID:$XKS_SECRET_ACCESS_KEY" -H "Content-Type: application/json" \
    --data-binary "$2" "$XKS_ENDPOINT$XKS_URI_PREFIX/kms/xks/v1/keys/$XKS_KEY_ID/$1"
}
md='{"awsPrincipalArn":"arn:aws:iam::111122223333:user/demo","kmsKeyArn":"arn:k","kmsOperation":"Encrypt","kmsRequestId":"q1"}'
enc="$(call encrypt "{\"requestMetadata\":$md,\"plaintext\":\"SGVsbG8gV29ybGQh\",\"encryptionAlgorithm\":\"AES_GCM\"}")"
jq -e .ciphertext <<<"$enc" >/dev/null || fail "encrypt: $enc"
dec="$(call decrypt "$(jq -c --argjson md "$md" '{requestMetadata:$md,encryptionAlgorithm:"AES_GCM",ciphertext,ciphertextMetadata,initializationVector,authenticationTag}' <<<"$enc")")"
[[ "$(jq -r .plaintext <<<"$dec")" == "SGVsbG8gV29ybGQh" ]] || fail "decrypt: $dec"
echo "ok - quickstart proxy answers encrypt and decrypt from its env file"

if ((EUID == 0)); then
  qs_pid="$(cat "$work/qs/proxy.pid")"
  [[ "$(awk '/^Uid:/ {print $3}' "/proc/$qs_pid/status")" == "$(id -u xks-proxy)" ]] \
    || fail "started as root, the quickstart proxy does not run as xks-proxy: $(grep ^Uid "/proc/$qs_pid/status")"
  echo "ok - started as root, the quickstart proxy runs as the system user xks-proxy"
fi

# The conformance command the quickstart prints must work as printed (it once named a binary the
# quickstart had not built).
conformance_cmd="$(sed -n 's/^Check it against the spec: *//p' "$work/out")"
[[ -n "$conformance_cmd" ]] || fail "quickstart printed no conformance command"
read -r -a conformance_argv <<<"$conformance_cmd"
[[ -x "${conformance_argv[0]}" ]] \
  || fail "the printed conformance binary does not exist: $conformance_cmd"
"${conformance_argv[@]}" > "$work/conformance.out" 2>&1 \
  || { tail -n 30 "$work/conformance.out"; fail "the printed conformance command failed"; }
echo "ok - the printed xks-conformance command passes against the demo tenant"

# Files that name tenants, keys and clients are the operator's alone.
[[ "$(stat -c %a "$work/qs/proxy.log")" == 600 ]] || fail "proxy.log is not 0600"
for f in "$work/qs/audit"/*.jsonl; do
  [[ "$(stat -c %a "$f")" == 600 ]] || fail "audit file $f is $(stat -c %a "$f"), not 0600"
done
echo "ok - proxy.log and audit files are 0600"

first_pid="$(cat "$work/qs/proxy.pid")"
kill -TERM "$first_pid"
for _ in $(seq 1 100); do kill -0 "$first_pid" 2>/dev/null || break; sleep 0.05; done
"$XKS_SOURCE_DIR/tools/quickstart.sh" --background --port 0 --state-dir "$work/qs" > "$work/out2" 2>&1 \
  || { cat "$work/out2"; fail "second quickstart run failed"; }
grep -q "provisioning" "$work/out2" && fail "the second run provisioned again instead of reusing the state"
set -a; source "$work/qs.env"; set +a
enc="$(call encrypt "{\"requestMetadata\":$md,\"plaintext\":\"SGVsbG8gV29ybGQh\",\"encryptionAlgorithm\":\"AES_GCM\"}")"
jq -e .ciphertext <<<"$enc" >/dev/null || fail "encrypt after restart: $enc"
echo "ok - a second run reuses the provisioned tenant"
