/**
 * Drawn populations respect what the trial file asked for: flag shares among baseline targets,
 * any-of / count-of eligibility (judged on screening values, as the drawing does), and
 * sex-specific eligibility ranges.
 */
import { describe, expect, it } from 'vitest';
import { drawSynthetic, type DrawResult } from '../../src/population/draw.js';
import { VARIABLES } from '../../src/population/catalog.js';
import { NVAR } from '../../src/population/baseline.js';
import { passesGroup, screeningValues } from '../../src/population/eligibility.js';
import type { EligibilityGroup, PopulationSpec } from '../../src/trial-dsl/spec.js';

const SEED = 11;

function pop(p: Partial<PopulationSpec>): PopulationSpec {
  return { source: 'synthetic', n: 2000, sex: 'any', eligibility: [], baseline: [], ...p };
}

function mean(x: Float64Array): number {
  return x.reduce((a, b) => a + b, 0) / x.length;
}

/** Screening values of every twin, recomputed from its candidate id (as the drawing judged it). */
function screening(r: DrawResult, seed: number): Float64Array[] {
  const n = r.batch.ids.length;
  const ids = r.candidateIds!;
  expect(ids).toHaveLength(n);
  return Array.from({ length: n }, (_, i) => {
    const truth = new Float64Array(NVAR);
    VARIABLES.forEach((v, j) => (truth[j] = r.batch.columns[v.id]![i]!));
    const obs = new Float64Array(NVAR);
    screeningValues(seed, ids[i]!, truth, obs);
    return obs;
  });
}

const col = (id: string) => VARIABLES.findIndex((v) => v.id === id);

describe('baseline share of a flag', () => {
  it('reaches the share within 3 points for n = 2000, alone and with other targets', () => {
    const alone = drawSynthetic(pop({ baseline: [{ variable: 'on_statin', mean: 0.32 }] }), SEED);
    expect(Math.abs(mean(alone.batch.columns.on_statin!) - 0.32)).toBeLessThan(0.03);
    expect(alone.warnings).toEqual([]);
    const mixed = drawSynthetic(pop({
      eligibility: [{ variable: 'age', min: 40, max: 75 }],
      baseline: [{ variable: 'on_bp_meds', mean: 0.29 }, { variable: 'smoker', mean: 0.05 }, { variable: 'age', mean: 58 }],
    }), SEED);
    const c = mixed.batch.columns;
    expect(Math.abs(mean(c.on_bp_meds!) - 0.29)).toBeLessThan(0.03);
    expect(Math.abs(mean(c.smoker!) - 0.05)).toBeLessThan(0.03);
    expect(Math.abs(mean(c.age!) - 58)).toBeLessThan(1);
  });

  it('keeps the female share exact while reaching a flag share that differs by sex', () => {
    // statin use is commoner in men: the sexes must not drift to reach the share
    const r = drawSynthetic(pop({ femaleShare: 0.6, baseline: [{ variable: 'on_statin', mean: 0.5 }] }), SEED);
    expect(mean(r.batch.columns.sex!)).toBe(0.6);
    expect(Math.abs(mean(r.batch.columns.on_statin!) - 0.5)).toBeLessThan(0.03);
  });

  it('reports a share the pool cannot reach instead of hiding it', () => {
    const r = drawSynthetic(pop({ n: 500, eligibility: [{ variable: 'age', min: 18, max: 40 }], baseline: [{ variable: 'on_statin', mean: 0.9 }] }), SEED);
    expect(r.warnings.some((w) => /on_statin share 0\.9: reached/.test(w))).toBe(true);
  });

  it('is reproducible: two independent draws with one seed agree', () => {
    const p = pop({ n: 300, baseline: [{ variable: 'on_statin', mean: 0.32 }] });
    expect(Array.from(drawSynthetic(p, SEED).candidateIds!)).toEqual(Array.from(drawSynthetic(p, SEED).candidateIds!));
  });
});


