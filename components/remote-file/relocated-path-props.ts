import type { LivePath } from "../../render/live-path";
import type { RelocatedPathScripts } from "../../render/relocated-path-scripts";
import type { NodeAddress } from "./ssh-session";

/** What the engine hands the provider on check, create and update. Nothing here is secret. */
export interface RelocatedPathInputs {
  readonly node: string;
  readonly path: string;
  readonly mountPoint: string;
  /** What the path must be a symlink to: the same path under the mount point. */
  readonly target: string;
  readonly connection: NodeAddress;
  readonly scripts: RelocatedPathScripts;
}

/** The path as last seen on the node, and what a refresh needs to reach it. */
export interface RelocatedPathOutputs extends RelocatedPathInputs, LivePath {
  /** Where the last repair kept what stood in the link's place; empty when it kept nothing. */
  readonly keptAside: string;
  /** What the last repair said. */
  readonly lastRepair: string;
}
