#!/usr/bin/env bash
# Every performance figure of issue 13 in one run on this machine, with nginx measured in the same
# run as the baseline: writes docs/PERFORMANCE.md (a table, the targets, the command, the machine)
# and docs/performance-latency.png (open-loop latency against offered load).
#
#   tools/bench.sh [--quick] [--long] [--build-dir DIR] [--out docs/PERFORMANCE.md]
#                  [--audit-parent /var/tmp] [--only PHASES] [--fault-sessions 32]
#
#   --quick      a few seconds per phase, to check that the script works (~1.5 minutes)
#   (default)    the real figures (~10 minutes)
#   --long       also the 1M-request memory soak (adds 2-5 minutes and ~0.8 GB of audit log,
#                removed at the end)
#   --build-dir  a build with xks-proxy, xksctl, xks-loadgen, pkcs11_bench and the fault module
#                (default <repo>/build/release, configured and built as tools/test.sh does if
#                missing)
#   --only P,Q   run only these phases (pkcs11,keepalive,loadgen,fault,keys,fresh,memory)
#   --fault-sessions N   hsm.tokens[].max_sessions on the 2 ms HSM of case f (default 32)
#   --out        the report; everything above its marker line is kept (the hand-written part),
#                the plot goes next to it as performance-latency.png
#
# Everything runs on 127.0.0.1 and is started and stopped here: SoftHSMv2 tokens in a temp dir
# (tests/e2e/lib.sh), tenants provisioned with xksctl, the real xks-proxy, nginx, wrk, xks-loadgen.
# The audit logs go to a fresh directory under --audit-parent (default /var/tmp, a real disk: with
# fsync durability the flush is part of what is measured; tmpfs would hide it). A phase that fails
# is reported as failed and the others still run; the exit status is then 1.
# Needs tools/install-bench-deps.sh (wrk, nginx-light, gnuplot-nox, jq, curl).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="$here/build/release"
build_given=0
out="$here/docs/PERFORMANCE.md"
audit_parent=/var/tmp
mode=default
long=0
only=""
fault_sessions=32
command_line="tools/bench.sh $*"
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) mode=quick; shift ;;
    --long) long=1; shift ;;
    --build-dir) build="$(realpath -m "$2")"; build_given=1; shift 2 ;;
    --out) out="$(realpath -m "$2")"; shift 2 ;;
    --audit-parent) audit_parent="$2"; shift 2 ;;
    --only) only=",$2,"; shift 2 ;;
    --fault-sessions) fault_sessions="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
plot="$(dirname "$out")/performance-latency.png"

for tool in wrk nginx gnuplot jq curl openssl bc; do
  command -v "$tool" >/dev/null || { echo "bench.sh: $tool missing: run tools/install-bench-deps.sh" >&2; exit 2; }
done

proxy_bin="$build/proxy/runtime/xks-proxy"
xksctl_bin="$build/tools/xksctl/xksctl"
loadgen="$build/tools/loadgen/xks-loadgen"
pkcs11_bench="$build/pkcs11/pkcs11_bench"
fault_so="$build/tests/fault_pkcs11/libxks_fault_pkcs11.so"
fault_ctl="$build/tests/fault_pkcs11/xks_fault_pkcs11_ctl"
binaries=("$proxy_bin" "$xksctl_bin" "$loadgen" "$pkcs11_bench" "$fault_so" "$fault_ctl")
missing=0
for bin in "${binaries[@]}"; do [[ -e "$bin" ]] || missing=1; done
if ((missing)); then
  if ((build_given)); then
    echo "bench.sh: missing in $build:" >&2
    for bin in "${binaries[@]}"; do [[ -e "$bin" ]] || echo "  $bin" >&2; done
    exit 2
  fi
  echo "bench.sh: building $build (as tools/test.sh configures it)" >&2
  gen=()
  if [[ ! -f "$build/CMakeCache.txt" ]] && command -v ninja >/dev/null; then gen=(-G Ninja); fi
  cmake -S "$here" -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXKS_WERROR=ON >/dev/null
  cmake --build "$build" -j "$(nproc)" --target xks-proxy xksctl xks-loadgen pkcs11_bench \
    xks_fault_pkcs11 xks_fault_pkcs11_ctl
fi

# Phase lengths. wrk_s: one wrk run; lg: one xks-loadgen run (after its warm-up).
if [[ $mode == quick ]]; then
  wrk_s=3 lg_s=3 warm_s=1 rounds=1 mem_requests=10000 long_requests=0 bench_min_time=0.2
  fractions=(0.25 0.5 0.9) fresh_s=3 keys=100
