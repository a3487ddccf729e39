# Shared helpers for the end-to-end tests: SoftHSMv2 tokens in a temp dir, tenants provisioned with
# xksctl, the real xks-proxy on a free loopback port, requests signed by Debian's curl --aws-sigv4.
# Sourced by each tests/e2e/*_test.sh; CTest passes the binaries' paths in the environment.
# Every check that fails prints what it expected and what it saw, then the test exits non-zero.

set -euo pipefail

: "${XKS_PROXY_BIN:?}" "${XKSCTL_BIN:?}" "${XKS_SOURCE_DIR:?}"
# SoftHSM rewrites token files on every change: tmpfs keeps that fast when it is available.
e2e_tmp_root=/tmp
[[ -d /dev/shm && -w /dev/shm ]] && e2e_tmp_root=/dev/shm
E2E_DIR="$(mktemp -d "$e2e_tmp_root/xks-e2e.XXXXXX")"
chmod 700 "$E2E_DIR"
export SOFTHSM2_CONF="$E2E_DIR/softhsm2.conf"
mkdir -p "$E2E_DIR/tokens" "$E2E_DIR/secrets" "$E2E_DIR/audit"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
  "$E2E_DIR" > "$SOFTHSM2_CONF"
export XKS_CONFIG="$E2E_DIR/config.json"
PROXY_PID=""
E2E_FAILURES=0
# For the suite-wide secret scan (tests/e2e/secret_scan.py): every plaintext, AAD and other
# secret value a test used that is not in a secret file, one "KIND<TAB>VALUE" a line.
E2E_TEST_NAME="$(basename "$0" .sh)"
E2E_TEST_NAME="${E2E_TEST_NAME%_test}"
E2E_SECRETS_USED="$E2E_DIR/secrets-used.list"
(umask 077 && : > "$E2E_SECRETS_USED")

# e2e_record_secret KIND VALUE: KIND is pin, secret (a SigV4 secret access key) or data (VALUE is
# the Base64 of a plaintext or AAD). PINs and SigV4 secrets in files under $E2E_DIR are found on
# their own (*.pin, *.pin.so, *.secret).
e2e_record_secret() {
  [[ -n "$2" ]] || return 0
  printf '%s\t%s\n' "$1" "$2" >> "$E2E_SECRETS_USED"
}

# Copies the run's logs and audit files to ${XKS_BUILD_DIR}/test-artifacts/<test>/ and appends
# every secret the run used to secrets.list there (0600), for the e2e_secret_scan test.
e2e_save_artifacts() {
  [[ -n "${XKS_BUILD_DIR:-}" ]] || return 0
  local root="$XKS_BUILD_DIR/test-artifacts" dest f kind
  dest="$root/$E2E_TEST_NAME"
  mkdir -p "$dest"
  chmod 700 "$root" "$dest"
  (cd "$E2E_DIR" && find . -type f \( -name '*.log' -o -path './audit/*' \) \
    -exec cp --parents {} "$dest/" \;)
  (umask 077 && touch "$dest/secrets.list")
  while IFS= read -r -d '' f; do
    case "$f" in *.secret) kind=secret ;; *) kind=pin ;; esac
    printf '%s\t%s\n' "$kind" "$(head -c 4096 "$f" | tr -d '\r\n')" >> "$dest/secrets.list"
  done < <(find "$E2E_DIR" -type f \( -name '*.pin' -o -name '*.pin.so' -o -name '*.secret' \) \
             -print0)
  sort -u "$E2E_SECRETS_USED" >> "$dest/secrets.list"
}

e2e_cleanup() {
  local rc=$?
  if [[ -n "$PROXY_PID" ]] && kill -0 "$PROXY_PID" 2>/dev/null; then
    kill -TERM "$PROXY_PID" 2>/dev/null || true
    wait "$PROXY_PID" 2>/dev/null || true
  fi
  if ((rc != 0)) && [[ -f "$E2E_DIR/proxy.log" ]]; then
    echo "---- proxy log (last 40 lines) ----" >&2
    tail -n 40 "$E2E_DIR/proxy.log" >&2 || true
  fi
  e2e_save_artifacts || echo "warning: could not save the test artefacts" >&2
  if [[ "${E2E_KEEP:-0}" == 1 ]]; then echo "kept $E2E_DIR" >&2; else rm -rf "$E2E_DIR"; fi
  exit "$rc"
}
trap e2e_cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }

# xksctl on the test's configuration; once the proxy runs, every change also reloads it.
xksctl() {
  local pid_args=()
  [[ -s "$E2E_DIR/proxy.pid" ]] && pid_args=(--pid-file "$E2E_DIR/proxy.pid")
  "$XKSCTL_BIN" --config "$XKS_CONFIG" "${pid_args[@]}" "$@"
}

