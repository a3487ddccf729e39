#!/usr/bin/env bash
# The Debian package: `cpack -G DEB` from this build tree (its CPackConfig.cmake) into a scratch
# directory, then its control data (dpkg-deb -I: name, version, Depends from the programs'
# libraries, Recommends), its maintainer scripts and conffiles, the tree it unpacks (dpkg -x),
# and lintian: no error, warnings listed.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [[ "${XKS_SANITIZED:-0}" == 1 ]]; then
  skip "sanitizer build: its programs need the sanitizer runtimes and are not what ships; the release configuration builds and checks the .deb"
fi
need_tool dpkg-deb dpkg
need_tool dpkg-shlibdeps dpkg-dev
need_tool lintian lintian

(cd "$PKG_DIR" && cpack -G DEB --config "$XKS_BUILD_DIR/CPackConfig.cmake" -B "$PKG_DIR/out") \
  >"$PKG_DIR/cpack.log" 2>&1 || { cat "$PKG_DIR/cpack.log" >&2; fail "cpack -G DEB failed"; }
debs=("$PKG_DIR"/out/*.deb)
[[ ${#debs[@]} == 1 && -f "${debs[0]}" ]] || fail "expected one .deb, got: ${debs[*]}"
deb="${debs[0]}"
pass "built $(basename "$deb")"

field() { dpkg-deb -f "$deb" "$1"; }
[[ "$(field Package)" == xks-proxy ]] || fail "Package is '$(field Package)'"
[[ "$(field Version)" == "$XKS_EXPECTED_VERSION-1" ]] || fail "Version is '$(field Version)'"
depends="$(field Depends)"
depends_names="$(tr ',' '\n' <<<"$depends" | awk '{print $1}')"
for dep in adduser libc6 libssl3 libp11-kit0 libstdc++6; do
  grep -qxF "$dep" <<<"$depends_names" || fail "Depends lacks $dep: $depends"
done
for rec in p11-kit softhsm2; do
  [[ "$(field Recommends)" == *"$rec"* ]] || fail "Recommends lacks $rec: $(field Recommends)"
done
pass "control: Depends: $depends; Recommends: $(field Recommends)"

control="$PKG_DIR/control"
dpkg-deb -e "$deb" "$control"
for script in postinst prerm postrm; do
  expect_file "$control/$script" 755
  sh -n "$control/$script" || fail "$script is not valid sh"
done
expect_file "$control/conffiles" 644
# The service needs a configuration the package cannot ship: never enabled or started.
if grep -nE 'systemctl (--system )?(start|restart|enable)|deb-systemd-invoke (start|restart)|deb-systemd-helper enable' \
  "$control/postinst"; then
  fail "postinst enables or starts the service"
fi
grep -q 'adduser --system' "$control/postinst" || fail "postinst makes no system user"
grep -q '"\$1" = purge' "$control/postrm" || fail "postrm does not keep state outside a purge"
pass "maintainer scripts (postinst, prerm, postrm: 0755, valid sh) and conffiles"

# What the scripts do, with every command they run replaced by a stub that only logs its
# arguments (nothing on this machine changes). GETENT_STATUS 2: the user does not exist yet.
stubs="$PKG_DIR/stubs"
mkdir -p "$stubs"
for cmd in getent addgroup adduser deluser delgroup dpkg-statoverride install chown chmod \
  systemctl deb-systemd-invoke rm rmdir; do
  printf '#!/bin/sh\necho "${0##*/} $*" >>"$STUB_LOG"\n' >"$stubs/$cmd"
  case "$cmd" in
    getent) echo 'exit "${GETENT_STATUS:-2}"' >>"$stubs/$cmd" ;;
    dpkg-statoverride) echo 'exit 1' >>"$stubs/$cmd" ;;
  esac
  chmod 755 "$stubs/$cmd"
done
# run_script SCRIPT ARGS...: the script's commands, one a line, in $PKG_DIR/script.log.
run_script() {
  : >"$PKG_DIR/script.log"
  env -i PATH="$stubs" STUB_LOG="$PKG_DIR/script.log" GETENT_STATUS="${GETENT_STATUS:-2}" \
    /bin/sh "$control/$1" "${@:2}" || fail "$1 $* exited $?"
}
run_script postinst configure
for want in "addgroup --system --quiet xks-proxy" \
  "adduser --system --quiet --ingroup xks-proxy --home /var/lib/xks-proxy --no-create-home --shell /usr/sbin/nologin --gecos XKS proxy xks-proxy" \
  "install -d -o root -g xks-proxy -m 0750 /etc/xks-proxy" \
  "install -d -o xks-proxy -g xks-proxy -m 0700 /var/lib/xks-proxy" \
  "chown root:xks-proxy /etc/xks-proxy/environment" "chmod 0640 /etc/xks-proxy/environment"; do
  grep -qxF "$want" "$PKG_DIR/script.log" || fail "postinst configure did not run '$want': $(cat "$PKG_DIR/script.log")"