else
  wrk_s=15 lg_s=15 warm_s=2 rounds=3 mem_requests=100000 long_requests=0 bench_min_time=1
  fractions=(0.1 0.25 0.5 0.7 0.85 1.0) fresh_s=15 keys=100
fi
((long)) && long_requests=1000000
wrk_conns=64

# The binaries are copied first: a build running meanwhile in that directory cannot swap them
# between phases.
bin_dir="$(mktemp -d /tmp/xks-bench-bin.XXXXXX)"
for bin in "${binaries[@]}"; do cp -p "$bin" "$bin_dir/"; done
proxy_bin="$bin_dir/xks-proxy" xksctl_bin="$bin_dir/xksctl" loadgen="$bin_dir/xks-loadgen"
pkcs11_bench="$bin_dir/pkcs11_bench" fault_so="$bin_dir/libxks_fault_pkcs11.so"
fault_ctl="$bin_dir/xks_fault_pkcs11_ctl"
export XKS_PROXY_BIN="$proxy_bin" XKSCTL_BIN="$xksctl_bin" XKS_SOURCE_DIR="$here"
# The e2e helpers: temp SoftHSM tokens, xksctl provisioning, cleanup of $E2E_DIR on exit.
# shellcheck source=tests/e2e/lib.sh
source "$here/tests/e2e/lib.sh"
R="$E2E_DIR/bench"            # results: m/<measurement>.json, status/<phase>, log/<phase>.log
mkdir -p "$R/m" "$R/status" "$R/log" "$R/pids" "$R/run" "$R/req"
disk_audit="$(mktemp -d "$audit_parent/xks-bench-audit.XXXXXX")"

# Stops every process a phase left running (their pids are in $R/pids/NAME), TERM then KILL.
stop_leftovers() {
  local f pid
  for f in "$R"/pids/*; do
    [[ -e "$f" ]] || continue
    pid="$(cat "$f")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
  done
}
bench_cleanup() {
  local rc=$?
  # No set -e here: "(exit $rc)" below would end the trap before e2e_cleanup removes $E2E_DIR.
  set +e
  [[ -n $phase_pid ]] && kill_tree "$phase_pid"
  stop_leftovers
  rm -rf "$disk_audit" "$bin_dir"
  (exit "$rc")
  e2e_cleanup
}
phase_pid=""
# kill_tree PID: SIGTERM to PID and, first, to all its descendants (a phase's wrk, curl, loadgen).
kill_tree() {
  local child
  for child in $(pgrep -P "$1" || true); do kill_tree "$child"; done
  kill -TERM "$1" 2>/dev/null || true
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ---------------------------------------------------------------------------------------------
# Set-up shared by every phase: one configuration with tenant alpha and its key "bench" (plus the
# token's health-check key), TLS on 127.0.0.1:0. Every proxy instance gets its own copy of it with
# its own audit directory on the disk.
e2e_config_init
e2e_add_tenant alpha /alpha
xksctl key create alpha bench >/dev/null
e2e_secret_file alpha "$ALPHA_SECRET"
base_config="$E2E_DIR/config.json"
cert="$E2E_DIR/tls-cert.pem"
softhsm_module="$(jq -r '.hsm.modules[0].module' "$base_config")"
[[ $softhsm_module == */* ]] || softhsm_module=/usr/lib/softhsm/libsofthsm2.so

# make_config NAME DURABILITY [JQ_FILTER] → prints the path of a copy of $base_config with its own
# audit directory, the given durability, no per-address connection cap (every client here is
# 127.0.0.1) and the optional extra filter.
make_config() {
  local name="$1" durability="$2" filter="${3:-.}" src="${4:-$base_config}"
  local dir="$disk_audit/$name" cfg="$E2E_DIR/config-$name.json"
  mkdir -p "$dir"
  jq --arg dir "$dir" --arg d "$durability" --arg id "bench-$name" \
    ".audit.directory = \$dir | .audit.durability = \$d | .audit.instance_id = \$id
     | .server.max_connections_per_address = 0 | $filter" "$src" > "$cfg"
  echo "$cfg"
}

