/**
 * A tiny synthetic world for model tests: LDL-C, SBP, body weight and BMI measured monthly for six
 * months; half the participants start atorvastatin 20 mg at day 0, which lowers true LDL-C by
 * 40% with a two-week time constant. Weight drifts as a random walk that BMI shares (so their
 * visit-to-visit changes correlate). Measurement noise from the catalog's magnitudes.
 */
import { Rng } from '../../src/core/rng.js';
import { cohortFromRows, type Cohort } from '../../src/model/cohort.js';

export const VISIT_DAYS = [0, 30, 61, 91, 122, 152, 182];

/**
 * `withAdherence`: treated participants also carry ADHERENCE//DRUG//atorvastatin (0.3 or 1, at
 * random) and the drug's effect scales with it, as planned adherence does in the reference world.
 */
export function tinyCohort(n: number, seed = 7, withAdherence = false): Cohort {
  const rows: { subject: string; time: number; code: string; value: number }[] = [];
  for (let i = 0; i < n; i++) {
    const r = new Rng(seed, i, 1);
    const id = `p${i}`;
    const age = 30 + 40 * r.uniform();
    const sex = r.uniform() < 0.5 ? 1 : 0;
    const ldl = 130 + 30 * r.normal();
    const sbp = 125 + 8 * sex * -1 + 0.3 * (age - 50) + 12 * r.normal();
    const wt = Math.exp(Math.log(80) + 0.15 * r.normal()) - 10 * sex;
    const treated = i % 2 === 0;
    rows.push({ subject: id, time: 0, code: 'age', value: Math.round(age) });
    rows.push({ subject: id, time: 0, code: 'sex', value: sex });
    const adh = withAdherence && r.uniform() < 0.5 ? 0.3 : 1;
    if (treated) rows.push({ subject: id, time: 0, code: 'DRUG//atorvastatin', value: 20 });
    if (treated && withAdherence) rows.push({ subject: id, time: 0, code: 'ADHERENCE//DRUG//atorvastatin', value: adh });
    let wDrift = 0;
    for (const d of VISIT_DAYS) {
      const eff = treated ? 1 - 0.4 * adh * (1 - Math.exp(-d / 14)) : 1;
      wDrift += 1.0 * r.normal();
      rows.push({ subject: id, time: d, code: 'ldl_c', value: ldl * eff * (1 + 0.097 * r.normal()) });
      rows.push({ subject: id, time: d, code: 'sbp', value: sbp + 6.5 * r.normal() });
      rows.push({ subject: id, time: d, code: 'body_weight', value: wt + wDrift + 0.8 * r.normal() });
      rows.push({ subject: id, time: d, code: 'bmi', value: (wt + wDrift) / (1.75 * 1.75) + 0.3 * r.normal() });
    }
  }
  return cohortFromRows('tiny.csv', rows);
}

export function cohortCsv(c: Cohort): string {
  const lines = ['subject_id,time,code,numeric_value'];
  for (const s of c.subjects) for (const e of s.events) lines.push(`${s.id},${e.time},${e.code},${e.value}`);
  return lines.join('\n') + '\n';
}

export const TINY_SETTINGS = { dModel: 16, nLayers: 1, nHeads: 2, mlpRatio: 2, nMix: 2, blockSize: 8, batchSize: 32, epochs: 3, lr: 5e-3, warmupSteps: 5, patience: 10, maxMinutes: 5 };
