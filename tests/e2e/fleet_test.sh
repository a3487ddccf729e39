#!/usr/bin/env bash
# A fleet of two HSM tokens for one tenant (issue 14), at the level of the real xks-proxy process.
# Tenant acme is created on token A as the other e2e scripts do (xksctl tenant add --init-token,
# key create hk); token B (xksctl token init) gets the SAME 32-byte value under hk's label, token C
# a DIFFERENT one. xksctl's BYOK import cannot do that (it targets the tenant's primary token only,
# and SoftHSMv2 2.6 cannot unwrap RSA-OAEP), so the test-only helper xks_e2e_token_key
# (tests/e2e/token_key_main.cc: TokenClient::ImportAesKeyForTesting, C_CreateObject) writes the
# value into A (replacing the generated key) and B, and the other value into C. Every token is
# loaded through the fault-injecting PKCS#11 module (tests/fault_pkcs11). Checked:
#   - `xksctl fleet add acme` of B passes its known-answer check and the running proxy lists both
#     members ACTIVE; `fleet add` of C (same label, other key) fails with exit 1 and leaves the
#     configuration byte for byte unchanged; `fleet check acme` passes;
# then under a steady mixed load (xks-loadgen, closed loop, FLEET_CONNECTIONS connections):
#   1. every call to A hangs for FLEET_HANG_S: at most FLEET_CONNECTIONS requests fail (5xx), only
#      requests in flight on A when the hang began: begun by the time `fault-ctl hang` returned,
#      + FLEET_INFLIGHT_GRACE_MS (100; the next request of each connection that A just answered
#      starts a millisecond or two later and is routed to A before A's stuck calls outnumber B's
#      in flight, which a run shows as ~8 failures begun +0..+3 ms); every later one answers 200;
#      GetHealthStatus lists A UNAVAILABLE and B ACTIVE within FLEET_DETECT_BOUND_S (the issue:
#      2 s); after the release A reads ACTIVE within FLEET_RECOVER_BOUND_S and takes traffic again
#      (the fault module's fired-rule counter with a 1 µs latency rule on one token at a time);
#   2. both members hang for FLEET_BOTH_S: every request begun during it is answered 5xx (a 429
#      is not; a GetKeyMetadata answered 200 from the key attribute cache without the HSM, as can
#      happen before the stuck calls are past their deadline, is counted apart) within
#      server.hsm_time_budget_ms + FLEET_LATENCY_SLACK_MS, both read UNAVAILABLE
#      within FLEET_DETECT_BOUND_S, both ACTIVE again within FLEET_RECOVER_BOUND_S of the release
#      (the answers in between are counted, not checked: for ~20 ms after the release some are
#      still refused, 503 while the stuck calls unwind, a few 429);
#   3. every crypto call on A returns CKR_DEVICE_ERROR for FLEET_ERRORS_S: every request (from
#      scenario 2's recovery to the end of this one) is answered 200 (retried on B), A leaves
#      ACTIVE within FLEET_DETECT_BOUND_S, and is ACTIVE again within FLEET_RECOVER_BOUND_S of
#      clearing;
#   4. `xksctl fleet remove acme --token-id acme-b`: one member listed; removing the last one is
#      refused (exit 1, configuration unchanged); acme still encrypts.
# Requests are classified from the proxy's access log (each line's time is the answer's; minus
# latency_us it is the request's start). A measured check that fails is reported ("not ok - ...")
# and the rest is still measured; "fleet summary: ..." has every figure; then the test fails with
# every problem. api.health_check_interval_ms is 1000 here so that recovery does not wait for the
# default 20 s deep-check interval.
#
# CTest (tests/e2e/CMakeLists.txt) passes the binaries. By hand, from the worktree, after building
# xks-proxy xksctl xks-loadgen xks_fault_pkcs11 xks_fault_pkcs11_ctl xks_e2e_token_key:
#
#   b=build/release
#   XKS_PROXY_BIN=$b/proxy/runtime/xks-proxy XKSCTL_BIN=$b/tools/xksctl/xksctl \
#   XKS_LOADGEN_BIN=$b/tools/loadgen/xks-loadgen XKS_SOURCE_DIR=$PWD XKS_BUILD_DIR=$b \
#   XKS_FAULT_PKCS11_MODULE=$b/tests/fault_pkcs11/libxks_fault_pkcs11.so \
#   XKS_FAULT_CTL_BIN=$b/tests/fault_pkcs11/xks_fault_pkcs11_ctl \
#   XKS_E2E_TOKEN_KEY_BIN=$b/tests/e2e/xks_e2e_token_key \
#   XKS_SOFTHSM_MODULE=/usr/lib/softhsm/libsofthsm2.so bash tests/e2e/fleet_test.sh
#
# E2E_KEEP=1 keeps the temp dir (proxy log, request classification). Everything started here is
# stopped on any exit; hung calls are released first so that the proxy can stop.
source "$(dirname "$0")/lib.sh"
: "${XKS_LOADGEN_BIN:?}" "${XKS_FAULT_PKCS11_MODULE:?}" "${XKS_FAULT_CTL_BIN:?}"
: "${XKS_E2E_TOKEN_KEY_BIN:?}" "${XKS_SOFTHSM_MODULE:=/usr/lib/softhsm/libsofthsm2.so}"
# The configuration resolves relative paths against its own directory, not ours.
XKS_FAULT_PKCS11_MODULE="$(realpath "$XKS_FAULT_PKCS11_MODULE")"
FLEET_CONNECTIONS="${FLEET_CONNECTIONS:-16}"
FLEET_HANG_S="${FLEET_HANG_S:-10}"
FLEET_BOTH_S="${FLEET_BOTH_S:-5}"
FLEET_ERRORS_S="${FLEET_ERRORS_S:-4}"
FLEET_DETECT_BOUND_S="${FLEET_DETECT_BOUND_S:-10}"
FLEET_RECOVER_BOUND_S="${FLEET_RECOVER_BOUND_S:-10}"
FLEET_LATENCY_SLACK_MS="${FLEET_LATENCY_SLACK_MS:-1000}"
FLEET_INFLIGHT_GRACE_MS="${FLEET_INFLIGHT_GRACE_MS:-100}"