# start_proxy NAME CONFIG [VAR=VALUE...]: starts xks-proxy (environment extended by the VAR=VALUE
# arguments) and waits until it listens; sets proxy_port.
start_proxy() {
  local name="$1" config="$2"; shift 2
  rm -f "$R/run/$name.port"
  env "$@" "$XKS_PROXY_BIN" --config "$config" --port-file "$R/run/$name.port" \
    --pid-file "$R/run/$name.pid" >>"$R/log/proxy-$name.log" 2>&1 &
  local pid=$!
  echo "$pid" > "$R/pids/proxy-$name"
  for _ in $(seq 1 400); do
    [[ -s "$R/run/$name.port" ]] && break
    kill -0 "$pid" 2>/dev/null || { tail -5 "$R/log/proxy-$name.log" >&2; fail "xks-proxy $name exited during start"; }
    sleep 0.05
  done
  [[ -s "$R/run/$name.port" ]] || fail "xks-proxy $name did not start listening"
  proxy_port="$(cat "$R/run/$name.port")"
}

# stop_proxy NAME: SIGTERM, expects exit 0.
stop_proxy() {
  local f="$R/pids/proxy-$1" pid rc=0
  pid="$(cat "$f")"
  kill -TERM "$pid"
  wait "$pid" || rc=$?
  rm -f "$f"
  ((rc == 0)) || fail "xks-proxy $1 exited with $rc after SIGTERM"
}

proc_status_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }  # PID FIELD
proxy_pid() { cat "$R/pids/proxy-$1"; }

# A free TCP port on 127.0.0.1 for nginx (which cannot report a port it chose itself).
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return 0; }
  done
  return 1
}

# start_nginx [WORKERS]: nginx (default 1 worker) on a free port answering $R/nginx-body.json;
# sets nginx_port.
printf '{"authenticationTag":"%s","ciphertext":"%s","ciphertextMetadata":"%s","initializationVector":"%s"}' \
  "$(openssl rand -base64 16)" "$(openssl rand -base64 32)" "$(openssl rand -base64 14)" \
  "$(openssl rand -base64 12)" > "$R/nginx-body.json"
start_nginx() {
  local dir="$R/nginx" user="" workers="${1:-1}"
  mkdir -p "$dir"
  nginx_port="$(free_port)"
  [[ "$(id -u)" == 0 ]] && user="user root;"
  sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$nginx_port|g" -e "s|@CERT@|$cert|g" \
    -e "s|@KEY@|$E2E_DIR/tls-key.pem|g" -e "s|@USER@|$user|" -e "s|@WORKERS@|$workers|" \
    -e "s|@BODY@|$(cat "$R/nginx-body.json")|" "$here/tools/bench/nginx.conf.in" > "$dir/nginx.conf"
  nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" >>"$R/log/nginx.log" 2>&1 &
  echo $! > "$R/pids/nginx"
  for _ in $(seq 1 100); do
    curl -sk -o /dev/null "https://127.0.0.1:$nginx_port/" && return 0
    kill -0 "$(cat "$R/pids/nginx")" 2>/dev/null || break
    sleep 0.05
  done
  cat "$dir/error.log" >&2 || true
  fail "nginx did not start"
}
stop_nginx() {
  local pid
  pid="$(cat "$R/pids/nginx")"
  kill -QUIT "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$R/pids/nginx"
}

# The Encrypt body wrk sends (to nginx as well): the requestMetadata KMS sends, 32 bytes of
# plaintext (a data key) and 24 bytes of AAD, about 350 bytes in all.
printf '{"requestMetadata":{"awsPrincipalArn":"arn:aws:iam::123456789012:user/bench","kmsKeyArn":"arn:aws:kms:us-east-1:123456789012:key/bench","kmsOperation":"Encrypt","kmsRequestId":"bench-wrk-0001"},"plaintext":"%s","encryptionAlgorithm":"AES_GCM","additionalAuthenticatedData":"%s"}' \
  "$(openssl rand -base64 32)" "$(openssl rand -base64 24)" > "$R/encrypt-body.json"
body_bytes="$(wc -c < "$R/encrypt-body.json")"

