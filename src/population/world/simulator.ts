/**
 * The reference world: a mechanistic, stochastic simulator of adult physiology built from
 * published relationships (parameters and sources in effects.ts, here and in
 * docs/reference-world.md).
 *
 * Weekly steps, one twin at a time over typed arrays with per-arm exposure profiles computed
 * once per call. Per twin: a two-compartment Hall energy-balance model (fat and lean mass,
 * adaptive thermogenesis) drives weight, BMI, waist and body fat; blood pressure, lipids and
 * glycaemia respond to the arm's exposures through first-order kinetics and to the weight
 * change, so weight loss moves BP, lipids and glycaemia together; AR(1) within-person
 * variation (SBP, mean glucose, energy intake) couples the visits; HbA1c follows mean glucose
 * with ~6-week kinetics. Between-person heterogeneity (salt sensitivity, LDL-drug response,
 * BP-drug response, appetite response, adherence propensity), waning adherence, dropout with a
 * constant hazard and catalog measurement noise make regression to the mean and intention-to-
 * treat dilution emerge rather than being added.
 *
 * Random streams: Purpose.response (heterogeneity, adherence), Purpose.latent (AR innovations),
 * Purpose.measurement (visit noise), Purpose.dropout (dropout day), each keyed by (seed, twin id),
 * with the number of draws independent of the arm, so arms are paired counterfactuals and a
 * twin's trajectory does not depend on its batch.
 */
import { Purpose, Rng } from '../../core/rng.js';
import type { Simulator, SimulationContext, Trajectories, TwinBatch } from '../../core/simulator.js';
import { ENGINE_VERSION } from '../../core/version.js';
import type { ArmSpec, ScheduleSpec } from '../../trial-dsl/spec.js';
import { findDerived, findVariable, VARIABLES } from '../catalog.js';
import { creatinineFromEgfr, egfrCkdEpi2021, hoursAbove, MARGINALS, timeInRange, VAR_INDEX } from '../baseline.js';
import { measureIndexed } from '../noise.js';
import { byAge } from '../stats.js';
import { CH, DASH_SODIUM_FACTOR, NCH, RESIDUAL_TAU_DAYS, combineLifestyleBp, interventionEffect, type TwinContext } from './effects.js';
import { waningFactor } from '../exposures.js';
import { WORLD_VERSION } from './version.js';

// Hall model constants (Hall KD et al. Lancet 2011;378:826-37 doi:10.1016/S0140-6736(11)60812-X,
// web appendix; values as in the INSP-RH/bw implementation, docs/sources/physiology.md C9.2).
const RHO_F = 9440.7; // kcal/kg fat
const RHO_L = 1816.4; // kcal/kg lean
const GAMMA_F = 3.107; // kcal/kg/day
const GAMMA_L = 21.989;
const ETA_F = 179.25; // kcal/kg
const ETA_L = 229.45;
const BETA_TEF = 0.1;
const BETA_AT = 0.14;
const TAU_AT = 14; // days
const FORBES_C = (10.4 * RHO_L) / RHO_F; // kg
const PAL = 1.5;
/** Persistent energy gap behind average adult weight gain, ~30 kJ/day ~ 7 kcal/day (Hall 2011). */
const ENERGY_GAP = 7;
/**
 * Appetite feedback: energy intake rises ~100 kcal/day above baseline per kg of weight lost, more
 * than three times the expenditure adaptation (Polidori D, Sanghvi A, Seeley RJ, Hall KD. Obesity
 * 2016;24:2289-95 doi:10.1002/oby.21653, measured under SGLT2 glucosuria). Together with the Hall
 * expenditure adaptation it makes a sustained intake cut settle within ~6 months (time constant
 * ~2 months) instead of ~1 year (Hall KD, Kahan S. Med Clin North Am 2018;102:183-97
 * doi:10.1016/j.mcna.2017.08.012). Acts on weight lost below baseline only (the published
 * relationship is for weight loss; modelling choice), after the week's interventions have been
 * applied; CH.fbAtten switches part of it off (incretin drugs, formula diets).
 */
export const APPETITE_FEEDBACK = 100;
/**
 * Linear approximation of the Hall model for the background weight course (intake noise, secular
 * gap, smoking cessation): ~22 kcal/day per kg at steady state (Hall 2011, docs/sources/physiology.md C9.1) and
 * ~7,700 kcal per kg of mixed tissue (modelling choice for the approximation only).
 */