export XKS_FAULT_PKCS11_TARGET="$XKS_SOFTHSM_MODULE"
export XKS_FAULT_PKCS11_CONTROL="$E2E_DIR/fault.control"
fault_ctl() { "$XKS_FAULT_CTL_BIN" "$XKS_FAULT_PKCS11_CONTROL" "$@"; }

LOAD_PID=""
fleet_cleanup() {
  local rc=$?
  # No set -e: a failing step here must not end the trap before e2e_cleanup stops the proxy.
  set +e
  if [[ -n "$LOAD_PID" ]]; then
    kill -TERM "$LOAD_PID" 2>/dev/null && wait "$LOAD_PID" 2>/dev/null
  fi
  # Hung calls hold the proxy's HSM threads: release them so that SIGTERM can end it.
  [[ -f "$XKS_FAULT_PKCS11_CONTROL" ]] && fault_ctl clear >/dev/null 2>&1
  (exit "$rc")  # e2e_cleanup reads the run's status from $?
  e2e_cleanup
}
trap fleet_cleanup EXIT

now_ms() { date +%s%3N; }
PROBLEMS=()
problem() { PROBLEMS+=("$*"); echo "not ok - $*" >&2; }

# health_members → "ID=STATUS ..." of every member GetHealthStatus lists (or the failed answer).
health_members() {
  local out
  out="$(xks_call "$ACME_AKID" "$ACME_SECRET" /acme/kms/xks/v1/health "$(health_body)")"
  if [[ "${out##* }" == 200 ]]; then
    body_of "$out" | jq -r '[.ekmFleetDetails[] | "\(.id)=\(.healthStatus)"] | join(" ")'
  else
    printf 'answer:%s\n' "${out// /_}"
  fi
}