# sign_request NAME PORT PREFIX KEY: has curl sign one Encrypt (SigV4, --aws-sigv4) and send it to
# the proxy on PORT, then replays the very same bytes (same X-Amz-Date and Authorization) and
# checks that the proxy accepts them again: that is what lets wrk replay it. Writes the request
# for replay.lua to $R/req/NAME/{path,headers,body}.
sign_request() {
  local name="$1" port="$2" prefix="$3" key="$4" dir="$R/req/$1" path status
  path="$prefix/kms/xks/v1/keys/$key/encrypt"
  mkdir -p "$dir"
  cp "$R/encrypt-body.json" "$dir/body"
  echo "$path" > "$dir/path"
  status="$(curl -sS -v --cacert "$cert" --aws-sigv4 "aws:amz:us-east-1:kms-xks-proxy" \
    --user "$ALPHA_AKID:$ALPHA_SECRET" -H "Content-Type: application/json" \
    --data-binary "@$dir/body" -o "$dir/answer.json" -w '%{http_code}' \
    "https://127.0.0.1:$port$path" 2>"$dir/curl.err")"
  [[ $status == 200 ]] || fail "signed Encrypt answered $status: $(cat "$dir/answer.json")"
  # curl -v prints the request headers it sent as "> Name: value".
  sed -n 's/^> \(Host\|Authorization\|X-Amz-Date\|Content-Type\): \(.*\)\r\{0,1\}$/\1: \2/Ip' \
    "$dir/curl.err" | tr -d '\r' > "$dir/headers"
  grep -qi '^Authorization: AWS4-HMAC-SHA256' "$dir/headers" || fail "no SigV4 header from curl"
  local args=() line
  while IFS= read -r line; do args+=(-H "$line"); done < "$dir/headers"
  status="$(curl -sS --cacert "$cert" "${args[@]}" --data-binary "@$dir/body" -o "$dir/replay.json" \
    -w '%{http_code}' "https://127.0.0.1:$port$path")"
  [[ $status == 200 ]] || fail "the replayed signed Encrypt answered $status: $(cat "$dir/replay.json")"
}

# run_wrk NAME REQUEST_NAME URL CONNECTIONS SECONDS [EXTRA_HEADER]: one wrk run (1 thread) replaying
# $R/req/REQUEST_NAME; its JSON line goes to $R/m/NAME.json.
run_wrk() {
  local name="$1" url="$3" conns="$4" secs="$5" extra="${6:-}" dir="$R/req/$2"
  if [[ -n $extra ]]; then
    dir="$R/req/$2+extra"
    rm -rf "$dir"
    cp -r "$R/req/$2" "$dir"
    echo "$extra" >> "$dir/headers"
  fi
  XKS_BENCH_REQUEST="$dir" wrk -t1 -c"$conns" -d"${secs}s" --timeout 10s \
    -s "$here/tools/bench/replay.lua" "$url" > "$R/log/wrk-$name.txt" 2>&1 \
    || { cat "$R/log/wrk-$name.txt" >&2; fail "wrk $name failed"; }
  grep '^{' "$R/log/wrk-$name.txt" | tail -1 > "$R/m/$name.json"
  [[ -s "$R/m/$name.json" ]] || fail "wrk $name printed no result"
  log "  $name: $(jq -c '{rps, p50_us, p99_us, errors}' "$R/m/$name.json")"
}

# run_loadgen NAME PORT PREFIX KEY [xks-loadgen options]: one xks-loadgen run; its JSON goes to
# $R/m/NAME.loadgen.json and the summary ({rps, ok, errors, p50_us, ...}) to $R/m/NAME.json.
# Exit 1 (some requests failed) is a result, not a failure.
run_loadgen() {
  local name="$1" port="$2" prefix="$3" key="$4" rc=0; shift 4
  "$loadgen" --url "https://127.0.0.1:$port$prefix" --key-id "$key" --access-key-id "$ALPHA_AKID" \
    --secret-file "$SECRET_FILE" --ca-file "$cert" --warmup "${warm_s}s" --json "$R/m/$name.loadgen.json" \
    "$@" 2>"$R/log/loadgen-$name.err" || rc=$?
  ((rc <= 1)) || { cat "$R/log/loadgen-$name.err" >&2; fail "xks-loadgen $name exited $rc"; }
  jq -c '{rps: .total.rps, ok: .total.ok, count: .total.count, errors: .total.errors,
          answers_per_s: (.total.count / .duration_s),
          p50_us: .total.latency_us.p50, p90_us: .total.latency_us.p90, p99_us: .total.latency_us.p99,
          p999_us: .total.latency_us.p99_9, max_us: .total.latency_us.max,
          error_names: .errors, transport_errors, open_loop}' \
    "$R/m/$name.loadgen.json" > "$R/m/$name.json"
  log "  $name: $(jq -c '{rps, errors, p50_us, p99_us, p999_us, max_us}' "$R/m/$name.json")"
}

