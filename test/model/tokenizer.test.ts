import { describe, it, expect } from 'vitest';
import { cohortFromRows } from '../../src/model/cohort.js';
import { fitTokenizer, subjectHistory, featureLayout, writeToken, adherenceAt, formerExposureAt, encodeHistories, paddedWindows, normalise, denormalise, stepShare, KINETIC_TAUS, episodeAt, exposureAt, splitPrior, SCREENING_DAY, type TokenizerSpec } from '../../src/model/tokenizer.js';
import { exposureChangeTokens, earlyExposureTokens, screenedTokens, tokenLossWeights, lateStartHistories, writeOwnDraws, resolveSettings } from '../../src/model/train.js';
import { armExposureEvents, plannedAdherence } from '../../src/population/exposures.js';
import { InputError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { normalCdf } from '../../src/model/twin-model.js';
import type { ArmSpec, Intervention } from '../../src/trial-dsl/spec.js';

const statin = (over: Partial<Intervention> = {}): Intervention =>
  ({ kind: 'drug', drug: 'atorvastatin', dose: 20, frequency: 'daily', startDay: 0, stopDay: 400, adherence: 0.8, adherenceWaning: 0.5, ...over }) as Intervention;
const arm = (iv: Intervention): ArmSpec => ({ id: 'a', label: 'a', role: 'experimental', interventions: [iv] }) as unknown as ArmSpec;

function cohort(events: [number, string, number][]) {
  const rows = [
    { subject: 's1', time: 0, code: 'age', value: 50 },
    { subject: 's1', time: 0, code: 'sex', value: 1 },
    ...[0, 30, 90].map((t) => ({ subject: 's1', time: t, code: 'ldl_c', value: 130 - t / 3 })),
    ...events.map(([time, code, value]) => ({ subject: 's1', time, code, value })),
    { subject: 's2', time: 0, code: 'age', value: 60 },
    { subject: 's2', time: 0, code: 'sex', value: 0 },
    ...[0, 30, 90].map((t) => ({ subject: 's2', time: t, code: 'ldl_c', value: 120 })),
  ];
  return cohortFromRows('t.csv', rows);
}

/** s1: LDL-C at 6 visits 30 days apart, on atorvastatin from day 0; s2: 3 visits, no exposure. */
function sixAndThreeVisits() {
  const rows = [
    { subject: 's1', time: 0, code: 'age', value: 50 },
    { subject: 's1', time: 0, code: 'sex', value: 1 },
    ...[0, 30, 60, 90, 120, 150].map((t) => ({ subject: 's1', time: t, code: 'ldl_c', value: 130 - t / 3 })),
    { subject: 's1', time: 0, code: 'DRUG//atorvastatin', value: 20 },
    { subject: 's2', time: 0, code: 'age', value: 60 },
    { subject: 's2', time: 0, code: 'sex', value: 0 },
    ...[0, 30, 60].map((t) => ({ subject: 's2', time: t, code: 'ldl_c', value: 120 })),
  ];
  const c = cohortFromRows('t.csv', rows);
  const spec = fitTokenizer(c);
  return { spec, hs: c.subjects.map((s) => subjectHistory(spec, s)) };
}

/** The token of visit i of history h (querying visit i + 1) under a tokeniser spec. */
function queryToken(spec: ReturnType<typeof fitTokenizer>, h: ReturnType<typeof subjectHistory>, i: number): Float32Array {
  const out = new Float32Array(featureLayout(spec).dim);
  writeToken(spec, out, 0, h.statics, h.visits[i]!.day, h.visits[i]!.values, h.visits[i + 1]!.day, h.exposures);
  return out;
}

describe('exposure events carry planned adherence', () => {
  it('one ADHERENCE event at the start, then every 28 days while adherence wanes, following the world profile', () => {
    const iv = statin();
    const ev = armExposureEvents(arm(iv), 365).filter((e) => e.code === 'ADHERENCE//DRUG//atorvastatin');
    expect(ev[0]).toEqual({ day: 0, code: 'ADHERENCE//DRUG//atorvastatin', value: 0.8 });
    expect(ev.map((e) => e.day)).toEqual(Array.from({ length: 14 }, (_, k) => 28 * k));
    // linear decline by half over the 365-day span inside the trial
    expect(ev[13]!.value).toBeCloseTo(0.8 * (1 - 0.5 * (364 / 365)), 3);
    expect(plannedAdherence(iv, 1000, 365)).toBeCloseTo(0.4, 10);
  });
  it('no waning: a single event; a full-adherence arm says 1', () => {
    const ev = armExposureEvents(arm(statin({ adherence: 1, adherenceWaning: 0 })), 365).filter((e) => e.code.startsWith('ADHERENCE//'));
    expect(ev).toEqual([{ day: 0, code: 'ADHERENCE//DRUG//atorvastatin', value: 1 }]);
  });
});

describe('tokenizer exposure features (version 2 and 3)', () => {
  it('adherence at the query time, and "in force at this visit" only for exposures started before it', () => {
    const c = cohort([[0, 'DRUG//atorvastatin', 20], [0, 'ADHERENCE//DRUG//atorvastatin', 0.9], [28, 'ADHERENCE//DRUG//atorvastatin', 0.7]]);
    const spec = fitTokenizer(c);
    expect(spec.version).toBe(3);
    expect(spec.exposures.map((e) => e.code)).toEqual(['DRUG//atorvastatin']);
    const h = subjectHistory(spec, c.subjects[0]!);
    expect(adherenceAt(h.exposures.adherence?.get('DRUG//atorvastatin'), 10)).toBe(0.9);
    expect(adherenceAt(h.exposures.adherence?.get('DRUG//atorvastatin'), 30)).toBe(0.7);
    expect(adherenceAt(undefined, 30)).toBe(1);
    const L = featureLayout(spec);
    expect(L.F).toBe(7);
    const tok = (i: number) => {
      const out = new Float32Array(L.dim);
      writeToken(spec, out, 0, h.statics, h.visits[i]!.day, h.visits[i]!.values, h.visits[i + 1]!.day, h.exposures);
      return out;
    };
    const o = L.offsets.expo, E = L.E;
    // baseline visit (day 0, the start day): active at the query, not yet in force at the visit
    const t0 = tok(0);
    expect([t0[o + E], t0[o + 3 * E], t0[o + 4 * E]]).toEqual([1, expect.closeTo(0.7, 6), 0]);
    // day 30 -> 90: in force at the visit
    const t1 = tok(1);
    expect(t1[o + 4 * E]).toBe(1);
    // the statin class pools the same five features
    const k = spec.classes!.findIndex((x) => x.name === 'statin');
    expect(k).toBeGreaterThanOrEqual(0);
    const co = L.offsets.classes, C = L.C;
    expect([t0[co + C + k], t0[co + 3 * C + k], t0[co + 4 * C + k]]).toEqual([1, expect.closeTo(0.7, 6), 0]);
  });
  it('a participant without adherence events is taken as adhering fully', () => {
    const c = cohort([[0, 'DRUG//atorvastatin', 20]]);
    const spec = fitTokenizer(c);
    const h = subjectHistory(spec, c.subjects[0]!);
    const L = featureLayout(spec);
    const out = new Float32Array(L.dim);
    writeToken(spec, out, 0, h.statics, 0, h.visits[0]!.values, 30, h.exposures);
    expect(out[L.offsets.expo + 3 * L.E]).toBe(1);
  });
  it('rejects adherence outside 0-1 with the subject and day', () => {
    const c = cohort([[0, 'DRUG//atorvastatin', 20], [5, 'ADHERENCE//DRUG//atorvastatin', 80]]);
    expect(() => fitTokenizer(c)).toThrow(InputError);
    expect(() => fitTokenizer(c)).toThrow(expect.objectContaining({ details: expect.arrayContaining([expect.stringMatching(/subject s1, day 5/)]) }));
  });
  it('version 3: a stopped exposure carries its former level x planned adherence and the time since the stop', () => {
    // atorvastatin 20 mg from day 0 at adherence 0.9, stopped at day 20; visits at 0, 30, 90
    const c = cohort([[0, 'DRUG//atorvastatin', 20], [0, 'ADHERENCE//DRUG//atorvastatin', 0.9], [20, 'DRUG_STOP//atorvastatin', 0]]);
    const spec = fitTokenizer(c);
    const h = subjectHistory(spec, c.subjects[0]!);
    const pts = h.exposures.byCode.get('DRUG//atorvastatin');
    expect(formerExposureAt(pts, 10)).toEqual({ level: 0, stopDay: NaN, yearsOff: 0 }); // still in force
    expect(formerExposureAt(pts, 90)).toEqual({ level: 20, stopDay: 20, yearsOff: 70 / 365.25 });
    expect(formerExposureAt(undefined, 90).level).toBe(0);
    const L = featureLayout(spec);
    const o = L.offsets.expo, E = L.E;
    const tok = (i: number) => {
      const out = new Float32Array(L.dim);
      writeToken(spec, out, 0, h.statics, h.visits[i]!.day, h.visits[i]!.values, h.visits[i + 1]!.day, h.exposures);
      return out;
    };
    // query at day 30: stopped 10 days before
    const t0 = tok(0);
    expect(t0[o + E]).toBe(0); // not active at the query
    expect(t0[o + 5 * E]).toBeCloseTo((20 / spec.exposures[0]!.scale) * 0.9, 6);
    expect(t0[o + 6 * E]).toBeCloseTo(10 / 365.25 / spec.yearsOnCap, 6);
    // query at day 90: further from the stop
    expect(tok(1)[o + 6 * E]).toBeCloseTo(70 / 365.25 / spec.yearsOnCap, 6);
    // the statin class pools them (level per typical dose)
    const k = spec.classes!.findIndex((x) => x.name === 'statin');
    const co = L.offsets.classes, C = L.C;
    expect(t0[co + 5 * C + k]).toBeGreaterThan(0);
    expect(t0[co + 6 * C + k]).toBeCloseTo(10 / 365.25 / spec.yearsOnCap, 6);
    // a participant who never had it: zeros
    const h2 = subjectHistory(spec, c.subjects[1]!);
    const out = new Float32Array(L.dim);
    writeToken(spec, out, 0, h2.statics, 0, h2.visits[0]!.values, 30, h2.exposures);
    expect([out[o + 5 * E], out[o + 6 * E]]).toEqual([0, 0]);
  });
  it('version 4: the level times the planned adherence at the query, per exposure and pooled per class; the first seven features as in version 3', () => {
    const c = cohort([[0, 'DRUG//atorvastatin', 20], [0, 'ADHERENCE//DRUG//atorvastatin', 0.9], [28, 'ADHERENCE//DRUG//atorvastatin', 0.7], [60, 'DRUG_STOP//atorvastatin', 0]]);
    const spec4 = fitTokenizer(c, [], 4);
    const spec3 = fitTokenizer(c);
    expect([spec4.version, spec3.version]).toEqual([4, 3]);
    const L4 = featureLayout(spec4), L3 = featureLayout(spec3);
    expect(L4.F).toBe(8);
    expect(L4.dim - L3.dim).toBe(L4.E + L4.C);
    const h = subjectHistory(spec4, c.subjects[0]!);
    const tok = (spec: typeof spec4, i: number) => {
      const L = featureLayout(spec);
      const out = new Float32Array(L.dim);
      writeToken(spec, out, 0, h.statics, h.visits[i]!.day, h.visits[i]!.values, h.visits[i + 1]!.day, h.exposures);
      return out;
    };
    const t4 = tok(spec4, 0), t3 = tok(spec3, 0);
    // query at day 30: 20 mg at planned adherence 0.7
    const o = L4.offsets.expo, E = L4.E;
    expect(t4[o + 7 * E]).toBeCloseTo((20 / spec4.exposures[0]!.scale) * 0.7, 6);
    const k = spec4.classes!.findIndex((x) => x.name === 'statin');
    const typical = spec4.classes![k]!.members.find((m) => m.code === 'DRUG//atorvastatin')!.typicalDose;
    expect(t4[L4.offsets.classes + 7 * L4.C + k]).toBeCloseTo((20 / typical) * 0.7, 6);
    // features 0-6 of each exposure and class hold the same values as version 3's
    for (let f = 0; f < 7; f++) {
      expect(t4[o + f * E]).toBe(t3[L3.offsets.expo + f * E]);
      expect(t4[L4.offsets.classes + f * L4.C + k]).toBe(t3[L3.offsets.classes + f * L3.C + k]);
    }
    // query at day 90: stopped at day 60, nothing is being taken
    const t4b = tok(spec4, 1);
    expect([t4b[o + 7 * E], t4b[L4.offsets.classes + 7 * L4.C + k]]).toEqual([0, 0]);
    expect(t4b[o + 5 * E]).toBeGreaterThan(0); // the former level is still there (version 3 feature)
  });
  it('LDL-C and total cholesterol are modelled on the log scale (catalog modelTransform), other variables on their catalog transform', () => {
    const c = cohortFromRows('mem.csv', [
      { subject: 's1', time: 0, code: 'age', value: 50 }, { subject: 's1', time: 0, code: 'sex', value: 1 },
      ...[[0, 100], [30, 150]].flatMap(([t, v]) => [
        { subject: 's1', time: t!, code: 'ldl_c', value: v! }, { subject: 's1', time: t!, code: 'total_cholesterol', value: v! + 80 },
        { subject: 's1', time: t!, code: 'sbp', value: v! + 20 },
      ]),
    ]);
    const spec = fitTokenizer(c);
    const by = Object.fromEntries(spec.measured.map((m) => [m.id, m]));
    expect([by.ldl_c!.transform, by.total_cholesterol!.transform, by.sbp!.transform]).toEqual(['log', 'log', 'identity']);
    expect(by.ldl_c!.mean).toBeCloseTo((Math.log(100) + Math.log(150)) / 2, 9);
    // a shift on the normalised scale is a proportional change: the same shift takes 100 and 150 down by the same share
    const down = (x: number) => denormalise(by.ldl_c!, normalise(by.ldl_c!, x) - 0.5);
    expect(down(100) / 100).toBeCloseTo(down(150) / 150, 9);
  });
  it('version 5: the level, in-force flag and years on of an exposure in force scaled by its planned adherence, per exposure and class; the rest as in version 3', () => {
    const c = cohort([[0, 'DRUG//atorvastatin', 20], [0, 'ADHERENCE//DRUG//atorvastatin', 0.9], [28, 'ADHERENCE//DRUG//atorvastatin', 0.7], [60, 'DRUG_STOP//atorvastatin', 0]]);
    const spec5 = fitTokenizer(c, [], 5);
    const spec3 = fitTokenizer(c);
    const L5 = featureLayout(spec5), L3 = featureLayout(spec3);
    expect([spec5.version, L5.F, L5.dim]).toEqual([5, 7, L3.dim]);
    const h = subjectHistory(spec5, c.subjects[0]!);
    const tok = (spec: typeof spec5, i: number) => queryToken(spec, h, i);
    const o = L5.offsets.expo, E = L5.E, co = L5.offsets.classes, C = L5.C;
    const k = spec5.classes!.findIndex((x) => x.name === 'statin');
    // query at day 30: 20 mg at planned adherence 0.7
    const t5 = tok(spec5, 0), t3 = tok(spec3, 0);
    for (const f of [0, 1, 2]) {
      expect(t5[o + f * E]).toBeCloseTo(t3[o + f * E]! * 0.7, 6);
      expect(t5[co + f * C + k]).toBeCloseTo(t3[co + f * C + k]! * 0.7, 6);
    }
    expect(t5[o + E]).toBeCloseTo(0.7, 6); // the in-force slot carries the adherence
    for (const f of [3, 4, 5, 6]) {
      expect(t5[o + f * E]).toBe(t3[o + f * E]);
      expect(t5[co + f * C + k]).toBe(t3[co + f * C + k]);
    }
    // everything before the exposures (values, statics, times) is the same
    expect(Array.from(t5.subarray(0, o))).toEqual(Array.from(t3.subarray(0, o)));
    // query at day 90: stopped; the former dose (already times the adherence) as in version 3
    const s5 = tok(spec5, 1), s3 = tok(spec3, 1);
    expect(Array.from(s5)).toEqual(Array.from(s3));
    // the onset and early-exposure flags are the same as version 3's
    const set5 = encodeHistories(spec5, c.subjects.map((s) => subjectHistory(spec5, s)), 2);
    const set3 = encodeHistories(spec3, c.subjects.map((s) => subjectHistory(spec3, s)), 2);
    expect(Array.from(exposureChangeTokens(spec5, set5.x, set5.tokens))).toEqual(Array.from(exposureChangeTokens(spec3, set3.x, set3.tokens)));
    expect(Array.from(earlyExposureTokens(spec5, set5.x, set5.tokens, 0.1))).toEqual(Array.from(earlyExposureTokens(spec3, set3.x, set3.tokens, 0.1)));
  });
  it('version 6: the share of a first-order onset or washout that happens in the step, per exposure and class; the rest as in version 3', () => {
    // steps telescope: the shares of consecutive steps add up to the share over their sum, and lie in [0, 1]
    for (const tau of KINETIC_TAUS) {
      expect(stepShare(0.5, 0.25, tau) + stepShare(0.25, 0.25, tau)).toBeCloseTo(1 - Math.exp(-0.5 / tau), 12);
      expect(stepShare(0.1, 0.5, tau)).toBeCloseTo(1 - Math.exp(-0.1 / tau), 12); // started within the step
    }
    expect(stepShare(3, 0.25, KINETIC_TAUS[0])).toBeLessThan(1e-6); // a month-scale onset three years in is over
    const c = cohort([[0, 'DRUG//atorvastatin', 20], [60, 'DRUG_STOP//atorvastatin', 0]]);
    const spec6 = fitTokenizer(c, [], 6), spec3 = fitTokenizer(c);
    const L6 = featureLayout(spec6), L3 = featureLayout(spec3);
    const nT = KINETIC_TAUS.length;
    expect([spec6.version, L6.F]).toEqual([6, 7 + 2 * nT]);
    const h = subjectHistory(spec6, c.subjects[0]!);
    const tok = (spec: typeof spec6, i: number) => queryToken(spec, h, i);
    const o = L6.offsets.expo, E = L6.E, co = L6.offsets.classes, C = L6.C;
    const e = spec6.exposures.findIndex((x) => x.code === 'DRUG//atorvastatin');
    const k = spec6.classes!.findIndex((x) => x.name === 'statin');
    const same = (t6: Float32Array, t3: Float32Array) => {
      expect(Array.from(t6.subarray(0, o))).toEqual(Array.from(t3.subarray(0, L3.offsets.expo)));
      for (let f = 0; f < 7; f++) for (let j = 0; j < E; j++) expect(t6[o + f * E + j]).toBe(t3[L3.offsets.expo + f * E + j]);
    };
    // day 0 -> 30: on the drug from day 0, so the step holds the first month of each approach
    const a6 = tok(spec6, 0);
    same(a6, tok(spec3, 0));
    KINETIC_TAUS.forEach((tau, j) => {
      const share = 1 - Math.exp(-(30 / 365.25) / tau);
      expect(a6[o + (7 + j) * E + e]).toBeCloseTo(a6[o + e]! * share, 5);
      expect(a6[o + (7 + nT + j) * E + e]).toBe(0);
      expect(a6[co + (7 + j) * C + k]).toBeCloseTo(a6[co + k]! * share, 5);
    });
    // day 30 -> 90: stopped at day 60, so the step holds the first 30 days of each washout, times the former dose
    const b6 = tok(spec6, 1);
    same(b6, tok(spec3, 1));
    KINETIC_TAUS.forEach((tau, j) => {
      const share = 1 - Math.exp(-(30 / 365.25) / tau);
      expect(b6[o + (7 + j) * E + e]).toBe(0);
      expect(b6[o + (7 + nT + j) * E + e]).toBeCloseTo(b6[o + 5 * E + e]! * share, 5);
      expect(b6[co + (7 + nT + j) * C + k]).toBeCloseTo(b6[co + 5 * C + k]! * share, 5);
    });
    expect(b6[o + 5 * E + e]).toBeGreaterThan(0);
  });
  it('version 7: a dose step inside an episode is one continuing exposure (years on from the first dose; onset shares summed over the changes in level)', () => {
    // atorvastatin 10 mg from day 0, stepped up to 40 mg at day 20 (written as a stop and a start on one day)
    const c = cohort([[0, 'DRUG//atorvastatin', 10], [20, 'DRUG_STOP//atorvastatin', 0], [20, 'DRUG//atorvastatin', 40]]);
    const spec6 = fitTokenizer(c, [], 6);
    const spec7 = { ...spec6, version: 7 as const };
    expect(featureLayout(spec7)).toEqual(featureLayout(spec6));
    const h = subjectHistory(spec7, c.subjects[0]!);
    const pts = h.exposures.byCode.get('DRUG//atorvastatin')!;
    expect(episodeAt(pts, 25)).toEqual({ active: true, level: 40, yearsOn: 25 / 365.25, steps: [{ day: 0, delta: 10 }, { day: 20, delta: 30 }] });
    expect(exposureAt(pts, 25).yearsOn).toBeCloseTo(5 / 365.25, 12); // version 6 restarts the clock
    const L = featureLayout(spec7);
    const o = L.offsets.expo, E = L.E, co = L.offsets.classes, C = L.C, nT = KINETIC_TAUS.length;
    const e = spec7.exposures.findIndex((x) => x.code === 'DRUG//atorvastatin');
    const k = spec7.classes!.findIndex((x) => x.name === 'statin');
    const scale = spec7.exposures[e]!.scale;
    const typical = spec7.classes![k]!.members.find((m) => m.code === 'DRUG//atorvastatin')!.typicalDose;
    const y = (d: number) => d / 365.25;
    for (const [i, from, to] of [[0, 0, 30], [1, 30, 90]] as const) {
      const t7 = queryToken(spec7, h, i), t6 = queryToken(spec6, h, i);
      expect(t7[o + e]).toBeCloseTo(40 / scale, 6); // the level in force is the new dose
      expect(t7[o + 2 * E + e]).toBeCloseTo(y(to) / 2, 6); // years on (cap 2) from day 0
      expect(t6[o + 2 * E + e]).toBeCloseTo(y(to - 20) / 2, 6);
      KINETIC_TAUS.forEach((tau, j) => {
        const dt = y(to - from);
        const want = (10 * stepShare(y(to), dt, tau) + 30 * stepShare(y(to - 20), dt, tau));
        expect(t7[o + (7 + j) * E + e]).toBeCloseTo(want / scale, 5);
        expect(t6[o + (7 + j) * E + e]).toBeCloseTo((40 * stepShare(y(to - 20), dt, tau)) / scale, 5); // a fresh start of 40 mg
        expect(t7[co + (7 + j) * C + k]).toBeCloseTo(want / typical, 5);
        expect(t7[o + (7 + nT + j) * E + e]).toBe(0); // nothing washes out
      });
      // everything else is version 6's
      for (let f = 0; f < 7; f++) if (f !== 2) expect(t7[o + f * E + e]).toBe(t6[o + f * E + e]);
      expect(Array.from(t7.subarray(0, o))).toEqual(Array.from(t6.subarray(0, o)));
    }
    // a step down enters with a negative weight: 40 -> 10 mg at day 20
    const d = cohort([[0, 'DRUG//atorvastatin', 40], [20, 'DRUG//atorvastatin', 10]]);
    const hd = subjectHistory(spec7, d.subjects[0]!);
    expect(episodeAt(hd.exposures.byCode.get('DRUG//atorvastatin'), 25).steps).toEqual([{ day: 0, delta: 40 }, { day: 20, delta: -30 }]);
  });
  it('version 7 gives version 6 tokens where no dose changes inside an episode: one course, and a stop with a later restart', () => {
    for (const ev of [
      [[0, 'DRUG//atorvastatin', 20], [60, 'DRUG_STOP//atorvastatin', 0]],
      [[0, 'DRUG//atorvastatin', 20], [10, 'DRUG_STOP//atorvastatin', 0], [20, 'DRUG//atorvastatin', 40]],
    ] as [number, string, number][][]) {
      const c = cohort(ev);
      const spec6 = fitTokenizer(c, [], 6);
      const spec7 = fitTokenizer(c, [], 7);
      expect(spec7.version).toBe(7);
      for (const s of c.subjects) {
        const h = subjectHistory(spec6, s);
        for (const i of [0, 1]) expect(Array.from(queryToken(spec7, h, i))).toEqual(Array.from(queryToken(spec6, h, i)));
      }
    }
    expect(episodeAt(undefined, 5)).toEqual({ active: false, level: 0, yearsOn: 0, steps: [] });
  });
  it('the query exposures are those just before the next visit: a stop on its day still counts, a start on it does not', () => {
    // atorvastatin stops at day 30 (a visit day); rosuvastatin starts at day 90 (a visit day)
    const c = cohort([[0, 'DRUG//atorvastatin', 20], [30, 'DRUG_STOP//atorvastatin', 0], [90, 'DRUG//rosuvastatin', 10]]);
    const spec = fitTokenizer(c);
    const h = subjectHistory(spec, c.subjects[0]!);
    const L = featureLayout(spec);
    const o = L.offsets.expo, E = L.E;
    const ea = spec.exposures.findIndex((x) => x.code === 'DRUG//atorvastatin');
    const er = spec.exposures.findIndex((x) => x.code === 'DRUG//rosuvastatin');
    const tok = (i: number) => {
      const out = new Float32Array(L.dim);
      writeToken(spec, out, 0, h.statics, h.visits[i]!.day, h.visits[i]!.values, h.visits[i + 1]!.day, h.exposures);
      return out;
    };
    const t0 = tok(0); // query day 30
    expect(t0[o + E + ea]).toBe(1);
    expect(t0[o + 5 * E + ea]).toBe(0);
    const t1 = tok(1); // query day 90
    expect(t1[o + E + ea]).toBe(0);
    expect(t1[o + 5 * E + ea]).toBeGreaterThan(0);
    expect(t1[o + E + er]).toBe(0);
  });
  it('tokens across which an exposure starts or stops are the ones flagged for the change weight', () => {
    // s1: atorvastatin from the day-0 visit, stopped at the day-30 visit; s2: nothing
    const c = cohort([[0, 'DRUG//atorvastatin', 20], [30, 'DRUG_STOP//atorvastatin', 0]]);
    const spec = fitTokenizer(c);
    const set = encodeHistories(spec, c.subjects.map((s) => subjectHistory(spec, s)), 2);
    // windows: s1 tokens (day 0 -> 30: onset; day 30 -> 90: stop), s2 tokens (none)
    expect(Array.from(exposureChangeTokens(spec, set.x, set.tokens))).toEqual([1, 1, 0, 0]);
    expect(() => exposureChangeTokens({ ...spec, version: 1 }, set.x, 1)).toThrow(/version 2/);
  });

  it('tokens in the first year on an exposure, or after a stop, are the ones flagged for the early weight', () => {
    const weights = { changeWeight: 4, earlyWeight: 2, earlyYears: 1 };
    // s1: atorvastatin from the day-0 visit: both of its tokens are early (0 and 90 days on); the
    // first is also an onset token and takes the change weight
    const c1 = cohort([[0, 'DRUG//atorvastatin', 20]]);
    const spec1 = fitTokenizer(c1);
    const set1 = encodeHistories(spec1, c1.subjects.map((s) => subjectHistory(spec1, s)), 2);
    expect(Array.from(earlyExposureTokens(spec1, set1.x, set1.tokens, 1))).toEqual([1, 1, 0, 0]);
    expect(Array.from(tokenLossWeights(spec1, set1.x, set1.tokens, weights)!)).toEqual([4, 2, 1, 1]);
    // s1: on atorvastatin for 2.2 years before day 0, stopped at the day-30 visit: the first token
    // is neither early nor a change; the second follows a stop 60 days earlier (early and a change)
    const c2 = cohort([[-800, 'DRUG//atorvastatin', 20], [30, 'DRUG_STOP//atorvastatin', 0]]);
    const spec2 = fitTokenizer(c2);
    const set2 = encodeHistories(spec2, c2.subjects.map((s) => subjectHistory(spec2, s)), 2);
    expect(Array.from(earlyExposureTokens(spec2, set2.x, set2.tokens, 1))).toEqual([0, 1, 0, 0]);
    expect(Array.from(tokenLossWeights(spec2, set2.x, set2.tokens, { ...weights, changeWeight: 1 })!)).toEqual([1, 2, 1, 1]);
    // a window of 3 months leaves out the token 90 days after the start
    expect(Array.from(earlyExposureTokens(spec1, set1.x, set1.tokens, 0.2))).toEqual([1, 0, 0, 0]);
    expect(tokenLossWeights(spec1, set1.x, 4, { changeWeight: 1, earlyWeight: 1, earlyYears: 1 })).toBeUndefined();
    expect(() => earlyExposureTokens(spec1, set1.x, 4, spec1.yearsOnCap + 1)).toThrow(/cap/);
  });

  it('late-start copies begin at a later visit, keep the exposure timeline, and are drawn from the seed', () => {
    const { spec, hs } = sixAndThreeVisits();
    const late = lateStartHistories(hs, 3, 1);
    // s2 has 3 visits: too short to copy; s1 gets 3 copies starting at visit 1..3
    expect(late).toHaveLength(3);
    for (const h of late) {
      const k = Number(h.id.split('#')[1]);
      expect(h.id.startsWith('s1#')).toBe(true);
      expect(k).toBeGreaterThanOrEqual(1);
      expect(k).toBeLessThanOrEqual(3);
      expect(h.visits).toEqual(hs[0]!.visits.slice(k));
      expect(h.exposures).toBe(hs[0]!.exposures);
    }
    expect(lateStartHistories(hs, 3, 1).map((h) => h.id)).toEqual(late.map((h) => h.id));
    expect(lateStartHistories(hs, 0, 1)).toEqual([]);
    // the drug started before a copy's first visit is in force there, with its years on
    const set = encodeHistories(spec, [late[0]!], 4);
    const L = featureLayout(spec);
    const e = spec.exposures.findIndex((x) => x.code === 'DRUG//atorvastatin');
    expect(set.x[L.offsets.expo + 4 * L.E + e]).toBe(1);
    expect(set.x[L.offsets.expo + 2 * L.E + e]).toBeGreaterThan(0);
  });

  it('an encoded set stores only real tokens, window after window; padded batches are cut from it', () => {
    // s1: 6 visits (5 tokens) -> windows of 2, 2 and 1 tokens with T = 2; s2: 3 visits (2 tokens)
    const { spec, hs } = sixAndThreeVisits();
    const set = encodeHistories(spec, hs, 2);
    expect(set.tokens).toBe(7);
    expect(Array.from(set.lens)).toEqual([2, 2, 1, 2]);
    expect(Array.from(set.offsets)).toEqual([0, 2, 4, 5]);
    expect(set.subjects).toEqual(['s1', 's1', 's1', 's2']);
    expect(set.x.length).toBe(7 * set.dim);
    // row r is the token of its visit, written on its own
    const rowsOf: [number, number][] = [[0, 0], [0, 1], [0, 2], [0, 3], [0, 4], [1, 0], [1, 1]];
    rowsOf.forEach(([h, i], r) => expect(Array.from(set.x.subarray(r * set.dim, (r + 1) * set.dim))).toEqual(Array.from(queryToken(spec, hs[h]!, i))));
    const ldl = spec.measured.findIndex((m) => m.id === 'ldl_c');
    expect(set.m[4 * set.V + ldl]).toBe(1);
    expect(set.y[4 * set.V + ldl]).toBeCloseTo(normalise(spec.measured[ldl]!, 130 - 150 / 3), 5);
    // padded: windows 2 and 3 (1 and 2 tokens) in a batch of T = 2; weights scale each token's mask
    const w = Float32Array.from({ length: set.tokens }, (_, r) => r + 1);
    const b = paddedWindows(set, [2, 3], 2, w);
    expect(Array.from(b.x.subarray(0, set.dim))).toEqual(Array.from(set.x.subarray(4 * set.dim, 5 * set.dim)));
    expect(b.x.subarray(set.dim, 2 * set.dim).every((v) => v === 0)).toBe(true);
    expect(Array.from(b.x.subarray(2 * set.dim, 4 * set.dim))).toEqual(Array.from(set.x.subarray(5 * set.dim, 7 * set.dim)));
    expect(b.m[ldl]).toBe(5);
    expect(b.m[set.V + ldl]).toBe(0);
    expect(b.m[3 * set.V + ldl]).toBe(7);
    expect(Array.from(b.y.subarray(2 * set.V, 4 * set.V))).toEqual(Array.from(set.y.subarray(5 * set.V, 7 * set.V)));
    // a shorter T cuts each window to its first tokens
    const cut = paddedWindows(set, [0], 1);
    expect(Array.from(cut.x)).toEqual(Array.from(set.x.subarray(0, set.dim)));
  });

  it('a version 2 spec keeps the five-feature layout (checkpoints written before version 3 still load)', () => {
    const spec = { ...fitTokenizer(cohort([[0, 'DRUG//atorvastatin', 20]])), version: 2 as const };
    const L = featureLayout(spec);
    expect(L.F).toBe(5);
    expect(L.dim).toBe(L.offsets.classes + 5 * L.C);
  });
  it('a version 1 spec keeps the three-feature layout (checkpoints written before version 2 still load)', () => {
    const spec = { ...fitTokenizer(cohort([[0, 'DRUG//atorvastatin', 20]])), version: 1 as const };
    const L = featureLayout(spec);
    expect(L.F).toBe(3);
    expect(L.dim).toBe(L.offsets.classes + 3 * L.C);
  });
});

describe('version 8: a screening visit before baseline', () => {
  // s1 screened at day -14 on LDL-C, baseline at day 0, on atorvastatin from day 0
  const screened = () => cohort([[SCREENING_DAY, 'ldl_c', 171], [0, 'DRUG//atorvastatin', 20]]);
  it('keeps a measurement before time 0 as a visit on its negative day; versions before 8 start the days at the first visit', () => {
    const c = screened();
    const h8 = subjectHistory(fitTokenizer(c, [], 8), c.subjects[0]!);
    expect(h8.visits.map((v) => v.day)).toEqual([-14, 0, 30, 90]);
    expect(h8.visits[0]!.values[0]).toBe(171);
    expect(h8.exposures.byCode.get('DRUG//atorvastatin')![0]!.day).toBe(0);
    const h7 = subjectHistory(fitTokenizer(c, [], 7), c.subjects[0]!);
    expect(h7.visits.map((v) => v.day)).toEqual([0, 14, 44, 104]);
    expect(h7.exposures.byCode.get('DRUG//atorvastatin')![0]!.day).toBe(14);
    const { prior, visits } = splitPrior(h8);
    expect(prior.map((v) => v.day)).toEqual([-14]);
    expect(visits.map((v) => v.day)).toEqual([0, 30, 90]);
    expect(splitPrior(h7).prior).toEqual([]);
  });
  it('the screening token asks for the baseline visit; without a screening visit version 8 gives version 7 tokens', () => {
    const c = screened();
    const spec8 = fitTokenizer(c, [], 8);
    const h = subjectHistory(spec8, c.subjects[0]!);
    const enc = encodeHistories(spec8, [h], 8);
    expect(enc.tokens).toBe(3);
    // the first token's target is the baseline LDL-C (visit at day 0)
    expect(denormalise(spec8.measured[0]!, enc.y[0]!)).toBeCloseTo(130, 6);
    const plain = cohort([[0, 'DRUG//atorvastatin', 20]]);
    const s7 = fitTokenizer(plain, [], 7), s8 = fitTokenizer(plain, [], 8);
    for (const sub of plain.subjects) {
      const a = subjectHistory(s7, sub), b = subjectHistory(s8, sub);
      expect(b.visits.map((v) => v.day)).toEqual(a.visits.map((v) => v.day));
      for (const i of [0, 1]) expect(Array.from(queryToken(s8, b, i))).toEqual(Array.from(queryToken(s7, a, i)));
    }
  });
  it('screenWeight weighs the tokens of a screened participant\'s first months, the screening token included', () => {
    const c = screened();
    const spec = fitTokenizer(c, [], 8);
    const set = encodeHistories(spec, c.subjects.map((sub) => subjectHistory(spec, sub)), 8);
    // windows: s1 (screened) -14 -> 0, 0 -> 30, 30 -> 90; s2 (not screened) 0 -> 30, 30 -> 90
    expect(Array.from(set.offsets)).toEqual([0, 3]);
    expect(Array.from(screenedTokens(spec, set.x, set.tokens, set.offsets, 1))).toEqual([1, 1, 1, 0, 0]);
    expect(Array.from(screenedTokens(spec, set.x, set.tokens, set.offsets, 0.05))).toEqual([1, 0, 0, 0, 0]);
    // the onset token (0 -> 30) keeps its larger change weight
    expect(Array.from(tokenLossWeights(spec, set.x, set.tokens, { changeWeight: 4, earlyWeight: 1, earlyYears: 1, screenWeight: 3 }, set.offsets)!)).toEqual([3, 4, 3, 1, 1]);
    expect(tokenLossWeights(spec, set.x, set.tokens, { changeWeight: 1, earlyWeight: 1, earlyYears: 1, screenWeight: 1 }, set.offsets)).toBeUndefined();
    expect(() => tokenLossWeights(spec, set.x, set.tokens, { changeWeight: 1, earlyWeight: 1, earlyYears: 1, screenWeight: 3 })).toThrow(/offsets/);
  });
});

describe('own-sample training: the model\'s draws in place of the recorded values', () => {
  const K = 2;
  // head outputs [B, T, V * 3K] with, per variable, logits (a, b), means (m0, m1), raw scales (r, r)
  const heads = (spec: TokenizerSpec, B: number, T: number, f: (b: number, t: number, v: number) => [number, number, number, number, number]) => {
    const V = spec.measured.length;
    const raw = new Float32Array(B * T * V * 3 * K);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let v = 0; v < V; v++) {
      const [a, c, m0, m1, r] = f(b, t, v);
      raw.set([a, c, m0, m1, r, r], ((b * T + t) * V + v) * 3 * K);
    }
    return raw;
  };
  it('rewrites, in chosen windows only, the values and mask of every token after day 0 from the head at the token before; the rest of the token stays', () => {
    const c = cohort([[SCREENING_DAY, 'ldl_c', 171], [0, 'DRUG//atorvastatin', 20]]);
    const spec = fitTokenizer(c, [], 8);
    const L = featureLayout(spec);
    const set = encodeHistories(spec, c.subjects.map((sub) => subjectHistory(spec, sub)), 8);
    // windows: s1 tokens at days -14, 0, 30; s2 tokens at days 0, 30 (padded to 3)
    const { x } = paddedWindows(set, [0, 1], 3);
    const before = Float32Array.from(x);
    // one component dominates (logit 40 against 0) with mean 0.1 (b + 1) + 0.01 t + 0.001 v and the smallest SD
    const raw = heads(spec, 2, 3, (b, t, v) => [-40, 40, 9, 0.1 * (b + 1) + 0.01 * t + 0.001 * v, -30]);
    const written = writeOwnDraws(spec, { nVars: L.V, nMix: K }, x, raw, 2, 3, [3, 2], [1, 0], new Rng(1, 2, 3));
    expect(written).toBe(1);
    const tok = (b: number, t: number) => (b * 3 + t) * L.dim;
    for (let v = 0; v < L.V; v++) {
      expect(Math.abs(x[tok(0, 2) + L.offsets.values + v]! - (0.11 + 0.001 * v))).toBeLessThan(0.05);
      expect(x[tok(0, 2) + L.offsets.mask + v]).toBe(1);
    }
    // the screening and baseline tokens, the other window and every non-value feature are as recorded
    const changed: number[] = [];
    for (let i = 0; i < x.length; i++) if (x[i] !== before[i]) changed.push(i);
    for (const i of changed) {
      expect(i >= tok(0, 2) && i < tok(0, 2) + L.offsets.statics).toBe(true);
    }
    // chosen, the unscreened window's day-30 token is rewritten too (its day-0 token is not)
    const x2 = Float32Array.from(before);
    expect(writeOwnDraws(spec, { nVars: L.V, nMix: K }, x2, raw, 2, 3, [3, 2], [0, 1], new Rng(1, 2, 3))).toBe(1);
    expect(x2[tok(1, 1) + L.offsets.values]).toBeCloseTo(0.2, 1);
    expect(Array.from(x2.subarray(tok(1, 0), tok(1, 1)))).toEqual(Array.from(before.subarray(tok(1, 0), tok(1, 1))));
    // padding past a window's length is never written
    expect(Array.from(x2.subarray(tok(1, 2), tok(1, 3)))).toEqual(Array.from(before.subarray(tok(1, 2), tok(1, 3))));
    expect(() => writeOwnDraws(spec, { nVars: L.V + 1, nMix: K }, x2, raw, 2, 3, [3, 2], [1, 1], new Rng(1))).toThrow(/predicts/);
  });
  it('draws follow the predicted mixture: component by the softmax of the logits, then mean + SD x normal', () => {
    const c = cohort([[0, 'DRUG//atorvastatin', 20]]);
    const spec = fitTokenizer(c, [], 8);
    const L = featureLayout(spec);
    const set = encodeHistories(spec, c.subjects.map((sub) => subjectHistory(spec, sub)), 8);
    const { x } = paddedWindows(set, [0], 2);
    // components at -1 and +1 with weights 1/4 and 3/4 (logits 0 and ln 3), SD softplus(0) + 0.01
    const raw = heads(spec, 1, 2, () => [0, Math.log(3), -1, 1, 0]);
    const sd = Math.log(2) + 0.01;
    const rng = new Rng(5);
    const draws: number[] = [];
    for (let i = 0; i < 20000; i++) {
      const xi = Float32Array.from(x);
      writeOwnDraws(spec, { nVars: L.V, nMix: K }, xi, raw, 1, 2, [2], [1], rng);
      draws.push(xi[L.dim + L.offsets.values]!);
    }
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    const varr = draws.reduce((a, b) => a + (b - mean) ** 2, 0) / (draws.length - 1);
    // mixture mean 0.5, variance 0.75 + sd^2 (between-component 4 x 1/4 x 3/4 plus within)
    expect(mean).toBeCloseTo(0.5, 1);
    expect(varr).toBeGreaterThan(0.75 + sd * sd - 0.05);
    expect(varr).toBeLessThan(0.75 + sd * sd + 0.05);
    // share above 0: 3/4 P(N(1, sd) > 0) + 1/4 P(N(-1, sd) > 0) = 0.71 (component weights from the logits)
    const above = 0.75 * normalCdf(1 / sd) + 0.25 * (1 - normalCdf(1 / sd));
    expect(Math.abs(draws.filter((d) => d > 0).length / draws.length - above)).toBeLessThan(0.015);
  });
  it('the setting is a share below 1', () => {
    expect(resolveSettings({ ownSample: 0.25 }).ownSample).toBe(0.25);
    expect(resolveSettings({}).ownSample).toBe(0);
    expect(() => resolveSettings({ ownSample: 1 })).toThrow(/ownSample' must be at least 0 and below 1/);
  });
});