const BG_KCAL_PER_KG = 22;
const BG_RHO = 7700;

/** Weight -> BP per kg: SBP 1.05, DBP 0.92 mmHg (Neter JE et al. Hypertension 2003;42:878-84 doi:10.1161/01.HYP.0000094221.86888.AE). */
const SBP_PER_KG = 1.05;
const DBP_PER_KG = 0.92;
/** Weight -> lipids per kg lost, lifestyle, 12 months: TG -4.0, LDL -1.28, HDL +0.46 mg/dL (Hasan B et al. JCEM 2020;105:3695-703 doi:10.1210/clinem/dgaa673). */
const TG_PER_KG = 4.0;
const LDL_PER_KG = 1.28;
const HDL_PER_KG = 0.46;
/** HDL dips during active loss: -0.27 mg/dL per kg while losing vs +0.35 once stable (Dattilo AM, Kris-Etherton PM. AJCN 1992;56:320-8 PMID:1386186). */
const HDL_ACTIVE_LOSS = 0.73;
/** Weight -> HbA1c: -0.1 point per kg lost in type 2 diabetes (Gummesson A et al. Diabetes Obes Metab 2017;19:1295-1305 doi:10.1111/dom.12971). */
const A1C_PER_KG = 0.1;

/** First-order kinetics of direct exposure effects: time constant 1.5 weeks (BP from sodium builds over 1-4 weeks, Huang 2020 BMJ doi:10.1136/bmj.m315; statins near-maximal by ~4 weeks). */
const K_FAST = 1 - Math.exp(-1 / 1.5);
/** HbA1c follows mean glucose with ~6-week time constant (docs/sources/physiology.md C5: tau 6-8 weeks, unverified; red-cell lifespan ~ 120 days). */
const K_A1C = 1 - Math.exp(-1 / 6);
const K_AT = 1 - Math.exp(-7 / TAU_AT);

// Within-person AR(1) (weekly): SBP rho 0.9, SD 4.5 mmHg; mean glucose rho 0.98, SD 6 mg/dL without
// diabetes and 14 with; intake rho 0.9, SD 60 kcal/day. Modelling choices sized so that
// visit-to-visit SBP autocorrelation (with catalog measurement SD 6.5) falls in 0.4-0.8 and HbA1c
// tracks mean glucose within person (docs/sources/physiology.md C11).
const AR_SBP_RHO = 0.9;
const AR_SBP_SD = 4.5;
const AR_G_RHO = 0.98;
const AR_EI_RHO = 0.9;
const AR_EI_SD = 60;

export interface ArmProfile {
  /** Per intervention: weekly profile (on x waning), index w = 0..nWeeks. */
  readonly g: Float64Array[];
  /**
   * Per intervention: weekly residual of its intake change after it stops (diet and weight-loss
   * programmes only; zeros otherwise): the level at the stop x exp(-(t - stop)/RESIDUAL_TAU_DAYS).
   */
  readonly res: Float64Array[];
  readonly adherence: Float64Array;
}

/**
 * Share of the appetite feedback switched off this week. An intervention that weakens the feedback
 * (incretin drugs, a formula-only diet: CH.fbAtten) weakens it for the part of the intake cut it
 * supplies, not for cuts from other interventions taken alongside: each attenuation is weighted
 * by its intervention's share of the arm's total intake cut (modelling choice). Without the
 * weighting a drug's feedback attenuation also amplified a diet taken with it, so semaglutide
 * 2.4 mg added to a -500 kcal/day diet and 150 min/week of activity (both arms) lowered weight
 * 17.3% more than the diet alone against 12.5% without the diet; the trials show the opposite
 * (less than additive): semaglutide 2.4 mg vs placebo -12.4 percentage points with
 * low-intensity lifestyle counselling (STEP 1, Wilding JPH et al. NEJM 2021;384:989-1002
 * doi:10.1056/NEJMoa2032183) and -10.3 (95% CI -12.0 to -8.6) with intensive behavioural therapy
 * and an 8-week low-calorie diet (STEP 3, Wadden TA et al. JAMA 2021;325:1403-13
 * doi:10.1001/jama.2021.1831, PMID 33625476). A single intervention is unchanged: its weight is 1.
 * `fallback` (the summed channel) applies when no intervention cuts intake this week.
 */
