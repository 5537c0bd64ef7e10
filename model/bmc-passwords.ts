import type { ConfigProblem } from "./problem";
import { secretMarker } from "./schema";

/**
 * The BMC passwords sit inside `nodes` (`nodes[i].bmc.password`), set with `pulumi config set
 * --secret --path`. The model never holds them: wherever the config is read, each one is
 * replaced by the marker before anything parses it, and no message ever quotes it.
 */

export const bmcPasswordKey = (index: number): string => `nodes[${index}].bmc.password`;

/** How to store a BMC password: from a file, so that it is in no shell history or command line. */
export const setBmcPassword = (index: number): string =>
  `pulumi config set --secret --path '${bmcPasswordKey(index)}' < FILE (a file holding the password alone)`;

interface NodeLike {
  bmc?: { password?: unknown };
}

/** Each node's BMC password as the config holds it (a value, or the marker), by node index. */
export function bmcPasswords(nodes: unknown): Map<number, unknown> {
  const found = new Map<number, unknown>();
  if (!Array.isArray(nodes)) return found;
  nodes.forEach((node: NodeLike | null, i) => {
    const bmc = node !== null && typeof node === "object" ? node.bmc : undefined;
    if (bmc !== null && typeof bmc === "object" && bmc.password !== undefined) {
      found.set(i, bmc.password);
    }
  });
  return found;
}

/**
 * `nodes` with every value of a `password` key, at any depth, replaced by the marker, and a
 * problem for each BMC password that the stack file holds in plain text (its key is not among
 * the encrypted ones). Whatever shape `nodes` has (a mapping typed by hand, a password under a
 * misspelt key), no message about it can quote a password.
 */
export function withoutBmcPasswords(
  nodes: unknown,
  encrypted: ReadonlySet<string>,
): { nodes: unknown; problems: ConfigProblem[] } {
  const problems = [...bmcPasswords(nodes).keys()]
    .filter((i) => !encrypted.has(bmcPasswordKey(i)))
    .map((i) => ({
      key: bmcPasswordKey(i),
      problem: "is stored in plain text in the stack file",
      fix: `${setBmcPassword(i)}; this replaces the plain value`,
    }));
  return { nodes: withoutPasswords(nodes), problems };
}

function withoutPasswords(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPasswords);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      k === "password" ? secretMarker : withoutPasswords(v),
    ]),
  );
}

/**
 * What is wrong with a BMC password, never quoting it. ipmitool sends at most 20 bytes (IPMI
 * 2.0, lanplus) or 16 (IPMI 1.5, lan); stonith.cfg splits its line on blanks.
 */
export function bmcPasswordProblems(
  index: number,
  password: unknown,
  ipmiInterface: unknown,
): ConfigProblem[] {
  const key = bmcPasswordKey(index);
  const fix = setBmcPassword(index);
  if (typeof password !== "string" || password.length === 0) {
    return [{ key, problem: "is not a password (a string of characters)", fix }];
  }
  const limit = ipmiInterface === "lan" ? 16 : 20;
  if (password.length > limit) {
    return [
      {
        key,
        problem: `is ${password.length} characters long; ${ipmiInterface === "lan" ? "IPMI 1.5 (lan)" : "IPMI 2.0 (lanplus)"} takes at most ${limit}, and a BMC refuses the rest`,
        fix,
      },
    ];
  }
  if (!/^[\x21-\x7e]+$/.test(password)) {
    return [
      {
        key,
        problem:
          "holds a blank or a character outside printable ASCII; stonith.cfg splits its line on blanks, and ipmitool sends ASCII",
        fix,
      },
    ];
  }
  return [];
}
