#!/usr/bin/env bash
# The README's quickstart: installs dependencies, builds, provisions a SoftHSMv2 demo tenant (token,
# AES-256 key, SigV4 credential), a self-signed TLS certificate and a signed audit log, then starts
# xks-proxy on 127.0.0.1 and prints a working `curl --aws-sigv4` call.
#
#   tools/quickstart.sh [--background] [--port N] [--state-dir DIR] [--fresh]
#
#   --background   return once the proxy answers (it keeps running; stop it with
#                  `kill $(cat <state-dir>/proxy.pid)`); default: stay in the foreground, Ctrl-C stops
#   --port N       listen port (default 8443; 0 picks a free one)
#   --state-dir D  where tokens, secrets, config and audit log live (default build/quickstart)
#   --fresh        throw away an earlier demo state and provision anew
#
# Writes build/quickstart.env (or <state-dir>.env when --state-dir is given) with XKS_ENDPOINT,
# XKS_URI_PREFIX, XKS_ACCESS_KEY_ID, XKS_SECRET_ACCESS_KEY, XKS_KEY_ID and the TLS trust settings,
# for `source` and for `xks-conformance --env-file`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

background=0 port=8443 state="" fresh=0
while (($#)); do
  case "$1" in
    --background) background=1 ;;
    --port) port="$2"; shift ;;
    --state-dir) state="$2"; shift ;;
    --fresh) fresh=1 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "quickstart: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [[ -z "$state" ]]; then
  state="$root/build/quickstart"
  env_file="$root/build/quickstart.env"
else
  mkdir -p "$state"
  state="$(cd "$state" && pwd)"
  env_file="$state.env"
fi

"$root/tools/install-deps.sh"

build="${XKS_BUILD_DIR:-$root/build/release}"
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
# xks-conformance too: the closing message tells the user to run it against the demo tenant.
cmake --build "$build" -j "$(nproc)" --target xks-proxy xksctl xks-conformance
proxy="$build/proxy/runtime/xks-proxy"
xksctl_bin="$build/tools/xksctl/xksctl"
conformance_bin="$build/conformance/xks-conformance"

if [[ -f "$state/proxy.pid" ]] && kill -0 "$(cat "$state/proxy.pid")" 2>/dev/null; then
  echo "quickstart: a demo proxy is already running (pid $(cat "$state/proxy.pid")); stop it first:" >&2
  echo "  kill $(cat "$state/proxy.pid")" >&2
  exit 1
fi
((fresh)) && rm -rf "$state"
mkdir -p "$state"
chmod 700 "$state"
export SOFTHSM2_CONF="$state/softhsm2.conf"
export XKS_CONFIG="$state/config.json"
xksctl() { "$xksctl_bin" --config "$XKS_CONFIG" "$@"; }

if [[ ! -f "$XKS_CONFIG" ]]; then
  echo "quickstart: provisioning a demo tenant in $state"
  mkdir -p "$state/tokens" "$state/secrets" "$state/tls"
  printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
    "$state" > "$SOFTHSM2_CONF"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
    -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$state/tls/key.pem" -out "$state/tls/cert.pem" 2>/dev/null
  chmod 600 "$state/tls/key.pem"
  xksctl config init --listen "127.0.0.1:$port" --tls-cert "$state/tls/cert.pem" \
    --tls-key "$state/tls/key.pem" --audit-dir "$state/audit" --instance-id quickstart >/dev/null
  xksctl tenant add demo --prefix /demo --init-token --pin-file "$state/secrets/demo.pin" \
    --out-dir "$state/secrets" >/dev/null
  xksctl key create demo demo-key >/dev/null
else
  # Keep the provisioned state; only the listen port may change between runs.
  jq --argjson port "$port" '.server.port = $port' "$XKS_CONFIG" > "$XKS_CONFIG.new"
  chmod 600 "$XKS_CONFIG.new"
  mv "$XKS_CONFIG.new" "$XKS_CONFIG"
fi

# Metrics: the admin listener on loopback (plain HTTP is allowed there only), GET /metrics.
# Port 9443 beside the default 8443; with --port 0 a free one too (read back from the log below).
admin_port=9443
[[ "$port" == 0 ]] && admin_port=0
jq --argjson port "$admin_port" '.admin = {"listen_address": "127.0.0.1", "port": $port}' \
  "$XKS_CONFIG" > "$XKS_CONFIG.new"
chmod 600 "$XKS_CONFIG.new"
mv "$XKS_CONFIG.new" "$XKS_CONFIG"

