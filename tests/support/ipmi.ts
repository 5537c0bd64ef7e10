import { secretMarker } from "../../model/schema";
import { bmcPasswordKey } from "../../model/bmc-passwords";
import { Cluster, describeCluster } from "../../model/cluster";
import { parseStackConfig } from "../../model/stack-config";
import { stackValues, toRaw, withValue } from "./stacks";

/** The BMC passwords of the tests: ones a leak search cannot miss. */
export const bmcPasswords = ["Pw1-$&-bmc-one", "Pw2-$1-bmc-two"] as const;

/**
 * `values` fenced through BMCs (stonith.type external/ipmi): the lab's management addresses,
 * cipher suite 3, and each password as `password` gives it (the model's marker by default, as
 * an encrypted value reaches the model).
 */
export function withIpmi(
  values: Record<string, unknown>,
  password: (i: number) => string | undefined = () => secretMarker,
): Record<string, unknown> {
  let v = withValue(values, "stonith", { type: "external/ipmi" });
  for (const i of [0, 1]) {
    v = withValue(v, `nodes[${i}].bmc`, {
      address: `10.250.0.1${i + 1}`,
      user: "fence",
      cipherSuite: 3,
      ...(password(i) === undefined ? {} : { password: password(i) }),
    });
  }
  return v;
}

/** The keys an encrypted BMC password has, as the stack file reader reports them. */
/** The prod stack fencing through BMCs, its host keys pinned: what the program runs under mocks. */
export function prodWithIpmi(): Record<string, unknown> {
  const hostKey = (n: number) => `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyOfNode${n}`;
  let values = withIpmi(stackValues("prod"), () => undefined);
  for (const n of [0, 1]) values = withValue(values, `nodes[${n}].ssh.hostKey`, hostKey(n + 1));
  return values;
}

export const encryptedBmcPasswords = [bmcPasswordKey(0), bmcPasswordKey(1)];

/** The cluster of `values` fenced through BMCs, the passwords stored encrypted. */
export function ipmiCluster(stack: string, values: Record<string, unknown>): Cluster {
  return describeCluster(
    stack,
    parseStackConfig(stack, toRaw(withIpmi(values), encryptedBmcPasswords)),
  );
}

/**
 * Lines of an ipmi stonith file as a hand edit may leave them, each with what its checksum
 * hashes: the password masked wherever heartbeat would read it as the fourth field.
 */
export const maskCases: readonly (readonly [string, string, string])[] = [
  [
    "the line as rendered",
    "proxycl2 10.250.0.12 fence Pw-1 lanplus -C 3",
    "proxycl2 10.250.0.12 fence <secret> lanplus -C 3",
  ],
  [
    "fields parted by tabs",
    "proxycl2\t10.250.0.12\tfence\tPw-1\tlanplus",
    "proxycl2\t10.250.0.12\tfence <secret>\tlanplus",
  ],
  [
    "runs of blanks",
    "proxycl2  10.250.0.12 \t fence   Pw-1  lanplus",
    "proxycl2  10.250.0.12 \t fence <secret>  lanplus",
  ],
  [
    "blanks before the line",
    " \tproxycl2 10.250.0.12 fence Pw-1 lanplus",
    " \tproxycl2 10.250.0.12 fence <secret> lanplus",
  ],
  ["no interface", "proxycl2 10.250.0.12 fence Pw-1", "proxycl2 10.250.0.12 fence <secret>"],
  [
    "a CRLF line end",
    "proxycl2 10.250.0.12 fence Pw-1 lanplus\r",
    "proxycl2 10.250.0.12 fence <secret> lanplus\r",
  ],
  [
    "sed's own characters",
    "proxycl2 10.250.0.12 fence Pw/&\\1| lanplus",
    "proxycl2 10.250.0.12 fence <secret> lanplus",
  ],
  ["three fields only", "proxycl2 10.250.0.12 fence", "proxycl2 10.250.0.12 fence"],
  [
    "a comment",
    "# hostname ipaddr userid passwd interface",
    "# hostname ipaddr userid passwd interface",
  ],
];
