#!/usr/bin/env bash
# Install the Debian packages the portal needs, only where they are missing.
#
#   scripts/system-deps.sh runtime     python3 (the production image and every other profile;
#                                      SAML signing uses the xmlsec wheel, no Debian package)
#   scripts/system-deps.sh demo        runtime + xmlsec1 (the dev IdP's pysaml2 shells out to it)
#   scripts/system-deps.sh test        demo + chromium (browser tests) + docker-compose
#                                      (the compose file is validated by the test suite)
#                                      + npm (axe-core for the browser tests, package.json)
#                                      + redis-server (tests/portal/test_broker_outage.py
#                                      restarts a private broker of its own)
#   scripts/system-deps.sh image-test  podman (with runc), debootstrap and docker-compose for
#                                      `make image-test`
#
# With PYTHON=/path/to/python3 it also installs python3-venv when that interpreter lacks it.
#
# The Makefile and docker/Dockerfile both call this script so the installs do not drift.
set -euo pipefail

profile="${1:-runtime}"

# command (or absolute path of a file) -> Debian package
declare -A wanted=([python3]=python3)
case "$profile" in
  runtime) ;;
  demo) wanted[xmlsec1]=xmlsec1 ;;
  test) wanted[xmlsec1]=xmlsec1; wanted[chromium]=chromium; wanted[docker-compose]=docker-compose
        wanted[npm]=npm; wanted[redis-server]=redis-server ;;
  # runc rather than crun, and netavark with aardvark-dns (compose's service names resolve):
  # the image test's containers.conf selects them.
  image-test) wanted[podman]=podman; wanted[runc]=runc; wanted[debootstrap]=debootstrap
              wanted[docker-compose]=docker-compose
              wanted[/usr/lib/podman/netavark]=netavark
              wanted[/usr/lib/podman/aardvark-dns]=aardvark-dns
              # netavark sets up the bridge network of every RUN step and of compose with
              # iptables; a machine without it fails the first RUN ("netavark: No such file").
              wanted[iptables]=iptables ;;
  *) echo "usage: $0 runtime|demo|test|image-test" >&2; exit 2 ;;
esac

missing=()
for cmd in "${!wanted[@]}"; do
  if [[ "$cmd" == /* ]]; then
    [ -e "$cmd" ] || missing+=("${wanted[$cmd]}")
  else
    command -v "$cmd" >/dev/null 2>&1 || missing+=("${wanted[$cmd]}")
  fi
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
