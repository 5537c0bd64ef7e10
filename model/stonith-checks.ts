import { bmcPasswordKey, setBmcPassword } from "./bmc-passwords";
import type { CrossCheck } from "./cross-checks";
import { ConfigProblem, setCommand } from "./problem";

// Fencing through the nodes' BMCs (stonith.type external/ipmi): each node is reset by its peer
// through its own BMC, which must be there, reachable with a password, and a host apart.

const bmcsForIpmi: CrossCheck = {
  needs: ["nodes", "stonith"],
  check: ({ nodes, stonith }) => {
    if (stonith.type !== "external/ipmi") return [];
    return nodes.flatMap((node, i): ConfigProblem[] => {
      if (node.bmc === undefined) {
        return [
          {
            key: `nodes[${i}].bmc`,
            problem: `is required with stonith.type external/ipmi: ${nodes[1 - i].name} fences ${node.name} through it`,
            fix: `pulumi config set --path 'nodes[${i}].bmc.address' <BMC address>, pulumi config set --path 'nodes[${i}].bmc.user' <BMC user>, and ${setBmcPassword(i)}`,
          },
        ];
      }
      return node.bmc.password === undefined
        ? [
            {
              key: bmcPasswordKey(i),
              problem: `is required with stonith.type external/ipmi: ${nodes[1 - i].name} logs in to ${node.name}'s BMC with it`,
              fix: setBmcPassword(i),
            },
          ]
        : [];
    });
  },
};

// A BMC answers on its own address, out of band: the nodes' addresses and the VIP are the
// operating system's, which a fence must not depend on (and which the other node may hold).
const bmcAddresses: CrossCheck = {
  needs: ["nodes", "vip"],
  check: ({ nodes, vip }) => {
    const taken = new Map<string, string>([
      ...nodes.flatMap((n, i): [string, string][] => [
        [n.publicAddress, `nodes[${i}].publicAddress`],
        [n.privateAddress, `nodes[${i}].privateAddress`],
      ]),
      [vip.address, "vip.address"],
    ]);
    const problems: ConfigProblem[] = [];
    nodes.forEach((node, i) => {
      if (node.bmc === undefined) return;
      const key = `nodes[${i}].bmc.address`;
      const owner = taken.get(node.bmc.address);
      if (owner !== undefined) {
        problems.push({
          key,
          problem: `${node.bmc.address} is ${owner}; the BMC has an address of its own on the management network, which answers when the node's system does not`,
          fix: setCommand(key, "<the BMC's own address>"),
        });
      } else {
        taken.set(node.bmc.address, key);
      }
      if (node.bmc.cipherSuite !== undefined && node.bmc.interface !== "lanplus") {
        problems.push({
          key: `nodes[${i}].bmc.cipherSuite`,
          problem: `applies to IPMI 2.0 (interface lanplus) only; ${node.name}'s BMC is reached with ${node.bmc.interface}`,
          fix: `pulumi config rm --path 'nodes[${i}].bmc.cipherSuite', or ${setCommand(`nodes[${i}].bmc.interface`, "lanplus")}`,
        });
      }
    });
    return problems;
  },
};

export const stonithChecks: readonly CrossCheck[] = [bmcsForIpmi, bmcAddresses];
