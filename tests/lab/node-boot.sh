#!/usr/bin/env bash
# Boots one lab node inside its own network, mount, UTS and PID namespaces: an overlay of the
# host's root (its own /etc, /var, /replicated; the host's packages), fresh /proc, /sys, /run,
# /tmp and /dev, its hostname, its own SSH host key, then tini and sshd. No systemd: the
# product's steps use the packages' init scripts, as on any host without systemd.
set -euo pipefail
node=$1 address=$2 backing_loop=$3 shared_loop=$4
LAB=/run/hacluster-lab
here=$(cd "$(dirname "$0")" && pwd)
root=$LAB/$node/root

mount -t overlay overlay -o "lowerdir=/,upperdir=$LAB/$node/upper,workdir=$LAB/$node/work" "$root"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount -t tmpfs -o mode=755 run "$root/run"
mkdir -p "$root/run/sshd" "$root/run/lock"
mount -t tmpfs -o mode=1777 tmp "$root/tmp"

mount -t tmpfs -o mode=755 dev "$root/dev"
for spec in "null c 1 3" "zero c 1 5" "full c 1 7" "random c 1 8" "urandom c 1 9" "tty c 5 0"; do
  read -r name type major minor <<<"$spec"
  mknod -m 666 "$root/dev/$name" "$type" "$major" "$minor"
done
mkdir -p "$root/dev/pts" "$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
mount -t tmpfs -o mode=1777 shm "$root/dev/shm"
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
# DRBD STAND-IN: the node's backing partition, and the shared volume in place of /dev/drbd0.
minor() { cut -d: -f2 "/sys/class/block/$(basename "$1")/dev"; }
mknod -m 660 "$root/dev/standin-drbd-backing" b 7 "$(minor "$backing_loop")"
mknod -m 660 "$root/dev/drbd0" b 7 "$(minor "$shared_loop")"

hostname "$node"
mkdir -p "$root/replicated"
mkdir -p "$root/root/.ssh"
cp "$LAB/lab_key.pub" "$root/root/.ssh/authorized_keys"
chmod 700 "$root/root/.ssh"

# DRBD STAND-IN: shadows drbdadm inside this overlay only; the real one stays beside it.
mkdir -p "$root/usr/lib/hacluster-lab" "$root/var/lib/drbd-standin"
cp /usr/sbin/drbdadm "$root/usr/lib/hacluster-lab/drbdadm.real"
cp "$here/standin/drbdadm" "$root/usr/sbin/drbdadm"
mount --bind "$LAB/drbd-standin" "$root/var/lib/drbd-standin"
for tool in modinfo modprobe lsmod; do
  rm -f "$root/usr/sbin/$tool" "$root/usr/bin/$tool"
  cp "$here/standin/kmod-drbd" "$root/usr/sbin/$tool"
done

# A host key of its own, made at first boot (the host's own shows through the overlay until
# then) and kept across reboots, as on a disk.
if [ ! -e "$LAB/$node/upper/etc/ssh/ssh_host_ed25519_key" ]; then
  rm -f "$root"/etc/ssh/ssh_host_*
  chroot "$root" ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key
  # Root's dotfiles as a fresh Debian node has them, not this machine's: its .bashrc runs `pyenv
  # init`, whose rehash holds a lock file during every login, and an ssh killed on a timeout can
  # leave it behind (every later login on the node then waits 60 s for it).
  cp /etc/skel/.bashrc /etc/skel/.profile "$root/root/"
  # The host has keepalived, corosync and pacemaker for the peer bench (tests/lab/peers), enabled
  # at boot by their packages; a node of the product has none of them until the bench installs one.
  rm -f "$root"/etc/rc[0-6S].d/[SK][0-9][0-9]{keepalived,corosync,pacemaker}
fi
cp "$root/etc/ssh/ssh_host_ed25519_key.pub" "$LAB/$node/host_key.pub"
# What a Debian boot without systemd starts from rc2.d, limited to the cluster's own services
# (the host's other services are not this node's), in their order: DRBD first, then heartbeat or,
# while the peer bench runs one in its place, keepalived or corosync and pacemaker.
# shellcheck disable=SC2016 # expanded by the node's shell
boot_services='for s in /etc/rc2.d/S*drbd /etc/rc2.d/S*heartbeat /etc/rc2.d/S*keepalived /etc/rc2.d/S*corosync /etc/rc2.d/S*pacemaker; do if [ -x "$s" ]; then "$s" start; fi; done >/var/log/lab-boot.log 2>&1'
exec chroot "$root" /usr/bin/tini -s -- /bin/sh -c "$boot_services; exec /usr/sbin/sshd -D -e -o ListenAddress=$address -o PermitRootLogin=prohibit-password -o UseDNS=no"
