import { RemoteFileProvider } from "../../components/remote-file/provider";
import type {
  RemoteFileInputs,
  RemoteFileOutputs,
} from "../../components/remote-file/remote-file-props";
import { Registration, unwrap } from "./program";

/** The inputs the engine hands the provider: every secret unwrapped, as the provider gets them. */
export function providerInputs(reg: Registration): RemoteFileInputs {
  return Object.fromEntries(
    Object.entries(reg.inputs).map(([k, v]) => [k, unwrap(v)]),
  ) as unknown as RemoteFileInputs;
}

/**
 * The outputs `create` leaves in the state after writing `inputs` (RemoteFileProvider.write):
 * the file read back as written. `withDigest: false` is the state of a release without digests.
 */
export function outputsAfterWrite(inputs: RemoteFileInputs, withDigest = true): RemoteFileOutputs {
  return {
    node: inputs.node,
    path: inputs.path,
    connection: inputs.connection,
    secret: inputs.secret,
    onReplicatedVolume: inputs.onReplicatedVolume,
    scripts: { read: inputs.scripts.read, remove: inputs.scripts.remove },
    version: inputs.version,
    lastWrite: `changed: ${inputs.path}`,
    ...(withDigest && inputs.contentDigest !== undefined
      ? { contentDigest: inputs.contentDigest }
      : {}),
    exists: true,
    sha256: inputs.sha256,
    mode: inputs.mode,
    owner: inputs.owner,
    group: inputs.group,
  };
}

/**
 * What `pulumi up` would run between two program runs (`before` applied, `after` the program
 * now): `+` for a resource new to the state, `-` for one that left it, `~` for a RemoteFile whose
 * provider diff says it changed (the engine asks the dynamic provider, not its own input
 * comparison) and for any other resource whose inputs differ.
 */
export async function wouldRun(
  before: readonly Registration[],
  after: readonly Registration[],
  options: { readonly stateWithDigests?: boolean } = {},
): Promise<string[]> {
  const provider = new RemoteFileProvider();
  const names: string[] = [];
  for (const reg of after) {
    const old = before.find((r) => r.name === reg.name);
    if (old === undefined) {
      names.push(`+ ${reg.name}`);
    } else if (reg.type.endsWith("RemoteFile")) {
      const olds = outputsAfterWrite(providerInputs(old), options.stateWithDigests ?? true);
      const diff = await provider.diff("id", olds, providerInputs(reg));
      if (diff.changes) names.push(`~ ${reg.name}`);
    } else if (reg.type === "command:remote:Command") {
      const key = (r: Registration) =>
        JSON.stringify(["create", "update", "delete", "stdin"].map((k) => unwrap(r.inputs[k])));
      if (key(old) !== key(reg)) names.push(`~ ${reg.name}`);
    }
  }
  for (const reg of before) {
    if (!after.some((r) => r.name === reg.name)) names.push(`- ${reg.name}`);
  }
  return names.sort();
}
