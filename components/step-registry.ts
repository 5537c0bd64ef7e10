import type * as pulumi from "@pulumi/pulumi";
import { StepRef, stepKey } from "../render/step";

/**
 * Where each step's resource can be found once it exists. A step may depend on a step that
 * another component creates later (the peer's `drbd-up`); `dependsOn` takes a promise of it.
 */
export class StepRegistry {
  private readonly waiting = new Map<
    string,
    { promise: Promise<pulumi.Resource>; resolve: (r: pulumi.Resource) => void }
  >();
  private readonly known = new Set<string>();

  constructor(allSteps: readonly StepRef[]) {
    for (const ref of allSteps) this.entry(stepKey(ref));
    for (const ref of allSteps) this.known.add(stepKey(ref));
  }

  add(ref: StepRef, resource: pulumi.Resource): void {
    this.entry(stepKey(ref)).resolve(resource);
  }

  get(ref: StepRef): Promise<pulumi.Resource> {
    const key = stepKey(ref);
    if (!this.known.has(key)) throw new Error(`no step ${key} in the plan`);
    return this.entry(key).promise;
  }

  private entry(key: string) {
    let entry = this.waiting.get(key);
    if (!entry) {
      let resolve!: (r: pulumi.Resource) => void;
      const promise = new Promise<pulumi.Resource>((r) => (resolve = r));
      entry = { promise, resolve };
      this.waiting.set(key, entry);
    }
    return entry;
  }
}
