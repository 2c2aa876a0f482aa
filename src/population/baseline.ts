/**
 * Synthetic baseline twins: joint draws of every catalog variable by sex and age.
 *
 * Model: a latent-factor Gaussian copula. Each twin has nine standard-normal factors
 * (adiposity, insulin resistance, blood-pressure propensity, LDL propensity, fitness, diet
 * quality, inflammation, glycaemia, energy intake) and one unique normal per score. Each
 * variable's standardised score is a fixed linear combination of factors plus its unique term
 * (unit variance by construction, so any loading table gives a valid correlation matrix), and is
 * mapped to the variable through its published marginal for the twin's sex and age (normal or
 * log-normal with the reference mean and SD; means and SDs interpolated between the age-band
 * midpoints 30, 50 and 70). Flags are thresholds of latent liabilities set to the published
 * prevalence for the twin's sex and age. Some variables follow structurally from others
 * (weight = BMI x height^2, total cholesterol by Friedewald, body fat by the BMI-age-sex
 * equation, eGFR and creatinine by CKD-EPI 2021, CGM metrics from HbA1c via ADAG).
 *
 * The values drawn are TRUE (noise-free) values: the SD of each marginal is the published
 * (single-measurement) SD with the catalog's measurement variance removed, so that a measured
 * value (true + catalog noise) reproduces the published SD. Screening and visit measurements add
 * noise separately, which is what makes regression to the mean appear.
 *
 * Every draw of twin `candidateId` comes from new Rng(seed, candidateId, Purpose.baseline).
 *
 * Sources: NHANES 2009-2012 sex x age-band figures and correlations (R package NHANES, Pruim;
 * CDC NHANES 2009-10 and 2011-12, public domain) unless a line says otherwise; the other figures
 * are from the publications cited beside them.
 */
import { Purpose, Rng } from '../core/rng.js';
import { VARIABLES } from './catalog.js';
import { noiseVariance } from './noise.js';
import { byAge, normCdf, normInterval, normQuantile, truncNormal } from './stats.js';

export const NVAR = VARIABLES.length;
/** Catalog id -> index in VARIABLES (and in a baseline row). */
export const VAR_INDEX: Readonly<Record<string, number>> = Object.fromEntries(VARIABLES.map((v, i) => [v.id, i]));
const V = VAR_INDEX;

// ---------------------------------------------------------------------------------------------
// Latent structure

const F = { adip: 0, ir: 1, bp: 2, ldl: 3, fit: 4, diet: 5, infl: 6, gly: 7, energy: 8 } as const;
const NFACTOR = 9;

/**
 * Standardised scores: loadings on the factors; the rest of the unit variance is a unique term.
 * Loadings are chosen to reproduce the reference correlations (NHANES 2009-12 within-sex table;
 * docs/sources/physiology.md A6): BMI-SBP 0.07/0.17 and BMI-DBP 0.15/0.11 (NHANES), SBP-DBP 0.38/0.33 (NHANES),
 * BMI-HDL -0.37/-0.36 (NHANES), BMI-pulse 0.17/0.08 (NHANES); TG-HDL -0.43/-0.44 (Cancer Epidemiol
 * Biomarkers Prev 2009;18:1134-43, PMC2737414); BMI-insulin 0.51/0.41, BMI-glucose 0.23/0.27,
 * BMI-TG 0.34/0.31 (J Obes 2010:757939, Table 3). The other loadings are modelling choices that
 * encode the sign of well-known associations (fitness with steps and heart rate, diet quality with
 * fibre, potassium and microbiome diversity) with moderate strength.
 */
