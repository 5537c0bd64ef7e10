import { existsSync } from "node:fs";
import { join } from "node:path";
import { engineSecretPlaceholder } from "./engine-secret";
import { StepRef } from "./step";

/**
 * What the engine receives of one step, whichever release of the program planned it: the
 * fields of `Step` that the engine compares, and that an older or newer plan may lack or add.
 */
export interface PlannedStep extends StepRef {
  readonly component: string;
  readonly create: string;
  readonly update?: string;
  readonly delete?: string;
  readonly stdin?: string;
  readonly secret: boolean;
  readonly triggers?: readonly string[];
  readonly after: readonly StepRef[];
  readonly deleteBeforeReplace?: boolean;
  /** Who rereads the file the step writes, for a step that writes one. */
  readonly readBy?: string;
  /** A file or relocated path read back on refresh: a resource named `<node>:<path>`. */
  readonly resource?: {
    readonly kind: string;
    readonly file?: { readonly path: string };
    readonly path?: string;
  };
}

export interface RenderedFile {
  readonly path: string;
  readonly mode: string;
  readonly owner: string;
  readonly group: string;
  readonly content: string;
  readonly secret: boolean;
}

export interface RenderedNode {
  readonly name: string;
  readonly files: readonly RenderedFile[];
}

/** A stack as `npm run render` and the plan see it, or why there is nothing to see. */
export type RenderedStack =
  | {
      readonly state: "rendered";
      readonly nodes: readonly RenderedNode[];
      /** Per node, in the order the steps run on it. */
      readonly plan: readonly (readonly PlannedStep[])[];
    }
  | { readonly state: "absent"; readonly why: string }
  | { readonly state: "invalid"; readonly problems: string };

interface NodeFileLike extends RenderedFile {
  readonly id: string;
  readonly readBy?: string;
}

interface ClusterLike {
  readonly nodes: readonly { readonly name: string }[];
  readonly config: { readonly authkeysRotation: number };
}

interface AuthkeysLike {
  readonly signing: number;
  readonly keys: readonly { readonly index: number; readonly secret: string }[];
}

/** The parts of a release of the program that rendering a stack needs, loaded from its tree. */
interface Renderer {
  loadClusterFromFiles(projectDir: string, stack: string): ClusterLike;
  planSteps(cluster: ClusterLike, keys: unknown): readonly (readonly Record<string, unknown>[])[];
  renderNodeFiles(cluster: ClusterLike, node: unknown, authkeys: AuthkeysLike): NodeFileLike[];
  authkeysIndex(rotation: number): number;
  /** Releases with `finalAuthkeys` plan from the current key alone; earlier ones took both. */
  finalAuthkeys?: unknown;
}

async function loadRenderer(codeRoot: string): Promise<Renderer> {
  const [load, plan, nodeFiles, nodeFile] = await Promise.all([
    import(join(codeRoot, "model", "load")),
    import(join(codeRoot, "render", "plan")),
    import(join(codeRoot, "render", "node-files")),
    import(join(codeRoot, "render", "node-file")),
  ]);
  return { ...load, ...plan, ...nodeFiles, ...nodeFile } as Renderer;
}

/**
 * Renders a stack with the program found at `codeRoot` (its own model, templates and plan, so
 * that a base commit renders as it would have been deployed), from the stack files in
 * `projectDir`. Secrets are placeholders on every side; no engine, backend or node is touched.
 */
export async function renderStack(
  codeRoot: string,
  projectDir: string,
  stack: string,
): Promise<RenderedStack> {
  const stackFile = join(projectDir, `Pulumi.${stack}.yaml`);
  if (!existsSync(join(projectDir, "Pulumi.yaml")) || !existsSync(stackFile)) {
    return { state: "absent", why: `there is no Pulumi.${stack}.yaml` };
  }
  let renderer: Renderer;
  try {
    renderer = await loadRenderer(codeRoot);
  } catch (e) {
    return { state: "invalid", problems: `its program could not be loaded: ${messageOf(e)}` };
  }
  let cluster: ClusterLike;
  try {
    cluster = renderer.loadClusterFromFiles(projectDir, stack);
  } catch (e) {
    // The model's ConfigError lists every problem; a base's is a class apart from ours, and a
    // stack file YAML cannot parse throws too: each is the stack's own problem, reported as it is.
    return { state: "invalid", problems: problemsOf(e) };
  }
  try {
    return render(renderer, cluster);
  } catch (e) {
    return { state: "invalid", problems: `its program failed to render it: ${messageOf(e)}` };
  }
}

function render(renderer: Renderer, cluster: ClusterLike): RenderedStack {
  const rotation = cluster.config.authkeysRotation;
  const index = renderer.authkeysIndex(rotation);
  const authkeys = { signing: index, keys: [{ index, secret: engineSecretPlaceholder }] };
  const keys =
    renderer.finalAuthkeys !== undefined
      ? engineSecretPlaceholder
      : {
          current: engineSecretPlaceholder,
          previous: rotation > 0 ? engineSecretPlaceholder : undefined,
        };
  const nodes = cluster.nodes.map((node) => ({
    name: node.name,
    files: renderer.renderNodeFiles(cluster, node, authkeys),
  }));
  const allFiles = nodes.flatMap((n) => n.files);
  const plan = renderer
    .planSteps(cluster, keys)
    .map((steps) => steps.map((step) => plannedStep(step, allFiles)));
  return {
    state: "rendered",
    nodes: nodes.map((n) => ({ name: n.name, files: n.files.map(renderedFile) })),
    plan,
  };
}

function renderedFile(file: NodeFileLike): RenderedFile {
  const { path, mode, owner, group, content, secret } = file;
  return { path, mode, owner, group, content, secret };
}

function plannedStep(step: Record<string, unknown>, files: readonly NodeFileLike[]): PlannedStep {
  const planned = step as unknown as PlannedStep & { readonly target?: string };
  return { ...planned, readBy: fileWrittenBy(planned, files)?.readBy };
}

/**
 * The file a step writes: the one at its target, or of its id. Releases before targets named
 * the authkeys rotation stages `authkeys-accept` and `authkeys-sign`, after the file.
 */
function fileWrittenBy(
  step: PlannedStep & { readonly target?: string },
  files: readonly NodeFileLike[],
): NodeFileLike | undefined {
  if (step.stdin === undefined) return undefined;
  return (
    files.find((f) => f.path === step.target) ??
    files.find((f) => f.id === step.id) ??
    files.find((f) => step.id.startsWith(`${f.id}-`))
  );
}

/** A ConfigError says what its refusal left undone, where the code at that ref can say so. */
function problemsOf(e: unknown): string {
  const report = (e as { report?: unknown }).report;
  return typeof report === "function"
    ? String(report.call(e, "nothing was rendered"))
    : messageOf(e);
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