# Started as root, xks-proxy gives up root for an unprivileged user once it listens and has its
# files open (configuration "process", docs/configuration.md). The demo creates the system user
# xks-proxy and hands it the state it reads and writes (config, secrets, tokens, TLS key, audit
# log); a state directory that user cannot reach (a private parent such as /root) runs the demo
# proxy as root instead, and says so.
if ((EUID == 0)); then
  if ! id -u xks-proxy >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin xks-proxy
  fi
  process='{"user": "xks-proxy"}'
  chown -R xks-proxy: "$state"
  if ! runuser -u xks-proxy -- test -r "$XKS_CONFIG"; then
    echo "quickstart: user xks-proxy cannot reach $state (a parent directory is private);" \
      "the demo proxy runs as root" >&2
    process='{"allow_root": true}'
  fi
  jq --argjson p "$process" '.process = $p' "$XKS_CONFIG" > "$XKS_CONFIG.new"
  chmod 600 "$XKS_CONFIG.new"
  chown xks-proxy: "$XKS_CONFIG.new"
  mv "$XKS_CONFIG.new" "$XKS_CONFIG"
fi

rm -f "$state/proxy.port"
# The log is the operator's (mode 0600, like the audit files the proxy writes under its umask 077):
# it names tenants, keys and client addresses, never secrets.
(umask 077 && touch "$state/proxy.log")
chmod 600 "$state/proxy.log"
if ((EUID == 0)); then chown xks-proxy: "$state/proxy.log"; fi
"$proxy" --config "$XKS_CONFIG" --port-file "$state/proxy.port" --pid-file "$state/proxy.pid" \
  >>"$state/proxy.log" 2>&1 &
proxy_pid=$!
for _ in $(seq 1 300); do
  [[ -s "$state/proxy.port" ]] && break
  if ! kill -0 "$proxy_pid" 2>/dev/null; then
    echo "quickstart: xks-proxy did not start; its log:" >&2
    tail -n 20 "$state/proxy.log" >&2
    exit 1
  fi
  sleep 0.1
done
[[ -s "$state/proxy.port" ]] || { echo "quickstart: xks-proxy did not start listening" >&2; exit 1; }
bound_port="$(cat "$state/proxy.port")"
# The admin listener's bound port, from this start's log line (the log is appended to).
admin_bound="$(grep -o 'admin listener (GET /metrics) on 127\.0\.0\.1:[0-9]*' "$state/proxy.log" \
  | tail -n 1 | sed 's/.*://')"

credential="$(jq -c '.tenants[] | select(.name == "demo") | .credentials[0]' "$XKS_CONFIG")"
access_key_id="$(jq -r .access_key_id <<<"$credential")"
secret="$(cat "$(jq -r .secret.file <<<"$credential")")"
umask 077
cat > "$env_file" <<ENV
# Written by tools/quickstart.sh: the demo tenant of the running proxy. Contains a secret (0600).
XKS_ENDPOINT=https://127.0.0.1:$bound_port
XKS_ADMIN_ENDPOINT=http://127.0.0.1:$admin_bound
XKS_URI_PREFIX=/demo
XKS_ACCESS_KEY_ID=$access_key_id
XKS_SECRET_ACCESS_KEY=$secret
XKS_KEY_ID=demo-key
XKS_CA_FILE=$state/tls/cert.pem
XKS_SERVER_NAME=localhost
XKS_CONFIG=$XKS_CONFIG
XKS_PID_FILE=$state/proxy.pid
SOFTHSM2_CONF=$SOFTHSM2_CONF
ENV

cat <<MSG

xks-proxy is listening on https://127.0.0.1:$bound_port (pid $proxy_pid); log: $state/proxy.log
The demo tenant's settings are in $env_file. Try an Encrypt call:

  set -a; source $env_file; set +a
  curl --cacert "\$XKS_CA_FILE" --aws-sigv4 "aws:amz:us-east-1:kms-xks-proxy" \\
    --user "\$XKS_ACCESS_KEY_ID:\$XKS_SECRET_ACCESS_KEY" -H "Content-Type: application/json" \\
    -d '{"requestMetadata":{"awsPrincipalArn":"arn:aws:iam::111122223333:user/demo","kmsKeyArn":"arn:aws:kms:us-east-1:111122223333:key/demo","kmsOperation":"Encrypt","kmsRequestId":"quickstart-1"},"plaintext":"SGVsbG8gV29ybGQh","encryptionAlgorithm":"AES_GCM"}' \\
    "\$XKS_ENDPOINT\$XKS_URI_PREFIX/kms/xks/v1/keys/\$XKS_KEY_ID/encrypt"

Metrics (Prometheus):       curl http://127.0.0.1:$admin_bound/metrics
Check it against the spec:  $conformance_bin --env-file $env_file
Operate it:                 $xksctl_bin --config $XKS_CONFIG --help
MSG

if ((background)); then
  echo "Running in the background; stop it with: kill $proxy_pid"
  exit 0
fi
echo "Running in the foreground; Ctrl-C stops it."
trap 'kill -TERM "$proxy_pid" 2>/dev/null || true' INT TERM
wait "$proxy_pid" || true
wait "$proxy_pid" 2>/dev/null || true