const SCORE_DEFS: Record<string, readonly (readonly [number, number])[]> = {
  bmi: [[F.adip, 1]],
  height: [],
  waist: [],
  body_fat_pct: [],
  sbp: [[F.adip, 0.15], [F.bp, 0.8]],
  dbp: [[F.adip, 0.15], [F.bp, 0.45]],
  resting_hr: [[F.adip, 0.12], [F.fit, -0.35]],
  ldl_c: [[F.ldl, 0.9], [F.adip, 0.05], [F.diet, -0.1]],
  hdl_c: [[F.adip, -0.35], [F.ir, -0.5], [F.fit, 0.1]],
  triglycerides: [[F.adip, 0.32], [F.ir, 0.6]],
  fasting_insulin: [[F.adip, 0.5], [F.ir, 0.55]],
  hba1c_nd: [[F.adip, 0.24], [F.ir, 0.4], [F.gly, 0.5]],
  fpg_nd: [[F.adip, 0.21], [F.ir, 0.35], [F.gly, 0.45]],
  dm_liab: [[F.adip, 0.35], [F.ir, 0.35], [F.gly, 0.3]],
  dm_sev: [[F.gly, 0.45], [F.ir, 0.2]],
  fpg_ratio: [],
  crp: [[F.infl, 0.75], [F.adip, 0.35]],
  alt: [[F.adip, 0.35], [F.ir, 0.3]],
  egfr: [],
  sleep_duration: [[F.adip, -0.06]],
  sleep_efficiency: [[F.adip, -0.1]],
  steps: [[F.fit, 0.6], [F.adip, -0.2]],
  mvpa_any: [[F.fit, 0.5], [F.adip, -0.1]],
  mvpa: [[F.fit, 0.4]],
  hrv_rmssd: [[F.fit, 0.4], [F.adip, -0.1]],
  energy_intake: [[F.energy, 0.85], [F.adip, 0.1]],
  sodium_intake: [[F.energy, 0.55]],
  potassium_intake: [[F.diet, 0.45], [F.energy, 0.4]],
  fat_pct: [[F.diet, -0.3]],
  protein_pct: [[F.diet, 0.15]],
  sfa_share: [[F.diet, -0.3]],
  pufa_share: [[F.diet, 0.3]],
  fibre_intake: [[F.diet, 0.6], [F.energy, 0.3]],
  dietary_cholesterol: [[F.energy, 0.4], [F.diet, -0.2]],
  alcohol_any: [],
  alcohol: [],
  smoker: [[F.diet, -0.2], [F.fit, -0.1]],
  on_bp_meds: [[F.bp, 0.5], [F.adip, 0.2]],
  on_statin: [[F.ldl, 0.25], [F.adip, 0.15], [F.ir, 0.15]],
  on_metformin: [],
  on_insulin: [[F.gly, 0.3]],
  microbiome_shannon: [[F.diet, 0.4], [F.adip, -0.15]],
  microbiome_butyrate: [[F.diet, 0.3], [F.adip, -0.1]],
  microbiome_prevotella: [[F.diet, 0.2]],
  cgm_cv: [[F.gly, 0.2]],
  ppgr: [[F.adip, 0.2], [F.ir, 0.3], [F.gly, 0.3]],
};

const SCORE_NAMES = Object.keys(SCORE_DEFS);
const NSCORE = SCORE_NAMES.length;
/** Latent vector length: factors then one unique normal per score. */
export const NLATENT = NFACTOR + NSCORE;
const S: Record<string, number> = Object.fromEntries(SCORE_NAMES.map((n, i) => [n, i]));

/** Row s of W: the unit vector with score_s = W[s] . x. */
const W: Float64Array[] = SCORE_NAMES.map((name, s) => {
  const w = new Float64Array(NLATENT);
  let ss = 0;
  for (const [f, l] of SCORE_DEFS[name]) {
    w[f] = l;
    ss += l * l;
  }
  if (ss > 1 + 1e-12) throw new Error(`loadings of ${name} exceed unit variance`);
  w[NFACTOR + s] = Math.sqrt(Math.max(0, 1 - ss));
  return w;
});

function score(x: Float64Array, s: number): number {
  const w = W[s];
  let z = 0;
  for (let f = 0; f < NFACTOR; f++) z += w[f] * x[f];
  return z + w[NFACTOR + s] * x[NFACTOR + s];
}

// ---------------------------------------------------------------------------------------------
// Marginals: [men anchors at 30/50/70], [women anchors]

type Anchors = readonly [number, number, number];
interface Marginal {
  readonly dist: 'normal' | 'lognormal';
  readonly mean: readonly [Anchors, Anchors];
  readonly sd: readonly [Anchors, Anchors];
  /** Subtract the catalog measurement variance (the SDs are single-measurement SDs). */
  readonly observed?: boolean;
  readonly source: string;
}

const NHANES = 'NHANES 2009-2012 sex x age-band means/SDs (CDC NHANES via R package NHANES, Pruim)';
const s3 = (a: number, b: number, c: number): Anchors => [a, b, c];
const flat = (a: number): Anchors => [a, a, a];

