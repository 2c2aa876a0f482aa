import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkTrialText } from '../../src/trial-dsl/index.js';
import { drawSynthetic } from '../../src/population/draw.js';
import { createReferenceSimulator, simulateReference } from '../../src/population/world/simulator.js';
import { WORLD_VERSION } from '../../src/population/world/version.js';
import { VARIABLES } from '../../src/population/catalog.js';

/**
 * Digest of the reference world's output for each WORLD_VERSION: twins drawn on eligibility
 * rules, every variable at visits from two weeks to a year, under arms that reach every pathway
 * (energy balance and appetite, post-meal response, lipids, BP drugs and lifestyle, incretins,
 * exercise, sleep, sterols, dropout). A change that moves any simulated value must bump
 * WORLD_VERSION (src/population/world/version.ts), add its digest here (old lines stay: they
 * record what each version produced) and say what changed in docs/reference-world.md.
 */
const DIGESTS: Readonly<Record<number, string>> = {
  1: '1223982dd3f1b92ef7ca918908ab8eb257936382160395c8a66634a67d7fced3',
};

const TRIAL = `
vtrial: 1
name: world version probe
seed: 20
population:
  n: 120
  eligibility:
    age: [30, 75]
    bmi: [25, 42]
schedule:
  duration: 12 months
  visits: [0, 2 weeks, 3 months, 12 months]
  dropout: 0.15
arms:
  - id: none
    interventions: []
  - id: diet
    interventions:
      - {kind: diet, energy_kcal_day: -500, pattern: low_carb}
  - id: ppgr
    interventions:
      - {kind: diet, pattern: personalised_ppgr}
  - id: drugs
    interventions:
      - {kind: drug, drug: atorvastatin, dose: 20 mg}
      - {kind: drug, drug: amlodipine, dose: 5 mg}
      - {kind: drug, drug: metformin, dose: 1000 mg}
  - id: incretin
    interventions:
      - {kind: drug, drug: semaglutide, dose: 2.4 mg}
  - id: lifestyle
    interventions:
      - {kind: diet, pattern: dash, sodium_mg_day: 2300}
      - {kind: exercise, type: aerobic, minutes_per_week: 150}
      - {kind: sleep, extend_hours: 1}
      - {kind: supplement, supplement: plant_sterols, dose: 2 g}
      - {kind: weight_loss, target_kg: 5, support: intensive, adherence: 0.8}
endpoints:
  - {name: weight, variable: body_weight, at: 12 months, measure: change, compare: diet vs none}
`;

function worldDigest(): string {
  const checked = checkTrialText(TRIAL, 'world-version-probe.yaml');
  if (!checked.spec) throw new Error(checked.diagnostics.map((d) => d.message).join('\n'));
  const spec = checked.spec;
  // every variable the world simulates, at every visit
  const all = VARIABLES.filter((v) => v.measurable).map((v) => v.id);
  const schedule = { ...spec.schedule, visits: spec.schedule.visits.map((v) => ({ ...v, variables: all })) };
  const { batch } = drawSynthetic(spec.population, 20);
  const h = createHash('sha256');
  const num = (x: number): string => (Number.isFinite(x) ? x.toPrecision(10) : String(x));
  h.update(Array.from(batch.ids).join(','));
  for (const k of Object.keys(batch.columns).sort()) h.update(k + ':' + Array.from(batch.columns[k]!, num).join(','));
  for (const a of spec.arms) {
    const t = simulateReference(batch, a, schedule, 7);
    h.update(a.id + ':' + t.visitDays.join(',') + ':' + Array.from(t.dropoutDay, num).join(','));
    for (const v of Object.keys(t.values).sort()) h.update(v + ':' + Array.from(t.values[v]!, num).join(','));
  }
  return h.digest('hex');
}

describe('reference world version', () => {
  it('the output digest is the one recorded for WORLD_VERSION (bump the version when the world changes)', () => {
    const digest = worldDigest();
    const recorded = DIGESTS[WORLD_VERSION];
    expect(
      recorded,
      `no digest recorded for WORLD_VERSION ${WORLD_VERSION}: add "${WORLD_VERSION}: '${digest}'" to DIGESTS in this file`,
    ).toBeDefined();
    expect(
      digest,
      `the reference world's output changed under WORLD_VERSION ${WORLD_VERSION}: if the change is meant, bump WORLD_VERSION ` +
        `(src/population/world/version.ts), add its digest '${digest}' to DIGESTS and describe the change in docs/reference-world.md`,
    ).toBe(recorded);
  });

  it('every recorded version has its own digest, and the current one is the newest', () => {
    const versions = Object.keys(DIGESTS).map(Number);
    expect(Math.max(...versions)).toBe(WORLD_VERSION);
    expect(new Set(Object.values(DIGESTS)).size).toBe(versions.length);
  });

  it('the reference engine names the world version in its fingerprint', () => {
    expect(createReferenceSimulator().fingerprint).toMatch(new RegExp(`\\+world\\.${WORLD_VERSION}$`));
  });
});
