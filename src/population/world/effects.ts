/**
 * Intervention -> effect channels of the reference world.
 *
 * Each intervention of an arm becomes, for each twin, a sparse vector of steady-state effects at
 * full adherence on named channels (energy intake, SBP, log-LDL, HbA1c points, intakes ...).
 * The simulator scales them every week by the twin's adherence and the intervention's time
 * profile (start, stop, waning) and passes them through each system's kinetics. Effects that
 * depend on the person (baseline BP, HbA1c, sodium intake, salt sensitivity, statin response)
 * are computed here once per twin and intervention.
 *
 * Every published figure carries its source. "unverified" marks a figure recalled from the
 * literature but not seen in a stored copy when this was written; "modelling choice" marks a
 * value with no published anchor. docs/reference-world.md tables them all.
 */
import type { DietIntervention, DrugIntervention, ExerciseIntervention, Intervention } from '../../trial-dsl/spec.js';
import { findDrug, perWeek, type DietPattern, type ExerciseType } from '../interventions.js';

export const CH = {
  eiAbs: 0, // energy intake change, kcal/day
  eiFrac: 1, // energy intake change, fraction of baseline intake (appetite drugs, fasting)
  eeEx: 2, // exercise energy expenditure, kcal/day
  sbp: 3, // direct SBP effect, mmHg (not via weight)
  dbp: 4,
  lnLdl: 5, // multiplicative LDL effects (drugs, sterols), log scale
  ldl: 6, // additive LDL effects, mg/dL
  hdl: 7,
  lnTg: 8,
  tg: 9,
  a1c: 10, // direct HbA1c effect at steady state, percentage points
  hr: 11, // resting heart rate, bpm
  lnCrp: 12,
  steps: 13,
  mvpa: 14,
  sleep: 15, // hours/night
  alcohol: 16, // drinks/day
  na: 17, // sodium intake change, mg/day
  k: 18, // potassium intake change, mg/day
  fibre: 19, // g/day
  sfa: 20, // %E
  mufa: 21,
  pufa: 22,
  fat: 23,
  protein: 24,
  chol: 25, // dietary cholesterol change, mg/day
  lnPpgr: 26,
  shannon: 27,
  lnButyrate: 28,
  lnPrevotella: 29,
  sleepEff: 30,
  lnHrv: 31,
  egfr: 32,
  lnInsulin: 33,
  quit: 34, // smoking cessation (probability of quitting by full adherence)
  lnAlt: 35,
  /**
   * Fraction of the appetite feedback (intake rising with weight lost) that is switched off:
   * incretin drugs weaken it, a fixed formula diet (total diet replacement) caps what is eaten.
   */
  fbAtten: 36,
  // Lifestyle BP components, kept apart so that the simulator can combine them sub-additively
  // (combineLifestyleBp): sodium, diet pattern + potassium, exercise, alcohol. CH.sbp/CH.dbp keep
  // the drug and other effects, which add.
  sbpNa: 37,
  dbpNa: 38,
  sbpDiet: 39,
  dbpDiet: 40,
  sbpEx: 41,
  dbpEx: 42,
  sbpAlc: 43,
  dbpAlc: 44,
  /** 1 while a DASH pattern is followed (at full adherence): the sodium effect is smaller on DASH. */
  dashOn: 45,
} as const;
export const NCH = 46;

/** Per-twin context the effect builder needs (baseline values and heterogeneity). */
export interface TwinContext {
  sex: number;
  age: number;
  weight: number;
  sbp0: number;
  a1c0: number;
  ldl0: number;
  tg0: number;
  na0: number;
  k0: number;
  fibre0: number;
  sfa0: number;
  mufa0: number;
  pufa0: number;
  fat0: number;
  protein0: number;
  chol0: number;
  sleep0: number;
  steps0: number;
  /** Baseline resting heart rate, bpm. */
  hr0: number;
  alcohol0: number;
  energy0: number; // maintenance energy intake (model), kcal/day
  onStatin: number;
  smoker: number;
  /** Multiplier of the sodium -> BP slope (log-normal, between-person heterogeneity). */
  saltSens: number;
  /** Multiplier of statin/LDL-drug percentage effects. */
  ldlResp: number;
  /** Multiplier of BP drug effects. */
  bpResp: number;
  /** Multiplier of appetite (GLP-1) effects. */
  appetiteResp: number;
  /** Multiplier of glycaemic drug effects. */
  glyResp: number;
}

export type Effect = Map<number, number>;

function add(e: Effect, ch: number, v: number): void {
  if (v !== 0 && Number.isFinite(v)) e.set(ch, (e.get(ch) ?? 0) + v);
}

const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

/** 0 at SBP <= 120, 1 at >= 140: how "hypertensive" a baseline SBP is (for BP-status-dependent effects). */
function htGrade(sbp: number): number {
  return clamp((sbp - 120) / 20, 0, 1);
}

// ---------------------------------------------------------------------------------------------
// Sodium and potassium

/**
 * SBP/DBP per -100 mmol/day sodium: hypertensive -5.8/-2.5, normotensive -2.3/-1.4 mmHg
 * (Cutler JA et al. Am J Clin Nutr 1997;65(2 Suppl):643S-651S PMID:9022560; consistent with the
 * -5.8 mmHg per -100 mmol of He FJ et al. BMJ 2013;346:f1325 doi:10.1136/bmj.f1325).
 * On a DASH background the sodium effect is about half (DASH-Sodium: high->low sodium -6.7 on
 * control vs -3.0 mmHg on DASH; Sacks FM et al. NEJM 2001;344:3-10 doi:10.1056/NEJM200101043440101):
 * applied in the simulator at the arm level (DASH_SODIUM_FACTOR), so it also holds when the
 * sodium target and the DASH pattern are separate interventions.
 */
function sodiumEffect(e: Effect, c: TwinContext, dNaMg: number): void {
  const mmol = dNaMg / 23;
  const g = htGrade(c.sbp0);
  const sSlope = (2.3 + (5.8 - 2.3) * g) / 100;
  const dSlope = (1.4 + (2.5 - 1.4) * g) / 100;
  // older people respond more (Huang 2020 BMJ doi:10.1136/bmj.m315, abstract); +1%/year over 45: modelling choice
  const ageF = clamp(1 + 0.01 * (c.age - 45), 0.7, 1.4);
  add(e, CH.sbpNa, sSlope * mmol * c.saltSens * ageF);
  add(e, CH.dbpNa, dSlope * mmol * c.saltSens * ageF);
  add(e, CH.na, dNaMg);
}

/**
 * Potassium: increased intake lowered SBP by 3.49 (95% CI 1.82-5.15) and DBP by 1.96 (0.86-3.06)
 * mmHg in adults, an effect seen in hypertension but not in normotension (Aburto NJ et al. BMJ
 * 2013;346:f1378 doi:10.1136/bmj.f1378, abstract seen); 5.32/3.1 in hypertension and the "roughly
 * +1,800 mg/day" anchor recalled, unverified. Linear per mg of intake change, capped at +3,000 mg.
 * The slope is per ACHIEVED change: Filippini 2020 (below) regresses BP on the active-control
 * difference in 24-h urinary potassium, and the world applies it to the intake change the twin
 * actually makes (the prescription scaled each week by the twin's adherence, simulator.ts).
 *
 * Effect modification by sodium intake: the BP-lowering effect of potassium supplementation is
 * stronger at higher sodium intake (Filippini T et al. J Am Heart Assoc 2020;9:e015719
 * doi:10.1161/JAHA.119.015719, 32 trials, abstract seen; Aburto 2013 reports a larger SBP fall in
 * trials with sodium intake > 4 g/day than at 2-4 g/day, subgroup figures recalled, unverified).
 * Neither gives a per-mg interaction slope, so the shape is a modelling choice: the slope is
 * multiplied by KNA_MOD(sodium) = 1 + (Na - 3,600)/3,200 clamped to 0.5-1.4, i.e. 1 at the US mean
 * urinary sodium (3,608 mg/day, Cogswell ME et al. JAMA 2018;319:1209-20, so the pooled average is
 * kept where trial sodium intakes were Western-typical), 0.5 at <= 2,000 mg and 1.4 at >= 4,880 mg.
 * Sodium is the twin's intake during the intervention (baseline plus any sodium change in the same
 * diet intervention). Filippini 2020 also finds the effect weakening above a ~30 mmol/day
 * (1,170 mg) excretion difference and reversing above ~80 mmol/day; not modelled (known
 * limitation, docs/reference-world.md).
 */