export const MARGINALS: Readonly<Record<string, Marginal>> = {
  height: { dist: 'normal', mean: [s3(176.4, 176.3, 173.9), s3(163.4, 162.5, 159.6)], sd: [s3(7.4, 7.3, 7.6), s3(7.3, 7.1, 6.9)], observed: true, source: NHANES },
  // NHANES 2009-12 BMI age pattern, rescaled to the 2015-16 sex means 29.1 (men) / 29.6 (women):
  // Fryar CD et al. NHSR no. 122, 2018 (docs/sources/physiology.md A1). SDs: NHANES 2009-12.
  bmi: { dist: 'lognormal', mean: [s3(28.5, 29.6, 29.2), s3(29.3, 29.7, 29.9)], sd: [s3(6.2, 5.4, 5.5), s3(7.7, 7.5, 6.8)], observed: true, source: 'Fryar 2018 NHSR 122 (sex means); ' + NHANES },
  sbp: { dist: 'lognormal', mean: [s3(118.6, 123.2, 129.5), s3(109.8, 118.5, 132.1)], sd: [s3(11.8, 16.1, 19.3), s3(11.4, 15.7, 20.0)], observed: true, source: NHANES },
  dbp: { dist: 'normal', mean: [s3(70.9, 75.5, 67.7), s3(67.7, 71.8, 66.4)], sd: [s3(11.5, 11.0, 12.9), s3(10.4, 10.2, 12.9)], observed: true, source: NHANES },
  resting_hr: { dist: 'normal', mean: [s3(72.4, 70.6, 68.7), s3(76.8, 73.5, 71.4)], sd: [s3(12.0, 11.8, 11.9), s3(11.1, 11.2, 12.2)], observed: true, source: NHANES },
  // HDL: NHANES 2009-12 (mmol/L x 38.67).
  hdl_c: { dist: 'lognormal', mean: [s3(46.4, 47.6, 49.5), s3(54.9, 60.7, 60.3)], sd: [s3(12.8, 14.3, 14.3), s3(14.3, 17.8, 16.6)], observed: true, source: NHANES },
  // LDL: NHANES 2015-18 means men 100.8, women 106.8 mg/dL (ages 12-80, docs/sources/physiology.md A3), adults
  // higher than adolescents and "rising to middle age then falling"; age anchors are a modelling
  // choice that keeps the 18-80 sex means within 8% of those figures. SD 35 (docs/sources/physiology.md A3, unverified).
  ldl_c: { dist: 'normal', mean: [s3(104, 114, 100), s3(100, 116, 112)], sd: [flat(35), flat(35)], observed: true, source: 'NHANES 2015-18 LDL trend analysis (docs/sources/physiology.md A3)' },
  // TG: geometric mean ~97 mg/dL (Rosinger A et al. JAMA Cardiol 2017), men ~110 / women ~90,
  // log-SD ~0.55 (docs/sources/physiology.md A3, split unverified). Arithmetic mean = gm*exp(s^2/2).
  triglycerides: { dist: 'lognormal', mean: [s3(120, 135, 128), s3(92, 112, 122)], sd: [s3(72, 81, 77), s3(55, 67, 73)], observed: true, source: 'Rosinger 2017 JAMA Cardiol (docs/sources/physiology.md A3)' },
  // Fasting insulin: median ~9 uU/mL, log-SD ~0.6 (docs/sources/physiology.md A4, unverified).
  fasting_insulin: { dist: 'lognormal', mean: [flat(10.8), flat(10.8)], sd: [flat(7.1), flat(7.1)], observed: true, source: 'docs/sources/physiology.md A4 (unverified NHANES recollection)' },
  // hs-CRP medians by age, men 1.3-1.9 / women 2.0-2.7 mg/L (LabNorms aggregation of NHANES,
  // docs/sources/physiology.md A4); log-SD 0.8 (men) / 1.0 (women) from the 2.5-97.5% ranges.
  crp: { dist: 'lognormal', mean: [s3(1.4 * 1.377, 1.75 * 1.377, 1.75 * 1.377), s3(2.0 * 1.649, 2.6 * 1.649, 2.1 * 1.649)], sd: [s3(1.4 * 1.377 * 0.947, 1.75 * 1.377 * 0.947, 1.75 * 1.377 * 0.947), s3(2.0 * 1.649 * 1.311, 2.6 * 1.649 * 1.311, 2.1 * 1.649 * 1.311)], observed: true, source: 'LabNorms NHANES hs-CRP (docs/sources/physiology.md A4)' },
  // ALT medians ~24 (men) / ~17 (women) U/L, log-normal (docs/sources/physiology.md A4, unverified); log-SD 0.45 modelling choice.
  alt: { dist: 'lognormal', mean: [flat(24 * 1.107), flat(17 * 1.107)], sd: [flat(24 * 1.107 * 0.474), flat(17 * 1.107 * 0.474)], observed: true, source: 'docs/sources/physiology.md A4 (unverified)' },
  // eGFR ~100 / 90 / 75 by age band, SD 15-20 (docs/sources/physiology.md A4, unverified).
  egfr: { dist: 'normal', mean: [s3(102, 90, 75), s3(104, 92, 76)], sd: [flat(16), flat(16)], observed: true, source: 'docs/sources/physiology.md A4 (unverified)' },
  sleep_duration: { dist: 'normal', mean: [s3(6.9, 6.6, 7.0), s3(7.0, 6.8, 7.1)], sd: [s3(1.2, 1.2, 1.4), s3(1.4, 1.4, 1.4)], observed: true, source: NHANES },
  // Sleep efficiency ~85% (SD 6) in community actigraphy samples: modelling choice (no reference figure).
  sleep_efficiency: { dist: 'normal', mean: [s3(87, 85, 82), s3(88, 86, 83)], sd: [flat(6), flat(6)], observed: true, source: 'modelling choice' },
  // Steps: men 7,192 +/- 3,596, women 5,210 +/- 3,518 (Tudor-Locke C et al. MSSE 2004;36:1567-73
  // doi:10.1249/01.MSS.0000139806.53824.2E); age decline is a modelling choice.
  steps: { dist: 'lognormal', mean: [s3(7900, 7200, 5800), s3(5700, 5300, 4300)], sd: [s3(3600, 3600, 3300), s3(3500, 3500, 3100)], observed: true, source: 'Tudor-Locke 2004' },
  // RMSSD ~42 +/- 15 ms in healthy adults (Nunan D et al. Pacing Clin Electrophysiol 2010;33:1407-17
  // doi:10.1111/j.1540-8159.2010.02841.x), declining with age (modelling choice for the slope).
  hrv_rmssd: { dist: 'lognormal', mean: [s3(45, 32, 24), s3(46, 33, 25)], sd: [s3(20, 15, 12), s3(20, 15, 12)], observed: true, source: 'Nunan 2010' },
  // Energy: men 2,405, women 1,779 kcal/d, by age 2,216 (30s) ... 1,784 (70s) relative to 2,084
  // overall (NHANES 24-h recall, PMC7481988 Table 2); CV ~27% (docs/sources/physiology.md B, unverified).
  energy_intake: { dist: 'lognormal', mean: [s3(2556, 2420, 2150), s3(1891, 1790, 1590)], sd: [s3(690, 650, 580), s3(510, 480, 430)], source: 'PMC7481988 Table 2' },
  // Sodium: men 4,062, women 2,995 mg/d; age 3,666 (18-29) ... 2,685 (80+) (PMC7481988 Table 2); CV 30%.
  sodium_intake: { dist: 'lognormal', mean: [s3(4250, 4060, 3600), s3(3130, 2990, 2650)], sd: [s3(1275, 1220, 1080), s3(940, 900, 800)], source: 'PMC7481988 Table 2' },
  // Potassium: 24-h urine 2,155 mg/d (Cogswell ME et al. JAMA 2018;319:1209-20
  // doi:10.1001/jama.2018.1156); sex split by the sodium ratio (modelling choice); CV 30%.
  potassium_intake: { dist: 'lognormal', mean: [flat(2500), flat(1850)], sd: [flat(750), flat(555)], source: 'Cogswell 2018' },
  // Fibre: men 18, women 15 g/d (Hoy MK, Goldman JD. FSRG Dietary Data Brief 12, 2014); CV 40% (unverified).
  fibre_intake: { dist: 'lognormal', mean: [flat(18), flat(15)], sd: [flat(7.2), flat(6)], source: 'Hoy 2014' },
  // Dietary cholesterol ~350 (men) / 250 (women) mg/d (docs/sources/physiology.md B, unverified); CV 45%.
  dietary_cholesterol: { dist: 'lognormal', mean: [flat(350), flat(250)], sd: [flat(158), flat(112)], source: 'docs/sources/physiology.md B (unverified)' },
  // Macronutrients: fat 33.2 %E, protein 16.4 %E, carbohydrate 50.5 %E (Shan Z et al. JAMA
  // 2019;322:1178-87 doi:10.1001/jama.2019.13771); SD 6-8 points (docs/sources/physiology.md B, unverified).
  fat_pct: { dist: 'normal', mean: [flat(33.2), flat(33.2)], sd: [flat(6.5), flat(6.5)], source: 'Shan 2019' },
  protein_pct: { dist: 'normal', mean: [flat(16.4), flat(16.4)], sd: [flat(3.5), flat(3.5)], source: 'Shan 2019' },
  // CGM glucose CV ~18% without diabetes, ~30% with (modelling choice; consensus target <= 36%,
  // Battelino T et al. Diabetes Care 2019;42:1593-1603 doi:10.2337/dci19-0028).
  cgm_cv: { dist: 'lognormal', mean: [flat(18), flat(18)], sd: [flat(4), flat(4)], source: 'modelling choice' },
  // Postprandial response (2-h iAUC to standardised meals) varies several-fold between people
  // (Zeevi D et al. Cell 2015;163:1079-94 doi:10.1016/j.cell.2015.11.001); scale is a modelling choice.
  ppgr: { dist: 'lognormal', mean: [flat(75), flat(75)], sd: [flat(35), flat(35)], source: 'Zeevi 2015 (scale: modelling choice)' },
  // Microbiome summaries: modelling choices (no reference figures; typical 16S Shannon ~3.5-4).
  microbiome_shannon: { dist: 'normal', mean: [flat(3.7), flat(3.8)], sd: [flat(0.5), flat(0.5)], source: 'modelling choice' },
  microbiome_butyrate: { dist: 'lognormal', mean: [flat(12), flat(12)], sd: [flat(6), flat(6)], source: 'modelling choice' },
  microbiome_prevotella: { dist: 'lognormal', mean: [flat(6), flat(6)], sd: [flat(9), flat(9)], source: 'modelling choice' },
  // MVPA among those who do any: median ~150 min/week, log-SD 0.8 (modelling choice).
  mvpa: { dist: 'lognormal', mean: [flat(206), flat(180)], sd: [flat(195), flat(170)], source: 'modelling choice' },
};

