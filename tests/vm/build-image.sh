#!/usr/bin/env bash
# The VM lab's Debian image and package repository for one distro, built once and kept in
# /var/cache/hacluster-lab/images/DISTRO-HASH/, HASH covering everything that goes into them
# (this script, the customize hook, the package lists, the guest files, nodes.sh, the mirrors):
# a change to any of them builds again, nothing else does. Prints that folder:
#   root.qcow2           the root filesystem (ext4, no partition table), read-only base of the VMs
#   vmlinuz, initrd.img  the image's kernel and initrd, for QEMU's -kernel/-initrd
#   repo/debian/         the .debs of repo-packages.txt and their dependencies that the image
#                        lacks, with Packages and Release: the VMs' apt source
#   manifest             the image's packages and versions; build.log, timings
#
#   build-image.sh bookworm|trixie [--rebuild]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
distro=${1:-}
case "$distro" in
  bookworm | trixie) ;;
  *)
    echo "usage: $0 bookworm|trixie [--rebuild]" >&2
    exit 2
    ;;
esac
rebuild=${2:-}
CACHE=${HACL_VM_CACHE:-/var/cache/hacluster-lab}
MIRROR=${HACL_VM_MIRROR:-http://deb.debian.org/debian}
SECURITY=${HACL_VM_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
# The root filesystem's size: the image's ~0.8 GiB, the cluster's packages, logs, room to spare.
ROOT_SIZE=4G

# Packages of a list file for this distro: comments dropped, `DISTRO:NAME` kept for DISTRO only.
list() {
  sed -e 's/#.*//' -e 's/[[:space:]]//g' "$1" | grep -v '^$' |
    while IFS= read -r entry; do
      case "$entry" in
        "$distro":*) echo "${entry#*:}" ;;
        *:*) ;;
        *) echo "$entry" ;;
      esac
    done
}

key=$(
  {
    echo "$distro $MIRROR $SECURITY $ROOT_SIZE"
    for f in build-image.sh image-customize.sh image-packages.txt repo-packages.txt nodes.sh; do
      echo "== $f"
      cat "$HERE/$f"
    done
    (cd "$HERE/guest" && find . -type f | LC_ALL=C sort | while IFS= read -r f; do
      echo "== guest/$f $(stat -c %a "$f")"
      cat "$f"
    done)
  } | sha256sum | cut -c1-16
)
out=$CACHE/images/$distro-$key
if [ -e "$out/done" ] && [ "$rebuild" != --rebuild ]; then
  echo "$out"
  exit 0
fi

mkdir -p "$CACHE/images"
# One build of a distro at a time; the two distros' builds may run side by side.
exec 9>"$CACHE/build-$distro.lock"
flock 9
if [ -e "$out/done" ] && [ "$rebuild" != --rebuild ]; then # built while this one waited
  echo "$out"
  exit 0
fi
# What a build killed outright (SIGKILL: no trap ran) left: only this distro's, only under the
# lock, so never a build still running.
rm -rf "$CACHE/images/.build-$distro-"*
tmp=$CACHE/images/.build-$distro-$$
mkdir -p "$tmp/repo/debian/partial"
trap 'rm -rf "$tmp"' EXIT
log=$tmp/build.log
started=$(date +%s)
echo "vm lab: building the $distro image and package repository ($out), ~2-4 min" >&2

mapfile -t image_packages < <(list "$HERE/image-packages.txt")
export HACL_GUEST=$HERE/guest HACL_POOL=$tmp/repo/debian HACL_NODES_SH=$HERE/nodes.sh
HACL_REPO_PACKAGES=$(list "$HERE/repo-packages.txt" | paste -sd' ')
export HACL_REPO_PACKAGES
# Debian's "standard system utilities" (Priority: standard, the installer's default task) come
# with a freshly installed server: perl and python3 among them, which the cluster's packages use.
if ! mmdebstrap --mode=root --variant=minbase \
  --include="$(printf '%s\n' "${image_packages[@]}" | paste -sd,)" \
  --include='?priority(standard)' \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --customize-hook="$HERE/image-customize.sh" \
  "$distro" "$tmp/rootfs" \
  "deb $MIRROR $distro main" \
  "deb $MIRROR $distro-updates main" \
  "deb $SECURITY $distro-security main" >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "vm lab: mmdebstrap failed; the whole log was $log (removed)" >&2
  exit 1