export function potassiumSodiumFactor(naMg: number): number {
  return clamp(1 + (naMg - 3600) / 3200, 0.5, 1.4);
}
function potassiumEffect(e: Effect, c: TwinContext, dKMg: number, naMg: number = c.na0): void {
  const g = htGrade(c.sbp0);
  const k = (clamp(dKMg, -3000, 3000) / 1800) * potassiumSodiumFactor(naMg);
  add(e, CH.sbpDiet, -(2.0 + 3.3 * g) * k);
  add(e, CH.dbpDiet, -(1.0 + 2.1 * g) * k);
  add(e, CH.k, dKMg);
}

// ---------------------------------------------------------------------------------------------
// Diet patterns: target intakes (modelling choices describing each pattern's usual prescription)

interface PatternDef {
  sfa?: number;
  mufa?: number;
  pufa?: number;
  fat?: number;
  protein?: number;
  fibre?: number;
  chol?: number;
  k?: number;
  /** Direct SBP effect by BP status [normotensive, hypertensive] not explained by the nutrients modelled. */
  sbp?: [number, number];
  dbp?: [number, number];
  ppgr?: number; // relative change
  shannon?: number;
  prevotella?: number; // relative change
  a1c?: number; // in type 2 diabetes, points
  crp?: number; // relative change of hs-CRP
  /**
   * Fraction of the pattern's fatty-acid and cholesterol targets that is achieved at full
   * adherence (free-living prescriptions whose effects are taken from intention-to-treat
   * meta-analyses; see LC_LF_ACHIEVED). Default 1.
   */
  achieved?: number;
}

/**
 * Low-carbohydrate and low-fat patterns: share of the prescribed fatty-acid and dietary-cholesterol
 * change that reaches the lipids at adherence 1. Their weight effect (LOW_CARB_KCAL) is calibrated
 * to the intention-to-treat difference of the meta-analyses, and so are their lipid effects: with the
 * full prescriptions (25 vs ~62 %E carbohydrate) the Mensink coefficients gave low-carbohydrate vs
 * low-fat TG -38 mg/dL (-0.43 mmol/L) and HDL +8.1 mg/dL (+0.21 mmol/L) at 12 months, larger than
 * published: TG -0.10 mmol/L (95% CI -0.16 to -0.04), HDL +0.05 (0.03 to 0.08), LDL +0.07 at 6-12
 * months over 38 RCTs, n = 6,499 (Chawla S et al. Nutrients 2020;12:3774 doi:10.3390/nu12123774,
 * abstract seen), and for Atkins-type diets (< 20 %E carbohydrate) TG -0.26 mmol/L (-0.37 to -0.14),
 * HDL +0.14 (0.09 to 0.19), LDL +0.16 (0.003 to 0.33) (Mansoor N et al. Br J Nutr 2016;115:466-79
 * doi:10.1017/S0007114515004699; figures recalled, unverified). In free-living trials the achieved
 * macronutrient difference is far smaller than prescribed (e.g. DIETFITS, Gardner CD et al. JAMA
 * 2018;319:667-79 doi:10.1001/jama.2018.0245: ~30 vs ~48 %E carbohydrate at 12 months; recalled,
 * unverified). 0.5 puts the low-carbohydrate vs low-fat differences at TG ~ -0.28, HDL ~ +0.12,
 * LDL ~ +0.12 mmol/L, within Mansoor's intervals and above Chawla's broader-definition estimates
 * (modelling choice within the published range). Explicit sfa/mufa/pufa/cholesterol targets in a
 * trial file are taken as achieved (no fraction).
 */
export const LC_LF_ACHIEVED = 0.5;

/**
 * DASH (Appel LJ et al. NEJM 1997;336:1117-24 doi:10.1056/NEJM199704173361601): SBP/DBP -5.5/-3.0
 * overall, -11.4/-5.5 in hypertension, -3.5/-2.1 without (figures recalled, unverified); the
 * DASH menu is ~27 %E fat, 6 %E SFA, 150 mg cholesterol, ~30 g fibre, ~4,700 mg potassium.
 * Its BP effect is applied directly (it includes the potassium and fibre it provides), so the
 * potassium change of a DASH pattern does not add a separate BP effect.
 */
const PATTERNS: Record<DietPattern, PatternDef> = {
  usual: {},
  dash: { fat: 27, sfa: 6, mufa: 12, pufa: 8, chol: 150, fibre: 30, k: 4400, protein: 18, sbp: [-3.5, -11.4], dbp: [-2.1, -5.5], shannon: 0.1 },
  // Mediterranean: high MUFA (olive oil), nuts, fibre; BP effect about -1.5/-0.9 mmHg (modelling choice).
  // hs-CRP: Mediterranean diet vs control -0.98 mg/L (95% CI -1.48 to -0.49) in a meta-analysis
  // of RCTs (Schwingshackl L, Hoffmann G. Nutr Metab Cardiovasc Dis 2014;24:929-39
  // doi:10.1016/j.numecd.2014.03.003; figure recalled, unverified); on the log scale about -25%
  // at the arithmetic mean hs-CRP ~4 mg/L of such trial populations (conversion a modelling choice).
  mediterranean: { fat: 37, sfa: 9, mufa: 19, pufa: 7, fibre: 27, chol: 220, sbp: [-1.5, -2.5], dbp: [-0.9, -1.5], shannon: 0.15, crp: -0.25 },
  // Low-carbohydrate: carbohydrate ~25 %E; HbA1c -0.3 in type 2 diabetes at 6 months (modelling choice).
  low_carb: { fat: 50, sfa: 15, mufa: 20, pufa: 10, protein: 25, fibre: 15, chol: 450, a1c: -0.3, ppgr: -0.35, achieved: LC_LF_ACHIEVED },
  low_fat: { fat: 22, sfa: 7, mufa: 8, pufa: 5, fibre: 22, chol: 200, achieved: LC_LF_ACHIEVED },
  vegan: { fat: 25, sfa: 5, mufa: 9, pufa: 9, protein: 14, fibre: 40, chol: 0, k: 3800, shannon: 0.2, prevotella: 0.8, sbp: [-1.5, -3], dbp: [-1, -2] },
  vegetarian: { fat: 29, sfa: 8, mufa: 10, pufa: 8, protein: 15, fibre: 30, chol: 150, shannon: 0.15, prevotella: 0.5, sbp: [-1, -2], dbp: [-0.7, -1.3] },
  // Personalised postprandial-response diet: lower PPGR (Zeevi D et al. Cell 2015;163:1079-94
  // doi:10.1016/j.cell.2015.11.001); size -30% is a modelling choice.
  personalised_ppgr: { ppgr: -0.3, a1c: -0.1 },
};

/**
 * Fat quality -> lipids, Mensink 2016 (WHO; coefficients in Maki KC et al. Adv Nutr 2018;9:688-700,
 * PMC6247292 Table 2). Per 1 %E of SFA replaced by carbohydrate / cis-MUFA / cis-PUFA (mmol/L):
 * LDL -0.033 / -0.042 / -0.055; HDL -0.010 / -0.002 / -0.005; TG +0.011 / -0.004 / -0.010.
 * With carbohydrate as the reference nutrient (carbohydrate absorbs the rest of the energy):
 * per +1 %E SFA: LDL +0.033, HDL +0.010, TG -0.011; per +1 %E MUFA: LDL -0.009, HDL +0.008,
 * TG -0.015; per +1 %E PUFA: LDL -0.022, HDL +0.005, TG -0.021.
 */
function fatQuality(e: Effect, dS: number, dM: number, dP: number): void {
  add(e, CH.ldl, 38.67 * (0.033 * dS - 0.009 * dM - 0.022 * dP));
  add(e, CH.hdl, 38.67 * (0.01 * dS + 0.008 * dM + 0.005 * dP));
  add(e, CH.tg, 88.57 * (-0.011 * dS - 0.015 * dM - 0.021 * dP));
  add(e, CH.sfa, dS);
  add(e, CH.mufa, dM);
  add(e, CH.pufa, dP);
}