# wait_members EXPECTED BOUND_S: polls until health_members prints EXPECTED; sets seen and
# waited_ms (from the call); returns 1 after BOUND_S.
wait_members() {
  local start
  start="$(now_ms)"
  while :; do
    seen="$(health_members)"
    waited_ms=$(($(now_ms) - start))
    [[ "$seen" == "$1" ]] && return 0
    ((waited_ms <= $2 * 1000)) || return 1
    sleep 0.1
  done
}

# wait_not_active ID BOUND_S: polls until member ID reads anything but ACTIVE (sets seen and
# waited_ms).
wait_not_active() {
  local start
  start="$(now_ms)"
  while :; do
    seen="$(health_members)"
    waited_ms=$(($(now_ms) - start))
    [[ " $seen " == *" $1="* && " $seen " != *" $1=ACTIVE "* ]] && return 0
    ((waited_ms <= $2 * 1000)) || return 1
    sleep 0.1
  done
}

# encrypt_status → the HTTP status of one encrypt of acme's key.
encrypt_status() {
  local out
  out="$(xks_call "$ACME_AKID" "$ACME_SECRET" /acme/kms/xks/v1/keys/hk/encrypt \
    "$(encrypt_body "$(printf 'fleet-test' | base64)")")"
  printf '%s' "${out##* }"
}

# member_calls LABEL MS → how many crypto calls reached token LABEL in MS milliseconds (a 1 µs
# latency rule scoped to it, the module's count of fired rules; no other rule may be armed).
member_calls() {
  local before rule after
  before="$(fault_ctl counters | sed -n 's/.*faults=\([0-9]*\).*/\1/p')"
  rule="$(fault_ctl latency crypto 1 "token=$1")"
  sleep "$(($2 / 1000)).$(printf '%03d' $(($2 % 1000)))"
  fault_ctl remove "$rule"
  after="$(fault_ctl counters | sed -n 's/.*faults=\([0-9]*\).*/\1/p')"
  echo $((after - before))
}

# sleep_until T_MS: sleeps until that time (now_ms), if it is still ahead.
sleep_until() {
  local left=$(($1 - $(now_ms)))
  ((left <= 0)) || sleep "$((left / 1000)).$(printf '%03d' $((left % 1000)))"
}

load_alive() {
  kill -0 "$LOAD_PID" 2>/dev/null \
    || fail "xks-loadgen ended before the scenarios did: $(tail -n 5 "$E2E_DIR/load.err")"
}

# A plain label from a token reference: a URI (pkcs11:token=LABEL;serial=...) or a label.
label_of() {
  if [[ "$1" == pkcs11:* ]]; then
    sed -n 's/.*[:;]token=\([^;]*\).*/\1/p' <<<"$1"
  else
    echo "$1"
  fi
}

# ---- set-up: acme on token A; the same key value in A and B, another in C ----
fault_ctl create
e2e_config_init
e2e_add_tenant acme /acme
xksctl key create acme hk >/dev/null
# Every token through the fault module (it forwards to SoftHSM; the control file steers it); deep
# checks every second so that a member is probed back in quickly.
jq --arg m "$XKS_FAULT_PKCS11_MODULE" \
  '.hsm.modules |= map(.module = $m) | .api.health_check_interval_ms = 1000' "$XKS_CONFIG" \
  > "$E2E_DIR/config.new"
cat "$E2E_DIR/config.new" > "$XKS_CONFIG"
A_ID="$(jq -r '.tenants[] | select(.name == "acme") | .token // .tokens[0]' "$XKS_CONFIG")"
A_REF="$(jq -r --arg id "$A_ID" '.hsm.tokens[] | select(.id == $id) | .token' "$XKS_CONFIG")"
A_LABEL="$(label_of "$A_REF")"
KEY_LABEL="$(jq -r '.tenants[] | select(.name == "acme") | .keys.hk.versions[0].label' \
  "$XKS_CONFIG")"