# mean_of OUT IN...: the field-wise mean of the numeric fields of several result files (rounds).
mean_of() {
  local o="$1"; shift
  jq -s '. as $all | ($all[0] | keys) as $k
         | reduce $k[] as $f ({}; .[$f] = (if ($all[0][$f] | type) == "number"
             then ([$all[][$f]] | add / length) else $all[-1][$f] end))' "$@" > "$R/m/$o.json"
}

# ---------------------------------------------------------------------------------------------
# The phases. Each runs in a subshell with set -e; its output goes to $R/log/PHASE.log.
failed_phases=()
run_phase() {
  local name="$1" rc=0 t0=$SECONDS; shift
  [[ -z $only || $only == *",$name,"* ]] || return 0
  log "phase $name"
  # In the background and waited for, so that a signal to this script interrupts the wait and the
  # EXIT trap stops the phase's processes.
  ( set -e; "$@" ) >"$R/log/$name.log" 2>&1 &
  phase_pid=$!
  wait "$phase_pid" || rc=$?
  phase_pid=""
  stop_leftovers
  if ((rc == 0)); then
    echo "ok $((SECONDS - t0))" > "$R/status/$name"
  else
    local why
    # The reason: the last line saying FAIL (lib.sh's fail), else the log's last line.
    why="$( (grep -E "FAIL|fail|error" "$R/log/$name.log" || tail -n 1 "$R/log/$name.log") | tail -1 | cut -c1-160)"
    echo "failed ${why:-exit $rc}" > "$R/status/$name"
    failed_phases+=("$name")
    log "phase $name FAILED (exit $rc): ${why:-see log}"
    tail -n 15 "$R/log/$name.log" | sed 's/^/    /' >&2
  fi
  grep '^[0-9:]* ' "$R/log/$name.log" | sed 's/^/  /' >&2 || true
}

