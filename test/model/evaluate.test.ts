import { describe, it, expect } from 'vitest';
import { effectFidelity, compareFidelity, type EffectEvaluation } from '../../src/model/evaluate.js';

const kind = (label: string, reference: number, model: number, within: boolean) => ({ label, primary: 'y', outcomes: { y: { reference, model, within }, other: { reference: 1, model: -1, within: false } } });

describe('effect fidelity of a checkpoint', () => {
  const e: EffectEvaluation = {
    interventionEffects: [
      kind('a', -10, -9.5, true), // |log| 0.0513
      kind('b', -10, -5, false), // 0.693
      kind('c', 4, -1, false), // opposite sign: counted, left out of the median
      kind('d', 0, 0.2, true), // zero reference: no ratio
      { label: 'e', error: 'unknown drug' }, // failed: counted as wrong
      kind('f', 2, 2.5, false), // 0.223
    ],
    courseEffects: [
      { label: 'c1', visits: [{ reference: -1, model: -1, within: true }, { reference: -2, model: -1, within: false }] },
      { label: 'c2', visits: [{ reference: -3, model: -3.1, within: true }] },
    ],
  };
  it('counts effects within tolerance and takes the median |log ratio| of same-sign ones', () => {
    const f = effectFidelity(e);
    expect(f).toMatchObject({ kindsWithin: 2, kinds: 6, courseWithin: 2, courseVisits: 3, strataWithin: 0, strata: 0, longWithin: 0, longVisits: 0, comboWithin: 0, combos: 0, treatedWithin: 0, treated: 0, screenedWithin: 0, screened: 0, score: 4, wrongSign: 2 });
    expect(f.medianAbsLogRatio).toBeCloseTo(Math.log(1.25), 10);
    // an even count averages the middle two
    const g = effectFidelity({ interventionEffects: [kind('a', -10, -9.5, true), kind('b', -10, -5, false)] });
    expect(g.medianAbsLogRatio).toBeCloseTo(0.5 * (Math.log(10 / 9.5) + Math.log(2)), 10);
    expect(effectFidelity({}).medianAbsLogRatio).toBeNaN();
  });
  it('adds the indication-strata effects to the score and to the median |log ratio|', () => {
    const f = effectFidelity({
      ...e,
      strataEffects: [
        { label: 's1', reference: -5, model: -4, within: false }, // 0.223
        { label: 's2', reference: -1, model: -1.05, within: true }, // 0.0488
        { label: 's3', reference: -2, model: 0.5, within: false }, // opposite sign
        { label: 's4', error: 'unknown drug' },
      ],
    });
    expect(f).toMatchObject({ kindsWithin: 2, courseWithin: 2, strataWithin: 1, strata: 4, score: 5, wrongSign: 4 });
    // logs: kinds 0.0513, 0.693, 0.223 and strata 0.223, 0.0488: median 0.223
    expect(f.medianAbsLogRatio).toBeCloseTo(Math.log(1.25), 10);
  });
  it('counts the 24-month course visits, the add-on effects, the treated-population effects and the screened untreated courses apart, outside the score and the median', () => {
    const f = effectFidelity({
      ...e,
      screenedCourses: [
        { population: 'p1', reference: 1, model: -80, within: false },
        { population: 'p2', reference: 0.1, model: 0.12, within: true },
        { population: 'p3', error: 'the checkpoint does not model hba1c' },
      ],
      treatedEffects: [
        { label: 't1', reference: -24, model: -5, within: false },
        { label: 't2', reference: -8, model: -7.9, within: true },
        { label: 't3', reference: -230, model: -225, within: true },
        { label: 't4', error: 'unknown supplement' },
      ],
      comboEffects: [
        { label: 'k1', reference: -6, model: -8, within: false },
        { label: 'k2', reference: -1, model: -1.02, within: true },
        { label: 'k3', error: 'unknown drug' },
      ],
      longCourseEffects: [
        { label: 'l1', visits: [{ reference: -3, model: -3.1, within: true }, { reference: -3, model: -6, within: false }] },
        { label: 'l2', visits: [{ reference: -30, model: -29, within: true }, { reference: -30, model: -31, within: true }] },
      ],
    });
    expect(f).toMatchObject({ longWithin: 3, longVisits: 4, comboWithin: 1, combos: 3, treatedWithin: 2, treated: 4, screenedWithin: 1, screened: 3, score: 4, wrongSign: 2 });
    expect(f.medianAbsLogRatio).toBeCloseTo(Math.log(1.25), 10);
  });
  it('ranks by score, then by the lower median |log ratio|, NaN last', () => {
    const f = (score: number, m: number) => ({ kindsWithin: score, kinds: 12, courseWithin: 0, courseVisits: 0, strataWithin: 0, strata: 0, longWithin: 0, longVisits: 0, comboWithin: 0, combos: 0, treatedWithin: 0, treated: 0, screenedWithin: 0, screened: 0, score, medianAbsLogRatio: m, wrongSign: 0 });
    const ranked = [f(7, 0.1), f(8, 0.3), f(8, NaN), f(8, 0.2)].sort(compareFidelity);
    expect(ranked.map((x) => [x.score, x.medianAbsLogRatio])).toEqual([[8, 0.2], [8, 0.3], [8, NaN], [7, 0.1]]);
  });
});