// ---------------------------------------------------------------------------------------------
// Prevalences by sex and age (men anchors, women anchors at 30/50/70)

export const PREVALENCE: Readonly<Record<string, { readonly p: readonly [Anchors, Anchors]; readonly source: string }>> = {
  // Doctor-diagnosed diabetes, NHANES 2009-12 by sex x age band.
  diabetes: { p: [s3(0.021, 0.118, 0.252), s3(0.02, 0.084, 0.204)], source: NHANES },
  // Current smoking 14.0% (2019; Cornelius ME et al. MMWR 2020;69:1736-42, PMC7676638); sex split
  // (men higher, ~13% vs 10% in 2021, unverified) and age gradient are modelling choices.
  smoker: { p: [s3(0.19, 0.18, 0.11), s3(0.14, 0.14, 0.09)], source: 'Cornelius 2020 MMWR' },
  // Any moderate/vigorous recreational activity, NHANES 2009-12.
  mvpa_any: { p: [s3(0.662, 0.496, 0.443), s3(0.561, 0.542, 0.378)], source: NHANES },
  // Antihypertensive use ~ hypertension prevalence by age (22.4/54.5/74.5%, Ostchega Y et al. NCHS
  // Data Brief 364, 2020) x about half treated (Fryar CD et al. NCHS Data Brief 2024).
  on_bp_meds: { p: [s3(0.1, 0.27, 0.4), s3(0.09, 0.26, 0.42)], source: 'Ostchega 2020; Fryar 2024' },
  // Statin use 17% at 40-59, 48% at >= 75, 26% of >= 40 (Gu Q et al. NCHS Data Brief 177, 2014);
  // under 40 (~3%) is a modelling choice.
  on_statin: { p: [s3(0.03, 0.17, 0.4), s3(0.03, 0.15, 0.38)], source: 'Gu 2014 NCHS Data Brief 177' },
  // Alcohol: about a third of adults abstain (modelling choice; no reference figure collected).
  alcohol_any: { p: [s3(0.72, 0.68, 0.6), s3(0.64, 0.6, 0.5)], source: 'modelling choice' },
};
/** Among people with diabetes (modelling choices, no reference figure collected). */
const P_METFORMIN_GIVEN_DM = 0.55;
const P_INSULIN_GIVEN_DM = 0.22;

