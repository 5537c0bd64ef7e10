import * as ipaddr from "ipaddr.js";
import type { CrossCheck } from "./cross-checks";
import { ConfigProblem, setCommand } from "./problem";
import type { NodeConfig, StackConfig } from "./schema";

// Ports the cluster's services listen on, per node, and which of them collide. Privileged ports
// are not refused: sshd, heartbeat and squid bind as root, and DRBD is in the kernel.

type Protocol = "tcp" | "udp";

interface Listener {
  /** The key that sets the port, or the service's own name when no key does. */
  readonly key: string;
  readonly service: string;
  readonly protocol: Protocol;
  readonly port: number;
  /** The address it binds, or undefined for every address of the node. */
  readonly address?: string;
  /** Its default port, offered as the fix when free. Undefined when no key sets it. */
  readonly defaultPort?: number;
}

/**
 * What one node listens on, in blame order: of two that collide, the later one is reported.
 * named's ports come first as no key moves them; sshd's next, as it is how the node already is.
 */
function listeners(cfg: StackConfig, i: number): Listener[] {
  const node = cfg.nodes[i];
  const { squid, named } = cfg.services;
  // Debian's own squid.conf (`http_port 3128`) and named.conf.options (no listen-on) listen on
  // every address; the managed ones on the VIP only.
  const namedAddresses = named.manageConfig ? [cfg.vip.address, "127.0.0.1"] : [undefined];
  const found: Listener[] = [];
  if (named.enabled) {
    for (const address of namedAddresses) {
      for (const protocol of ["udp", "tcp"] as const) {
        found.push({ key: "named", service: "named (DNS)", protocol, port: 53, address });
      }
    }
    // Debian's bind9 makes /etc/bind/rndc.key, and with it named's default control channel.
    found.push({
      key: "named",
      service: "named's control channel (rndc)",
      protocol: "tcp",
      port: 953,
      address: "127.0.0.1",
    });
  }
  if (sshdPortKnown(node)) {
    // Debian's sshd_config sets no ListenAddress.
    found.push({
      key: `nodes[${i}].ssh.port`,
      service: `sshd on ${node.name}`,
      protocol: "tcp",
      port: node.ssh.port,
      defaultPort: 22,
    });
  }
  found.push(
    {
      key: "heartbeat.udpport",
      service: "heartbeat",
      protocol: "udp",
      port: cfg.heartbeat.udpport,
      defaultPort: 694,
    },
    {
      key: "drbd.port",
      service: "DRBD",
      protocol: "tcp",
      port: cfg.drbd.port,
      address: node.privateAddress,
      defaultPort: 7788,
    },
  );
  if (squid.enabled) {
    found.push({
      key: "services.squid.port",
      service: "squid",
      protocol: "tcp",
      port: squid.port,
      address: squid.manageConfig ? cfg.vip.address : undefined,
      defaultPort: 3128,
    });
  }
  return found;
}

/**
 * ssh.port is sshd's own port unless the program dials another machine's address (a NAT or a
 * jump host, which may forward any port to the node's 22).
 */
function sshdPortKnown(node: NodeConfig): boolean {
  const host = node.ssh.host;
  const address = ipaddr.IPv4.isValidFourPartDecimal(host) || ipaddr.IPv6.isValid(host);
  return !address || host === node.publicAddress || host === node.privateAddress;
}

function collide(a: Listener, b: Listener): boolean {
  return (
    a.protocol === b.protocol &&
    a.port === b.port &&
    (a.address === undefined || b.address === undefined || a.address === b.address)
  );
}

function where(listener: Listener): string {
  return listener.address === undefined ? "on every address" : `on ${listener.address}`;
}

/** Its default port when nothing else on either node uses that one, else the next free port. */
function freePort(listener: Listener, all: readonly Listener[]): string {
  const taken = new Set(
    all
      .filter((l) => l.key !== listener.key && l.protocol === listener.protocol)
      .map((l) => l.port),
  );
  let port = listener.defaultPort ?? 1024;
  while (taken.has(port)) port += 1;
  return String(port);
}

const portCollisions: CrossCheck = {
  needs: ["nodes", "vip", "heartbeat", "drbd", "services"],
  check: (cfg) => {
    const problems: ConfigProblem[] = [];
    const reported = new Set<string>();
    const perNode = [...cfg.nodes.keys()].map((i) => listeners(cfg, i));
    for (const all of perNode) {
      for (const [j, later] of all.entries()) {
        const earlier = all.slice(0, j).find((l) => collide(l, later));
        // A key is reported once, though its port may collide on both nodes.
        if (earlier === undefined || later.defaultPort === undefined || reported.has(later.key)) {
          continue;
        }
        reported.add(later.key);
        problems.push({
          key: later.key,
          problem: `${later.port}/${later.protocol} is already taken ${where(earlier)} by ${earlier.service}${earlier.defaultPort === undefined ? "" : ` (${earlier.key})`}; ${later.service} could not listen ${where(later)}`,
          fix: setCommand(later.key, freePort(later, perNode.flat())),
        });
      }
    }
    return problems;
  },
};

export const portChecks: readonly CrossCheck[] = [portCollisions];
