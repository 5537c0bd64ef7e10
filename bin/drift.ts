/**
 * `npm run drift -- --stack <stack> [--identity <key file>]`: reads every file and relocated path
 * of the stack back from its nodes, as `pulumi refresh` does, and prints one line per thing
 * that drifted: `node:path what-differs`. Exit 0: nothing drifted; 1: something did; 2: the
 * stack is invalid, a node could not be reached, or the arguments are wrong.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { onNode } from "../components/remote-file/ssh-session";
import { loadClusterFromFiles } from "../model/load";
import { ConfigError } from "../model/problem";
import { driftLine, driftOf, Drift, liveSteps } from "../render/drift";
import { planSteps } from "../render/plan";

async function main(argv: string[]): Promise<number> {
  const { values: args } = parseArgs({
    args: argv,
    options: {
      stack: { type: "string" },
      identity: { type: "string" },
      project: { type: "string" },
    },
  });
  if (!args.stack) {
    console.error("usage: npm run drift -- --stack <stack> [--identity <private key file>]");
    return 2;
  }
  let cluster;
  try {
    cluster = loadClusterFromFiles(resolve(args.project ?? "."), args.stack);
  } catch (e) {
    console.error(e instanceof ConfigError ? e.report("nothing was read") : String(e));
    return 2;
  }
  // The key is never known here, nor needed: a read masks heartbeat's keys.
  const steps = liveSteps(planSteps(cluster, "<secret>"));
  const privateKey = args.identity ? readFileSync(args.identity, "utf8") : undefined;
  if (privateKey !== undefined && !/^-----BEGIN [A-Z ]*PRIVATE KEY-----/m.test(privateKey)) {
    console.error(`drift: ${args.identity} holds no private key in PEM or OpenSSH form`);
    return 2;
  }
  const skip = cluster.config.skipHostKeyCheck !== undefined;
  const drifted: Drift[] = [];
  for (const node of cluster.nodes) {
    const address = {
      host: node.ssh.host,
      port: node.ssh.port,
      user: node.ssh.user,
      ...(node.ssh.hostKey === undefined ? {} : { hostKey: node.ssh.hostKey }),
      ...(skip ? { skipHostKeyCheck: true } : {}),
    };
    try {
      await onNode(node.name, address, { privateKey }, async (run) => {
        for (const step of steps.filter((s) => s.node === node.name)) {
          const result = await run(step.read!);
          if (result.code !== 0) {
            throw new Error(
              `${step.node}/${step.id}: read failed (exit ${result.code}): ${result.stderr.trim()}`,
            );
          }
          const drift = driftOf(step, result.stdout.trim().split("\n").pop() ?? "");
          if (drift) drifted.push(drift);
        }
      });
    } catch (e) {
      // A node that cannot be read is never "no drift"; what the others showed is still said.
      for (const d of drifted) console.log(driftLine(d));
      console.error(`drift: ${(e as Error).message}`);
      return 2;
    }
  }
  for (const d of drifted) console.log(driftLine(d));
  if (drifted.length === 0) console.log(`stack "${args.stack}": nothing drifted`);
  return drifted.length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e: Error) => {
    console.error(`drift: ${e.message}`);
    process.exitCode = 2;
  },
);
