/**
 * Per-arm dropout: `arms[].dropout` overrides `schedule.dropout` for that arm, in the trial
 * language and in both engines. The model engine is exercised through a stub checkpoint (a
 * constant rollout): the dropout draw does not depend on what the transformer predicts, and a
 * stub keeps this test free of training.
 */
import { describe, expect, it } from 'vitest';
import { checkTrialText, formatDiagnostic } from '../../src/trial-dsl/index.js';
import { explainTrial } from '../../src/trial-dsl/explain.js';
import type { ArmSpec, ScheduleSpec } from '../../src/trial-dsl/spec.js';
import type { Trajectories, TwinBatch } from '../../src/core/simulator.js';
import { drawSynthetic } from '../../src/population/draw.js';
import { simulateReference } from '../../src/population/world/simulator.js';
import { ModelSimulator } from '../../src/model/simulator.js';
import type { TwinModel } from '../../src/model/twin-model.js';

const text = (arms: string, dropout = '  dropout: 0.1\n') => `name: t
population: {n: 100}
schedule:
  duration: 24 weeks
  visits: [0, 12 weeks, 24 weeks]
${dropout}arms:
${arms}
endpoints:
  - {name: wt, variable: body_weight, compare: adf vs control}
`;
const ARMS = `  - id: control
  - id: adf
    dropout: 0.38
    interventions:
      - {kind: diet, fasting: {regimen: alternate_day}}`;

describe('arms[].dropout in the trial language', () => {
  it('is kept on the arm it names; other arms keep the schedule dropout', () => {
    const r = checkTrialText(text(ARMS), 't.yaml');
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([]);
    const [control, adf] = r.spec!.arms;
    expect(control.dropout).toBeUndefined();
    expect(adf.dropout).toBe(0.38);
    expect(r.spec!.schedule.dropout).toBe(0.1);
    expect(explainTrial(r.spec!)).toContain('expected dropout 10% (adf 38%)');
  });

  it('is explained per arm when every arm has its own', () => {
    const r = checkTrialText(text(ARMS.replace('  - id: control', '  - id: control\n    dropout: 0.29'), ''), 't.yaml');
    expect(explainTrial(r.spec!)).toContain('expected dropout control 29%, adf 38%');
  });

  it('rejects a dropout outside 0-0.95 or not a number, at the value', () => {
    const high = checkTrialText(text(ARMS.replace('dropout: 0.38', 'dropout: 0.99')), 't.yaml').diagnostics;
    expect(high).toMatchObject([{ severity: 'error', code: 'range', path: 'arms[1].dropout', line: 10, column: 14, expected: '<= 0.95' }]);
    const pct = checkTrialText(text(ARMS.replace('dropout: 0.38', 'dropout: 38%')), 't.yaml').diagnostics;
    expect(pct).toMatchObject([{ severity: 'error', code: 'type', path: 'arms[1].dropout', line: 10, column: 14, expected: 'number' }]);
  });
});

/** Share of twins who dropped out, and the twins themselves. */
function dropped(t: Trajectories): { share: number; ids: Set<number> } {
  const ids = new Set<number>();
  t.dropoutDay.forEach((d, i) => Number.isFinite(d) && ids.add(i));
  return { share: ids.size / t.n, ids };
}

const N = 3000;
const schedule: ScheduleSpec = {
  durationDays: 168,
  visits: [0, 84, 168].map((day) => ({ label: `day ${day}`, day, variables: ['sbp'] })),
  dropout: 0.1,
};
const control: ArmSpec = { id: 'control', label: 'control', role: 'usual_care', interventions: [] };
const lossy: ArmSpec = { ...control, id: 'lossy', dropout: 0.38 };
const kept: ArmSpec = { ...control, id: 'kept', dropout: 0 };

/** Both arms' realised dropout is within 3 points of the planned share; arms stay paired. */
function expectPerArmDropout(c: Trajectories, l: Trajectories, k: Trajectories): void {
  const dc = dropped(c);
  const dl = dropped(l);
  expect(Math.abs(dc.share - 0.1)).toBeLessThan(0.03);
  expect(Math.abs(dl.share - 0.38)).toBeLessThan(0.03);
  expect(dropped(k).share).toBe(0);
  // one exponential per twin under every arm: whoever leaves the 10% arm also leaves the 38% arm, sooner
  for (const i of dc.ids) {
    expect(dl.ids.has(i)).toBe(true);
    expect(l.dropoutDay[i]).toBeLessThan(c.dropoutDay[i]);
  }
}

describe('per-arm dropout in the engines', () => {
  it('reference engine: each arm loses its own share of twins', () => {
    const batch = drawSynthetic({ source: 'synthetic', n: N, sex: 'any', eligibility: [], baseline: [] }, 5).batch;
    expectPerArmDropout(simulateReference(batch, control, schedule, 9), simulateReference(batch, lossy, schedule, 9), simulateReference(batch, kept, schedule, 9));
  });

  it('model engine: each arm loses its own share of twins (stub checkpoint)', async () => {
    const stub = {
      hash: 'stub', dir: '',
      tokenizer: { measured: [{ id: 'sbp', plausible: [50, 250], noiseSd: 0 }], statics: [], exposures: [] },
      rollout: (req: { initial: Float64Array[]; visitDays: number[] }) => [new Float64Array(req.initial.length * req.visitDays.length).fill(120)],
    } as unknown as TwinModel;
    const sim = new ModelSimulator(stub, () => []);
    const batch: TwinBatch = { ids: Uint32Array.from({ length: N }, (_, i) => i), columns: { sbp: new Float64Array(N).fill(120), age: new Float64Array(N).fill(50), sex: new Float64Array(N) } };
    const run = (arm: ArmSpec) => sim.simulate(batch, arm, schedule, { seed: 9 });
    const [c, l, k] = [await run(control), await run(lossy), await run(kept)];
    expectPerArmDropout(c, l, k);
    // a visit after dropout is missing
    const nv = schedule.visits.length;
    const i = [...dropped(l).ids].find((j) => l.dropoutDay[j] < 168)!;
    expect(l.values.sbp![i * nv + nv - 1]).toBeNaN();
    expect(k.values.sbp![i * nv + nv - 1]).toBe(120);
  });
});
