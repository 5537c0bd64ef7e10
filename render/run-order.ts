import { StepRef, stepKey } from "./step";

/** What ordering needs of a step: who it is and what must be done before it. */
export interface OrderedStep extends StepRef {
  readonly after: readonly StepRef[];
}

/**
 * The steps in an order Pulumi could run them: each after the step before it on its node and
 * after its cross-node dependencies. Pulumi runs independent steps side by side; this is one of
 * the orders it may take, the one the lab takes.
 */
export function runOrder<S extends OrderedStep>(plan: readonly (readonly S[])[]): S[] {
  const previous = new Map<string, string>();
  for (const steps of plan)
    steps.forEach((s, i) => i > 0 && previous.set(stepKey(s), stepKey(steps[i - 1])));
  const all = plan.flat();
  const done = new Set<string>();
  const order: S[] = [];
  while (order.length < all.length) {
    const ready = all.find(
      (s) =>
        !done.has(stepKey(s)) &&
        [previous.get(stepKey(s)), ...s.after.map(stepKey)].every(
          (k) => k === undefined || done.has(k),
        ),
    );
    if (!ready) throw new Error("the plan's dependencies form a cycle");
    done.add(stepKey(ready));
    order.push(ready);
  }
  return order;
}

/**
 * The same steps in waves: each wave holds the steps whose dependencies all ran in earlier
 * waves, at most one per node (a node's steps form a chain). The engine runs such steps side by
 * side; the lab does too, so a missing dependency between nodes shows there as it would in `up`.
 */
export function runWaves<S extends OrderedStep>(plan: readonly (readonly S[])[]): S[][] {
  const previous = new Map<string, string>();
  for (const steps of plan)
    steps.forEach((s, i) => i > 0 && previous.set(stepKey(s), stepKey(steps[i - 1])));
  const done = new Set<string>();
  const waves: S[][] = [];
  let left = runOrder(plan);
  while (left.length > 0) {
    const wave = left.filter((s) =>
      [previous.get(stepKey(s)), ...s.after.map(stepKey)].every(
        (k) => k === undefined || done.has(k),
      ),
    );
    for (const s of wave) done.add(stepKey(s));
    left = left.filter((s) => !done.has(stepKey(s)));
    waves.push(wave);
  }
  return waves;
}