describe('any_of and count_of eligibility', () => {
  // a blood-pressure entry rule of the any-of kind: SBP 130-159 or DBP 80-94 mmHg
  const bp: EligibilityGroup = { atLeast: 1, options: [[{ variable: 'sbp', min: 130, max: 159 }], [{ variable: 'dbp', min: 80, max: 94 }]] };

  it('every twin meets at least one option on its screening values, and both options occur', () => {
    const r = drawSynthetic(pop({ n: 1500, eligibility: [{ variable: 'age', min: 35, max: 64 }], eligibilityGroups: [bp] }), SEED);
    const obs = screening(r, SEED);
    const sbp = col('sbp');
    const dbp = col('dbp');
    let onlySbp = 0;
    let onlyDbp = 0;
    for (const o of obs) {
      const a = o[sbp] >= 130 && o[sbp] <= 159;
      const b = o[dbp] >= 80 && o[dbp] <= 94;
      expect(a || b).toBe(true);
      if (a && !b) onlySbp++;
      if (b && !a) onlyDbp++;
    }
    // an any-of is not the intersection: some twins qualify through one option only
    expect(onlySbp).toBeGreaterThan(50);
    expect(onlyDbp).toBeGreaterThan(50);
    expect(Math.min(...r.batch.columns.age!)).toBeGreaterThanOrEqual(35);
    expect(r.method).toContain('any-of/count-of rule by rejection');
    // the draw count is reported: at least one candidate per twin, and the pass rate is high enough to be cheap
    expect(r.draws).toBeGreaterThanOrEqual(1500);
    expect(r.draws).toBeLessThan(1500 * 10);
  });

  it('count_of keeps exactly those meeting enough options', () => {
    const group: EligibilityGroup = {
      atLeast: 2,
      options: [[{ variable: 'smoker', equals: 1 }], [{ variable: 'bmi', min: 30 }], [{ variable: 'hdl_c', max: 40 }], [{ variable: 'triglycerides', min: 150 }]],
    };
    const r = drawSynthetic(pop({ n: 1000, eligibilityGroups: [group] }), SEED);
    const obs = screening(r, SEED);
    for (const o of obs) expect(passesGroup(group, o)).toBe(true);
    // and not everyone meets three: at_least 2 is not silently stricter
    expect(obs.filter((o) => passesGroup({ ...group, atLeast: 3 }, o)).length).toBeLessThan(obs.length);
  });

  it('a count_of nested in an any_of option: diabetes, or at least 3 of 4 risk factors', () => {
    const risk: EligibilityGroup = {
      atLeast: 3,
      options: [[{ variable: 'smoker', equals: 1 }], [{ variable: 'hypertension', equals: 1 }], [{ variable: 'ldl_c', min: 160 }], [{ variable: 'bmi', min: 25 }]],
    };
    const group: EligibilityGroup = { atLeast: 1, options: [[{ variable: 'diabetes', equals: 1 }], [risk]] };
    const r = drawSynthetic(pop({ n: 800, eligibility: [{ variable: 'age', min: 55, max: 80 }], eligibilityGroups: [group] }), SEED);
    const obs = screening(r, SEED);
    let viaRiskOnly = 0;
    for (const o of obs) {
      const diabetes = o[col('diabetes')] === 1;
      expect(diabetes || passesGroup(risk, o)).toBe(true);
      if (!diabetes) viaRiskOnly++;
    }
    expect(viaRiskOnly).toBeGreaterThan(100);
    expect(viaRiskOnly).toBeLessThan(obs.length);
  });

  it('combines conditional sampling on a rare plain rule with rejection on the group', () => {
    const r = drawSynthetic(pop({ n: 300, eligibility: [{ variable: 'ldl_c', min: 190 }], eligibilityGroups: [bp] }), SEED);
    expect(r.method).toMatch(/conditional sampling on the latent score of 'ldl_c'.*by rejection/);
    for (const o of screening(r, SEED)) {
      expect(o[col('ldl_c')]).toBeGreaterThanOrEqual(190);
      expect(passesGroup(bp, o)).toBe(true);
    }
  });

  it('refuses a group on participants read from a file rather than ignoring it', async () => {
    const { drawTwins } = await import('../../src/population/draw.js');
    await expect(drawTwins(pop({ source: 'file', path: 'x.csv', eligibilityGroups: [bp] }), { seed: 1, baseDir: '.' })).rejects.toThrow(/any_of and count_of are not yet applied/);
  });
});