/**
 * Dietary cholesterol -> total cholesterol, saturating (docs/sources/physiology.md C3.4; attributed to Hopkins
 * PN, Am J Clin Nutr 1992;55:1060-70, attribution unverified): dTC (mmol/L) =
 * 1.22 exp(-0.00384 x0)(1 - exp(-0.00136 x)), x added mg/day on baseline x0. Applied with the same
 * form for reductions; 90% of the TC change is LDL (modelling choice).
 */
function dietaryCholesterol(e: Effect, x0: number, dx: number): void {
  const dtc = 1.22 * Math.exp(-0.00384 * Math.max(0, dx < 0 ? x0 + dx : x0)) * (1 - Math.exp(-0.00136 * Math.abs(dx)));
  add(e, CH.ldl, Math.sign(dx) * 0.9 * 38.67 * dtc);
  add(e, CH.chol, dx);
}

/**
 * Soluble fibre -> LDL: -0.057 mmol/L per g/day (95% CI -0.070 to -0.044), valid 2-10 g/day
 * (Brown L et al. Am J Clin Nutr 1999;69:30-42 doi:10.1093/ajcn/69.1.30). Soluble share of total
 * dietary fibre ~0.3 (docs/sources/physiology.md B, unverified); psyllium ~0.7 soluble (modelling choice).
 */
function solubleFibre(e: Effect, grams: number): void {
  add(e, CH.ldl, -0.057 * 38.67 * clamp(grams, -10, 10));
}

/** Microbiome response to added fibre: Shannon +0.01 per g, butyrate producers +2% relative per g (modelling choices). */
function fibreMicrobiome(e: Effect, dFibre: number): void {
  add(e, CH.shannon, 0.01 * dFibre);
  add(e, CH.lnButyrate, 0.02 * dFibre);
  add(e, CH.fibre, dFibre);
}

function dietEffect(iv: DietIntervention, c: TwinContext): Effect {
  const e: Effect = new Map();
  const p = PATTERNS[iv.pattern ?? 'usual'];
  const onDash = iv.pattern === 'dash';
  // fat quality
  // pattern targets move intakes by the achieved share of the prescribed change (LC_LF_ACHIEVED)
  const ach = p.achieved ?? 1;
  const target = (explicit: number | undefined, pat: number | undefined, x0: number): number =>
    explicit ?? (pat === undefined ? x0 : x0 + ach * (pat - x0));
  const sfa = target(iv.sfaPct, p.sfa, c.sfa0);
  const mufa = target(iv.mufaPct, p.mufa, c.mufa0);
  const pufa = target(iv.pufaPct, p.pufa, c.pufa0);
  fatQuality(e, sfa - c.sfa0, mufa - c.mufa0, pufa - c.pufa0);
  const fat = iv.fatPct ?? p.fat ?? (iv.carbPct !== undefined ? 100 - iv.carbPct - (iv.proteinPct ?? c.protein0) : c.fat0);
  add(e, CH.fat, fat - c.fat0);
  add(e, CH.protein, (iv.proteinPct ?? p.protein ?? c.protein0) - c.protein0);
  // nuts: LDL -4.8 mg/dL per 28 g serving (Del Gobbo LC et al. Am J Clin Nutr 2015;102:1347-56
  // doi:10.3945/ajcn.115.110965; recalled, unverified)
  if (iv.nutsG) add(e, CH.ldl, (-4.8 * iv.nutsG) / 28);
  if (iv.oliveOilG) fatQuality(e, 0, (iv.oliveOilG * 9 * 0.73) / (c.energy0 / 100), 0); // olive oil ~73% MUFA
  // cholesterol, eggs (~186 mg cholesterol per large egg, USDA FoodData Central; recalled)
  let dChol = target(iv.cholesterolMg, p.chol, c.chol0) - c.chol0;
  if (iv.eggsPerDay) dChol = (iv.cholesterolMg ?? c.chol0) + 186 * iv.eggsPerDay - c.chol0;
  dietaryCholesterol(e, c.chol0, dChol);
  // fibre
  const dFibre = (iv.fibreG ?? p.fibre ?? c.fibre0) - c.fibre0;
  solubleFibre(e, 0.3 * dFibre + (iv.betaGlucanG ?? 0));
  fibreMicrobiome(e, dFibre + (iv.betaGlucanG ?? 0));
  // sodium, potassium
  let dNa = 0;
  if (iv.sodiumMg !== undefined) dNa = iv.sodiumMg - c.na0;
  else if (iv.sodiumChangeMg !== undefined) dNa = iv.sodiumChangeMg;
  let dK = (iv.potassiumMg ?? p.k ?? c.k0) - c.k0;
  if (iv.saltSubstituteKclPct || iv.saltSubstituteNaclPct !== undefined) {
    // ~75% of sodium is from salt added in cooking/at table where substitutes are used (modelling
    // choice). Sodium falls by the substitute's non-NaCl share (used gram for gram in place of
    // salt: 62.5% NaCl + 25% KCl + 12.5% other salts lowers that sodium by 37.5%); potassium rises
    // by the KCl share, mole for mole of the sodium it replaces (39.1 mg K per 23 mg Na)
    const kcl = (iv.saltSubstituteKclPct ?? 0) / 100;
    const nacl = (iv.saltSubstituteNaclPct ?? 100 * (1 - kcl)) / 100;
    const saltNa = c.na0 * 0.75;
    dNa -= saltNa * (1 - nacl);
    dK += ((saltNa * kcl) / 23) * 39.1;
  }
  if (dNa !== 0) sodiumEffect(e, c, dNa);
  if (onDash) {
    add(e, CH.k, dK);
    add(e, CH.dashOn, 1);
  }
  else if (dK !== 0) potassiumEffect(e, c, dK, c.na0 + dNa);
  // pattern BP effect not explained by the above
  if (p.sbp) add(e, CH.sbpDiet, p.sbp[0] + (p.sbp[1] - p.sbp[0]) * htGrade(c.sbp0));
  if (p.dbp) add(e, CH.dbpDiet, p.dbp[0] + (p.dbp[1] - p.dbp[0]) * htGrade(c.sbp0));
  if (p.ppgr) add(e, CH.lnPpgr, Math.log(1 + p.ppgr));
  if (p.shannon) add(e, CH.shannon, p.shannon);
  if (p.prevotella) add(e, CH.lnPrevotella, Math.log(1 + p.prevotella));
  if (p.a1c) add(e, CH.a1c, p.a1c * clamp((c.a1c0 - 5.5) / 2, 0, 1.5));
  if (p.crp) add(e, CH.lnCrp, Math.log(1 + p.crp));
  // carbohydrate share moves the post-prandial response: -1% PPGR per -1 %E carbohydrate (modelling choice)
  const dCarb = -(fat - c.fat0) - ((iv.proteinPct ?? p.protein ?? c.protein0) - c.protein0);
  add(e, CH.lnPpgr, 0.01 * dCarb);
  // energy. Every intake change below is the prescription (or the spontaneous change) at full
  // adherence; the simulator adds the appetite feedback (intake rises with weight lost), so
  // weight plateaus instead of falling for years.
  const energyTarget = !!iv.energyChangeKcal || !!iv.totalDietReplacementKcal;
  if (iv.energyChangeKcal) add(e, CH.eiAbs, iv.energyChangeKcal);
  if (iv.totalDietReplacementKcal) {
    add(e, CH.eiAbs, iv.totalDietReplacementKcal - c.energy0);
    // A formula-only diet fixes what an adherent person eats: the appetite feedback cannot raise
    // intake while the formula is followed (modelling choice; hunger shows up as lower adherence).
    add(e, CH.fbAtten, 1);
  }
  const carb0 = 100 - c.fat0 - c.protein0;
  if (!energyTarget && dCarb < 0) {
    // Ad libitum carbohydrate restriction lowers intake spontaneously: low-carbohydrate vs
    // low-fat diets, weight -2.17 kg (95% CI -3.36 to -0.99) at >= 6 months (Mansoor N et al.
    // Br J Nutr 2016;115:466-79 doi:10.1017/S0007114515004699; figure recalled, unverified).
    // With the appetite feedback an intake cut of ~LOW_CARB_KCAL kcal/day settles ~2.2 kg lower
    // (derived by running the model, docs/reference-world.md); full effect at 25 %E carbohydrate,
    // none at >= 45 %E (the usual upper bound of low-carbohydrate definitions), linear between
    // and up to 1.4x below 25 %E (modelling choices).
    const lowCarb = (carb: number): number => clamp((LOW_CARB_FROM - carb) / (LOW_CARB_FROM - 25), 0, 1.4);
    add(e, CH.eiAbs, -LOW_CARB_KCAL * (lowCarb(carb0 + dCarb) - lowCarb(carb0)));
  }
  if (iv.fasting) {
    // Fasting regimens act through energy intake. Time-restricted eating without an energy
    // target: weight -0.90 kg (95% CI -1.71 to -0.10) vs unrestricted eating in a meta-analysis of
    // RCTs of mostly 4-12 weeks (Moon S et al. Nutrients 2020;12:1267 doi:10.3390/nu12051267;
    // recalled, unverified): -150 kcal/day for an 8-h window gives ~ -1 kg at 8-12 weeks here
    // with the appetite feedback. With a matched energy target TRE adds nothing (Liu D et al. NEJM
    // 2022;386:1495-504 doi:10.1056/NEJMoa2114833: -1.8 kg, 95% CI -4.0 to 0.4, n.s.), so it has
    // no intake effect beyond an energy prescription. Alternate-day fasting ~25% average
    // restriction; 5:2 two days at 25% of needs ~ -21% (modelling choices). The same holds for
    // intermittent regimens: at a prescribed energy deficit they lose as much weight as
    // continuous restriction at the same deficit (weight -0.61 kg, 95% CI -1.70 to 0.47, 11 RCTs
    // of 8-24 weeks; Cioffi I et al. J Transl Med 2018;16:371 doi:10.1186/s12967-018-1748-4), so
    // with an energy target the regimen is only how the target is delivered and adds no
    // restriction of its own (until 2026-11-29 alternate-day and 5:2 added theirs on top).
    if (!energyTarget) {
      if (iv.fasting.regimen === 'time_restricted') add(e, CH.eiAbs, -150 * clamp((16 - (iv.fasting.windowHours ?? 8)) / 8 + 0.5, 0.25, 1.5));
      else if (iv.fasting.regimen === 'alternate_day') add(e, CH.eiFrac, -0.25);
      else add(e, CH.eiFrac, -0.21);
    }
  }
  return e;
}