fi
debootstrapped=$(date +%s)

# The boot files, then the disk: ext4 made from the folder (no loop mount), then qcow2.
kernel=$(find "$tmp/rootfs/boot" -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -n 1)
cp "$kernel" "$tmp/vmlinuz"
cp "$tmp/rootfs/boot/initrd.img-${kernel##*/vmlinuz-}" "$tmp/initrd.img"
echo "${kernel##*/vmlinuz-}" >"$tmp/kernel-version"
# shellcheck disable=SC2016 # dpkg-query's format, not the shell's
chroot "$tmp/rootfs" dpkg-query -W -f='${Package} ${Version}\n' >"$tmp/manifest"
mkfs.ext4 -q -F -L hacl-root -d "$tmp/rootfs" "$tmp/root.raw" "$ROOT_SIZE" >>"$log" 2>&1
disked=$(date +%s)

# The image's first boot, once, here: what Debian does at a first boot (AppArmor compiling its
# profiles, half a minute under emulation) is done for every VM booted from the image. The
# guest's hacluster-lab-first-boot.service removes what makes a machine itself, then powers off.
# No NIC, no network: QEMU's emulator, the root disk and a console to a file. panic=5: an initrd
# that cannot mount the root reboots, which -no-reboot makes an exit, not a shell to wait in.
# --foreground: QEMU stays in the caller's process group, so that stopping the caller (npm
# test's streams) stops it too.
if ! timeout --foreground 900 qemu-system-x86_64 -nodefaults -no-user-config -display none -no-reboot \
  -machine pc -accel "${HACL_VM_ACCEL:-tcg}" -cpu "${HACL_VM_CPU:-max}" -smp 1 -m 1024 \
  -kernel "$tmp/vmlinuz" -initrd "$tmp/initrd.img" \
  -append "root=/dev/vda rw console=ttyS0,115200 net.ifnames=0 panic=5 hacluster-lab.first-boot" \
  -drive "if=virtio,file=$tmp/root.raw,format=raw" \
  -serial "file:$tmp/first-boot.log" >>"$log" 2>&1 ||
  ! grep -q 'hacluster-lab: first boot done' "$tmp/first-boot.log"; then
  tail -n 40 "$tmp/first-boot.log" >&2 || true
  cat "$log" >&2
  echo "vm lab: the image's first boot did not end as it should; its console is above" >&2
  exit 1
fi
booted=$(date +%s)
qemu-img convert -O qcow2 "$tmp/root.raw" "$tmp/root.qcow2"
rm -rf "$tmp/root.raw" "$tmp/rootfs"
chmod 444 "$tmp/root.qcow2"

# The repository: a flat one (`deb URL ./`), unsigned, which the image's sources.list trusts.
rmdir "$tmp/repo/debian/partial"
(
  cd "$tmp/repo/debian"
  rm -f lock
  apt-ftparchive packages . >Packages 2>>"$log"
  gzip -9 -k Packages
  apt-ftparchive -o APT::FTPArchive::Release::Origin=hacluster-lab \
    -o APT::FTPArchive::Release::Suite="$distro" release . >Release
)
finished=$(date +%s)
printf 'mmdebstrap %s s\nfirst boot %s s\ndisk %s s\ntotal %s s\nrepository %s packages\n' \
  "$((debootstrapped - started))" "$((booted - disked))" \
  "$((finished - debootstrapped - (booted - disked)))" "$((finished - started))" \
  "$(grep -c '^Package:' "$tmp/repo/debian/Packages")" >"$tmp/timings"
touch "$tmp/done"

# Older builds of this distro go: only the current one is kept.
for old in "$CACHE/images/$distro"-*; do
  [ "$old" = "$out" ] || rm -rf "$old"
done
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
echo "vm lab: $distro image built in $((finished - started)) s" >&2
echo "$out"