[[ -n "$A_LABEL" && -n "$KEY_LABEL" ]] \
  || fail "no token label or key label for acme in $(jq -c '{hsm, tenants}' "$XKS_CONFIG")"
BUDGET_MS="$(jq -r '.server.hsm_time_budget_ms // 200' "$XKS_CONFIG")"
B_ID=acme-b B_LABEL=acme-b C_LABEL=acme-c
for label in "$B_LABEL" "$C_LABEL"; do
  xksctl token init --label "$label" --pin-file "$E2E_DIR/secrets/$label.pin" \
    --module "$XKS_SOFTHSM_MODULE" >/dev/null
done
(umask 077 && openssl rand -hex 32 > "$E2E_DIR/secrets/fleet.key" \
  && openssl rand -hex 32 > "$E2E_DIR/secrets/other.key")
put_key() {  # put_key TOKEN PIN_FILE KEY_FILE [--replace]
  "$XKS_E2E_TOKEN_KEY_BIN" "$XKS_SOFTHSM_MODULE" "$1" "$2" "$KEY_LABEL" "${@:3}" >/dev/null
}
put_key "$A_REF" "$E2E_DIR/secrets/acme.pin" "$E2E_DIR/secrets/fleet.key" --replace
put_key "$B_LABEL" "$E2E_DIR/secrets/$B_LABEL.pin" "$E2E_DIR/secrets/fleet.key"
put_key "$C_LABEL" "$E2E_DIR/secrets/$C_LABEL.pin" "$E2E_DIR/secrets/other.key"
pass "acme on token $A_LABEL ($A_ID); $KEY_LABEL with one value in $A_LABEL and $B_LABEL," \
  "another in $C_LABEL (xks_e2e_token_key)"

e2e_start_proxy
e2e_secret_file acme.loadgen "$ACME_SECRET"
[[ "$(health_members)" == "$A_ID=ACTIVE" ]] || fail "health before the fleet: $(health_members)"
[[ "$(encrypt_status)" == 200 ]] || fail "acme does not encrypt on its single token"

# ---- xksctl fleet add / check on the running proxy ----
out="$(xksctl --json fleet add acme --token-label "$B_LABEL" --token-id "$B_ID" \
  --pin-file "$E2E_DIR/secrets/$B_LABEL.pin" 2>&1)" \
  || fail "xksctl fleet add of $B_LABEL (same key) failed: $out"
jq -e '.check.keys | length > 0 and all(.same_key)' <<<"$out" >/dev/null \
  || fail "fleet add: no known-answer check in its report: $out"
wait_members "$A_ID=ACTIVE $B_ID=ACTIVE" 10 \
  || fail "after fleet add GetHealthStatus lists '$seen' (expected $A_ID and $B_ID ACTIVE)"
pass "xksctl fleet add $B_LABEL: known-answer check passed; both members ACTIVE after" \
  "${waited_ms} ms"

cp "$XKS_CONFIG" "$E2E_DIR/config.before-c"
rc=0
out="$(xksctl fleet add acme --token-label "$C_LABEL" --token-id acme-c \
  --pin-file "$E2E_DIR/secrets/$C_LABEL.pin" 2>&1)" || rc=$?
((rc == 1)) || fail "xksctl fleet add of $C_LABEL (another key, same label): exit $rc" \
  "(expected 1): $out"
cmp -s "$XKS_CONFIG" "$E2E_DIR/config.before-c" \
  || fail "fleet add of $C_LABEL failed but changed the configuration:" \
    "$(diff "$E2E_DIR/config.before-c" "$XKS_CONFIG" | head -n 20)"
grep -q "MISMATCH" <<<"$out" || fail "fleet add of $C_LABEL does not say what differs: $out"
pass "xksctl fleet add $C_LABEL (another key under $KEY_LABEL): exit 1, configuration unchanged"
out="$(xksctl fleet check acme 2>&1)" || fail "xksctl fleet check acme failed: $out"
pass "xksctl fleet check acme: $(tail -n 1 <<<"$out")"

