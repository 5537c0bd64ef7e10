import type { CrossCheck } from "./cross-checks";
import { hostRange, inSubnet, networkOf, subnetEdge } from "./ipv4";
import { ConfigProblem, setCommand } from "./problem";
import type { StackConfig } from "./schema";

// Address arithmetic over several keys: an address is only a host's inside its subnet, which
// another key gives (vip.prefix for the public LAN, privatePrefix for the private link).

/** Every address the cluster itself carries, with the key that sets it. */
function clusterAddresses({ nodes, vip }: Pick<StackConfig, "nodes" | "vip">): Map<string, string> {
  return new Map([
    ...nodes.flatMap((n, i): [string, string][] => [
      [n.publicAddress, `nodes[${i}].publicAddress`],
      [n.privateAddress, `nodes[${i}].privateAddress`],
    ]),
    [vip.address, "vip.address"],
  ]);
}

/** The network and broadcast addresses of a subnet belong to no host. */
function edgeProblems(key: string, address: string, prefix: number): ConfigProblem[] {
  const edge = subnetEdge(address, prefix);
  return edge === undefined
    ? []
    : [
        {
          key,
          problem: `${address} is the ${edge} address of ${networkOf(address, prefix)}; no host can have it`,
          fix: setCommand(key, `<a host address in ${hostRange(address, prefix)}>`),
        },
      ];
}

const clusterSubnetEdges: CrossCheck = {
  needs: ["nodes", "vip"],
  check: ({ nodes, vip }) => [
    ...nodes.flatMap((n, i) => [
      ...edgeProblems(`nodes[${i}].publicAddress`, n.publicAddress, vip.prefix),
      ...edgeProblems(`nodes[${i}].privateAddress`, n.privateAddress, n.privatePrefix),
    ]),
    ...edgeProblems("vip.address", vip.address, vip.prefix),
  ],
};

// Linux answers no ping to a broadcast address (icmp_echo_ignore_broadcasts): ipfail would take
// the LAN for lost and hand the resources over for nothing.
const pingNodeEdges: CrossCheck = {
  needs: ["vip", "heartbeat"],
  check: ({ vip, heartbeat }) =>
    heartbeat.pingNodes.flatMap((address, i) =>
      inSubnet(address, vip.address, vip.prefix)
        ? edgeProblems(`heartbeat.pingNodes[${i}]`, address, vip.prefix)
        : [],
    ),
};

const forwarders: CrossCheck = {
  needs: ["nodes", "vip", "services"],
  check: (cfg) => {
    const own = clusterAddresses(cfg);
    const { vip } = cfg;
    return cfg.services.named.forwarders.flatMap((address, i): ConfigProblem[] => {
      const key = `services.named.forwarders[${i}]`;
      const owner = own.get(address);
      if (owner !== undefined) {
        return [
          {
            key,
            problem: `${address} is ${owner}: the cluster itself, where named either sends the query back to itself or does not run`,
            fix: `pulumi config rm --path '${key}'`,
          },
        ];
      }
      return inSubnet(address, vip.address, vip.prefix)
        ? edgeProblems(key, address, vip.prefix)
        : [];
    });
  },
};

const sshEndpoints: CrossCheck = {
  needs: ["nodes", "vip"],
  check: ({ nodes, vip }) => {
    const problems: ConfigProblem[] = [];
    for (const [i, node] of nodes.entries()) {
      const key = `nodes[${i}].ssh.host`;
      const peer = nodes[1 - i];
      if (node.ssh.host === vip.address) {
        problems.push({
          key,
          problem: `${node.ssh.host} is the VIP, which moves: the program would reach whichever node holds it`,
          fix: setCommand(key, node.publicAddress),
        });
      } else if ([peer.publicAddress, peer.privateAddress].includes(node.ssh.host)) {
        problems.push({
          key,
          problem: `${node.ssh.host} is an address of ${peer.name}; the program would set ${peer.name} up as ${node.name}`,
          fix: setCommand(key, node.publicAddress),
        });
      }
    }
    const [a, b] = nodes;
    if (problems.length === 0 && a.ssh.host === b.ssh.host && a.ssh.port === b.ssh.port) {
      problems.push({
        key: "nodes[1].ssh.host",
        problem: `${b.ssh.host} port ${b.ssh.port} is also where the program reaches nodes[0] (${a.name}); it would set one machine up as both nodes`,
        fix: setCommand("nodes[1].ssh.host", b.publicAddress),
      });
    }
    return problems;
  },
};

const staticRoutes: CrossCheck = {
  needs: ["nodes", "vip", "staticRoutes"],
  check: (cfg) => {
    const { nodes, vip } = cfg;
    const own = clusterAddresses(cfg);
    const networks: [string, number, string][] = [
      [vip.address, vip.prefix, "the public LAN"],
      [nodes[0].privateAddress, nodes[0].privatePrefix, "the private link"],
    ];
    return cfg.staticRoutes.flatMap((route, i): ConfigProblem[] => {
      const [to, toPrefix] = [route.to.split("/")[0], Number(route.to.split("/")[1])];
      const onLink = networks.find(
        ([net, prefix]) => toPrefix >= prefix && inSubnet(to, net, prefix),
      );
      if (onLink !== undefined) {
        const [net, prefix, what] = onLink;
        return [
          {
            key: `staticRoutes[${i}].to`,
            problem: `${route.to} is ${toPrefix === prefix ? "" : "inside "}${what} ${networkOf(net, prefix)}, which the nodes reach directly; \`ip route replace\` would send it through a gateway instead`,
            fix: `pulumi config rm --path 'staticRoutes[${i}]'`,
          },
        ];
      }
      const key = `staticRoutes[${i}].via`;
      const owner = own.get(route.via);
      if (owner !== undefined) {
        return [
          {
            key,
            problem: `gateway ${route.via} is ${owner}; a node cannot route through itself, nor through the VIP that moves between them`,
            fix: setCommand(key, "<a router on the public LAN>"),
          },
        ];
      }
      const network = nodes.every(
        (n) =>
          inSubnet(route.via, n.privateAddress, n.privatePrefix) ||
          inSubnet(route.via, n.publicAddress, vip.prefix),
      )
        ? networks.find(([net, prefix]) => inSubnet(route.via, net, prefix))
        : undefined;
      return network === undefined
        ? [
            {
              key,
              problem: `gateway ${route.via} is on no network of the nodes; \`ip route\` would refuse the route at boot`,
              fix: setCommand(key, "<a gateway on the public LAN>"),
            },
          ]
        : edgeProblems(key, route.via, network[1]);
    });
  },
};

export const addressChecks: readonly CrossCheck[] = [
  clusterSubnetEdges,
  pingNodeEdges,
  forwarders,
  sshEndpoints,
  staticRoutes,
];
