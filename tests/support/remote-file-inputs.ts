import type { RemoteFileInputs } from "../../components/remote-file/remote-file-props";
import { FileShape, FileWriting, remoteFileScripts } from "../../render/remote-file-scripts";
import type { NodeAddress } from "../../components/remote-file/ssh-session";
import { fingerprintOf } from "../../render/file-step";
import { sha256 as sha256Of } from "../../render/step";

export const haCf: FileShape = {
  path: "/etc/ha.d/ha.cf",
  mode: "0644",
  owner: "root",
  group: "root",
  secret: false,
  kind: "file",
  onReplicatedVolume: false,
};

export const authkeys: FileShape = {
  ...haCf,
  path: "/etc/ha.d/authkeys",
  mode: "0600",
  secret: true,
};

/** The ipmi stonith file: its BMC password may change alone, so its state keeps a digest. */
export const stonithIpmi: FileShape = {
  ...haCf,
  path: "/etc/ha.d/stonith-ipmi.cfg",
  mode: "0600",
  secret: true,
  secretMask: "stonith-password",
  secretDigest: true,
};

/** A stand-in for heartbeat's reread: it leaves a mark each time it runs. */
export const rereadMark = "/var/lib/hacluster-test/rereads";
export const rereads = `echo reread >>${rereadMark}; did="heartbeat reloaded"`;

/** The inputs the engine hands the provider for a RemoteFile, built as remote-file.ts builds them. */
export function fileInputs(
  connection: NodeAddress,
  file: FileShape,
  content: string,
  writing: FileWriting = {},
  node = "proxycl2",
): RemoteFileInputs {
  const sha256 = fingerprintOf({ ...file, id: file.path, content });
  const { write, read, remove, version } = remoteFileScripts(node, file, writing, sha256);
  return {
    node,
    path: file.path,
    connection,
    secret: file.secret,
    onReplicatedVolume: file.onReplicatedVolume,
    content,
    sha256,
    mode: file.mode,
    owner: file.owner,
    group: file.group,
    scripts: { write, read, remove },
    version,
    ...(file.secretDigest ? { contentDigest: sha256Of(content) } : {}),
  };
}

/** The stack's config as the dynamic-provider host hands it to `configure`. */
export function stackConfig(values: Record<string, string>) {
  return {
    config: {
      get: (key: string) => values[key],
      require: (key: string) => values[key] ?? "",
    },
  };
}