# ---- steady mixed load; both members take traffic ----
LOG_MARK="$(wc -l < "$E2E_DIR/proxy.log")"
"$XKS_LOADGEN_BIN" --url "$ENDPOINT/acme" --key-id hk --access-key-id "$ACME_AKID" \
  --secret-file "$E2E_DIR/secrets/acme.loadgen.secret" --ca-file "$E2E_DIR/tls-cert.pem" \
  --connections "$FLEET_CONNECTIONS" --warmup 500ms --duration 300s \
  >"$E2E_DIR/load.out" 2>"$E2E_DIR/load.err" &
LOAD_PID=$!
sleep 1.5
load_alive
calls_a="$(member_calls "$A_LABEL" 1000)"
calls_b="$(member_calls "$B_LABEL" 1000)"
if ((calls_a > 20 && calls_b > 20)); then
  pass "under load both members take traffic: crypto calls in 1 s $A_LABEL $calls_a," \
    "$B_LABEL $calls_b"
else
  problem "before the faults: crypto calls in 1 s on $A_LABEL $calls_a, on $B_LABEL $calls_b" \
    "(expected both members to take traffic)"
fi

# ---- 1. one member hangs ----
# Only the requests in flight on A when it hangs may fail. (This once failed in about one run in
# six: a request begun ~200 ms into the hang was still routed to A, or retried there after B
# refused it, and answered 503 at its deadline. FleetRouter now passes over a member that has
# answered nothing for 50 ms, and retries only on a usable member.)
t1_arm="$(now_ms)"
fault_ctl hang all "token=$A_LABEL" >/dev/null
t1_armed="$(now_ms)"
if wait_members "$A_ID=UNAVAILABLE $B_ID=ACTIVE" "$FLEET_DETECT_BOUND_S"; then
  s1_detect_ms=$(($(now_ms) - t1_arm))
  pass "hang of $A_LABEL: $A_ID UNAVAILABLE and $B_ID ACTIVE after ${s1_detect_ms} ms" \
    "(bound ${FLEET_DETECT_BOUND_S} s; the issue asks for 2 s)"
else
  s1_detect_ms="never"
  problem "hang of $A_LABEL: health still '$seen' ${waited_ms} ms after it began" \
    "(expected $A_ID=UNAVAILABLE $B_ID=ACTIVE within ${FLEET_DETECT_BOUND_S} s)"
fi
load_alive
sleep_until $((t1_arm + FLEET_HANG_S * 1000))
s1_hung="$(fault_ctl counters | sed -n 's/^hung=\([0-9]*\).*/\1/p')"
t1_release="$(now_ms)"
fault_ctl clear
if wait_members "$A_ID=ACTIVE $B_ID=ACTIVE" "$FLEET_RECOVER_BOUND_S"; then
  s1_recover_ms=$(($(now_ms) - t1_release))
  pass "after the release $A_ID reads ACTIVE after ${s1_recover_ms} ms"
else
  s1_recover_ms="never"
  problem "after the release health still '$seen' ${waited_ms} ms later (expected both ACTIVE)"
fi
s1_calls_a="$(member_calls "$A_LABEL" 1000)"
s1_calls_b="$(member_calls "$B_LABEL" 1000)"
if ((s1_calls_a > 20 && s1_calls_a * 10 >= s1_calls_b)); then
  pass "after the hang $A_LABEL takes traffic again: crypto calls in 1 s $s1_calls_a" \
    "($B_LABEL $s1_calls_b)"
else
  problem "after the hang $A_LABEL takes little traffic: crypto calls in 1 s $s1_calls_a" \
    "(and $B_LABEL $s1_calls_b; expected more than 20 and at least a tenth of B's)"
fi
t1_end="$(now_ms)"
load_alive

