import * as ipaddr from "ipaddr.js";

/**
 * Address arithmetic for IPv4: which addresses a host can have, in which subnet. Every rule of
 * the model that asks "could a host have this address?" asks here.
 */

/**
 * Whose address it is: one the nodes carry themselves (`own`), another host they talk to
 * (`remote`), or where the program dials SSH from the machine running Pulumi (`ssh`).
 */
export type AddressRole = "own" | "remote" | "ssh";

interface SpecialRange {
  readonly cidr: string;
  readonly what: string;
  readonly refusedFor: readonly AddressRole[];
}

const specialRanges: readonly SpecialRange[] = [
  {
    cidr: "0.0.0.0/8",
    what: '"this network" (0.0.0.0/8), a source address only: a connection to it reaches the machine itself',
    refusedFor: ["own", "remote", "ssh"],
  },
  // SSH to loopback is real: a tunnel or port forward from the machine running Pulumi.
  {
    cidr: "127.0.0.0/8",
    what: "loopback (127.0.0.0/8): each node would reach itself",
    refusedFor: ["own", "remote"],
  },
  // Remote link-local hosts are real: cloud providers serve DNS and time on 169.254.169.x.
  {
    cidr: "169.254.0.0/16",
    what: "link-local (169.254.0.0/16), which hosts pick for themselves when nothing configures them (RFC 3927); avahi-autoipd may take it from the node",
    refusedFor: ["own"],
  },
  {
    cidr: "224.0.0.0/4",
    what: "multicast (224.0.0.0/4): a group, not a host",
    refusedFor: ["own", "remote", "ssh"],
  },
  {
    cidr: "240.0.0.0/4",
    what: "reserved (240.0.0.0/4, with the limited broadcast 255.255.255.255): Linux routes none of it",
    refusedFor: ["own", "remote", "ssh"],
  },
];

/** Why no host can have `address` in its role ("loopback (127.0.0.0/8): ..."), or undefined. */
export function specialUse(address: string, role: AddressRole): string | undefined {
  const parsed = ipaddr.IPv4.parse(address);
  const range = specialRanges.find(
    (r) => r.refusedFor.includes(role) && parsed.match(ipaddr.IPv4.parseCIDR(r.cidr)),
  );
  return range?.what;
}

export function inSubnet(address: string, network: string, prefix: number): boolean {
  return ipaddr.IPv4.parse(address).match(ipaddr.IPv4.parse(network), prefix);
}

/** `172.16.0.0/16` for 172.16.250.101 and 16. */
export function networkOf(address: string, prefix: number): string {
  return `${ipaddr.IPv4.networkAddressFromCIDR(`${address}/${prefix}`).toString()}/${prefix}`;
}

/** Whether two subnets share any address: one of them then contains the other. */
export function subnetsOverlap(a: string, aPrefix: number, b: string, bPrefix: number): boolean {
  const shorter = Math.min(aPrefix, bPrefix);
  return inSubnet(a, b, shorter) || inSubnet(b, a, shorter);
}

/**
 * "network" or "broadcast" when `address` is that address of its subnet, which no host can
 * have. A /31 has neither (RFC 3021: both addresses of a point-to-point link are hosts), and a
 * /32 is a single host.
 */
export function subnetEdge(address: string, prefix: number): "network" | "broadcast" | undefined {
  if (prefix >= 31) return undefined;
  const cidr = `${address}/${prefix}`;
  if (ipaddr.IPv4.networkAddressFromCIDR(cidr).toString() === address) return "network";
  if (ipaddr.IPv4.broadcastAddressFromCIDR(cidr).toString() === address) return "broadcast";
  return undefined;
}

/** The host addresses of `address`'s subnet, as a person writes them: `172.16.0.1–172.16.255.254`. */
export function hostRange(address: string, prefix: number): string {
  const cidr = `${address}/${prefix}`;
  const first = ipaddr.IPv4.networkAddressFromCIDR(cidr).toByteArray();
  const last = ipaddr.IPv4.broadcastAddressFromCIDR(cidr).toByteArray();
  if (prefix < 31) {
    first[3] += 1;
    last[3] -= 1;
  }
  return `${first.join(".")}–${last.join(".")}`;
}

/** The subnet a CIDR names, when its address has host bits set: `172.16.250.0/24` for `172.16.250.7/24`. */
export function hostBitsSet(cidr: string): string | undefined {
  const [address, prefix] = ipaddr.IPv4.parseCIDR(cidr);
  const network = networkOf(address.toString(), prefix);
  return network === cidr ? undefined : network;
}