export function feedbackAttenuation(K: number, adh: ArrayLike<number>, g: readonly ArrayLike<number>[], w: number, eK: ArrayLike<number>, attK: ArrayLike<number>, fallback: number): number {
  let cut = 0;
  let att = 0;
  for (let k = 0; k < K; k++) {
    const s = adh[k] * g[k][w];
    if (s === 0 || eK[k] >= 0) continue;
    const c = -s * eK[k];
    cut += c;
    att += s * attK[k] * c;
  }
  return cut > 0 ? att / cut : fallback;
}

/** Weekly intended-exposure profile of each intervention of an arm (start, stop, waning). */
export function armProfile(arm: ArmSpec, durationDays: number, nWeeks: number): ArmProfile {
  const g = arm.interventions.map((iv) => {
    const p = new Float64Array(nWeeks + 1);
    for (let w = 1; w <= nWeeks; w++) {
      const t = (w - 0.5) * 7;
      if (t < iv.startDay || t >= iv.stopDay) continue;
      p[w] = waningFactor(iv, t, durationDays);
    }
    return p;
  });
  const res = arm.interventions.map((iv) => {
    const r = new Float64Array(nWeeks + 1);
    if ((iv.kind !== 'diet' && iv.kind !== 'weight_loss') || !(iv.stopDay > iv.startDay) || iv.stopDay >= durationDays) return r;
    const atStop = waningFactor(iv, iv.stopDay, durationDays);
    for (let w = 1; w <= nWeeks; w++) {
      const t = (w - 0.5) * 7;
      if (t >= iv.stopDay) r[w] = atStop * Math.exp(-(t - iv.stopDay) / RESIDUAL_TAU_DAYS);
    }
    return r;
  });
  return { g, res, adherence: Float64Array.from(arm.interventions, (iv) => iv.adherence) };
}

/** Catalog ids measured at some visit (derived endpoints expand to their inputs). */
export function scheduledVariables(schedule: ScheduleSpec): string[][] {
  return schedule.visits.map((v) => {
    const out = new Set<string>();
    for (const id of v.variables) {
      const d = findDerived(id);
      if (d) d.inputs.forEach((x) => out.add(x));
      else if (findVariable(id)) out.add(id);
    }
    return [...out].filter((id) => VAR_INDEX[id] !== undefined);
  });
}

const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

function slopePerYear(id: string, sex: number, age: number): number {
  const m = MARGINALS[id];
  return byAge(m.mean[sex], age + 0.5) - byAge(m.mean[sex], age - 0.5);
}