# ---- 2. both members hang ----
t2_arm="$(now_ms)"
fault_ctl hang all >/dev/null
t2_armed="$(now_ms)"
if wait_members "$A_ID=UNAVAILABLE $B_ID=UNAVAILABLE" "$FLEET_DETECT_BOUND_S"; then
  s2_detect_ms=$(($(now_ms) - t2_arm))
  pass "hang of both: both UNAVAILABLE after ${s2_detect_ms} ms (bound ${FLEET_DETECT_BOUND_S} s)"
else
  s2_detect_ms="never"
  problem "hang of both: health still '$seen' ${waited_ms} ms after it began" \
    "(expected both UNAVAILABLE within ${FLEET_DETECT_BOUND_S} s)"
fi
sleep_until $((t2_arm + FLEET_BOTH_S * 1000))
s2_hung="$(fault_ctl counters | sed -n 's/^hung=\([0-9]*\).*/\1/p')"
t2_release="$(now_ms)"
fault_ctl clear
if wait_members "$A_ID=ACTIVE $B_ID=ACTIVE" "$FLEET_RECOVER_BOUND_S"; then
  s2_recover_ms=$(($(now_ms) - t2_release))
  pass "after the release both read ACTIVE after ${s2_recover_ms} ms"
else
  s2_recover_ms="never"
  problem "after releasing both, health still '$seen' ${waited_ms} ms later (expected ACTIVE)"
fi
t2_end="$(now_ms)"
load_alive
sleep 1

# ---- 3. device errors on every crypto call of one member ----
t3_arm="$(now_ms)"
fault_ctl fail crypto CKR_DEVICE_ERROR "token=$A_LABEL" >/dev/null
if wait_not_active "$A_ID" "$FLEET_DETECT_BOUND_S"; then
  s3_detect_ms=$(($(now_ms) - t3_arm))
  pass "device errors on $A_LABEL: $A_ID leaves ACTIVE after ${s3_detect_ms} ms ($seen)"
else
  s3_detect_ms="never"
  problem "device errors on $A_LABEL: health still '$seen' ${waited_ms} ms after they began" \
    "(expected $A_ID to leave ACTIVE within ${FLEET_DETECT_BOUND_S} s)"
fi
sleep_until $((t3_arm + FLEET_ERRORS_S * 1000))
s3_faults="$(fault_ctl counters | sed -n 's/.*faults=\([0-9]*\).*/\1/p')"
t3_clear="$(now_ms)"
fault_ctl clear
if wait_members "$A_ID=ACTIVE $B_ID=ACTIVE" "$FLEET_RECOVER_BOUND_S"; then
  s3_recover_ms=$(($(now_ms) - t3_clear))
  pass "after clearing the errors $A_ID reads ACTIVE after ${s3_recover_ms} ms"
else
  s3_recover_ms="never"
  problem "after clearing the errors health still '$seen' ${waited_ms} ms later (expected ACTIVE)"
fi
sleep 1
t3_end="$(now_ms)"
load_alive
kill -TERM "$LOAD_PID" 2>/dev/null
wait "$LOAD_PID" 2>/dev/null || true
LOAD_PID=""

# ---- 4. xksctl fleet remove ----
out="$(xksctl fleet remove acme --token-id "$B_ID" 2>&1)" \
  || fail "xksctl fleet remove acme --token-id $B_ID failed: $out"
wait_members "$A_ID=ACTIVE" 10 \
  || fail "after fleet remove GetHealthStatus lists '$seen' (expected $A_ID=ACTIVE only)"
pass "xksctl fleet remove $B_ID: only $A_ID listed after ${waited_ms} ms"
cp "$XKS_CONFIG" "$E2E_DIR/config.before-last"
rc=0
out="$(xksctl fleet remove acme --token-id "$A_ID" 2>&1)" || rc=$?
((rc == 1)) || fail "xksctl fleet remove of the last member: exit $rc (expected 1): $out"
cmp -s "$XKS_CONFIG" "$E2E_DIR/config.before-last" \
  || fail "the refused fleet remove changed the configuration"