# A self-signed server certificate for 127.0.0.1 / localhost.
e2e_make_tls() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$E2E_DIR/tls-key.pem" -out "$E2E_DIR/tls-cert.pem" 2>/dev/null
  chmod 600 "$E2E_DIR/tls-key.pem"
}

# Starts xks-proxy and waits until it listens; sets PORT and ENDPOINT.
e2e_start_proxy() {
  rm -f "$E2E_DIR/proxy.port"
  "$XKS_PROXY_BIN" --config "$XKS_CONFIG" --port-file "$E2E_DIR/proxy.port" \
    --pid-file "$E2E_DIR/proxy.pid" >>"$E2E_DIR/proxy.log" 2>&1 &
  PROXY_PID=$!
  for _ in $(seq 1 200); do
    [[ -s "$E2E_DIR/proxy.port" ]] && break
    kill -0 "$PROXY_PID" 2>/dev/null || fail "xks-proxy exited during start"
    sleep 0.05
  done
  [[ -s "$E2E_DIR/proxy.port" ]] || fail "xks-proxy did not start listening"
  PORT="$(cat "$E2E_DIR/proxy.port")"
  ENDPOINT="https://127.0.0.1:$PORT"
}

# Sends SIGTERM and expects a clean exit 0.
e2e_stop_proxy() {
  kill -TERM "$PROXY_PID"
  local rc=0
  wait "$PROXY_PID" || rc=$?
  PROXY_PID=""
  ((rc == 0)) || fail "xks-proxy exited with $rc after SIGTERM (expected 0)"
}

# Reloads the running proxy (SIGHUP) and waits for the reload's log line.
e2e_reload() {
  local before
  before="$(grep -c "configuration reloaded\|reload refused" "$E2E_DIR/proxy.log" || true)"
  kill -HUP "$PROXY_PID"
  for _ in $(seq 1 200); do
    local now
    now="$(grep -c "configuration reloaded\|reload refused" "$E2E_DIR/proxy.log" || true)"
    ((now > before)) && return 0
    sleep 0.05
  done
  fail "no reload result in the proxy log"
}

# credential_of TENANT → sets AKID and SECRET from the tenant's first (or Nth) credential file.
# call AKID SECRET PATH JSON → prints "<status> <body>"
xks_call() {
  local akid="$1" secret="$2" path="$3" body="$4"
  e2e_record_secret secret "$secret"
  curl -sS --cacert "$E2E_DIR/tls-cert.pem" --aws-sigv4 "aws:amz:us-east-1:kms-xks-proxy" \
    --user "$akid:$secret" -H "Content-Type: application/json" --data-binary "$body" \
    -w ' %{http_code}' "$ENDPOINT$path"
}

# expect_status "<out>" STATUS [errorName]
expect_status() {
  local out="$1" status="$2" name="${3:-}"
  [[ "${out##* }" == "$status" ]] || fail "expected HTTP $status, got: $out"
  if [[ -n "$name" ]]; then
    local got
    got="$(printf '%s' "${out% *}" | jq -r .errorName)"
    [[ "$got" == "$name" ]] || fail "expected errorName $name, got: $out"
  fi
}

# retry_status STATUS AKID SECRET PATH BODY: repeats the call (up to ~5 s) until it answers STATUS,
# for changes that take effect after an asynchronous reload. Sets `out` to the last answer.
retry_status() {
  local status="$1"; shift
  for _ in $(seq 1 100); do
    out="$(xks_call "$@")"
    [[ "${out##* }" == "$status" ]] && return 0
    sleep 0.05
  done
}

body_of() { printf '%s' "${1% *}"; }

metadata() {  # metadata OPERATION → a requestMetadata object
  printf '{"awsPrincipalArn":"arn:aws:iam::123456789012:user/e2e","kmsKeyArn":"arn:aws:kms:us-east-1:123456789012:key/e2e","kmsOperation":"%s","kmsRequestId":"e2e-%s"}' "$1" "$RANDOM"
}

encrypt_body() {  # encrypt_body PLAINTEXT_B64 [AAD_B64]
  e2e_record_secret data "$1"
  e2e_record_secret data "${2:-}"
  local aad=""
  [[ -n "${2:-}" ]] && aad=",\"additionalAuthenticatedData\":\"$2\""
  printf '{"requestMetadata":%s,"plaintext":"%s","encryptionAlgorithm":"AES_GCM"%s}' \
    "$(metadata Encrypt)" "$1" "$aad"
}

