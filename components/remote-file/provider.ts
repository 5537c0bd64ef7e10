import type * as pulumi from "@pulumi/pulumi";
import {
  absentFile,
  fileDrift,
  FileReading,
  LiveFile,
  parseFileReading,
} from "../../render/live-file";
import type { RemoteFileInputs, RemoteFileOutputs } from "./remote-file-props";
import {
  hostKeyProblem,
  keyFrom,
  lastLine,
  onNode,
  RunScript,
  sameAddress,
  ScriptResult,
} from "./ssh-session";

/** The engine's placeholder for a value not known before `up` (a key still to be generated). */
const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * One file on one node, read back for real. Serialized into the state with every resource and
 * run by Pulumi's dynamic-provider host: it captures nothing but its own code, and gets the SSH
 * key from the stack's config when the host starts it (`configure`), never from the program.
 *
 * Every version of this code must read the state every earlier one wrote: a refresh or a
 * destroy runs the provider saved with the resource, an update the program's.
 */
export class RemoteFileProvider implements pulumi.dynamic.ResourceProvider {
  private config?: pulumi.dynamic.Config;

  async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    this.config = req.config;
  }

  async check(
    _olds: RemoteFileInputs,
    news: RemoteFileInputs,
  ): Promise<pulumi.dynamic.CheckResult<RemoteFileInputs>> {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const known = (value: unknown) => value !== undefined && value !== unknown;
    if (known(news.path) && !news.path.startsWith("/")) {
      failures.push({ property: "path", reason: `${news.path} is not an absolute path` });
    }
    if (known(news.mode) && !/^0[0-7]{3}$/.test(news.mode)) {
      failures.push({ property: "mode", reason: `${news.mode} is not a mode such as 0644` });
    }
    const problem = known(news.connection) ? hostKeyProblem(news.node, news.connection) : undefined;
    if (problem) failures.push({ property: "connection", reason: problem });
    return { inputs: news, failures };
  }

  async diff(
    _id: string,
    olds: RemoteFileOutputs,
    news: RemoteFileInputs,
  ): Promise<pulumi.dynamic.DiffResult> {
    const replaces = (["node", "path"] as const).filter((k) => olds[k] !== news[k]);
    // A file on the volume, written where the volume was not, was not seen: nothing to compare.
    const drift = olds.volumeHeld === false ? [] : fileDrift(news, olds);
    // A secret set again alone (a BMC password) changes neither the masked checksum nor the
    // scripts: only the digest says so. A state written before the digest is not compared.
    const secretChanged =
      olds.contentDigest !== undefined && olds.contentDigest !== news.contentDigest;
    const changed =
      replaces.length > 0 ||
      drift.length > 0 ||
      secretChanged ||
      olds.version !== news.version ||
      olds.scripts.read !== news.scripts.read ||
      olds.scripts.remove !== news.scripts.remove ||
      !sameAddress(olds.connection, news.connection);
    // The lifecycle rule of render/step.ts: content, mode, owner or a new release are an update,
    // written in place; only another node or path replaces, and then the old file goes first.
    return { changes: changed, replaces, deleteBeforeReplace: true };
  }

  async create(inputs: RemoteFileInputs): Promise<pulumi.dynamic.CreateResult<RemoteFileOutputs>> {
    return { id: `${inputs.node}:${inputs.path}`, outs: await this.write(inputs, absentFile) };
  }

  async update(
    _id: string,
    olds: RemoteFileOutputs,
    news: RemoteFileInputs,
  ): Promise<pulumi.dynamic.UpdateResult<RemoteFileOutputs>> {
    return { outs: await this.write(news, olds) };
  }

  /**
   * A refresh: the file as the node has it now. A file that is gone reads `exists: false`, and
   * keeps its id: the refresh shows `exists: true => false`, and the next `up` updates it, which
   * writes it again (a dropped id would show as a delete, and the next `up` as a create).
   */
  async read(id: string, props: RemoteFileOutputs): Promise<pulumi.dynamic.ReadResult> {
    const reading = await onNode(
      props.node,
      props.connection,
      keyFrom(this.config, props.connection),
      (run) => readFile(run, props),
    );
    // The node does not hold the volume: the file is not there to be seen, nor to be repaired.
    if ("volumeElsewhere" in reading) return { id, props };
    const held = props.onReplicatedVolume ? { volumeHeld: true } : {};
    return { id, props: { ...props, ...reading.seen, ...held } };
  }

  async delete(_id: string, props: RemoteFileOutputs): Promise<void> {
    await onNode(
      props.node,
      props.connection,
      keyFrom(this.config, props.connection),
      async (run) => {
        checked(props, "remove", await run(props.scripts.remove));
      },
    );
  }

  /** Writes the file as the file steps do, then reads it back: what was written is verified. */
  private async write(news: RemoteFileInputs, lastSeen: LiveFile): Promise<RemoteFileOutputs> {
    return onNode(
      news.node,
      news.connection,
      keyFrom(this.config, news.connection),
      async (run) => {
        const before = await readFile(run, news);
        if ("seen" in before && before.notAFile === "directory") {
          throw new Error(
            `${news.node}:${news.path} is a directory; a file is written only over a file or nothing. Left as it is`,
          );
        }
        const said = lastLine(checked(news, "write", await run(news.scripts.write, news.content)));
        const after = await readFile(run, news);
        const kept = {
          node: news.node,
          path: news.path,
          connection: news.connection,
          secret: news.secret,
          onReplicatedVolume: news.onReplicatedVolume,
          scripts: { read: news.scripts.read, remove: news.scripts.remove },
          version: news.version,
          lastWrite: said,
          ...(news.contentDigest === undefined ? {} : { contentDigest: news.contentDigest }),
        };
        if ("volumeElsewhere" in after) return { ...kept, ...live(lastSeen), volumeHeld: false };
        const drift = fileDrift(news, after.seen);
        if (drift.length > 0) {
          throw new Error(
            `${news.node}:${news.path} was written but reads back otherwise (${drift.join(", ")})`,
          );
        }
        const held = news.onReplicatedVolume ? { volumeHeld: true } : {};
        return { ...kept, ...after.seen, ...held };
      },
    );
  }
}

/** Only the LiveFile part of outputs: older state may carry more. */
function live(file: LiveFile): LiveFile {
  const { exists, sha256, mode, owner, group } = file;
  return { exists, sha256, mode, owner, group };
}

async function readFile(
  run: RunScript,
  file: Pick<RemoteFileOutputs, "node" | "path" | "secret" | "scripts">,
): Promise<FileReading> {
  return parseFileReading(lastLine(checked(file, "read", await run(file.scripts.read))));
}

/**
 * A script's result, or an error naming node, path and step. A secret file's output is kept
 * back, but for the lines the scripts write themselves to say why they refused, which start
 * with `hacluster: ` and never hold the content.
 */
function checked(
  file: Pick<RemoteFileInputs, "node" | "path" | "secret">,
  what: string,
  result: ScriptResult,
): string {
  if (result.code === 0) return result.stdout;
  const own = result.stderr.split("\n").filter((line) => line.startsWith("hacluster: "));
  const output = file.secret
    ? own.length > 0
      ? own.join("\n")
      : "its output is withheld: the file holds a secret"
    : (result.stderr.trim() || lastLine(result.stdout)).split("\n").slice(-5).join("\n");
  throw new Error(`${file.node}:${file.path}: ${what} failed (exit ${result.code}): ${output}`);
}