[[ "$(encrypt_status)" == 200 ]] || fail "acme does not encrypt after the fleet remove"
pass "xksctl fleet remove of the last member refused (exit 1): $out"
e2e_stop_proxy
pass "the proxy stops cleanly"

# ---- every request of the load, from the access log (complete now that the proxy stopped) ----
# Each request by when it began: scenario 1 from 2 s before the hang to the end of its traffic
# check (failed ones split FLEET_INFLIGHT_GRACE_MS after the hang was armed), scenario 2 during
# the hang (must be 5xx in time) and from its release to both ACTIVE (counted only), scenario 3
# from then to its end.
read -r s1_total s1_inflight_failed s1_later_failed s1_last_ms \
  s2_total s2_bad s2_503 s2_max_ms s2_cached s2_after_total s2_after_failed s3_total s3_failed \
  < <(python3 - "$E2E_DIR/proxy.log" "$LOG_MARK" "$t1_arm" "$t1_armed" "$FLEET_INFLIGHT_GRACE_MS" \
    "$t1_end" "$t2_armed" "$t2_release" "$t2_end" "$t3_end" \
    "$((BUDGET_MS + FLEET_LATENCY_SLACK_MS))" "$E2E_DIR/requests-bad.log" <<'PY'
import datetime, re, sys
log, mark = sys.argv[1:3]
(t1_arm, t1_armed, grace_ms, t1_end, t2_armed, t2_release, t2_end, t3_end,
 bound_ms) = map(int, sys.argv[3:12])
bad_path = sys.argv[12]
line_re = re.compile(r"^(\S+)Z \S+ api xks request tenant=acme op=(\S+) .*?status=(\d+) "
                     r".*?latency_us=(\d+) hsm_us=(\d+)")
# Scenario 1: requests, failed in flight (begun by t1_armed + grace), failed later, and the latest
# start of a failed one (ms after t1_armed).
s1 = [0, 0, 0, -10**9]
# During the hang: requests, not 5xx or late, 503s, slowest (ms), GetKeyMetadata answered from the
# key attribute cache without the HSM (hsm_us=0; right, not a failure).
s2 = [0, 0, 0, 0.0, 0]
s2_after = [0, 0]  # from the release to both ACTIVE: requests, not 200
s3 = [0, 0]  # requests, not 200
bad = []
with open(log) as f:
    for line in list(f)[int(mark):]:
        m = line_re.match(line)
        if not m or m.group(2) == "GetHealthStatus":
            continue
        end = datetime.datetime.fromisoformat(m.group(1)).replace(
            tzinfo=datetime.timezone.utc).timestamp() * 1000
        latency_ms = int(m.group(4)) / 1000
        begin, status = end - latency_ms, int(m.group(3))
        if t1_arm - 2000 <= begin < t1_end:
            s1[0] += 1
            if status != 200:
                later = begin > t1_armed + grace_ms
                s1[1 + later] += 1
                # The later ones first among the examples, with their start after the arming.
                s1[3] = max(s1[3], begin - t1_armed)
                bad.append("1%s %+d ms %s" % ("l" if later else "i", begin - t1_armed, line))
        elif t2_armed <= begin < t2_release:
            s2[0] += 1
            if status == 200 and m.group(2) == "GetKeyMetadata" and m.group(5) == "0":
                s2[4] += 1
                continue
            s2[2] += status == 503
            s2[3] = max(s2[3], latency_ms)
            if status < 500 or latency_ms > bound_ms:
                s2[1] += 1
                bad.append("2 " + line)
        elif t2_release <= begin < t2_end:
            s2_after[0] += 1
            if status != 200:
                s2_after[1] += 1
                bad.append("2r " + line)
        elif t2_end <= begin < t3_end:
            s3[0] += 1
            if status != 200:
                s3[1] += 1
                bad.append("3 " + line)
with open(bad_path, "w") as out:
    out.writelines(bad)
print(*s1[:3], int(s1[3]) if s1[1] + s1[2] else "none", *s2[:3], int(s2[3] + 0.999), s2[4],
      *s2_after, *s3)
PY
)
# bad_examples PREFIX...: the first lines of requests-bad.log of each class, in that order.
bad_examples() {
  local prefix
  for prefix in "$@"; do grep "^$prefix " "$E2E_DIR/requests-bad.log" || true; done \
    | head -n 6 | sed 's/^/    /'
}
if ((s1_inflight_failed <= FLEET_CONNECTIONS && s1_later_failed == 0 && s1_total > 0)); then
  pass "hang of one member: ${s1_inflight_failed} of ${s1_total} requests failed, all in flight" \
    "when it began (bound ${FLEET_CONNECTIONS}; the latest began ${s1_last_ms} ms after" \
    "fault-ctl returned, grace ${FLEET_INFLIGHT_GRACE_MS} ms); every later one answered 200"
