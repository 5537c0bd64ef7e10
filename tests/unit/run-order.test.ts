import { planSteps } from "../../render/plan";
import { runOrder, runWaves } from "../../render/run-order";
import { stepKey } from "../../render/step";
import { clusterOf } from "../support/stacks";

describe("the order the lab applies a plan in, as the engine may", () => {
  const plan = planSteps(clusterOf("prod"), "not-a-key");
  const waves = runWaves(plan);

  it("runs each step once, in waves of at most one step per node", () => {
    expect(waves.flat().map(stepKey).sort()).toEqual(runOrder(plan).map(stepKey).sort());
    for (const wave of waves) expect(new Set(wave.map((s) => s.node)).size).toBe(wave.length);
  });

  it("runs a step after every step it depends on, and after the one before it on its node", () => {
    const waveOf = new Map(waves.flatMap((w, i) => w.map((s) => [stepKey(s), i] as const)));
    for (const steps of plan) {
      steps.forEach((s, i) => {
        if (i > 0)
          expect(waveOf.get(stepKey(s))!).toBeGreaterThan(waveOf.get(stepKey(steps[i - 1]))!);
        for (const after of s.after)
          expect([stepKey(s), waveOf.get(stepKey(s))! > waveOf.get(stepKey(after))!]).toEqual([
            stepKey(s),
            true,
          ]);
      });
    }
  });

  it("runs the two nodes' steps side by side: far fewer waves than steps", () => {
    expect(waves.length).toBeLessThan(0.6 * waves.flat().length);
  });
});