/** Carbohydrate share (%E) below which the spontaneous intake reduction starts (modelling choice). */
const LOW_CARB_FROM = 45;
/** Spontaneous intake reduction of an ad libitum ~25 %E carbohydrate diet, kcal/day (Mansoor 2016 via the model; see dietEffect). */
export const LOW_CARB_KCAL = 270;

// ---------------------------------------------------------------------------------------------
// Drugs

/** Daily dose in the drug's unit. */
function dailyDose(iv: DrugIntervention): number {
  return (iv.dose * perWeek(iv.frequency)) / 7;
}

/**
 * Statins: % LDL reduction log-linear in dose (Law MR, Wald NJ, Rudnicka AR. BMJ 2003;326:1423
 * doi:10.1136/bmj.326.7404.1423): atorvastatin 37% at 10 mg, rosuvastatin 38% at 5 mg,
 * simvastatin 27% at 10 mg, pravastatin 20% at 10 mg; +6/+5/+5/+4.5 points per doubling
 * (atorva 43/49/55, rosuva 43/48/53, simva 32/37/42, prava 24/29 at the doubled doses).
 */
const STATIN: Record<string, [number, number, number]> = {
  atorvastatin: [10, 37, 6],
  rosuvastatin: [5, 38, 5],
  simvastatin: [10, 27, 5],
  pravastatin: [10, 20, 4.5],
};

/**
 * Blood-pressure drugs at standard dose, placebo-adjusted at a pre-treatment BP of 154/97
 * (Law MR, Wald NJ, Morris JK, Jordan RE. BMJ 2003;326:1427 doi:10.1136/bmj.326.7404.1427;
 * recalled, unverified): thiazide 8.8/4.4, beta-blocker 9.2/6.7, ACE inhibitor 8.5/4.7, ARB 10.3/5.7,
 * CCB 8.8/5.9 mmHg; half standard dose gives ~80% of the effect (same source), modelled as
 * -20% per halving; effects are smaller at lower pre-treatment BP (same source): scaled by
 * (SBP0 - 90)/64, clamped 0.3-1.5. Spironolactone 25-50 mg in resistant hypertension: home SBP
 * -8.7 mmHg vs placebo (Williams B et al. PATHWAY-2, Lancet 2015;386:2059-68
 * doi:10.1016/S0140-6736(15)00257-3; recalled, unverified; DBP 4.5 recalled, unverified). The
 * world simulates clinic BP, so these home-BP figures are converted to clinic with the home/clinic
 * ratio of drug-induced changes, 0.80 SBP / 0.78 DBP (Ishikawa J et al. Hypertension
 * 2008;52:856-64 doi:10.1161/HYPERTENSIONAHA.108.115600): 10.8 / 5.8 (2026-11-29; was 8.7 / 4.5
 * used as clinic values). PATHWAY-2 is in-sample for the benchmark comparison that mirrors it.
 */
const BP_CLASS: Record<string, [number, number]> = {
  thiazide: [8.8, 4.4],
  beta_blocker: [9.2, 6.7],
  ace_inhibitor: [8.5, 4.7],
  arb: [10.3, 5.7],
  ccb: [8.8, 5.9],
  mra: [10.8, 5.8],
};
/** Standard daily doses used for the dose scaling (usual maintenance doses, FDA labels). */
const STD_DOSE: Record<string, number> = {
  amlodipine: 5, chlorthalidone: 25, hydrochlorothiazide: 25, indapamide: 1.5, losartan: 50, irbesartan: 150,
  lisinopril: 10, bisoprolol: 5, spironolactone: 25,
};

/**
 * GLP-1 and GIP/GLP-1 agonists: placebo-subtracted % weight loss as an Emax function of dose
 * (weekly-equivalent mg for weekly drugs, daily mg for daily ones). Anchors: semaglutide 2.4 mg
 * -12.4% at 68 weeks (STEP 1, Wilding JPH et al. NEJM 2021;384:989-1002
 * doi:10.1056/NEJMoa2032183); tirzepatide 5/10/15 mg -11.9/-16.4/-17.8% at 72 weeks (SURMOUNT-1,
 * Jastreboff AM et al. NEJM 2022;387:205-16 doi:10.1056/NEJMoa2206038, minus placebo -3.1%);
 * liraglutide 3 mg -5.4% at 56 weeks (SCALE, Pi-Sunyer X et al. NEJM 2015;373:11-22
 * doi:10.1056/NEJMoa1411892; recalled, unverified); oral semaglutide 14 mg ~ -6% (modelling
 * choice). STEP 1 and SURMOUNT-1 are benchmark trials: comparisons mirroring them are in-sample.
 * [Emax %, ED50, direct HbA1c effect in type 2 diabetes at full Emax, points]
 * Direct HbA1c (beyond weight): semaglutide 1 mg -1.5 vs placebo in SUSTAIN 1 (Sorli C et al.
 * Lancet Diabetes Endocrinol 2017;5:251-60 doi:10.1016/S2213-8587(17)30013-X; recalled,
 * unverified), tirzepatide ~ -2.0 (modelling choice), part of which the weight route supplies.
 */