# a. The raw PKCS#11 loop: pkcs11_bench (Google Benchmark) on its own SoftHSM sandbox.
phase_pkcs11() {
  "$pkcs11_bench" --benchmark_filter='^(RawEncrypt|LayerEncrypt|LayerEncryptSessionCopy)/32/' \
    --benchmark_min_time="$bench_min_time" --benchmark_format=json > "$R/m/pkcs11.bench.json"
  jq -c '[.benchmarks[] | select(.run_type == "iteration")
          | {key: .name, value: (.items_per_second // (1e9 / .real_time))}] | from_entries' \
    "$R/m/pkcs11.bench.json" > "$R/m/pkcs11.json"
  log "  pkcs11: $(cat "$R/m/pkcs11.json")"
}

# b, c, d. Keep-alive: wrk, 1 thread, 64 connections, the same ~350-byte POST, against nginx and
# the proxy with audit fsync and write, alternated round by round.
phase_keepalive() {
  start_nginx
  start_proxy fsync "$(make_config fsync fsync)"; local p_fsync=$proxy_port
  start_proxy write "$(make_config write write)"; local p_write=$proxy_port
  local r
  for ((r = 1; r <= rounds; ++r)); do
    # Signed afresh each round: X-Amz-Date must stay within the proxy's 5-minute window.
    sign_request fsync "$p_fsync" /alpha bench
    sign_request write "$p_write" /alpha bench
    run_wrk "nginx-r$r" fsync "https://127.0.0.1:$nginx_port" "$wrk_conns" "$wrk_s"
    run_wrk "fsync-r$r" fsync "https://127.0.0.1:$p_fsync" "$wrk_conns" "$wrk_s"
    run_wrk "write-r$r" write "https://127.0.0.1:$p_write" "$wrk_conns" "$wrk_s"
  done
  mean_of nginx "$R"/m/nginx-r*.json
  mean_of wrk-fsync "$R"/m/fsync-r*.json
  mean_of wrk-write "$R"/m/write-r*.json
  stop_proxy fsync
  stop_proxy write
  stop_nginx
}

# e. xks-loadgen (default mix), audit fsync: closed-loop saturation at 64 connections, then the
# open loop at 1800 requests/s and at fractions of the saturation throughput (the plot).
phase_loadgen() {
  start_proxy loadgen "$(make_config loadgen fsync)"; local port=$proxy_port
  run_loadgen closed "$port" /alpha bench --connections 64 --duration "${lg_s}s"
  local sat
  sat="$(jq -r '.rps | floor' "$R/m/closed.json")"
  ((sat > 0)) || fail "closed loop served nothing"
  run_loadgen open-1800 "$port" /alpha bench --rate 1800 --connections 64 --duration "$((lg_s * 2))s"
  local f rate
  : > "$R/m/sweep.tsv"
  for f in "${fractions[@]}"; do
    rate="$(echo "$sat * $f / 1" | bc)"
    ((rate >= 50)) || rate=50
    run_loadgen "open-$rate" "$port" /alpha bench --rate "$rate" --connections 64 --duration "${lg_s}s"
    jq -r --arg r "$rate" '[$r, .rps, .p50_us / 1000, .p99_us / 1000, .p999_us / 1000] | @tsv' \
      "$R/m/open-$rate.json" >> "$R/m/sweep.tsv"
  done
  jq -r '["1800", .rps, .p50_us / 1000, .p99_us / 1000, .p999_us / 1000] | @tsv' \
    "$R/m/open-1800.json" >> "$R/m/sweep.tsv"
  sort -n -o "$R/m/sweep.tsv" "$R/m/sweep.tsv"
  stop_proxy loadgen
}

# f. The fault module forwarding to SoftHSM and adding 2 ms to every crypto call (a network HSM):
# closed loop at 64 connections, then 256 and 1024 (overload: more requests in flight than the
# token finishes within the 200 ms budget). The token gets --fault-sessions sessions (default
# 32): a network HSM takes tens of calls in parallel, and 1800 requests/s of 3 crypto calls of 2 ms
# each need about 11 in flight. No cap on handshakes in progress: 1024 connections opened at once
# from one address would otherwise evict each other's handshakes (a defence against a flood from
# one address; KMS connects from many).
phase_fault() {
  local control="$R/run/fault-control"
  "$fault_ctl" "$control" create
  local cfg
  cfg="$(make_config fault fsync ".hsm.modules[0].module = \"$fault_so\"
    | .hsm.tokens[].max_sessions = $fault_sessions | .server.max_handshakes_in_progress = 0")"
  start_proxy fault "$cfg" XKS_FAULT_PKCS11_TARGET="$softhsm_module" XKS_FAULT_PKCS11_CONTROL="$control"
  local port=$proxy_port
  "$fault_ctl" "$control" latency crypto 2000 >/dev/null
  run_loadgen fault-64 "$port" /alpha bench --connections 64 --duration "${lg_s}s"
  run_loadgen fault-256 "$port" /alpha bench --connections 256 --duration "${lg_s}s"
  run_loadgen fault-1024 "$port" /alpha bench --connections 1024 --duration "${lg_s}s"
  "$fault_ctl" "$control" counters > "$R/log/fault-counters.txt" || true
  stop_proxy fault
}

# g. 100 keys in the tenant's token against 1 key: tenant beta gets its own token with 100 keys;
# alpha's token holds one. Audit write, so that the HSM cost is not hidden behind the disk flush.
# Alternated alpha, beta in one proxy.
phase_keys() {
  local cfg="$E2E_DIR/config-keys-src.json" i
  cp "$base_config" "$cfg"
  XKS_CONFIG="$cfg" e2e_add_tenant beta /beta
  for ((i = 1; i <= keys; ++i)); do XKS_CONFIG="$cfg" xksctl key create beta "k$i" >/dev/null; done
  log "  created $keys keys in beta's token"
  start_proxy keys "$(make_config keys write . "$cfg")"; local port=$proxy_port
  local beta_secret_file="$E2E_DIR/secrets/beta-bench.secret"
  (umask 077 && printf '%s' "$BETA_SECRET" > "$beta_secret_file")
  local r
  for ((r = 1; r <= rounds; ++r)); do
    run_loadgen "keys1-r$r" "$port" /alpha bench --connections 16 --duration "${lg_s}s"
    ALPHA_AKID="$BETA_AKID" SECRET_FILE="$beta_secret_file" \
      run_loadgen "keys100-r$r" "$port" /beta "k$keys" --connections 16 --duration "${lg_s}s"
  done
  mean_of keys1 "$R"/m/keys1-r*[0-9].json
  mean_of keys100 "$R"/m/keys100-r*[0-9].json
  stop_proxy keys
}

# curl_stats FILE: lines "<status> <time_appconnect> <time_total>" (seconds) → JSON with the count,
# the 200s and percentiles (µs) of time_total over the 200s, and the median handshake time.
curl_stats() {
  local n ok
  n="$(wc -l < "$1")"
  ok="$(awk '$1 == 200' "$1" | wc -l)"
  ((ok > 0)) || { echo "{\"requests\":$n,\"ok\":0}"; return; }
  # pct FILE COLUMN P → the P-th percentile (nearest rank) of COLUMN over the 200s, in µs.
  pct() { awk '$1 == 200' "$1" | sort -g -k"$2","$2" | awk -v c="$2" -v p="$3" -v n="$ok" \
    'NR == (int(n * p / 100 + 0.999999) > 0 ? int(n * p / 100 + 0.999999) : 1) { printf "%d", $c * 1e6 }'; }
  local statuses
  statuses="$(awk '$1 != 200 {c[$1]++} END {for (s in c) printf "%s\"%s\":%d", (n++ ? "," : ""), s, c[s]}' "$1")"
  printf '{"requests":%d,"ok":%d,"other_statuses":{%s},"p50_us":%s,"p99_us":%s,"max_us":%s,"handshake_p50_us":%s}\n' \
    "$n" "$ok" "$statuses" "$(pct "$1" 3 50)" "$(pct "$1" 3 99)" "$(pct "$1" 3 100)" "$(pct "$1" 2 50)"
}

# h. A fresh TLS 1.3 connection per request. (1) curl, one process, a new connection (no session
# resumption) for each of N Encrypts at 100 per second: time_total includes connect + handshake +
# request. (2) wrk with "Connection: close" at 16 connections: the new-connection throughput
# (wrk's latency starts after the handshake).
phase_fresh() {
  start_nginx 2
  start_proxy fresh "$(make_config fresh fsync)"; local port=$proxy_port
  sign_request fresh "$port" /alpha bench
  local n=$((fresh_s * 100)) target
  for target in nginx proxy; do
    local url
    url="https://127.0.0.1:$port$(cat "$R/req/fresh/path")"
    [[ $target == nginx ]] && url="https://127.0.0.1:$nginx_port/"
    local cfgf="$R/run/curl-$target.cfg" i
    # One "url" and "output" pair per request: curl applies -o to the first URL only.
    for ((i = 0; i < n; ++i)); do printf 'url = "%s"\noutput = "/dev/null"\n' "$url"; done > "$cfgf"
    local args=() line
    while IFS= read -r line; do args+=(-H "$line"); done < "$R/req/fresh/headers"
    curl -sS --cacert "$cert" --no-sessionid --rate 100/s "${args[@]}" -H "Connection: close" \
      --data-binary "@$R/req/fresh/body" \
      -w '%{http_code} %{time_appconnect} %{time_total}\n' -K "$cfgf" > "$R/m/curl-$target.txt"
    curl_stats "$R/m/curl-$target.txt" > "$R/m/fresh-curl-$target.json"
    log "  fresh-curl-$target: $(cat "$R/m/fresh-curl-$target.json")"
  done
  sign_request fresh "$port" /alpha bench
  run_wrk fresh-wrk-nginx fresh "https://127.0.0.1:$nginx_port" 16 "$wrk_s" "Connection: close"
  run_wrk fresh-wrk-proxy fresh "https://127.0.0.1:$port" 16 "$wrk_s" "Connection: close"
  stop_proxy fresh
  stop_nginx
}

# i. Resident memory of a fresh proxy (audit fsync) while xks-loadgen holds 64 connections: once the
# proxy has served ~100k requests, and with --long ~1M. The count is the audit log's (one record a
# request), estimated from its size once a second, so the load runs as long as it takes.
phase_memory() {
  start_proxy memory "$(make_config memory fsync)"; local port=$proxy_port pid
  pid="$(proxy_pid memory)"
  echo "{\"rss_kib\":$(proc_status_kib "$pid" VmRSS)}" > "$R/m/mem-idle.json"
  local targets=("$mem_requests")
  ((long_requests > 0)) && targets+=("$long_requests")
  "$loadgen" --url "https://127.0.0.1:$port/alpha" --key-id bench --access-key-id "$ALPHA_AKID" \
    --secret-file "$SECRET_FILE" --ca-file "$cert" --connections 64 --warmup 0s --duration 24h \
    --json "$R/m/mem.loadgen.json" 2>"$R/log/loadgen-mem.err" &
  local lg=$! t0=$SECONDS stage=0 target bytes per_record="" records rss hwm
  echo "$lg" > "$R/pids/loadgen-memory"
  audit_bytes() { cat "$disk_audit"/memory/audit-*.jsonl 2>/dev/null | wc -c; }
  for target in "${targets[@]}"; do
    stage=$((stage + 1))
    while :; do
      kill -0 "$lg" 2>/dev/null || fail "xks-loadgen stopped: $(tail -n 3 "$R/log/loadgen-mem.err")"
      ((SECONDS - t0 < 3600)) || fail "no $target requests within an hour"
      sleep 1
      if [[ -z $per_record ]]; then
        records="$(cat "$disk_audit"/memory/audit-*.jsonl 2>/dev/null | wc -l)"
        ((records >= 1000)) && per_record=$(($(audit_bytes) / records))
        continue
      fi
      bytes="$(audit_bytes)"
      ((bytes / per_record >= target)) && break
    done
    rss="$(proc_status_kib "$pid" VmRSS)"
    hwm="$(proc_status_kib "$pid" VmHWM)"
    records="$(cat "$disk_audit"/memory/audit-*.jsonl | wc -l)"
    echo "{\"rss_kib\":$rss,\"hwm_kib\":$hwm,\"audit_records\":$records,\"secs\":$((SECONDS - t0))}" \
      > "$R/m/mem-stage$stage.json"
    log "  memory after ~$target requests: $(cat "$R/m/mem-stage$stage.json")"
  done
  kill -TERM "$lg"
  wait "$lg" 2>/dev/null || true
  rm -f "$R/pids/loadgen-memory"
  stop_proxy memory
}

t_start=$SECONDS
load_start="$(cut -d" " -f1-3 /proc/loadavg)"
bt="\`"  # a Markdown code span around paths
# Paths in the report are relative to the repository: the report is shipped (docs/, the .deb) and
# must not carry the machine's build paths.
in_repo() { local p="$1"; [[ $p == "$here" ]] && p="."; printf '%s' "${p#"$here"/}"; }
command_line="${command_line//"$here"\//}"
build_label="$bt$(in_repo "$build")$bt"
src_dir="$(sed -n "s/^CMAKE_HOME_DIRECTORY:INTERNAL=//p" "$build/CMakeCache.txt" 2>/dev/null || true)"
if [[ -n $src_dir ]] && rev="$(git -C "$src_dir" rev-parse --short HEAD 2>/dev/null)"; then
  build_label="$bt$(in_repo "$build")$bt (xks-proxy built $(date -u -r "$proxy_bin" '+%F %H:%M UTC'); its source"
  build_label+=" $bt$(in_repo "$src_dir")$bt was at $rev"
  git -C "$src_dir" diff --quiet HEAD 2>/dev/null || build_label+=" + uncommitted changes"
  build_label+=" when the run started)"
fi
run_phase pkcs11 phase_pkcs11
run_phase keepalive phase_keepalive
run_phase loadgen phase_loadgen
run_phase fault phase_fault
run_phase keys phase_keys
run_phase fresh phase_fresh
run_phase memory phase_memory
elapsed=$((SECONDS - t_start))

# ---------------------------------------------------------------------------------------------
# The plot and the report.
if [[ -s "$R/m/sweep.tsv" ]]; then
  term=png
  gnuplot -e 'set terminal' 2>&1 | grep -q pngcairo && term=pngcairo
  gnuplot -e "datafile='$R/m/sweep.tsv'; outfile='$plot'; term='$term'; subtitle='$(date -u +%F), $(nproc) cores, ${command_line}'" \
    "$here/tools/bench/latency.gp" 2>"$R/log/gnuplot.err" || { cat "$R/log/gnuplot.err" >&2; failed_phases+=(plot); }
fi
export R mode long elapsed body_bytes wrk_conns wrk_s lg_s rounds keys mem_requests long_requests
export command_line out plot load_start build_label fault_sessions
"$here/tools/bench/report.sh" > "$R/report.md"
marker='<!-- tools/bench.sh writes everything below this line; edit only above it. -->'
{
  if [[ -f "$out" ]] && grep -qF -- "$marker" "$out"; then
    sed "/^$(printf '%s' "$marker" | sed 's/[][\/.*^$]/\\&/g')\$/q" "$out"
  else
    printf '# Performance\n\nGenerated by %s.\n\n%s\n' "\`tools/bench.sh\`" "$marker"
  fi
  cat "$R/report.md"
} > "$R/out.md"
mkdir -p "$(dirname "$out")"
mv "$R/out.md" "$out"
log "wrote $out and $plot in $((SECONDS - t_start)) s"
if ((${#failed_phases[@]} > 0)); then
  log "FAILED phases: ${failed_phases[*]}"
  exit 1
fi
