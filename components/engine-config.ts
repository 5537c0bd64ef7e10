import * as pulumi from "@pulumi/pulumi";
import { bmcPasswordKey, bmcPasswordProblems, bmcPasswords } from "../model/bmc-passwords";
import { Cluster, describeCluster } from "../model/cluster";
import { ConfigError, ConfigProblem } from "../model/problem";
import { secretKeys, secretMarker } from "../model/schema";
import { parseStackConfig } from "../model/stack-config";
import { fromProgramString, readStackFiles } from "../model/stack-files";

const namespace = "hacluster:";

/**
 * The cluster of the running stack, from the config the engine hands the program. Whether a
 * secret key is stored encrypted is read from the stack file, as `render` does.
 */
export function clusterFromEngine(): Cluster {
  const stack = pulumi.getStack();
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (key.startsWith(namespace)) values[key.slice(namespace.length)] = value;
  }
  // Plain text is refused only where the stack file itself holds the value unencrypted.
  let file: ReturnType<typeof readStackFiles> | undefined;
  try {
    file = readStackFiles(process.cwd(), stack);
  } catch {
    // no stack file: the config comes from elsewhere, and the engine keeps its secrets
  }
  const plainInFile = file
    ? secretKeys.filter((k) => k in file.values && !file.secretKeys.has(k))
    : [];
  // A setting the stack file encrypts as a whole (`--secret nodes '[...]'`) is refused by the
  // model, as `render` refuses it: the engine hands it over decrypted, the file only its marker.
  const wholeInFile = file ? [...file.secretKeys].filter((k) => !/[.[]/.test(k)) : [];
  const encrypted = new Set<string>([
    ...secretKeys.filter((k) => !plainInFile.includes(k)),
    ...wholeInFile,
  ]);
  // The model never holds a secret's value: the program reads those through Config.getSecret.
  for (const key of secretKeys) if (key in values) values[key] = secretMarker;

  // The BMC passwords are checked here, the only place their values are known, and leave the
  // config before the model reads it.
  const problems: ConfigProblem[] = [];
  if (values.nodes !== undefined) {
    let nodes: unknown;
    try {
      nodes = fromProgramString(values.nodes);
    } catch {
      nodes = undefined; // the model reports it
    }
    const passwords = bmcPasswords(nodes);
    const inFile = bmcPasswords(file ? nodesInFile(file) : []);
    for (const [i, password] of passwords) {
      if (password === secretMarker) continue;
      const ipmiInterface = (nodes as { bmc?: { interface?: unknown } }[])[i].bmc?.interface;
      problems.push(...bmcPasswordProblems(i, password, ipmiInterface));
      const stored = inFile.get(i);
      if (stored === undefined || stored === secretMarker) encrypted.add(bmcPasswordKey(i));
      (nodes as { bmc: { password: string } }[])[i].bmc.password = secretMarker;
    }
    if (passwords.size > 0) values.nodes = JSON.stringify(nodes);
  }

  let cluster: Cluster;
  try {
    cluster = describeCluster(stack, parseStackConfig(stack, { values, secretKeys: encrypted }));
  } catch (e) {
    if (e instanceof ConfigError && problems.length > 0) {
      throw new ConfigError(stack, [...e.problems, ...problems]);
    }
    throw e;
  }
  if (problems.length > 0) throw new ConfigError(stack, problems);
  return cluster;
}

/** The node list as the stack file writes it, or none where it cannot be read there. */
function nodesInFile(file: ReturnType<typeof readStackFiles>): unknown {
  if (file.secretKeys.has("nodes")) return []; // encrypted as a whole: its marker only
  try {
    return fromProgramString(file.values.nodes ?? "[]");
  } catch {
    return []; // the model reports it
  }
}

/**
 * Each node's BMC password, by node name, as the secret the engine holds: read again from the
 * engine's config, never from the model, and never a plain value in the program.
 */
export function bmcPasswordsFromEngine(cluster: Cluster): Record<string, pulumi.Output<string>> {
  const nodes = new pulumi.Config().requireSecretObject<{ bmc?: { password?: string } }[]>("nodes");
  return Object.fromEntries(
    cluster.nodes.map((node, i) => [
      node.name,
      pulumi.secret(nodes.apply((all) => all[i]?.bmc?.password ?? "")),
    ]),
  );
}
