import { Cluster, describeCluster } from "./cluster";
import { parseStackConfig } from "./stack-config";
import { readStackFiles } from "./stack-files";

/** The validated, resolved cluster of `Pulumi.<stack>.yaml`, read from the files as Pulumi would. */
export function loadClusterFromFiles(projectDir: string, stack: string): Cluster {
  return describeCluster(stack, parseStackConfig(stack, readStackFiles(projectDir, stack)));
}