/**
 * Adult age distribution 18-80: approximate US resident population by age group (US Census
 * Bureau, 2020 Census, age and sex composition; rounded millions, recollection, unverified).
 * [lower age, upper age (exclusive), millions].
 */
const AGE_BANDS: readonly (readonly [number, number, number])[] = [
  [18, 20, 8.5], [20, 25, 21.6], [25, 30, 23.3], [30, 35, 22.9], [35, 40, 22.0], [40, 45, 20.8],
  [45, 50, 20.1], [50, 55, 20.6], [55, 60, 21.4], [60, 65, 20.6], [65, 70, 17.6], [70, 75, 14.1],
  [75, 80, 9.6], [80, 81, 1.3],
];
/** Women's share of US adults (Census 2020, ~51%; rounded). */
export const FEMALE_SHARE = 0.51;

// ---------------------------------------------------------------------------------------------

export interface BaselineOptions {
  readonly sex?: 'any' | 'M' | 'F';
  readonly femaleShare?: number;
  readonly ageMin?: number;
  /** Inclusive upper age (years; fractional ages are drawn). */
  readonly ageMax?: number;
}

/** Map a uniform to an age in [lo, hi] by inverting the piecewise-uniform census distribution. */
function ageFromUniform(u: number, lo: number, hi: number): number {
  let total = 0;
  const parts: [number, number, number][] = [];
  for (const [a, b, m] of AGE_BANDS) {
    const x = Math.max(a, lo);
    const y = Math.min(b, hi + 1);
    if (y > x) {
      const mass = (m * (y - x)) / (b - a);
      parts.push([x, y, mass]);
      total += mass;
    }
  }
  if (total === 0) return Math.max(18, Math.min(lo, 80));
  let t = u * total;
  for (const [x, y, mass] of parts) {
    if (t <= mass) return Math.min(x + ((y - x) * t) / mass, hi + 0.999);
    t -= mass;
  }
  const last = parts[parts.length - 1];
  return last[1] - 1e-9;
}

/** value = exp(a + b z) (lognormal) or a + b z (normal) for a marginal at (sex, age). */
export function marginalAB(id: string, sex: number, age: number): { a: number; b: number; log: boolean } {
  const m = MARGINALS[id];
  const mean = byAge(m.mean[sex], age);
  let sd = byAge(m.sd[sex], age);
  if (m.observed) {
    const nv = noiseVariance(VARIABLES[V[id]], mean);
    sd = Math.sqrt(Math.max(sd * sd - nv, 0.25 * sd * sd));
  }
  if (m.dist === 'normal') return { a: mean, b: sd, log: false };
  const s2 = Math.log(1 + (sd * sd) / (mean * mean));
  return { a: Math.log(mean) - s2 / 2, b: Math.sqrt(s2), log: true };
}

function fromMarginal(id: string, sex: number, age: number, z: number): number {
  const { a, b, log } = marginalAB(id, sex, age);
  return log ? Math.exp(a + b * z) : a + b * z;
}

function prevalence(id: string, sex: number, age: number): number {
  return byAge(PREVALENCE[id].p[sex], age);
}

/**
 * A constraint on one latent score, used by eligibility to draw narrow populations directly:
 * the score is drawn from its normal truncated to the interval, the other latents conditionally.
 */
export interface LatentCondition {
  /** Score name (a key of the score table). */
  readonly score: string;
  /** Bounds on the standardised score as a function of the twin's sex and age. */
  readonly bounds: (sex: number, age: number) => readonly [number, number];
}

