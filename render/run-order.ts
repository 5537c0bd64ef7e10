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
