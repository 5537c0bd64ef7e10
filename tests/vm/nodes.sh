# shellcheck shell=bash
# The VM lab's two nodes, shared by build-image.sh (the image's network files) and vm.sh (the
# VMs' NICs and disks). Node i (1 or 2): LAN 172.16.250.10i, crossover 192.168.0.i, the
# original plan. The NICs are told apart by MAC address: one image serves both VMs.
# shellcheck disable=SC2034 # used by the scripts that source this file
VM_NODES=(proxycl1 proxycl2)
VM_LAN_HOST=172.16.250.254

vm_index() { # node -> 1 or 2
  case "$1" in
    proxycl1) echo 1 ;;
    proxycl2) echo 2 ;;
    *)
      echo "vm lab: unknown node '$1' (proxycl1 or proxycl2)" >&2
      return 1
      ;;
  esac
}
vm_public_ip() { echo "172.16.250.10$(vm_index "$1")"; }
vm_private_ip() { echo "192.168.0.$(vm_index "$1")"; }
vm_public_mac() { echo "52:54:00:fa:00:0$(vm_index "$1")"; }
vm_private_mac() { echo "52:54:00:c0:00:0$(vm_index "$1")"; }
# The management network: each VM's third NIC, and each VM's BMC (ipmi_sim in the namespace),
# reachable from the other VM as a server's BMC is, whatever happens to the cluster's links.
vm_mgmt_ip() { echo "10.250.0.$(vm_index "$1")"; }
vm_mgmt_mac() { echo "52:54:00:b0:00:0$(vm_index "$1")"; }
vm_bmc_ip() { echo "10.250.0.1$(vm_index "$1")"; }
