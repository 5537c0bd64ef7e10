import type { SecretMask } from "./engine-secret";

/** One file a node receives, rendered. */
export interface NodeFile {
  /** Stable name of the file, used in step and resource names: `ha-cf`, `authkeys`. */
  readonly id: string;
  /** Absolute path on the node. */
  readonly path: string;
  /** Octal mode, such as "0644". */
  readonly mode: string;
  readonly owner: string;
  readonly group: string;
  readonly content: string;
  /** Holds a secret: sent on stdin only, never logged, never in outputs. */
  readonly secret: boolean;
  /** Where a secret file's secrets are, for its checksum. @default "authkeys" */
  readonly secretMask?: SecretMask;
  /**
   * Its secret can change while nothing else in it does (a BMC password set again): the engine
   * keeps a secret digest of the whole content beside the masked checksum, and a new digest is
   * an update. Not authkeys: its key changes only with `authkeysRotation`, which moves it to
   * another slot, and only the rotation's stages may put a new key in place. @default false
   */
  readonly secretDigest?: boolean;
  /**
   * Whether a write keeps the content it replaces in /var/backups/hacluster/previous/<path>:
   * never for a secret file, nor for a file that may replace one that held a secret.
   * @default true where the file holds no secret
   */
  readonly keepPrevious?: boolean;
  /** `block`: the content is a marked block inside a file the node already has (/etc/hosts). */
  readonly kind: "file" | "block";
  /** Lives on the replicated volume: written on the node that has it mounted. */
  readonly onReplicatedVolume: boolean;
  /** The program that must reread the file once it changed. */
  readonly readBy?: Reader;
  /**
   * A glob of files, managed by hacluster under another name, that this file takes the place of
   * (the config of a renamed DRBD resource): moved aside when it is written.
   */
  readonly supersedes?: string;
}

/**
 * Who rereads a changed file: a daemon, or the boot-time script or unit it is; for
 * `heartbeat-environment`, the environment heartbeat is started with.
 */
export type Reader =
  | "heartbeat"
  // authkeys: heartbeat, whose reread of it the step waits for (a rotation's stages depend on it)
  | "heartbeat-keys"
  | "heartbeat-environment"
  | "drbd"
  | "named"
  | "squid"
  | "apparmor"
  | "network"
  | "systemd"
  // a unit or drop-in that takes effect at its unit's next start: systemd only rereads it
  | "systemd-next-start"
  | "timesyncd";

/** The heartbeat keys a node's authkeys lists, and which one signs. */
export interface AuthkeysSecret {
  readonly signing: number;
  readonly keys: readonly { readonly index: number; readonly secret: string }[];
}

/** Heartbeat key slots are 1..15; each rotation moves to the next one, wrapping around. */
export function authkeysIndex(rotation: number): number {
  return (rotation % 15) + 1;
}

/** The authkeys a node ends with: the key of the current rotation, alone, signing. */
export function finalAuthkeys(rotation: number, key: string): AuthkeysSecret {
  const index = authkeysIndex(rotation);
  return { signing: index, keys: [{ index, secret: key }] };
}