# decrypt_body_from ENCRYPT_RESPONSE_JSON [AAD_B64]
decrypt_body_from() {
  local aad="${2:-}"
  e2e_record_secret data "$aad"
  jq -c --arg aad "$aad" --argjson md "$(metadata Decrypt)" \
    '{requestMetadata:$md, encryptionAlgorithm:"AES_GCM", ciphertext, ciphertextMetadata,
      initializationVector, authenticationTag}
     + (if $aad == "" then {} else {additionalAuthenticatedData:$aad} end)' <<<"$1"
}

health_body() { printf '{"requestMetadata":{"kmsRequestId":"e2e-h","kmsOperation":"KmsHealthCheck"}}'; }

# A configuration with TLS on 127.0.0.1:0 and a file-signed audit log in $E2E_DIR/audit.
e2e_config_init() {
  e2e_make_tls
  xksctl --json config init --listen 127.0.0.1:0 --tls-cert "$E2E_DIR/tls-cert.pem" \
    --tls-key "$E2E_DIR/tls-key.pem" --audit-dir "$E2E_DIR/audit" --instance-id e2e >/dev/null
  AUDIT_KEY="$(jq -r '.audit.signer.key_file' "$XKS_CONFIG")"
  e2e_set_process '{"allow_root": true}'
}

# e2e_set_process JSON: the configuration's "process" object. Started as root (CI, developers'
# machines) the proxy refuses to run without a user to switch to unless allow_root is true; the
# e2e tests run it as root on purpose (privilege_test.sh covers the switch).
e2e_set_process() {
  jq --argjson p "$1" '.process = $p' "$XKS_CONFIG" > "$XKS_CONFIG.new"
  chmod 600 "$XKS_CONFIG.new"
  mv "$XKS_CONFIG.new" "$XKS_CONFIG"
}

# e2e_add_tenant NAME PREFIX: a tenant on a freshly initialized token, with its first credential.
# Sets <NAME>_AKID and <NAME>_SECRET (NAME upper-cased).
e2e_add_tenant() {
  local name="$1" prefix="$2" out var
  out="$(xksctl --json tenant add "$name" --prefix "$prefix" --pin-file "$E2E_DIR/secrets/$name.pin" \
    --init-token --out-dir "$E2E_DIR/secrets")"
  var="${name^^}"
  printf -v "${var}_AKID" '%s' "$(jq -r .credential.access_key_id <<<"$out")"
  printf -v "${var}_SECRET" '%s' "$(cat "$(jq -r .credential.secret_file <<<"$out")")"
}

# e2e_secret_file NAME VALUE: writes VALUE (a SigV4 secret) to $E2E_DIR/secrets/NAME.secret with
# mode 0600, as base/secret_file requires, for clients that read the secret from a file; sets
# SECRET_FILE.
e2e_secret_file() {
  SECRET_FILE="$E2E_DIR/secrets/$1.secret"
  (umask 077 && printf '%s' "$2" > "$SECRET_FILE")
  chmod 600 "$SECRET_FILE"
}

# e2e_new_credential TENANT: sets NEW_AKID and NEW_SECRET.
e2e_new_credential() {
  local out
  out="$(xksctl --json credential new "$1" --out-dir "$E2E_DIR/secrets")"
  NEW_AKID="$(jq -r .access_key_id <<<"$out")"
  NEW_SECRET="$(cat "$(jq -r .secret_file <<<"$out")")"
}

# Verifies the audit log offline with the audit public key.
e2e_verify_audit() {
  xksctl audit public-key --key-file "$AUDIT_KEY" > "$E2E_DIR/audit-public.pem"
  # The proxy's chain (audit-*) and xksctl's own admin chain (xksctl-*) are verified separately.
  local prefix files
  for prefix in audit xksctl; do
    files=("$E2E_DIR"/audit/"$prefix"-*.jsonl)
    [[ -e "${files[0]}" ]] || continue
    xksctl audit verify --public-key "$E2E_DIR/audit-public.pem" "${files[@]}" \
      || fail "the $prefix audit chain does not verify"
  done
}

# e2e_set_server JQ_ASSIGNMENTS: edits the configuration's server section (after every xksctl
# change, which rewrites the file), e.g. e2e_set_server '.read_timeout_ms = 1000'.
e2e_set_server() {
  jq ".server |= ($1)" "$XKS_CONFIG" > "$E2E_DIR/config.next"
  cat "$E2E_DIR/config.next" > "$XKS_CONFIG"  # keeps the file's mode
}

# e2e_proxy_rss_kib: the running proxy's resident memory (VmRSS) in KiB.
e2e_proxy_rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$PROXY_PID/status"; }