else
  problem "hang of one member: of ${s1_total} requests ${s1_inflight_failed} in flight when it" \
    "began failed (bound ${FLEET_CONNECTIONS}) and ${s1_later_failed} begun later than" \
    "${FLEET_INFLIGHT_GRACE_MS} ms after fault-ctl returned failed (expected 0; the latest" \
    "${s1_last_ms} ms after); for example:
$(bad_examples 1l 1i)"
fi
if ((s2_total > 0 && s2_bad == 0)); then
  pass "hang of both: all ${s2_total} requests begun during it answered 5xx (${s2_503} 503)" \
    "but ${s2_cached} GetKeyMetadata from the key cache (200 without the HSM), within" \
    "${BUDGET_MS} + ${FLEET_LATENCY_SLACK_MS} ms (slowest ${s2_max_ms} ms)"
else
  problem "hang of both: ${s2_bad} of ${s2_total} requests begun during it not answered 5xx" \
    "(a 429 is not) within ${BUDGET_MS} + ${FLEET_LATENCY_SLACK_MS} ms (slowest ${s2_max_ms} ms);" \
    "for example:
$(bad_examples 2)"
fi
if ((s3_total > 0 && s3_failed == 0)); then
  pass "device errors on one member: all ${s3_total} requests answered 200" \
    "(${s3_faults} faults injected)"
else
  problem "device errors on one member: ${s3_failed} of ${s3_total} requests failed" \
    "(expected every one served by the other member); for example:
$(bad_examples 3)"
fi

echo "fleet summary: connections ${FLEET_CONNECTIONS}, budget ${BUDGET_MS} ms;" \
  "1) one member hung $((t1_release - t1_arm)) ms (${s1_hung} calls hung at its end):" \
  "${s1_inflight_failed} failed in flight, ${s1_later_failed} failed later, of ${s1_total}" \
  "(latest failed one began ${s1_last_ms} ms after fault-ctl returned);" \
  "detected ${s1_detect_ms} ms, ACTIVE again ${s1_recover_ms} ms after the release, then" \
  "${s1_calls_a}/${s1_calls_b} crypto calls/s on A/B;" \
  "2) both hung $((t2_release - t2_arm)) ms (${s2_hung} hung): ${s2_total} requests," \
  "${s2_503} answered 503, ${s2_cached} metadata from the cache, ${s2_bad} not 5xx or late," \
  "slowest ${s2_max_ms} ms; both UNAVAILABLE" \
  "${s2_detect_ms} ms, ACTIVE again ${s2_recover_ms} ms, ${s2_after_failed} of" \
  "${s2_after_total} requests in between not 200;" \
  "3) device errors $((t3_clear - t3_arm)) ms (${s3_faults} faults): ${s3_failed} failed of" \
  "${s3_total}; left ACTIVE ${s3_detect_ms} ms, ACTIVE again ${s3_recover_ms} ms;" \
  "4) fleet remove: 1 member left, removing the last refused"
# Each problem's first line, in one line.
((${#PROBLEMS[@]} == 0)) \
  || fail "${#PROBLEMS[@]} check(s) failed: $(printf '%s; ' "${PROBLEMS[@]%%$'\n'*}")"
