# Sourced by the tools/install-*-deps.sh scripts: install_missing NAME PACKAGE... installs those
# of the Debian packages that are not installed yet (quiet and idempotent, non-interactive; as
# root, or through sudo). Sets `installed` to the packages it installed (empty: none was missing).
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_missing() {
  local name="$1" p missing=()
  shift
  installed=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  echo "$name: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  installed=("${missing[@]}")
}