/** Simulate every twin of a batch under one arm. */
export function simulateReference(batch: TwinBatch, arm: ArmSpec, schedule: ScheduleSpec, seed: number): Trajectories {
  const n = batch.ids.length;
  const visits = schedule.visits;
  const nV = visits.length;
  const visitWeek = visits.map((v) => Math.max(0, Math.round(v.day / 7)));
  const nWeeks = Math.max(1, Math.ceil(schedule.durationDays / 7), ...visitWeek);
  const visitVars = scheduledVariables(schedule);
  const visitVarIdx = visitVars.map((vs) => Int32Array.from(vs, (id) => VAR_INDEX[id]));
  const allVars = [...new Set(visitVars.flat())];
  const values: Record<string, Float64Array> = {};
  for (const id of allVars) values[id] = new Float64Array(n * nV).fill(NaN);
  const outCols = VARIABLES.map((v) => values[v.id]);
  const dropoutDay = new Float64Array(n);
  const pDrop = arm.dropout ?? schedule.dropout; // an arm's own dropout overrides the schedule's
  const hazard = pDrop > 0 && pDrop < 1 ? -Math.log(1 - pDrop) / schedule.durationDays : pDrop >= 1 ? Infinity : 0;
  const prof = armProfile(arm, schedule.durationDays, nWeeks);
  const K = arm.interventions.length;
  const col = batch.columns;
  const get = (id: string, i: number): number => {
    const c = col[id];
    return c ? c[i] : NaN;
  };
  const truth = new Float64Array(VARIABLES.length);
  const ch = new Float64Array(NCH);
  const lag = new Float64Array(NCH);
  const used = new Uint8Array(NCH);
  const chIdx: Int32Array[] = new Array(K);
  const chVal: Float64Array[] = new Array(K);
  const adh = new Float64Array(K);
  /** Per intervention: its intake change at full adherence, kcal/day (for the residual after a stop). */
  const eK = new Float64Array(K);
  const attK = new Float64Array(K);
  const hasRes = prof.res.map((r) => r.some((x) => x > 0));
  const bpParts = new Float64Array(5);
  const dParts = new Float64Array(5);
  const I = VAR_INDEX;

  for (let i = 0; i < n; i++) {
    const id = batch.ids[i];
    const sex = get('sex', i);
    const age = get('age', i);
    const height = get('height', i);
    const bw0 = get('body_weight', i);
    const sbp0 = get('sbp', i);
    const dbp0 = get('dbp', i);
    const a10 = get('hba1c', i);
    const diabetes = get('diabetes', i) === 1 || a10 >= 6.5;

    // heterogeneity and adherence (fixed number of draws, then one per intervention)
    const rr = new Rng(seed, id, Purpose.response);
    // Salt sensitivity: log-normal, SD 0.5 (modelling choice; BP response to sodium varies widely
    // between people, docs/sources/physiology.md C1). Statin response SD ~ 10-15 points around the mean (docs/sources/physiology.md
    // C4, unverified) -> multiplier SD 0.2. Other SDs are modelling choices.
    const saltSens = Math.exp(0.5 * rr.normal() - 0.125);
    const ldlResp = clamp(1 + 0.2 * rr.normal(), 0.3, 1.6);
    const bpResp = clamp(1 + 0.3 * rr.normal(), 0.2, 2);
    const appetiteResp = clamp(1 + 0.35 * rr.normal(), 0.1, 2.2);
    const glyResp = clamp(1 + 0.25 * rr.normal(), 0.3, 1.8);
    const adhZ = rr.normal();
    const uQuit = rr.uniform();
    // adherence: arm mean + person propensity (SD 0.15) + intervention-specific (SD 0.1), in [0, 1]
    const adhExtra = new Float64Array(K);
    for (let k = 0; k < K; k++) adhExtra[k] = rr.normal();

    // Hall model initial state
    const bf0 = clamp(get('body_fat_pct', i), 5, 65);
    const F0 = (bf0 / 100) * bw0;
    const L0 = bw0 - F0;
    // Mifflin-St Jeor RMR (Mifflin MD et al. AJCN 1990;51:241-7 doi:10.1093/ajcn/51.2.241)
    const rmr = 9.99 * bw0 + 6.25 * height - 4.92 * age + (sex === 1 ? -161 : 5);
    const ei0 = PAL * rmr;
    const delta = ((1 - BETA_TEF) * PAL - 1) * (rmr / bw0);
    const Kc = ei0 - GAMMA_F * F0 - GAMMA_L * L0 - delta * bw0;

    const ctx: TwinContext = {
      sex, age, weight: bw0, sbp0, a1c0: a10, ldl0: get('ldl_c', i), tg0: get('triglycerides', i),
      na0: get('sodium_intake', i), k0: get('potassium_intake', i), fibre0: get('fibre_intake', i),
      sfa0: get('sfa_pct', i), mufa0: get('mufa_pct', i), pufa0: get('pufa_pct', i), fat0: get('fat_pct', i),
      protein0: get('protein_pct', i), chol0: get('dietary_cholesterol', i), sleep0: get('sleep_duration', i),
      steps0: get('steps', i), hr0: get('resting_hr', i), alcohol0: get('alcohol', i), energy0: ei0, onStatin: get('on_statin', i),
      smoker: get('smoker', i), saltSens, ldlResp, bpResp, appetiteResp, glyResp,
    };
    used.fill(0);
    for (let k = 0; k < K; k++) {
      const e = interventionEffect(arm.interventions[k], ctx);
      chIdx[k] = Int32Array.from(e.keys());
      chVal[k] = Float64Array.from(e.values());
      eK[k] = (e.get(CH.eiAbs) ?? 0) + (e.get(CH.eiFrac) ?? 0) * ei0;
      attK[k] = e.get(CH.fbAtten) ?? 0;
      for (const c of e.keys()) used[c] = 1;
      adh[k] = clamp(prof.adherence[k] + 0.15 * adhZ + 0.1 * adhExtra[k], 0, 1);
    }
    // only arms with a feedback-weakening intervention need the per-week weighting
    let anyAtt = false;
    for (let k = 0; k < K; k++) if (attK[k] > 0) anyAtt = true;
    const usedList: number[] = [];
    for (let c = 0; c < NCH; c++) if (used[c]) usedList.push(c);
    lag.fill(0);
    // every channel starts at zero for each twin: a channel one twin's effects use and the next
    // twin's do not must not carry over (batch independence)
    ch.fill(0);

    const rl = new Rng(seed, id, Purpose.latent);
    const rm = new Rng(seed, id, Purpose.measurement);
    const dd = hazard === 0 ? Infinity : hazard === Infinity ? 0 : new Rng(seed, id, Purpose.dropout).exponential(hazard);
    dropoutDay[i] = dd > schedule.durationDays ? Infinity : dd;

    // state
    let F = F0;
    let L = L0;
    let AT = 0;
    const gSd = diabetes ? 14 : 6;
    let arS = AR_SBP_SD * rl.normal();
    let arG = gSd * rl.normal();
    let arEI = AR_EI_SD * rl.normal();
    const g0 = 28.7 * a10 - 46.7; // ADAG (Nathan DM et al. Diabetes Care 2008;31:1473-8 doi:10.2337/dc08-0545)
    let a1c = a10;
    let recentLoss = 0;
    let prevBW = bw0;
    const sbpSlope = slopePerYear('sbp', sex, age);
    const dbpSlope = slopePerYear('dbp', sex, age);
    const egfrSlope = slopePerYear('egfr', sex, age);
    // HbA1c drift: +0.006/year without diabetes (baseline generator), ~ +0.1/year with type 2 diabetes
    // (progressive beta-cell loss, UKPDS; modelling choice)
    const a1cDrift = diabetes ? 0.1 : 0.006;
    // participation effect on clinic BP (docs/sources/physiology.md C12: modelling choice, ~ -2.5 mmHg at SBP 140)
    const part = -2.5 * clamp((sbp0 - 110) / 30, 0, 1.5);
    // Weight -> HbA1c scaling by baseline: 1 at HbA1c 8% (Gummesson's -0.1/kg is the average over
    // trials in type 2 diabetes with mean baseline ~8%, unverified), so the baseline dependence
    // is applied once around that average (was 1.5 at 8%, double-counting it).
    const a1cWeightScale = clamp((a10 - 5) / 3, 0.1, 1.5);
    const sqS = AR_SBP_SD * Math.sqrt(1 - AR_SBP_RHO * AR_SBP_RHO);
    const sqG = gSd * Math.sqrt(1 - AR_G_RHO * AR_G_RHO);
    const sqE = AR_EI_SD * Math.sqrt(1 - AR_EI_RHO * AR_EI_RHO);
    let quit = false;
    let fbNow = 0;
    let resNow = 0;
    let bgW = 0;
    let Gcur = g0 + arG;
    let v = 0;
    while (v < nV && visitWeek[v] === 0) {
      measure(i, v, 0);
      v++;
    }
    for (let w = 1; w <= nWeeks && v < nV; w++) {
      // exposures this week
      for (let q = 0; q < usedList.length; q++) ch[usedList[q]] = 0;
      for (let k = 0; k < K; k++) {
        const s = adh[k] * prof.g[k][w];
        if (s === 0) continue;
        const ci = chIdx[k];
        const cv = chVal[k];
        for (let q = 0; q < ci.length; q++) ch[ci[q]] += s * cv[q];
      }
      for (let q = 0; q < usedList.length; q++) {
        const c = usedList[q];
        lag[c] += (ch[c] - lag[c]) * K_FAST;
      }
      if (!quit && ctx.smoker && uQuit < ch[CH.quit]) quit = true;
      // energy balance (one 7-day step)
      arEI = AR_EI_RHO * arEI + sqE * rl.normal();
      // background (no-intervention) energy gap and its weight course, so that the feedback acts on
      // the weight the interventions removed, not on within-person noise
      const bgEI = arEI + ENERGY_GAP + (quit ? 150 : 0);
      bgW += (7 * (bgEI - BG_KCAL_PER_KG * bgW)) / BG_RHO;
      const fbK = anyAtt ? APPETITE_FEEDBACK * (1 - clamp(feedbackAttenuation(K, adh, prof.g, w, eK, attK, ch[CH.fbAtten]), 0, 1)) : APPETITE_FEEDBACK;
      const lossVsBg = Math.max(0, bw0 + bgW - (F + L));
      fbNow = fbK * lossVsBg;
      // residual behaviour change after a diet/programme stopped (RESIDUAL_TAU_DAYS); it can at most
      // hold the weight reached: intake -(feedback + ~22 kcal/day/kg expenditure) per kg lost
      // (modelling choice), so it slows regain and never deepens the loss
      resNow = 0;
      for (let k = 0; k < K; k++) if (hasRes[k]) resNow += adh[k] * prof.res[k][w] * eK[k];
      if (resNow < 0) resNow = Math.max(resNow, -(fbK + BG_KCAL_PER_KG) * lossVsBg);
      const dEI = ch[CH.eiAbs] + ch[CH.eiFrac] * ei0 + fbNow + resNow + bgEI;
      // smoking cessation: weight +4.7 kg at 12 months (Aubin HJ et al. BMJ 2012;345:e4439
      // doi:10.1136/bmj.e4439) ~ +150 kcal/day in this model (modelling choice)
      const ei = ei0 + dEI;
      AT += (BETA_AT * dEI - AT) * K_AT;
      const bw = F + L;
      const p = FORBES_C / (FORBES_C + F);
      const cEta = (ETA_F / RHO_F) * (1 - p) + (ETA_L / RHO_L) * p;
      const e = Kc + GAMMA_F * F + GAMMA_L * L + delta * bw + BETA_TEF * dEI + AT + ch[CH.eeEx];
      const ee = (e + cEta * ei) / (1 + cEta);
      const imb = ei - ee;
      F = Math.max(1, F + (7 * (1 - p) * imb) / RHO_F);
      L += (7 * p * imb) / RHO_L;
      const bwNew = F + L;
      recentLoss = recentLoss * 0.875 + (prevBW - bwNew);
      prevBW = bwNew;
      // within-person variation
      arS = AR_SBP_RHO * arS + sqS * rl.normal();
      arG = AR_G_RHO * arG + sqG * rl.normal();
      // glycaemia: mean glucose target, HbA1c lags it
      const kgLost = bw0 - bwNew;
      const years = (w * 7) / 365.25;
      const a1cDirect = lag[CH.a1c] - A1C_PER_KG * kgLost * a1cWeightScale + a1cDrift * years;
      const G = Math.max(70, g0 + 28.7 * a1cDirect + arG);
      a1c += ((G + 46.7) / 28.7 - a1c) * K_A1C;
      while (v < nV && visitWeek[v] === w) {
        Gcur = G;
        measure(i, v, w);
        v++;
      }
    }
    // visits beyond the simulated horizon cannot occur (nWeeks covers every visit)

    function measure(ti: number, vi: number, w: number): void {
      const bw = F + L;
      const kgLost = bw0 - bw;
      const years = (w * 7) / 365.25;
      const G = Gcur;
      const a1cNow = w === 0 ? a10 : a1c;
      const tw = w;
      truth[I.age] = age + years;
      truth[I.sex] = sex;
      truth[I.height] = height;
      truth[I.body_weight] = bw;
      truth[I.bmi] = (bw / (height * height)) * 10000;
      // waist ~0.8 cm per kg (modelling choice; exercise trials: -1.2 kg, -2.8 cm, Cornelissen & Fagard 2005)
      truth[I.waist] = get('waist', ti) - 0.8 * kgLost;
      truth[I.body_fat_pct] = clamp(bf0 + (100 * F) / bw - (100 * F0) / bw0, 3, 70);
      const partNow = part * (1 - Math.exp(-tw / 3));
      // Lifestyle BP components combine sub-additively (combineLifestyleBp); the DASH-Sodium
      // interaction is applied first to the sodium effect and the pair enters as one component.
      // The weight slope (Neter 2003) comes from trials with mostly < 10 kg losses and is applied
      // linearly beyond that (known limitation, docs/reference-world.md).
      const dash = clamp(lag[CH.dashOn], 0, 1);
      const naF = 1 - (1 - DASH_SODIUM_FACTOR) * dash;
      const naS = lag[CH.sbpNa] * naF;
      const naD = lag[CH.dbpNa] * naF;
      bpParts[0] = lag[CH.sbpDiet] + dash * naS;
      bpParts[1] = (1 - dash) * naS;
      bpParts[2] = lag[CH.sbpEx];
      bpParts[3] = lag[CH.sbpAlc];
      bpParts[4] = -SBP_PER_KG * kgLost;
      dParts[0] = lag[CH.dbpDiet] + dash * naD;
      dParts[1] = (1 - dash) * naD;
      dParts[2] = lag[CH.dbpEx];
      dParts[3] = lag[CH.dbpAlc];
      dParts[4] = -DBP_PER_KG * kgLost;
      let sNeg = 0, sPos = 0, dNeg = 0, dPos = 0;
      for (let q = 0; q < 5; q++) {
        if (bpParts[q] < 0) sNeg += bpParts[q]; else sPos += bpParts[q];
        if (dParts[q] < 0) dNeg += dParts[q]; else dPos += dParts[q];
      }
      const sLife = combineLifestyleBp(sbp0, bpParts);
      const ratio = sNeg < 0 ? (sLife - sPos) / sNeg : 1;
      const dLife = dNeg * ratio + dPos;
      truth[I.sbp] = sbp0 + lag[CH.sbp] + sLife + partNow + sbpSlope * years + arS;
      truth[I.dbp] = Math.min(truth[I.sbp] - 15, dbp0 + lag[CH.dbp] + dLife + 0.5 * partNow + dbpSlope * years + 0.55 * arS);
      truth[I.resting_hr] = get('resting_hr', ti) + lag[CH.hr];
      const ldl = Math.max(10, (get('ldl_c', ti) + lag[CH.ldl] - LDL_PER_KG * kgLost) * Math.exp(lag[CH.lnLdl]));
      const hdl = Math.max(10, get('hdl_c', ti) + lag[CH.hdl] + HDL_PER_KG * kgLost - HDL_ACTIVE_LOSS * recentLoss);
      const tg = Math.max(20, (get('triglycerides', ti) + lag[CH.tg] - TG_PER_KG * kgLost) * Math.exp(lag[CH.lnTg]));
      truth[I.ldl_c] = ldl;
      truth[I.hdl_c] = hdl;
      truth[I.triglycerides] = tg;
      truth[I.total_cholesterol] = ldl + hdl + tg / 5;
      truth[I.hba1c] = a1cNow;
      truth[I.fasting_glucose] = Math.max(50, get('fasting_glucose', ti) + 0.8 * (G - g0));
      truth[I.fasting_insulin] = get('fasting_insulin', ti) * Math.exp(lag[CH.lnInsulin] - 0.025 * kgLost);
      // hs-CRP -0.13 mg/L per kg lost (Selvin E et al. Arch Intern Med 2007;167:31-9
      // doi:10.1001/archinte.167.1.31, meta-analysis of weight-loss trials) ~ -3%/kg on the log
      // scale at the ~4 mg/L mean hs-CRP of such trials (conversion a modelling choice)
      truth[I.crp] = get('crp', ti) * Math.exp(lag[CH.lnCrp] - 0.03 * kgLost);
      truth[I.alt] = get('alt', ti) * Math.exp(lag[CH.lnAlt] - 0.015 * kgLost);
      const egfr = clamp(get('egfr', ti) + lag[CH.egfr] + egfrSlope * years, 3, 180);
      truth[I.egfr] = egfr;
      truth[I.creatinine] = creatinineFromEgfr(egfr, sex, age + years);
      void egfrCkdEpi2021;
      truth[I.sleep_duration] = clamp(get('sleep_duration', ti) + ch[CH.sleep] * (w ? 1 : 0), 2, 14);
      truth[I.sleep_efficiency] = clamp(get('sleep_efficiency', ti) + lag[CH.sleepEff], 40, 100);
      // Within-day glucose spread follows the meal excursions: a diet or drug that changes the
      // post-prandial response (CH.lnPpgr) scales the CGM SD by the same factor, so the CV moves
      // with it (mean glucose, hence CV's denominator, follows HbA1c). Where fasting glucose is
      // below 140 mg/dL, time above 140 is post-meal time, so a lower post-meal response must
      // lower it; with a static CV it could not (exposed by Ben-Yacov O et al. Diabetes Care
      // 2021 doi:10.2337/dc21-0162, whose size this does not use). Proportionality (exponent 1)
      // is a modelling choice; the link itself is observed: in The Maastricht Study (n = 851,
      // Diabetes Technol Ther 2020;22:395-403 doi:10.1089/dia.2019.0385, abstract seen) CGM SD
      // correlates best with the 1-h OGTT glucose (rho 0.61) and CV with the incremental glucose
      // peak (rho 0.50), i.e. the spread tracks the post-load excursion. The post-prandial
      // response falls with the personalised diet (Zeevi D et al. Cell 2015;163:1079-94
      // doi:10.1016/j.cell.2015.11.001) and incretin drugs (effects.ts).
      const cv = clamp(get('cgm_cv', ti) * Math.exp(lag[CH.lnPpgr]), 5, 60);
      truth[I.cgm_mean_glucose] = G;
      truth[I.cgm_cv] = cv;
      truth[I.cgm_tir] = timeInRange(G, cv);
      truth[I.cgm_time_above_140] = hoursAbove(G, cv, 140);
      truth[I.ppgr] = get('ppgr', ti) * Math.exp(lag[CH.lnPpgr]) * (G / g0);
      truth[I.microbiome_shannon] = clamp(get('microbiome_shannon', ti) + lag[CH.shannon], 0.5, 6);
      truth[I.microbiome_butyrate] = clamp(get('microbiome_butyrate', ti) * Math.exp(lag[CH.lnButyrate]), 0, 60);
      truth[I.microbiome_prevotella] = clamp(get('microbiome_prevotella', ti) * Math.exp(lag[CH.lnPrevotella]), 0, 80);
      const on = w ? 1 : 0;
      truth[I.steps] = Math.max(0, get('steps', ti) + on * ch[CH.steps]);
      truth[I.hrv_rmssd] = get('hrv_rmssd', ti) * Math.exp(lag[CH.lnHrv]);
      const dEI = on * (ch[CH.eiAbs] + ch[CH.eiFrac] * ei0 + fbNow + resNow);
      truth[I.energy_intake] = Math.max(600, get('energy_intake', ti) + dEI);
      truth[I.sodium_intake] = Math.max(300, get('sodium_intake', ti) + on * ch[CH.na]);
      truth[I.potassium_intake] = Math.max(500, get('potassium_intake', ti) + on * ch[CH.k]);
      const fat = clamp(get('fat_pct', ti) + on * ch[CH.fat], 5, 80);
      const protein = clamp(get('protein_pct', ti) + on * ch[CH.protein], 5, 50);
      truth[I.fat_pct] = fat;
      truth[I.protein_pct] = protein;
      truth[I.carb_pct] = clamp(100 - fat - protein, 2, 85);
      truth[I.sfa_pct] = clamp(get('sfa_pct', ti) + on * ch[CH.sfa], 1, 35);
      truth[I.mufa_pct] = clamp(get('mufa_pct', ti) + on * ch[CH.mufa], 1, 40);
      truth[I.pufa_pct] = clamp(get('pufa_pct', ti) + on * ch[CH.pufa], 1, 30);
      truth[I.fibre_intake] = clamp(get('fibre_intake', ti) + on * ch[CH.fibre], 1, 120);
      truth[I.dietary_cholesterol] = clamp(get('dietary_cholesterol', ti) + on * ch[CH.chol], 0, 2000);
      truth[I.alcohol] = Math.max(0, get('alcohol', ti) + on * ch[CH.alcohol]);
      truth[I.mvpa] = Math.max(0, get('mvpa', ti) + on * ch[CH.mvpa]);
      truth[I.smoker] = quit ? 0 : get('smoker', ti);
      for (const fid of ['diabetes', 'hypertension', 'on_statin', 'on_bp_meds', 'on_metformin', 'on_insulin'] as const) truth[I[fid]] = get(fid, ti);
      const idx = visitVarIdx[vi];
      const gone = visits[vi].day > dropoutDay[ti];
      for (let q = 0; q < idx.length; q++) {
        const j = idx[q];
        const z = rm.normal();
        const out = outCols[j];
        if (gone) continue;
        const def = VARIABLES[j];
        out[ti * nV + vi] = def.measurable && def.kind === 'continuous' ? measureIndexed(j, truth[j], z) : truth[j];
      }
    }
  }
  return { n, visitDays: visits.map((v) => v.day), values, dropoutDay };
}

export function createReferenceSimulator(): Simulator {
  return {
    engine: 'reference',
    fingerprint: `reference@${ENGINE_VERSION}+world.${WORLD_VERSION}`,
    async simulate(batch: TwinBatch, arm: ArmSpec, schedule: ScheduleSpec, ctx: SimulationContext): Promise<Trajectories> {
      return simulateReference(batch, arm, schedule, ctx.seed);
    },
  };
}
