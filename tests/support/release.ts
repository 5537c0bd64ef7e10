import { createHash } from "node:crypto";
import type { Step } from "../../render/step";

/**
 * The step as a later release of the program would write it: its scripts changed (by `edit`,
 * and a line added), and so the version it records on the node.
 */
export function released(step: Step, edit: (script: string) => string = (s) => s): Step {
  const version = createHash("sha256").update(`${step.version}+1`).digest("hex").slice(0, 32);
  const next = (script: string) => `${edit(script).replaceAll(step.version, version)}\n# release 2`;
  return { ...step, version, create: next(step.create), delete: step.delete && next(step.delete) };
}