const INCRETIN: Record<string, [number, number, number]> = {
  semaglutide: [16, 0.7, 1.2],
  oral_semaglutide: [9, 7, 1.0],
  liraglutide: [9, 2, 1.0],
  tirzepatide: [19, 2.4, 1.6],
};
/**
 * Placebo-subtracted weight fraction -> persistent intake reduction (fraction of baseline intake).
 * The drug's appetite suppression is constant; the appetite feedback (INCRETIN_FEEDBACK_ATTEN of
 * it switched off at full drug effect) and the Hall expenditure adaptation bring weight to a
 * plateau. Derived by running the model in the anchors' own design (scripts/derive-incretin-factor.mjs):
 * BMI 30-45 without diabetes, lifestyle counselling in both arms (-500 kcal/day, 150 min/week),
 * dose escalation every 4 weeks, the default drug adherence 0.9; 3.0 gives semaglutide 2.4 mg
 * -12.5% (anchor -12.4) and tirzepatide 5/10/15 mg -12.2/-16.1/-18.0% (anchors -11.9/-16.4/-17.8)
 * vs lifestyle alone. Was 2.5, derived at full adherence without the background lifestyle; once
 * the feedback attenuation was limited to the drug's own share of the intake cut
 * (feedbackAttenuation in simulator.ts), that derivation left STEP 1 at -10.4 in its own design.
 * In-sample for STEP 1 and SURMOUNT-1.
 */
export const INCRETIN_INTAKE_FACTOR = 3.0;
/**
 * Incretin drugs weaken the appetite feedback: fitting the Hall model to mean weight curves needed
 * a much weaker feedback for semaglutide 2.4 mg and tirzepatide 10 mg than for calorie restriction,
 * and their time to plateau was about twice as long (Hall KD. Physiology of the weight-loss plateau
 * in response to diet restriction, GLP-1 receptor agonism, and bariatric surgery. Obesity 2024;
 * preprint doi:10.1101/2023.11.05.565699). Doubling the time constant rho/(k + s) with
 * k = 100 (APPETITE_FEEDBACK) and s ~ 25 kcal/day/kg (Hall expenditure adaptation) needs
 * k ~ 37, i.e. ~63% of the feedback removed at semaglutide 2.4 mg (derived, modelling choice);
 * scaled by the drug's Emax dose fraction: 0.82 x D/(ED50 + D) (0.63 at semaglutide 2.4 mg).
 */
export const INCRETIN_FEEDBACK_ATTEN = 0.82;

/**
 * PCSK9 antibodies, LDL-C % reduction vs placebo as Emax(two-weekly-equivalent mg): [Emax %, ED50 mg].
 * Evolocumab: -59% at 48 weeks, 140 mg every 2 weeks or 420 mg monthly at the patient's choice
 * (FOURIER, Sabatine MS et al. NEJM 2017;376:1713-22 doi:10.1056/NEJMoa1615664); Emax 70, ED50 25
 * gives 59% at 140 mg/2 weeks and 62% at 420 mg monthly (the two regimens are labelled as
 * equivalent; ED50 a modelling choice). Alirocumab: 150 mg every 2 weeks -62 percentage points vs
 * placebo at week 24 (ODYSSEY LONG TERM, Robinson JG et al. NEJM 2015;372:1489-99
 * doi:10.1056/NEJMoa1501031); 75 mg gives 0.75 of the 150 mg effect in the same patients
 * (week 8: -47.3% at 75 mg vs -63.1% at 150 mg, ODYSSEY OLE heterozygous FH cohort, conference
 * abstract); Emax 93, ED50 75 mg pass through 46.5% at 75 mg and 62% at 150 mg (derived).
 * Was Emax 65 / ED50 30 for both (evolocumab 140 mg -53%, alirocumab 150 mg -50%: too small).
 */
export const PCSK9_MAB: Record<string, [number, number]> = {
  evolocumab: [70, 25],
  alirocumab: [93, 75],
};

function drugEffect(iv: DrugIntervention, c: TwinContext): Effect {
  const e: Effect = new Map();
  const def = findDrug(iv.drug);
  if (!def) return e;
  const dd = dailyDose(iv);
  switch (def.class) {
    case 'statin': {
      const [d0, p0, s] = STATIN[def.name] ?? [10, 30, 5];
      const pct = clamp(p0 + s * Math.log2(dd / d0), 5, 65) * c.ldlResp;
      add(e, CH.lnLdl, Math.log(1 - clamp(pct, 0, 80) / 100));
      // hs-CRP falls ~ 15-35% on statins (modelling choice, -20%)
      add(e, CH.lnCrp, Math.log(0.8));
      break;
    }
    case 'ezetimibe':
      // LDL -18.6% as monotherapy (Pandor A et al. J Intern Med 2009;265:568-80
      // doi:10.1111/j.1365-2796.2008.02062.x; recalled, unverified), multiplicative with statins.
      add(e, CH.lnLdl, Math.log(1 - 0.186 * c.ldlResp));
      break;
    case 'pcsk9_antibody': {
      // Emax on the two-weekly-equivalent dose, per drug (PCSK9_MAB).
      const d2w = (iv.dose * perWeek(iv.frequency)) * 2;
      const [emax, ed50] = PCSK9_MAB[def.name] ?? PCSK9_MAB.evolocumab;
      const pct = (emax * d2w) / (ed50 + d2w);
      add(e, CH.lnLdl, Math.log(1 - clamp(pct * c.ldlResp, 0, 85) / 100));
      break;
    }
    case 'sirna_pcsk9':
      // Inclisiran LDL -52% / -50% time-adjusted (ORION-10/11, Ray KK et al. NEJM 2020;382:1507-19
      // doi:10.1056/NEJMoa1912387).
      add(e, CH.lnLdl, Math.log(1 - 0.51 * c.ldlResp));
      break;
    case 'bempedoic_acid':
      // LDL -18.1% placebo-corrected on statins (CLEAR Harmony, Ray KK et al. NEJM 2019;380:1022-32
      // doi:10.1056/NEJMoa1803917); ~ -25% without a statin (recalled, unverified).
      add(e, CH.lnLdl, Math.log(1 - (c.onStatin ? 0.181 : 0.25) * c.ldlResp));
      break;
    case 'omega3':
      omega3Effect(e, c, dd);
      break;
    case 'biguanide': {
      // Metformin monotherapy HbA1c -1.12 (0.92-1.32) vs placebo (Hirst JA et al. Diabetes Care
      // 2012;35:446-54 doi:10.2337/dc11-1465), higher doses more; +0.5 point more per +1 point
      // baseline HbA1c (Sherifali D et al. Diabetes Care 2010;33:1859-64 doi:10.2337/dc09-1727).
      // Dose shape Emax with ED50 500 mg normalised to 1.12 at 2,000 mg (modelling choice).
      // Hirst's -1.12 is the total effect; the weight route (-0.1/kg x ~2 kg, simulator) supplies
      // ~0.2 of it, so the direct effect at 2,000 mg is 0.92 (derived).
      const eDose = (0.92 * (dd / (dd + 500))) / (2000 / 2500);
      add(e, CH.a1c, -glyEffect(eDose, c));
      // Metformin weight -2.1 kg vs placebo in the DPP (Knowler WC et al. NEJM 2002;346:393-403
      // doi:10.1056/NEJMoa012512): intake -250 kcal/day settles ~2 kg lower with the appetite
      // feedback (modelling choice reproducing that size by running the model).
      add(e, CH.eiAbs, -250);
      add(e, CH.lnInsulin, Math.log(0.9));
      break;
    }
    case 'glp1':
    case 'glp1_gip': {
      const [emax, ed50, a1cMax] = INCRETIN[def.name] ?? [12, 1, 1];
      const dose = def.frequency === 'weekly' ? iv.dose * perWeek(iv.frequency) : dd;
      const frac = dose / (ed50 + dose);
      add(e, CH.eiFrac, -((emax / 100) * frac * INCRETIN_INTAKE_FACTOR * c.appetiteResp));
      add(e, CH.fbAtten, INCRETIN_FEEDBACK_ATTEN * frac);
      add(e, CH.a1c, -glyEffect(a1cMax * frac, c));
      add(e, CH.lnInsulin, Math.log(0.85));
      add(e, CH.lnPpgr, Math.log(0.7));
      break;
    }
    case 'sglt2':
      // SGLT2 inhibitors vs placebo: HbA1c -0.66 (95% CI -0.73 to -0.58), weight -1.80 kg
      // (-2.01 to -1.60) (Vasilakou D et al. Ann Intern Med 2013;159:262-74
      // doi:10.7326/0003-4819-159-4-201308200-00007; figures recalled, unverified; trials' mean
      // baseline HbA1c ~8%). The total at HbA1c0 8 is split into the glucosuric direct effect
      // (SGLT2_A1C, class effect at baseline 8, scaled once by Sherifali's baseline term in
      // glyEffect) and the weight route (-0.1/kg x ~1.8 kg, simulator). SBP/DBP -4/-1.6 mmHg
      // (Baker WL et al. J Am Soc Hypertens 2014;8:262-75 doi:10.1016/j.jash.2014.01.007,
      // recalled, unverified); urinary glucose loss ~60-80 g/day in diabetes ~ 250 kcal/day, less
      // without (modelling choice), largely compensated by intake through the appetite feedback
      // (Polidori D et al. Obesity 2016;24:2289-95 doi:10.1002/oby.21653), so weight settles ~2 kg
      // lower; initial eGFR dip ~ -3 mL/min (modelling choice).
      add(e, CH.a1c, -glyEffect(SGLT2_A1C, c));
      add(e, CH.sbp, -4);
      add(e, CH.dbp, -1.6);
      add(e, CH.eeEx, 250 * clamp((c.a1c0 - 5) / 3, 0.3, 1.5));
      add(e, CH.egfr, -3);
      break;
    default: {
      const bp = BP_CLASS[def.class];
      if (!bp) break;
      const std = STD_DOSE[def.name] ?? def.doses[Math.min(1, def.doses.length - 1)];
      const doseF = clamp(1 + 0.32 * Math.log2(dd / std), 0.4, 1.4);
      const baseF = clamp((c.sbp0 - 90) / 64, 0.3, 1.5);
      add(e, CH.sbp, -bp[0] * doseF * baseF * c.bpResp);
      add(e, CH.dbp, -bp[1] * doseF * baseF * c.bpResp);
      // Beta-blockers lower resting heart rate ~10 bpm (modelling choice).
      if (def.class === 'beta_blocker') add(e, CH.hr, -10 * doseF);
    }
  }
  return e;
}

