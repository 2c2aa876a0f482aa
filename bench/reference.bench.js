// Reference world speed: twin-weeks simulated per second on one core (one thread).
// 20,000 twins x 52 weeks x 2 arms (DASH + sodium vs usual diet), 5 visits measuring 4 variables.
import { drawSynthetic } from '../dist/population/draw.js';
import { simulateReference } from '../dist/population/world/simulator.js';

export const name = 'reference';
export const description = 'reference world: twin-weeks per second per core (20,000 twins x 52 weeks x 2 arms)';

const base = { startDay: 0, stopDay: 364, adherence: 0.8, adherenceWaning: 0.3 };
const arms = [
  { id: 'usual', label: 'usual', role: 'usual_care', interventions: [] },
  { id: 'dash', label: 'DASH', role: 'experimental', interventions: [{ ...base, kind: 'diet', pattern: 'dash', sodiumMg: 2300 }] },
];
const schedule = {
  durationDays: 364,
  visits: [0, 91, 182, 273, 364].map((day) => ({ label: `d${day}`, day, variables: ['sbp', 'ldl_c', 'body_weight', 'hba1c'] })),
  dropout: 0.1,
};

export async function run(log) {
  const n = 20000;
  const t0 = performance.now();
  const { batch } = drawSynthetic({ source: 'synthetic', n, sex: 'any', eligibility: [], baseline: [] }, 1);
  const drawS = (performance.now() - t0) / 1000;
  // warm-up
  for (const arm of arms) simulateReference({ ids: batch.ids.subarray(0, 500), columns: Object.fromEntries(Object.entries(batch.columns).map(([k, v]) => [k, v.subarray(0, 500)])) }, arm, schedule, 1);
  let best = 0;
  for (let rep = 0; rep < 3; rep++) {
    const t = performance.now();
    for (const arm of arms) simulateReference(batch, arm, schedule, 1);
    const s = (performance.now() - t) / 1000;
    best = Math.max(best, (n * 52 * arms.length) / s);
  }
  log(`  ${n} twins drawn in ${drawS.toFixed(2)} s`);
  return { twin_weeks_per_s_per_core: Math.round(best), baseline_twins_per_s: Math.round(n / drawS) };
}
