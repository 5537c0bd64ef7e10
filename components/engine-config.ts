import * as pulumi from "@pulumi/pulumi";
import { Cluster, describeCluster } from "../model/cluster";
import { secretKeys } from "../model/schema";
import { parseStackConfig } from "../model/stack-config";
import { readStackFiles } from "../model/stack-files";

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
  let plainInFile: string[] = [];
  try {
    const file = readStackFiles(process.cwd(), stack);
    plainInFile = secretKeys.filter((k) => k in file.values && !file.secretKeys.has(k));
  } catch {
    // no stack file: the config comes from elsewhere, and the engine keeps its secrets
  }
  const encrypted = new Set<string>(secretKeys.filter((k) => !plainInFile.includes(k)));
  // The model never holds a secret's value: the program reads those through Config.getSecret.
  for (const key of secretKeys) if (key in values) values[key] = "[secret]";
  return describeCluster(stack, parseStackConfig(stack, { values, secretKeys: encrypted }));
}
