#!/usr/bin/env bash
# Build the production image's base (docker/Dockerfile's BASE_IMAGE) from Debian with debootstrap
# and import it into podman, for machines without registry access.
#
#   scripts/image-base.sh [TAG]     default TAG: localhost/ml-portal-base:bookworm
#
# The result is what debian:bookworm-slim is: a minbase bookworm, with the security and updates
# suites enabled and upgraded at build time. The image carries a label with a hash of this script
# (its only input besides the mirror); the build is skipped when an image with that hash exists.
# IMAGE_BASE_REBUILD=1 rebuilds anyway (to take in newer Debian security updates).
set -euo pipefail

tag="${1:-localhost/ml-portal-base:bookworm}"
suite=bookworm
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
security_mirror="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
label=org.ml-portal.base-inputs
inputs="$( { cat "$0"; echo "$suite $mirror $security_mirror"; } | sha256sum | cut -c1-16)"

have="$(podman image inspect --format "{{ index .Labels \"$label\" }}" "$tag" 2>/dev/null || true)"
if [ "$have" = "$inputs" ] && [ "${IMAGE_BASE_REBUILD:-0}" != 1 ]; then
  echo "image-base: $tag is up to date (inputs $inputs)"
  exit 0
fi

root="$(mktemp -d /var/tmp/ml-portal-base.XXXXXX)"
chmod 755 "$root"  # it becomes the image's /: mktemp made it 0700
cleanup() {
  # debootstrap mounts /proc and /sys inside the target while it runs; unmount before removing.
  for mount in proc sys dev/pts dev; do umount -l "$root/$mount" 2>/dev/null || true; done
  rm -rf --one-file-system "$root"
}
trap cleanup EXIT
trap "exit 1" INT TERM

echo "image-base: debootstrap $suite (minbase) from $mirror into $root"
debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$root.log" 2>&1 \
  || { tail -n 30 "$root.log" >&2; rm -f "$root.log"; exit 1; }
rm -f "$root.log"

cat >"$root/etc/apt/sources.list" <<SOURCES
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security_mirror $suite-security main
SOURCES
# Keep images small the way Debian's docker images do: no recommends, no caches left behind.
cat >"$root/etc/apt/apt.conf.d/90ml-portal" <<'APT'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb || true"; };
APT

echo "image-base: applying $suite-security and $suite-updates"
chroot "$root" /bin/sh -c \
  'export DEBIAN_FRONTEND=noninteractive; apt-get -q update && apt-get -qy upgrade' >/dev/null
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/*.log \
       "$root"/usr/share/man/*
# Documentation goes, the licence texts (copyright files) stay.
find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
for mount in proc sys dev/pts dev; do umount -l "$root/$mount" 2>/dev/null || true; done

echo "image-base: importing as $tag"
tar --numeric-owner -C "$root" -c . \
  | podman import --quiet --change "LABEL $label=$inputs" --change 'CMD ["/bin/bash"]' - "$tag" >/dev/null
echo "image-base: built $tag (inputs $inputs)"
