import type { CrossCheck } from "./cross-checks";
import { ConfigProblem, setCommand } from "./problem";

// The nodes' interfaces and the links between them: both ends of a link must agree.

const interfaces: CrossCheck = {
  needs: ["nodes", "vip"],
  check: ({ nodes, vip }) => {
    const problems: ConfigProblem[] = [];
    for (const [i, node] of nodes.entries()) {
      if (node.privateInterface === node.publicInterface) {
        problems.push({
          key: `nodes[${i}].privateInterface`,
          problem: `${node.privateInterface} is also ${node.name}'s public interface; replication would share the public NIC (the original's 130-hour resync) and heartbeat would lose both paths with it`,
          fix: setCommand(`nodes[${i}].privateInterface`, "<the NIC of the cross-over cable>"),
        });
      }
    }
    // IPaddr2 adds the VIP to vip.interface on whichever node holds it.
    const stray = nodes.findIndex(
      (n) => vip.interface !== undefined && n.publicInterface !== vip.interface,
    );
    if (stray >= 0) {
      const node = nodes[stray];
      problems.push({
        key: "vip.interface",
        problem: `${vip.interface} is not the public interface of ${node.name} (nodes[${stray}].publicInterface ${node.publicInterface}); the VIP would be added to another network there`,
        fix: `pulumi config rm --path 'vip.interface' (IPaddr2 then picks the interface by subnet)`,
      });
    }
    return problems;
  },
};

// One end at 9000 and the other at 1500: every full-size frame from the first is dropped by the
// second, and DRBD stalls while heartbeat's small packets still pass.
const privateMtu: CrossCheck = {
  needs: ["nodes"],
  check: ({ nodes: [a, b] }) =>
    a.privateMtu === b.privateMtu
      ? []
      : [
          {
            key: "nodes[1].privateMtu",
            problem: `${b.privateMtu} differs from nodes[0].privateMtu (${a.privateMtu}); both ends of the private link need one MTU, or the larger frames are dropped`,
            fix: setCommand("nodes[1].privateMtu", String(a.privateMtu)),
          },
        ],
};

// Two identical links add no path, only a second copy of every heartbeat.
const heartbeatLinks: CrossCheck = {
  needs: ["heartbeat"],
  check: ({ heartbeat }) =>
    heartbeat.links.flatMap((link, i): ConfigProblem[] => {
      const first = heartbeat.links.findIndex(
        (l) => l.type === link.type && l.network === link.network,
      );
      return first === i
        ? []
        : [
            {
              key: `heartbeat.links[${i}]`,
              problem: `${link.type} on the ${link.network} network repeats heartbeat.links[${first}]; it adds no path`,
              fix: `pulumi config rm --path 'heartbeat.links[${i}]'`,
            },
          ];
    }),
};

export const linkChecks: readonly CrossCheck[] = [interfaces, privateMtu, heartbeatLinks];