describe('sex-specific eligibility ranges', () => {
  // PREDIMED enrolled men aged 55-80 and women aged 60-80 (Estruch R et al. N Engl J Med
  // 2013;368:1279-90, doi:10.1056/NEJMoa1200303; recalled, unverified)
  const age = [{ variable: 'age', min: 55, max: 80, sex: 'M' as const }, { variable: 'age', min: 60, max: 80, sex: 'F' as const }];

  function ageRangeBySex(r: DrawResult): { men: [number, number]; women: [number, number]; nMen: number; nWomen: number } {
    const a = r.batch.columns.age!;
    const s = r.batch.columns.sex!;
    const men = Array.from(a).filter((_, i) => s[i] === 0);
    const women = Array.from(a).filter((_, i) => s[i] === 1);
    return { men: [Math.min(...men), Math.max(...men)], women: [Math.min(...women), Math.max(...women)], nMen: men.length, nWomen: women.length };
  }

  it('applies each range to its own sex when both sexes are drawn together', () => {
    const r = drawSynthetic(pop({ n: 2000, eligibility: age }), SEED);
    const g = ageRangeBySex(r);
    expect(g.men[0]).toBeGreaterThanOrEqual(55);
    expect(g.men[0]).toBeLessThan(56); // men of 55-60 are kept: the women's range does not bind them
    expect(g.women[0]).toBeGreaterThanOrEqual(60);
    expect(g.men[1]).toBeLessThanOrEqual(80);
    expect(g.women[1]).toBeLessThanOrEqual(80);
    expect(g.nMen).toBeGreaterThan(500);
    expect(g.nWomen).toBeGreaterThan(500);
  });

  it('truncates each sex stratum to its range when the female share is given', () => {
    const r = drawSynthetic(pop({ n: 1000, femaleShare: 0.57, eligibility: age, baseline: [{ variable: 'age', mean: 67 }] }), SEED);
    const g = ageRangeBySex(r);
    expect(g.nWomen).toBe(570);
    expect(g.men[0]).toBeGreaterThanOrEqual(55);
    expect(g.women[0]).toBeGreaterThanOrEqual(60);
    expect(r.method).not.toContain('rejection sampling (pilot'); // one-sex strata need no rejection on age
  });

  it('judges a sex-specific range on a measurement on the screening value, for that sex only', () => {
    // waist >= 102 cm in men, >= 88 cm in women (the NCEP ATP III cut-offs; recalled, unverified)
    const waist = [{ variable: 'waist', min: 102, sex: 'M' as const }, { variable: 'waist', min: 88, sex: 'F' as const }];
    const r = drawSynthetic(pop({ n: 800, eligibility: waist }), SEED);
    const obs = screening(r, SEED);
    const w = col('waist');
    const s = col('sex');
    let womenUnder102 = 0;
    for (const o of obs) {
      expect(o[w]).toBeGreaterThanOrEqual(o[s] === 1 ? 88 : 102);
      if (o[s] === 1 && o[w] < 102) womenUnder102++;
    }
    expect(womenUnder102).toBeGreaterThan(20);
  });

  it('warns when no one of one sex can meet the age rules', () => {
    const r = drawSynthetic(pop({ n: 200, eligibility: [{ variable: 'age', max: 50 }, { variable: 'age', min: 60, sex: 'F' }] }), SEED);
    expect(r.warnings).toContain('eligibility: no woman meets the age rules, so every twin is a man');
    expect(Array.from(r.batch.columns.sex!).every((x) => x === 0)).toBe(true);
  });
});

describe('screening readings travel with the twins', () => {
  it('the batch carries, for the measured variables the rules name, the readings each twin was selected on', () => {
    const groups: EligibilityGroup[] = [{ atLeast: 1, options: [[{ variable: 'ldl_c', min: 160 }], [{ variable: 'non_hdl_c', min: 190 }]] }];
    const r = drawSynthetic(pop({ n: 300, eligibility: [{ variable: 'age', min: 40 }, { variable: 'sbp', min: 150, max: 180 }, { variable: 'diabetes', equals: 0 }], eligibilityGroups: groups }), SEED);
    const s = r.batch.screening!;
    // age and the diabetes flag are not measurements; non-HDL-C is read through its inputs
    expect(Object.keys(s).sort()).toEqual(['hdl_c', 'ldl_c', 'sbp', 'total_cholesterol']);
    const obs = screening(r, SEED);
    obs.forEach((o, i) => {
      for (const id of Object.keys(s)) expect(s[id]![i]).toBe(o[col(id)]);
      expect(s.sbp![i]).toBeGreaterThanOrEqual(150);
      expect(s.sbp![i]).toBeLessThanOrEqual(180);
    });
    // readings, not true values: selected on a noisy high reading, the truth sits lower on average
    expect(mean(s.sbp!)).toBeGreaterThan(mean(r.batch.columns.sbp!) + 1);
  });

  it('a population with no rule on a measurement has no screening readings', () => {
    expect(drawSynthetic(pop({ n: 50, eligibility: [{ variable: 'age', min: 30 }] }), SEED).batch.screening).toBeUndefined();
    expect(drawSynthetic(pop({ n: 50 }), SEED).batch.screening).toBeUndefined();
  });
});
