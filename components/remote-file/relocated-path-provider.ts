import type * as pulumi from "@pulumi/pulumi";
import { keptAsideBy, parsePathReading, pathDrift } from "../../render/live-path";
import type { RelocatedPathInputs, RelocatedPathOutputs } from "./relocated-path-props";
import { hostKeyProblem, keyFrom, lastLine, onNode, RunScript, sameAddress } from "./ssh-session";

/**
 * A path moved onto the replicated volume, watched: a refresh reads whether it is still the
 * symlink into the volume, an update links it again. What stood in its place (a folder a package
 * upgrade made again, an admin's file) is moved aside and named in the outputs, never deleted.
 * The data itself is the relocate step's: it copies it onto the volume, and back on destroy.
 */
export class RelocatedPathProvider implements pulumi.dynamic.ResourceProvider {
  private config?: pulumi.dynamic.Config;

  async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    this.config = req.config;
  }

  async check(
    _olds: RelocatedPathInputs,
    news: RelocatedPathInputs,
  ): Promise<pulumi.dynamic.CheckResult<RelocatedPathInputs>> {
    const problem = hostKeyProblem(news.node, news.connection);
    return { inputs: news, failures: problem ? [{ property: "connection", reason: problem }] : [] };
  }

  async diff(
    _id: string,
    olds: RelocatedPathOutputs,
    news: RelocatedPathInputs,
  ): Promise<pulumi.dynamic.DiffResult> {
    const replaces = (["node", "path"] as const).filter((k) => olds[k] !== news[k]);
    const changed =
      replaces.length > 0 ||
      pathDrift(news.target, olds).length > 0 ||
      olds.scripts.repair !== news.scripts.repair ||
      olds.scripts.read !== news.scripts.read ||
      !sameAddress(olds.connection, news.connection);
    return { changes: changed, replaces, deleteBeforeReplace: true };
  }

  async create(
    inputs: RelocatedPathInputs,
  ): Promise<pulumi.dynamic.CreateResult<RelocatedPathOutputs>> {
    return { id: `${inputs.node}:${inputs.path}`, outs: await this.repair(inputs, "") };
  }

  async update(
    _id: string,
    olds: RelocatedPathOutputs,
    news: RelocatedPathInputs,
  ): Promise<pulumi.dynamic.UpdateResult<RelocatedPathOutputs>> {
    return { outs: await this.repair(news, olds.keptAside) };
  }

  async read(id: string, props: RelocatedPathOutputs): Promise<pulumi.dynamic.ReadResult> {
    const live = await onNode(
      props.node,
      props.connection,
      keyFrom(this.config, props.connection),
      (run) => readPath(run, props),
    );
    return { id, props: { ...props, ...live } };
  }

  /** Nothing to undo: the link and the data are the relocate step's, and so is their undoing. */
  async delete(): Promise<void> {}

  private async repair(
    news: RelocatedPathInputs,
    keptBefore: string,
  ): Promise<RelocatedPathOutputs> {
    return onNode(
      news.node,
      news.connection,
      keyFrom(this.config, news.connection),
      async (run) => {
        const result = await run(news.scripts.repair);
        if (result.code !== 0) {
          throw new Error(
            `${news.node}:${news.path}: repair failed (exit ${result.code}): ${result.stderr.trim()}`,
          );
        }
        const said = lastLine(result.stdout);
        const live = await readPath(run, news);
        const drift = pathDrift(news.target, live);
        if (drift.length > 0) {
          throw new Error(
            `${news.node}:${news.path} was linked but reads back otherwise (${drift})`,
          );
        }
        return { ...news, ...live, keptAside: keptAsideBy(said) || keptBefore, lastRepair: said };
      },
    );
  }
}

async function readPath(
  run: RunScript,
  path: Pick<RelocatedPathInputs, "node" | "path" | "scripts">,
) {
  const result = await run(path.scripts.read);
  if (result.code !== 0) {
    throw new Error(
      `${path.node}:${path.path}: read failed (exit ${result.code}): ${result.stderr.trim()}`,
    );
  }
  return parsePathReading(lastLine(result.stdout));
}
