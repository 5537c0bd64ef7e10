#!/usr/bin/env bash
# mmdebstrap's customize hook for the VM lab's image (build-image.sh runs it; $1 is the root).
# Downloads the lab repository's .debs, then makes the image one that serves both VMs.
set -euo pipefail
root=$1
# shellcheck source-path=SCRIPTDIR source=nodes.sh
. "$HACL_NODES_SH"

# 1. The repository: what the cluster's packages need that this very image lacks, with no
# recommends, as the `packages` step installs them. Downloaded with the chroot's apt state.
# shellcheck disable=SC2086 # a list of package names
APT_CONFIG=$MMDEBSTRAP_APT_CONFIG apt-get install --download-only -y -qq --no-install-recommends \
  -o Dir::Cache::Archives="$HACL_POOL/" $HACL_REPO_PACKAGES

# 2. The guest files (sources.list of the lab repository, fstab, the key service...), as root.
(cd "$HACL_GUEST" && find . -type f) | while IFS= read -r f; do
  install -D -o root -g root -m "$(stat -c %a "$HACL_GUEST/$f")" "$HACL_GUEST/$f" "$root/${f#./}"
done
rm -f "$root"/etc/apt/sources.list.d/*

# 3. Addresses by MAC address (systemd-networkd): the same image on both VMs. No gateway.
# KeepConfiguration keeps addresses networkd did not add (heartbeat's VIP) on a restart;
# ConfigureWithoutCarrier sets the addresses with a link pulled or its peer off, as ifupdown
# does on a server (the program's hacluster-network waits for the private address at boot).
for node in "${VM_NODES[@]}"; do
  i=$(vm_index "$node")
  for side in public private mgmt; do
    case $side in
      public) mac=$(vm_public_mac "$node") address="$(vm_public_ip "$node")/24" ;;
      private) mac=$(vm_private_mac "$node") address="$(vm_private_ip "$node")/24" ;;
      mgmt) mac=$(vm_mgmt_mac "$node") address="$(vm_mgmt_ip "$node")/24" ;;
    esac
    cat >"$root/etc/systemd/network/2$i-$node-$side.network" <<NETWORK
# VM lab: $node's $side NIC.
[Match]
MACAddress=$mac

[Network]
Address=$address
LinkLocalAddressing=no
IPv6AcceptRA=no
KeepConfiguration=yes
ConfigureWithoutCarrier=yes
NETWORK
  done
done

# 4. The hostname comes from the kernel command line (systemd.hostname=), the SSH host key and
# root's authorized key from the lab at boot (hacluster-lab-keys.service): none in the image.
rm -f "$root/etc/hostname" "$root"/etc/ssh/ssh_host_*
chroot "$root" systemctl enable --quiet systemd-networkd.service hacluster-lab-keys.service \
  hacluster-lab-first-boot.service

# 5. What wakes up for nothing under emulation, or waits for a network that will not come.
for unit in apt-daily.timer apt-daily-upgrade.timer man-db.timer e2scrub_all.timer \
  e2scrub_reap.service fstrim.timer dpkg-db-backup.timer systemd-networkd-wait-online.service \
  systemd-firstboot.service; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done

# 6. The initrd only has to mount the root disk: virtio_pci (a module in bookworm's kernel,
# built in trixie's), virtio_blk and ext4, where Debian's
# MODULES=most loads hundreds of modules, seconds of every boot under emulation. The VMs boot
# with the initrd build-image.sh copies out of /boot.
echo MODULES=list >"$root/etc/initramfs-tools/conf.d/hacluster-lab"
printf '%s\n' '# VM lab: the root disk' virtio_pci virtio_blk ext4 >>"$root/etc/initramfs-tools/modules"
chroot "$root" update-initramfs -u -k all