/** True when a score exists for this variable id (usable in a LatentCondition). */
export function hasScore(name: string): boolean {
  return name in S;
}

/** Probability (under the model) that the conditioned score falls in its bounds at (sex, age). */
export function conditionProbability(c: LatentCondition, sex: number, age: number): number {
  const [lo, hi] = c.bounds(sex, age);
  return normInterval(lo, hi);
}

/** Standardised-score bounds for a value range of a marginal variable at (sex, age), widened by k noise SDs. */
export function valueRangeToScore(id: string, sex: number, age: number, min: number | undefined, max: number | undefined, widenNoiseSds = 0): [number, number] {
  const { a, b, log } = marginalAB(id, sex, age);
  const def = VARIABLES[V[id]];
  const f = (v: number, dir: -1 | 1): number => {
    let w = v;
    if (widenNoiseSds > 0) {
      if (def.noiseSd !== undefined) w = v + dir * widenNoiseSds * def.noiseSd;
      else w = v * Math.exp(dir * widenNoiseSds * (Math.hypot(def.cvi ?? 0, def.cva ?? 0) / 100));
    }
    if (log) return w <= 0 ? -Infinity : (Math.log(w) - a) / b;
    return (w - a) / b;
  };
  return [min === undefined ? -Infinity : f(min, -1), max === undefined ? Infinity : f(max, 1)];
}

/** Threshold on a flag's liability score: flag = 1 when score > threshold. */
export function flagThreshold(id: string, sex: number, age: number): number {
  if (id === 'on_metformin' || id === 'on_insulin' || id === 'diabetes') return normQuantile(1 - prevalence('diabetes', sex, age));
  return normQuantile(1 - prevalence(id, sex, age));
}
/** The liability score behind a flag (metformin and insulin users are a subset of people with diabetes). */
export function flagScore(id: string): string | undefined {
  if (id === 'diabetes' || id === 'on_metformin' || id === 'on_insulin') return 'dm_liab';
  if (id === 'smoker' || id === 'on_bp_meds' || id === 'on_statin') return id;
  return undefined;
}

/** Draw sex and age of a candidate from its stream (first draws of the baseline stream). */
function drawSexAge(rng: Rng, opts: BaselineOptions): [number, number] {
  const u1 = rng.uniform();
  const u2 = rng.uniform();
  const fs = opts.sex === 'M' ? 0 : opts.sex === 'F' ? 1 : (opts.femaleShare ?? FEMALE_SHARE);
  const sex = u1 < fs ? 1 : 0;
  const age = ageFromUniform(u2, opts.ageMin ?? 18, opts.ageMax ?? 80);
  return [sex, age];
}

/**
 * Draw one twin's true baseline into `out` (indexed like VARIABLES). With a condition, the named
 * score is drawn truncated to its bounds and the other latents conditionally on it; the caller
 * handles the (sex, age) reweighting (see eligibility.ts). Returns the acceptance probability
 * factor P(condition | sex, age) (1 without a condition).
 */
export function drawBaseline(seed: number, candidateId: number, opts: BaselineOptions, out: Float64Array, cond?: LatentCondition): number {
  const rng = new Rng(seed, candidateId, Purpose.baseline);
  const [sex, age] = drawSexAge(rng, opts);
  const x = new Float64Array(NLATENT);
  for (let i = 0; i < NLATENT; i++) x[i] = rng.normal();
  let pCond = 1;
  if (cond) {
    const s = S[cond.score];
    const [lo, hi] = cond.bounds(sex, age);
    pCond = normInterval(lo, hi);
    const zNew = truncNormal(rng, lo, hi);
    const zOld = score(x, s);
    // x | (w.x = z) = x' + (z - w.x') w for a unit vector w
    const w = W[s];
    const d = zNew - zOld;
    for (let i = 0; i < NLATENT; i++) x[i] += d * w[i];
  }
  fill(out, sex, age, x, rng);
  return pCond;
}

function clip(id: string, v: number): number {
  const d = VARIABLES[V[id]];
  return v < d.plausible[0] ? d.plausible[0] : v > d.plausible[1] ? d.plausible[1] : v;
}