/** SGLT2 direct HbA1c class effect at baseline 8%: -0.66 total (Vasilakou 2013) minus ~0.18 via weight. */
export const SGLT2_A1C = 0.48;

/**
 * Omega-3 fatty acids (EPA+DHA or EPA alone) lower TG in proportion to baseline TG: 4 g/day lowers
 * TG by >= 30% in severe hypertriglyceridaemia (TG >= 500 mg/dL) and by 20-30% at TG 200-499,
 * less at normal TG (Skulas-Ray AC et al. Circulation 2019;140:e673-e691
 * doi:10.1161/CIR.0000000000000709). Log-linear in baseline TG at 4 g/day: 12% at 150 mg/dL,
 * +10 points per doubling (22% at 300, 32% at 600), 5-40% (anchors at 150/300 modelling choices
 * within the advisory's ranges); linear in dose up to 4 g/day. Total cholesterol follows through
 * VLDL (TG/5) in the simulator.
 */
function omega3Effect(e: Effect, c: TwinContext, gPerDay: number): void {
  const pct4 = clamp(12 + 10 * Math.log2(Math.max(20, c.tg0) / 150), 5, 40);
  add(e, CH.lnTg, Math.log(1 - (pct4 / 100) * (clamp(gPerDay, 0, 4) / 4)));
}

/**
 * Plant sterols and stanols (dose in g/day of free sterol/stanol equivalents): LDL lowered as a
 * percent of baseline, linearly interpolated through the dose-category means of Ras RT, Geleijnse
 * JM, Trautwein EA. Br J Nutr 2014;112:214-9 doi:10.1017/S0007114514000750 (124 studies, 201
 * strata; per-category results as tabulated in Nutrients 2018;10:1262 doi:10.3390/nu10091262,
 * Table 1): < 1.0 g -5.7% (95% CI -4.4 to -7.1), 1.0-1.5 g -6.4, 1.5-2.0 g -7.6 (-6.8 to -8.4),
 * 2.0-2.5 g -8.4 (-7.6 to -9.2), 2.5-3.0 g -10.3, 3.0-4.0 g -12.4 (-11.2 to -13.6). The lowest and
 * highest category mean doses are 0.6 and 3.3 g (abstract); the middle ones are placed at 1.2, 1.7,
 * 2.1 and 2.7 g, where trials cluster at round doses (modelling choice). Check: 8.6% at 2.15 g
 * against 8.8% (8.3-9.4) at a mean 2.15 g in Demonty I et al. J Nutr 2009;139:271-84
 * doi:10.3945/jn.108.095125. Through zero below 0.6 g. Above 3.3 g (not pooled by Ras) the effect
 * rises slowly towards 15.4% (modelling choice; stanols up to ~18% at 9-10 g/day in five trials,
 * review in Lipids Health Dis 2012;11:140, abstract seen, authors recalled as Laitinen K, Gylling H). Sterols and stanols do not
 * differ over 0.6-3.3 g (Ras 2014, Demonty 2009). Was an Emax curve through the two end points
 * (Emax 15.4%, ED50 0.94 g), which gave 9.8-10.6% at 1.7-2.15 g, above both meta-analyses' CIs.
 * Total cholesterol follows in mg/dL (HDL and TG unchanged): TC = LDL + HDL + TG/5 in the simulator.
 */
export const STEROL_DOSE_PCT: readonly (readonly [number, number])[] = [
  [0, 0], [0.6, 5.7], [1.2, 6.4], [1.7, 7.6], [2.1, 8.4], [2.7, 10.3], [3.3, 12.4],
];
const STEROL_MAX_PCT = 15.4;
/** LDL lowering (% of baseline) at a daily plant sterol/stanol dose in g. */
export function sterolLdlPct(g: number): number {
  const t = STEROL_DOSE_PCT;
  if (!(g > 0)) return 0;
  const [gHi, pHi] = t[t.length - 1];
  if (g >= gHi) return STEROL_MAX_PCT - (STEROL_MAX_PCT - pHi) * Math.exp(-(g - gHi) / 2);
  let k = 1;
  while (t[k][0] < g) k++;
  const [g0, p0] = t[k - 1];
  const [g1, p1] = t[k];
  return p0 + ((p1 - p0) * (g - g0)) / (g1 - g0);
}
/**
 * Plant stanol ESTER (the usual form, esterified with vegetable-oil fatty acids in margarines) is
 * converted to free stanol: 0.5 g plant stanols per 0.85 g plant stanol ester, i.e. 0.588 g stanol
 * per g ester (Benecol spread serving label, manufacturer FAQ, benecolusa.com, seen; the ~1.7 g
 * ester per g stanol factor is the one commonly used in the stanol-ester trials, recalled).
 */
export const STANOL_PER_ESTER_G = 0.59;
function sterolEffect(e: Effect, g: number): void {
  add(e, CH.lnLdl, Math.log(1 - sterolLdlPct(g) / 100));
}

/** Baseline-dependent glycaemic drug effect: E + 0.5 x (HbA1c0 - 8) (Sherifali 2010), small but not zero near normoglycaemia. */
function glyEffect(eClass: number, c: TwinContext): number {
  const e = (eClass + 0.5 * (c.a1c0 - 8)) * c.glyResp;
  return Math.max(e, 0.08 * Math.max(0, c.a1c0 - 4.5) * eClass);
}

// ---------------------------------------------------------------------------------------------
// Exercise

/** MET by intensity (Ainsworth BE et al. Med Sci Sports Exerc 2011;43:1575-81 doi:10.1249/MSS.0b013e31821ece12; typical values). */
const MET = { light: 3, moderate: 4.5, vigorous: 7 } as const;

/**
 * Exercise and BP (Cornelissen VA, Smart NA. J Am Heart Assoc 2013;2:e004473
 * doi:10.1161/JAHA.112.004473): endurance -0.75 (normotensive) / -2.1 (pre-hypertensive) /
 * -8.3 mmHg (hypertensive) SBP and -1.1/-1.7/-5.2 DBP; dynamic resistance -1.8/-3.2; isometric
 * -10.9/-6.2; combined SBP n.s., DBP -2.2. Scaled by minutes/150 (modelling choice, capped 1.33).
 * HbA1c in type 2 diabetes -0.36 at <= 150 and -0.89 at > 150 min/week (Umpierre D et al.
 * JAMA 2011;305:1790-9 doi:10.1001/jama.2011.576). HDL +0.032 mmol/L and weight/waist via the
 * energy balance (Cornelissen VA, Fagard RH. Hypertension 2005;46:667-75).
 */
