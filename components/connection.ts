import * as pulumi from "@pulumi/pulumi";
import type { types } from "@pulumi/command";
import type { Cluster } from "../model/cluster";
import { ConfigError, ConfigProblem } from "../model/problem";
import type { NodeConfig } from "../model/schema";
import type { NodeAddress } from "./remote-file/ssh-session";

/**
 * How the program reaches the nodes. The key is a secret from the stack; without one, the
 * command provider asks the SSH agent of the shell running `pulumi` (SSH_AUTH_SOCK) itself.
 */
export interface SshCredentials {
  readonly privateKey?: pulumi.Input<string>;
  readonly privateKeyPassword?: pulumi.Input<string>;
}

/**
 * Refuses a node without a pinned host key unless the stack says why keys are not checked:
 * the command provider checks no host key at all when none is given.
 */
export function checkHostKeys(cluster: Cluster): void {
  if (cluster.config.skipHostKeyCheck !== undefined) return;
  const problems: ConfigProblem[] = cluster.config.nodes.flatMap((node, i) =>
    node.ssh.hostKey === undefined
      ? [
          {
            key: `nodes[${i}].ssh.hostKey`,
            problem: `is not set: the program would talk to whatever answers at ${node.ssh.host} and hand it the cluster's secrets`,
            fix: `pulumi config set --path 'nodes[${i}].ssh.hostKey' "$(ssh-keyscan -t ed25519 -p ${node.ssh.port} ${node.ssh.host} 2>/dev/null | cut -d' ' -f2-)" (check it against the node's console), or state why in skipHostKeyCheck`,
          },
        ]
      : [],
  );
  if (problems.length > 0) throw new ConfigError(cluster.stack, problems);
}

/**
 * The connection of every step to one node; `firstStep` waits longer for SSH to come up. It
 * holds nothing that differs between shells or machines (such as the agent's socket path): the
 * engine diffs it, and a change would run every step again.
 */
export function connectionTo(
  node: NodeConfig,
  credentials: SshCredentials,
  firstStep: boolean,
): pulumi.Output<types.input.remote.ConnectionArgs> {
  return pulumi.secret(
    pulumi.output({
      host: node.ssh.host,
      port: node.ssh.port,
      user: node.ssh.user,
      hostKey: node.ssh.hostKey,
      privateKey: credentials.privateKey,
      privateKeyPassword: credentials.privateKeyPassword,
      // Bounded: a node that never answers fails the step instead of hanging `pulumi up`.
      dialErrorLimit: firstStep ? 30 : 5,
      perDialTimeout: 10,
    }),
  );
}

/**
 * How the dynamic resources (files, relocated paths) reach a node. It holds no key: the state
 * keeps it with every resource, and a refresh hands the provider nothing else. The provider reads
 * the key from the stack's config under the name given here, or asks the SSH agent.
 */
export function addressOf(
  node: NodeConfig,
  credentials: SshCredentials,
  skipHostKeyCheck: boolean,
): NodeAddress {
  return {
    host: node.ssh.host,
    port: node.ssh.port,
    user: node.ssh.user,
    ...(node.ssh.hostKey === undefined ? {} : { hostKey: node.ssh.hostKey }),
    ...(skipHostKeyCheck ? { skipHostKeyCheck: true } : {}),
    ...(credentials.privateKey === undefined
      ? {}
      : { privateKeyConfig: "hacluster:sshPrivateKey" }),
    ...(credentials.privateKeyPassword === undefined
      ? {}
      : { privateKeyPasswordConfig: "hacluster:sshPrivateKeyPassword" }),
  };
}