function fill(out: Float64Array, sex: number, age: number, x: Float64Array, rng: Rng): void {
  const z = (n: string): number => score(x, S[n]);
  const put = (id: string, v: number): void => {
    out[V[id]] = clip(id, v);
  };
  const marg = (id: string): number => {
    const v = fromMarginal(id, sex, age, z(id));
    put(id, v);
    return out[V[id]];
  };
  out[V.age] = age;
  out[V.sex] = sex;

  // anthropometry
  const height = marg('height');
  const bmi = marg('bmi');
  put('body_weight', (bmi * height * height) / 10000);
  // Waist: A1 sex means 102.1 (men) / 98.0 cm (women) at BMI 29.1/29.6 (Fryar 2018 NHSR 122);
  // ~2.3 cm per BMI unit and +0.15 cm/year of age, residual SD 5 cm: modelling choices giving
  // BMI-waist r ~0.9 and the reported rise with age.
  put('waist', (sex === 0 ? 102.1 : 98.0) + (sex === 0 ? 2.4 : 2.1) * (bmi - (sex === 0 ? 29.1 : 29.6)) + 0.15 * (age - 47) + 5 * z('waist'));
  // Body fat: BMI-age-sex equation of the Hall model implementation (INSP-RH/bw adult_weight.cpp;
  // docs/sources/physiology.md C9.2), which reproduces the DXA means 28.1% / 40.0% (Li C et al. AJCN
  // 2009;90:1457-65); residual SD 3 points (modelling choice).
  const fatEq = sex === 0 ? 0.14 * age + 37.31 * Math.log(bmi) - 103.94 : 0.14 * age + 39.96 * Math.log(bmi) - 102.01;
  put('body_fat_pct', fatEq + 3 * z('body_fat_pct'));

  // blood pressure, heart rate
  const sbp = marg('sbp');
  const dbp = Math.min(marg('dbp'), sbp - 15);
  put('dbp', dbp);
  marg('resting_hr');

  // lipids; total cholesterol by Friedewald: TC = LDL + HDL + TG/5 (mg/dL).
  // Friedewald WT et al. Clin Chem 1972;18:499-502 PMID:4337382.
  const onStatin = z('on_statin') > flagThreshold('on_statin', sex, age) ? 1 : 0;
  const ldl = marg('ldl_c');
  const hdl = marg('hdl_c');
  const tg = marg('triglycerides');
  put('total_cholesterol', ldl + hdl + tg / 5);

  // glycaemia
  const dmLiab = z('dm_liab');
  const diabetes = dmLiab > flagThreshold('diabetes', sex, age) ? 1 : 0;
  let hba1c: number;
  let fpg: number;
  if (!diabetes) {
    // HbA1c ~5.4% (SD 0.35) and FPG ~97 (SD 10) without diabetes (docs/sources/physiology.md A4 suggested
    // values, unverified; FPG between the seen no-diabetes 90.7 and prediabetes 107.1 mg/dL means);
    // both shift up with age (Menke A et al. Ann Epidemiol 2014;24:83-9), slope a modelling choice.
    hba1c = 5.4 + 0.006 * (age - 47) + 0.32 * z('hba1c_nd');
    fpg = 96 + 0.12 * (age - 47) + 9 * z('fpg_nd');
  } else {
    // HbA1c with diabetes: treated 7.4%, untreated diagnosed 6.3% (Menke, Diabetes in America 3rd
    // ed. ch. 9); log-normal mean 7.2, SD 1.4 (SD modelling choice). FPG = eAG x ratio with the
    // ratio ~0.92 from the seen means (FPG 153 at HbA1c 7.4: eAG 166).
    const s2 = Math.log(1 + (1.4 * 1.4) / (7.2 * 7.2));
    hba1c = Math.exp(Math.log(7.2) - s2 / 2 + Math.sqrt(s2) * z('dm_sev'));
    fpg = (28.7 * hba1c - 46.7) * (0.92 + 0.1 * z('fpg_ratio'));
  }
  hba1c = Math.max(4.0, hba1c);
  put('hba1c', hba1c);
  put('fasting_glucose', Math.max(60, fpg));
  const insulinIndex = diabetes ? 1.3 : 1; // hyperinsulinaemia in type 2 diabetes (modelling choice)
  put('fasting_insulin', fromMarginal('fasting_insulin', sex, age, z('fasting_insulin')) * insulinIndex);
  put('diabetes', diabetes);
  // Among people with diabetes: metformin and insulin use (modelling choices).
  put('on_metformin', diabetes && normCdf(z('on_metformin')) < P_METFORMIN_GIVEN_DM ? 1 : 0);
  put('on_insulin', diabetes && 1 - normCdf(z('on_insulin')) < P_INSULIN_GIVEN_DM ? 1 : 0);

  // CGM week: mean glucose from HbA1c by ADAG: eAG = 28.7 x HbA1c - 46.7 (Nathan DM et al.
  // Diabetes Care 2008;31:1473-8 doi:10.2337/dc08-0545); CV higher with diabetes (modelling choice).
  const meanG = 28.7 * hba1c - 46.7;
  const cv = fromMarginal('cgm_cv', sex, age, z('cgm_cv')) * (diabetes ? 1.6 : 1);
  put('cgm_mean_glucose', meanG);
  put('cgm_cv', cv);
  put('cgm_tir', timeInRange(meanG, cv));
  put('cgm_time_above_140', hoursAbove(meanG, cv, 140));
  put('ppgr', fromMarginal('ppgr', sex, age, z('ppgr')) * (diabetes ? 1.8 : 1));

  // inflammation, liver, kidney
  marg('crp');
  marg('alt');
  const egfr = marg('egfr');
  put('creatinine', creatinineFromEgfr(egfr, sex, age));

  // sleep, wearables, microbiome
  marg('sleep_duration');
  marg('sleep_efficiency');
  marg('steps');
  marg('hrv_rmssd');
  marg('microbiome_shannon');
  marg('microbiome_butyrate');
  marg('microbiome_prevotella');

  // diet and behaviour
  marg('energy_intake');
  marg('sodium_intake');
  marg('potassium_intake');
  marg('fibre_intake');
  marg('dietary_cholesterol');
  const fat = marg('fat_pct');
  const protein = marg('protein_pct');
  put('carb_pct', 100 - fat - protein);
  // Fat split: SFA ~11.5 %E (>10%, Shan 2019; 10.8-10.9% in 2001-04, Health United States Table
  // 72), PUFA ~7.5 %E, MUFA the rest less ~1.5 %E trans/other (split shares: modelling choice).
  const sfaShare = 0.345 + 0.04 * z('sfa_share');
  const pufaShare = 0.225 + 0.035 * z('pufa_share');
  put('sfa_pct', fat * sfaShare);
  put('pufa_pct', fat * pufaShare);
  put('mufa_pct', fat * Math.max(0.2, 0.955 - sfaShare - pufaShare));
  // Alcohol among drinkers: log-normal median 0.6 drinks/day, log-SD 0.9 (men x1.5): modelling choice.
  const drinks = z('alcohol_any') < normQuantile(prevalence('alcohol_any', sex, age));
  put('alcohol', drinks ? 0.6 * (sex === 0 ? 1.5 : 1) * Math.exp(0.9 * z('alcohol')) : 0);
  const active = z('mvpa_any') < normQuantile(prevalence('mvpa_any', sex, age));
  put('mvpa', active ? fromMarginal('mvpa', sex, age, z('mvpa')) : 0);
  put('smoker', z('smoker') > flagThreshold('smoker', sex, age) ? 1 : 0);

  // treatment flags; hypertension = SBP >= 140 or DBP >= 90 or treated (catalog definition)
  const bpMeds = z('on_bp_meds') > flagThreshold('on_bp_meds', sex, age) ? 1 : 0;
  put('on_bp_meds', bpMeds);
  put('on_statin', onStatin);
  put('hypertension', bpMeds || sbp >= 140 || dbp >= 90 ? 1 : 0);
  void rng;
}