function exerciseEffect(iv: ExerciseIntervention, c: TwinContext): Effect {
  const e: Effect = new Map();
  const minutes = iv.minutesPerWeek ?? (iv.sessionsPerWeek ? iv.sessionsPerWeek * (iv.type === 'isometric_handgrip' ? 12 : 45) : iv.stepsPerDay ? 0 : 150);
  const dose = clamp(minutes / 150, 0, 1.33);
  const met = MET[iv.intensity] + (iv.type === 'hiit' ? 2 : 0);
  const sbpStatus = c.sbp0 >= 140 ? 2 : c.sbp0 >= 120 ? 1 : 0;
  const endS = [-0.75, -2.1, -8.3][sbpStatus];
  const endD = [-1.1, -1.7, -5.2][sbpStatus];
  let s = 0;
  let d = 0;
  switch (iv.type) {
    case 'aerobic': case 'walking': case 'hiit': case 'physical_activity_programme':
      s = endS; d = endD; break;
    case 'resistance':
      s = -1.8; d = -3.2; break;
    case 'combined':
      s = 0.5 * endS; d = -2.2; break;
    case 'isometric_handgrip':
      s = -10.9; d = -6.2; break;
    case 'tai_chi': case 'yoga':
      s = 0.6 * endS; d = 0.6 * endD; break; // modelling choice
  }
  const bpDose = iv.type === 'isometric_handgrip' ? 1 : dose;
  add(e, CH.sbpEx, s * bpDose);
  add(e, CH.dbpEx, d * bpDose);
  // energy cost: kcal/min = MET x 3.5 x kg / 200 (ACSM metabolic equation); net of resting (MET - 1)
  const stepMinutes = iv.stepsPerDay ? (Math.max(0, iv.stepsPerDay - c.steps0) / 100) * 7 : 0; // ~100 steps/min walking
  const totalMin = (iv.type === 'isometric_handgrip' ? 0 : minutes) + stepMinutes;
  add(e, CH.eeEx, ((met - 1) * 3.5 * c.weight) / 200 * totalMin / 7);
  // HbA1c: Umpierre dose groups, scaled by glycaemic status (full effect at HbA1c >= 7.5%)
  const a1cT2d = totalMin > 150 ? -0.89 : -0.36 * Math.min(1, totalMin / 100);
  add(e, CH.a1c, a1cT2d * clamp((c.a1c0 - 5.3) / 2.2, 0.05, 1.2));
  add(e, CH.hdl, 0.032 * 38.67 * Math.min(1, totalMin / 150));
  add(e, CH.lnInsulin, Math.log(1 - 0.1 * Math.min(1, totalMin / 150)));
  add(e, CH.mvpa, iv.intensity === 'light' ? 0 : minutes);
  add(e, CH.steps, iv.stepsPerDay ? Math.max(0, iv.stepsPerDay - c.steps0) : ['walking', 'aerobic', 'physical_activity_programme'].includes(iv.type) ? (minutes * 100) / 7 : 0);
  add(e, CH.hr, restingHrEffect(iv, c, totalMin));
  // RMSSD +0.1% per weekly minute (modelling choice), capped
  add(e, CH.lnHrv, Math.min(0.15, 0.001 * totalMin));
  return e;
}

/**
 * Resting heart rate. 20 weeks of moderate-to-high intensity endurance training lowered resting HR
 * by only 2.6 bpm (n = 253; 2.7 bpm averaged over three resting conditions, HERITAGE: Wilmore JH
 * et al. Med Sci Sports Exerc 1996;28:829-35 doi:10.1097/00005768-199607000-00009). In a
 * meta-analysis of 191 controlled trials, all types lowered resting HR, but only endurance training
 * and yoga did so significantly in both sexes (strength training did not), and the fall was larger
 * at higher pre-training resting HR and smaller at older age (Reimers AK, Knapp G, Reimers CD.
 * J Clin Med 2018;7:503 doi:10.3390/jcm7120503; abstract, effect sizes not seen).
 * Model: -2.7 bpm for 150 min/week of moderate endurance training, linear in minutes (x1.33 max)
 * and in net MET above rest ((MET - 1)/3.5: light 0.57, vigorous 1.71, max 1.8); type factor
 * endurance/yoga 1, combined 0.75, tai chi 0.5, resistance 0.3, isometric 0; x(1 + 0.02 per bpm of
 * baseline HR above 70) and x(1 - 0.01 per year of age above 45), each within 0.6-1.3 (the type
 * factors and the two slopes are modelling choices with the directions Reimers 2018 reports).
 * Was -0.03 bpm per weekly minute for every type and intensity (-4.5 bpm at 150 min).
 */
export const HR_ENDURANCE_150 = 2.7;
const HR_TYPE: Record<ExerciseType, number> = {
  aerobic: 1, walking: 1, hiit: 1, physical_activity_programme: 1, yoga: 1, combined: 0.75, tai_chi: 0.5, resistance: 0.3, isometric_handgrip: 0,
};
function restingHrEffect(iv: ExerciseIntervention, c: TwinContext, totalMin: number): number {
  const typeF = HR_TYPE[iv.type];
  const met = MET[iv.intensity] + (iv.type === 'hiit' ? 2 : 0);
  const intensF = Math.min(1.8, (met - 1) / (MET.moderate - 1));
  const hrF = clamp(1 + 0.02 * (c.hr0 - 70), 0.6, 1.3);
  const ageF = clamp(1 - 0.01 * (c.age - 45), 0.6, 1.3);
  return -HR_ENDURANCE_150 * clamp(totalMin / 150, 0, 1.33) * intensF * typeF * hrF * ageF;
}

// ---------------------------------------------------------------------------------------------

/**
 * Initial intake cut per kg of a programme's target that reaches the target at 6 months at full
 * adherence in this model (with the appetite feedback); derived by running the model on adults
 * with BMI 27-45 (test/population/world.test.ts checks the rule).
 */
export const PROGRAMME_KCAL_PER_KG = 140;