done
if grep -E '^(systemctl|deb-systemd-invoke) ' "$PKG_DIR/script.log" | grep -v daemon-reload; then
  fail "postinst touches the service"
fi
GETENT_STATUS=0 run_script postrm remove
if grep -E '^(rm|deluser|delgroup) ' "$PKG_DIR/script.log"; then fail "postrm remove deletes state or the user"; fi
GETENT_STATUS=0 run_script postrm purge
for want in "rm -rf /var/lib/xks-proxy /var/log/xks-proxy" "deluser --system --quiet xks-proxy"; do
  grep -qxF "$want" "$PKG_DIR/script.log" || fail "postrm purge did not run '$want': $(cat "$PKG_DIR/script.log")"
done
pass "postinst makes the user and directories and leaves the service alone; postrm deletes state and user on purge only"

root="$PKG_DIR/root"
dpkg -x "$deb" "$root"
expect_programs "$root/usr/bin"
for entry in $XKS_PROGRAMS; do
  program="$root/usr/bin/${entry%%=*}"
  if readelf -S "$program" | grep -q '\.debug_'; then
    fail "${entry%%=*} is not stripped"
  fi
  # What hardening-check (devscripts) looks at: PIE, full RELRO (BIND_NOW), stack protector and
  # fortified libc calls.
  if [[ ${XKS_HARDENED:-0} == 1 ]]; then
    readelf -h "$program" | grep -q 'Type: *DYN' || fail "${entry%%=*} is not a position-independent executable"
    readelf -lW "$program" | grep -q GNU_RELRO || fail "${entry%%=*} has no RELRO segment"
    readelf -dW "$program" | grep -Eq 'BIND_NOW|FLAGS.*NOW' || fail "${entry%%=*} is not linked with -z now"
    syms="$(readelf --dyn-syms -W "$program")"
    grep -q '__stack_chk_fail' <<<"$syms" || fail "${entry%%=*} has no stack protector"
    grep -Eq '__[a-z_]+_chk@' <<<"$syms" || fail "${entry%%=*} calls no fortified libc function"
  fi
done
unit="$root/usr/lib/systemd/system/xks-proxy.service"
expect_file "$unit" 644
grep -qx 'ExecStart=/usr/bin/xks-proxy --config /etc/xks-proxy/config.json --pid-file /run/xks-proxy/xks-proxy.pid' "$unit" ||
  fail "the unit does not run /usr/bin/xks-proxy on /etc/xks-proxy/config.json: $(grep ^ExecStart= "$unit")"
grep -qx 'ReadWritePaths=/var/lib/xks-proxy /var/log/xks-proxy' "$unit" || fail "ReadWritePaths in the package's unit"
doc="$root/usr/share/doc/xks-proxy"
for f in copyright changelog.Debian.gz README.md operations.md examples/example.json; do
  expect_file "$doc/$f" 644
done
gzip -t "$doc/changelog.Debian.gz" || fail "changelog.Debian.gz is not gzip"
expect_file "$root/usr/share/lintian/overrides/xks-proxy" 644
expect_file "$root/etc/xks-proxy/environment" 640
while read -r conffile; do
  expect_file "$root$conffile"
done <"$control/conffiles"
# Nothing of the build or staging directories leaks into the package.
if grep -rl -e "$XKS_BUILD_DIR" -e _CPack_Packages "$root/etc" "$root/usr/lib" "$root/usr/share"; then
  fail "build paths in packaged files"
fi
leftover="$(find "$root" -path "$root/usr/local*" -o -path "$root/var*" | head -n 5)"
[[ -z "$leftover" ]] || fail "files outside /usr and /etc: $leftover"
owners="$(dpkg-deb -c "$deb" | awk '{print $2}' | sort -u)"
[[ "$owners" == root/root ]] || fail "entries not owned by root/root: $owners"
pass "unpacked tree: programs (stripped, hardened: ${XKS_HARDENED:-0}), unit, docs, examples, /etc/xks-proxy, owners root/root"

# Lintian's verdict on the package itself; overrides live in packaging/debian/lintian-overrides.
lintian_out="$(lintian --tag-display-limit 0 "$deb" 2>&1)" || true
echo "lintian:"
sed 's/^/  /' <<<"${lintian_out:-(nothing)}"
if grep -q '^E:' <<<"$lintian_out"; then fail "lintian reports errors"; fi
pass "lintian: no errors ($(grep -c '^W:' <<<"$lintian_out" || true) warning(s) listed above)"
