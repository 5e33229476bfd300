#!/usr/bin/env bash
# Install the Debian packages the portal needs, only where they are missing.
#
#   scripts/system-deps.sh runtime   xmlsec1 (SAML signing; the Docker image and `make demo`)
#   scripts/system-deps.sh test      runtime + chromium (browser tests) + docker-compose
#                                    (the compose file is validated by the test suite)
#
# With PYTHON=/path/to/python3 it also installs python3-venv when that interpreter lacks it.
#
# The Makefile and docker/Dockerfile both call this script so the two installs do not drift.
set -euo pipefail

profile="${1:-runtime}"

# command -> Debian package
declare -A wanted=([xmlsec1]=xmlsec1)
case "$profile" in
  runtime) ;;
  test) wanted[chromium]=chromium; wanted[docker-compose]=docker-compose ;;
  *) echo "usage: $0 runtime|test" >&2; exit 2 ;;
esac

missing=()
for cmd in "${!wanted[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${wanted[$cmd]}")
done
# Debian splits the venv module (ensurepip) out of python3; the Makefile needs it for .venv.
python="${PYTHON:-}"
if [ -n "$python" ] && ! "$python" -c "import ensurepip, venv" >/dev/null 2>&1; then
  missing+=(python3-venv)
fi

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  # Without a terminal (CI) sudo must not wait for a password that nobody will type.
  if [ -t 0 ]; then sudo=(sudo); else sudo=(sudo -n); fi
else
  echo "system-deps: missing Debian packages ${missing[*]} and not root; install them" \
       "or install sudo" >&2
  exit 1
fi

echo "system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update
"${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