/** Steady-state effects at full adherence of one intervention for one twin. */
export function interventionEffect(iv: Intervention, c: TwinContext): Effect {
  switch (iv.kind) {
    case 'diet':
      return dietEffect(iv, c);
    case 'drug':
      return drugEffect(iv, c);
    case 'exercise':
      return exerciseEffect(iv, c);
    case 'supplement': {
      const e: Effect = new Map();
      switch (iv.supplement) {
        case 'potassium': potassiumEffect(e, c, iv.dose); break;
        case 'plant_sterols': case 'plant_stanols': sterolEffect(e, iv.dose); break;
        case 'plant_stanol_ester': sterolEffect(e, STANOL_PER_ESTER_G * iv.dose); break;
        case 'psyllium': solubleFibre(e, 0.7 * iv.dose); fibreMicrobiome(e, iv.dose); break;
        case 'oat_beta_glucan': solubleFibre(e, iv.dose); fibreMicrobiome(e, iv.dose); break;
        case 'fibre': solubleFibre(e, 0.3 * iv.dose); fibreMicrobiome(e, iv.dose); break;
        case 'omega3': omega3Effect(e, c, iv.dose); break;
      }
      return e;
    }
    case 'sleep': {
      const e: Effect = new Map();
      const ext = iv.extendHours ?? Math.max(0, (iv.targetHours ?? c.sleep0) - c.sleep0);
      add(e, CH.sleep, ext);
      // Sleep extension in habitual short sleepers: intake -270 kcal/day for +1.2 h (Tasali E et al.
      // JAMA Intern Med 2022;182:365-74 doi:10.1001/jamainternmed.2021.8098), i.e. -225 kcal per
      // hour, only below 7 h baseline; HOMA-IR +0.22 per hour lost (Zuraikat FM et al. Diabetes
      // Care 2023) used in reverse for insulin (modelling choice: -8% per hour gained).
      const gain = Math.max(0, Math.min(ext, 7.5 - c.sleep0));
      add(e, CH.eiAbs, -225 * gain * (c.sleep0 < 7 ? 1 : 0.2));
      add(e, CH.lnInsulin, Math.log(1 - 0.08 * Math.min(gain, 2)));
      add(e, CH.sleepEff, -1.5 * ext); // longer time in bed lowers efficiency a little (modelling choice)
      return e;
    }
    case 'behaviour': {
      const e: Effect = new Map();
      if (iv.alcoholDrinksPerDay !== undefined && iv.alcoholDrinksPerDay < c.alcohol0) {
        const red = c.alcohol0 - iv.alcoholDrinksPerDay;
        add(e, CH.alcohol, -red);
        // Alcohol reduction: no BP change at <= 2 drinks/day; at >= 6/day halving intake -5.50/-3.97
        // mmHg (Roerecke M et al. Lancet Public Health 2017;2:e108-20 doi:10.1016/S2468-2667(17)30003-8);
        // interpolated linearly between 2 and 6 drinks/day (modelling choice, docs/sources/physiology.md C10).
        const heavy = clamp((c.alcohol0 - 2) / 4, 0, 1);
        const fracRed = red / c.alcohol0;
        add(e, CH.sbpAlc, -5.5 * heavy * clamp(fracRed / 0.5, 0, 2));
        add(e, CH.dbpAlc, -3.97 * heavy * clamp(fracRed / 0.5, 0, 2));
        // each drink ~ 100 kcal (14 g ethanol x 7 kcal/g); half compensated (modelling choice)
        add(e, CH.eiAbs, -50 * red);
        add(e, CH.hdl, -1.0 * red); // alcohol raises HDL (modelling choice, ~1 mg/dL per drink)
      }
      if (iv.smokingCessation && c.smoker) {
        add(e, CH.quit, 0.35); // quit probability at full adherence (modelling choice)
      }
      if (iv.sodiumEducation) sodiumEffect(e, c, -0.12 * c.na0); // advice alone ~ -12% sodium (modelling choice)
      return e;
    }
    case 'weight_loss': {
      // Behavioural weight-loss programmes act through energy intake. Real programmes reach their
      // largest loss around 6 months and then plateau or partly regain (Franz MJ et al. J Am Diet
      // Assoc 2007;107:1755-67 doi:10.1016/j.jada.2007.07.017: 5-8.5 kg at 6 months); the
      // appetite feedback in the simulator produces the plateau, the arm's adherence waning the
      // regain (Thomas DM et al. Am J Clin Nutr 2014;100:787-95 doi:10.3945/ajcn.113.079822).
      // Design rule: the initial intake cut is the one that, at full adherence, reaches the
      // target at 6 months in this model (PROGRAMME_KCAL_PER_KG per kg of target, derived by
      // running the model, docs/reference-world.md), counting the programme's added activity.
      // Without a target, support intensity sets the target: 2 / 4.5 / 7% of weight (modelling
      // choices near Franz 2007: advice alone little loss, diet alone ~4.9 kg, diet and exercise
      // ~7.9 kg at 6 months; 7% is the DPP/Look AHEAD goal).
      const e: Effect = new Map();
      const pct = iv.targetPct ?? { minimal: 2, moderate: 4.5, intensive: 7 }[iv.support];
      const targetKg = iv.targetKg ?? (pct / 100) * c.weight;
      // programmes add activity: +60 min/week moderate (modelling choice)
      const ex = ((MET.moderate - 1) * 3.5 * c.weight) / 200 * 60 / 7;
      add(e, CH.eeEx, ex);
      add(e, CH.mvpa, 60);
      add(e, CH.eiAbs, -clamp(PROGRAMME_KCAL_PER_KG * targetKg - ex, 0, 1500));
      return e;
    }
    case 'placebo':
      return new Map();
  }
}

// ---------------------------------------------------------------------------------------------
// Combining lifestyle blood-pressure effects

/**
 * DASH-Sodium: the same sodium reduction lowered SBP by -6.7 mmHg on the control diet and -3.0 on
 * DASH (Sacks FM et al. NEJM 2001;344:3-10 doi:10.1056/NEJM200101043440101), a factor 0.45 on a
 * DASH background. Measured for this pair, so the pair is combined with it and then enters the
 * general rule below as one component.
 */
export const DASH_SODIUM_FACTOR = 0.45;
/**
 * SBP at which lifestyle BP effects extrapolate to zero, mmHg. The cited effects grow with baseline
 * BP: endurance training -0.75 / -2.1 / -8.3 mmHg in normotensive / prehypertensive / hypertensive
 * groups (Cornelissen VA, Smart NA. J Am Heart Assoc 2013;2:e004473 doi:10.1161/JAHA.112.004473),
 * sodium -2.3 vs -5.8 mmHg per 100 mmol (Cutler 1997, PMID:9022560); straight lines through those
 * pairs reach zero at ~105-120 mmHg with group mean SBPs of ~115-120 / ~130 / ~145-150 (means not
 * seen). 105 is a modelling choice at the low end, i.e. the mildest sub-additivity in that range.
 */
export const BP_LIFESTYLE_FLOOR = 105;

/**
 * Sub-additive combination of lifestyle BP effects (all mmHg, SBP; negative = lowering).
 * Each lifestyle effect is taken as a fraction of the BP excess above BP_LIFESTYLE_FLOOR, and the
 * components act one after another on the BP the others leave, so the fractions combine as
 * 1 - prod(1 - f_i): a single component is unchanged and a combination is less than the sum, the
 * more so the larger the parts are next to the excess. This is the pattern of the evidence: the
 * sodium effect is about halved on DASH (DASH-Sodium, above), and combined lifestyle programmes
 * lower BP by less than the sum of the single measures (e.g. PREMIER, Appel LJ et al. JAMA
 * 2003;289:2083-93 doi:10.1001/jama.289.16.2083, recalled, unverified; a possible benchmark trial,
 * used here only for the direction, not for any size). Checked against ENCORE (Blumenthal JA et al.
 * Arch Intern Med 2010;170:126-35 doi:10.1001/archinternmed.2009.470, abstract): clinic SBP net of
 * usual care -7.8 on DASH alone and -12.7 on DASH + weight management (with aerobic exercise) at 4
 * months; the world gives -8.3 and -13.6 (DASH + 8 kg programme), -16.3 with 150 min/week aerobic
 * added (docs/reference-world.md), so the rule was kept. Raising effects (weight gain, more sodium)
 * add linearly. Returns the combined SBP effect; the caller scales the DBP components by the same
 * ratio (modelling choice).
 */
export function combineLifestyleBp(sbp0: number, parts: ArrayLike<number>): number {
  let sumNeg = 0;
  let sumPos = 0;
  let maxNeg = 0;
  let nNeg = 0;
  for (let i = 0; i < parts.length; i++) {
    const x = parts[i];
    if (x < 0) {
      sumNeg += x;
      nNeg++;
      if (-x > maxNeg) maxNeg = -x;
    } else sumPos += x;
  }
  if (nNeg <= 1) return sumNeg + sumPos;
  const excess = Math.max(sbp0 - BP_LIFESTYLE_FLOOR, maxNeg, 5);
  let keep = 1;
  for (let i = 0; i < parts.length; i++) if (parts[i] < 0) keep *= 1 + parts[i] / excess;
  return -excess * (1 - keep) + sumPos;
}

/**
 * Behaviour change outlasts a programme: after a diet or weight-loss programme stops, a residual of
 * its intake change remains and decays with this time constant (days). Five years after structured
 * weight-loss programmes, 17% (balanced low-energy diets) to 29% (very-low-energy diets) of the
 * loss was still maintained (Anderson JW et al. Am J Clin Nutr 2001;74:579-84
 * doi:10.1093/ajcn/74.5.579), i.e. exp(-4.5 y / tau) ~ 0.17-0.29 at a mean 4-5 years: tau ~ 2.5-3.6
 * years; 3 years (derived). Regain is the rule, but slow (Hall KD, Kahan S. Med Clin North Am
 * 2018;102:183-97 doi:10.1016/j.mcna.2017.08.012). Drugs have no residual (their effect is
 * pharmacological). The residual can at most hold the weight reached (it cannot deepen the loss),
 * see the simulator.
 */
export const RESIDUAL_TAU_DAYS = 3 * 365.25;
