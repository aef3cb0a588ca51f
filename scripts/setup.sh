#!/usr/bin/env bash
# Set up hangdump on Debian/Ubuntu: the system tools it drives (apt) and a virtualenv with the package (pip).
# Idempotent: installs only what is missing. Used by `make setup` and therefore by `.ci/run`.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(gdb strace python3.11-dbg zstd chromium redis-server)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "setup: apt-get install ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# compat mode: a plain path entry; the default editable finder costs ~20 ms at every start-up
.venv/bin/python -m pip install -q -e '.[test]' --config-settings editable_mode=compat
# byte-compile now: start-up time is benchmarked and PYTHONDONTWRITEBYTECODE may be set
.venv/bin/python -m compileall -q forensics