/**
 * Time in range 70-180 mg/dL for a week whose glucose is log-normal with the given mean and CV
 * (log-normal glucose distribution: modelling choice).
 */
export function timeInRange(mean: number, cvPct: number): number {
  const s2 = Math.log(1 + (cvPct / 100) ** 2);
  const s = Math.sqrt(s2);
  const mu = Math.log(mean) - s2 / 2;
  const p = normCdf((Math.log(180) - mu) / s) - normCdf((Math.log(70) - mu) / s);
  return 100 * p;
}

/**
 * Hours per day above a glucose threshold, with the same within-day glucose distribution as
 * timeInRange: log-normal with the CGM mean and coefficient of variation (modelling choice;
 * CGM glucose is right-skewed). 24 x P(glucose > threshold).
 */
export function hoursAbove(mean: number, cvPct: number, threshold: number): number {
  const s2 = Math.log(1 + (cvPct / 100) ** 2);
  const mu = Math.log(mean) - s2 / 2;
  return 24 * (1 - normCdf((Math.log(threshold) - mu) / Math.sqrt(s2)));
}

/**
 * CKD-EPI 2021 race-free equation (Inker LA et al. NEJM 2021;385:1737-49 doi:10.1056/NEJMoa2102953):
 * eGFR = 142 x min(Scr/k,1)^a x max(Scr/k,1)^-1.200 x 0.9938^age x 1.012 [female],
 * k = 0.7 (F) / 0.9 (M), a = -0.241 (F) / -0.302 (M).
 */
export function egfrCkdEpi2021(scr: number, sex: number, age: number): number {
  const k = sex === 1 ? 0.7 : 0.9;
  const a = sex === 1 ? -0.241 : -0.302;
  const r = scr / k;
  return 142 * Math.pow(Math.min(r, 1), a) * Math.pow(Math.max(r, 1), -1.2) * Math.pow(0.9938, age) * (sex === 1 ? 1.012 : 1);
}

/** Inverse of egfrCkdEpi2021 in creatinine (mg/dL). */
export function creatinineFromEgfr(egfr: number, sex: number, age: number): number {
  const k = sex === 1 ? 0.7 : 0.9;
  const a = sex === 1 ? -0.241 : -0.302;
  const base = 142 * Math.pow(0.9938, age) * (sex === 1 ? 1.012 : 1);
  const q = egfr / base; // = r^a (r<1) or r^-1.2 (r>=1)
  const r = q >= 1 ? Math.pow(q, 1 / a) : Math.pow(q, 1 / -1.2);
  return r * k;
}

/** Generate `n` unconditional twins (ids 0..n-1) into column arrays. */
export function sampleBaselines(seed: number, n: number, opts: BaselineOptions = {}): Record<string, Float64Array> {
  const cols: Record<string, Float64Array> = {};
  for (const v of VARIABLES) cols[v.id] = new Float64Array(n);
  const row = new Float64Array(NVAR);
  for (let i = 0; i < n; i++) {
    drawBaseline(seed, i, opts, row);
    for (let j = 0; j < NVAR; j++) cols[VARIABLES[j].id][i] = row[j];
  }
  return cols;
}
