#!/usr/bin/env node
// Supplementary reference-world participants for the twin model's training cohort, dense in
// exposures (2-3 episodes each: drugs 35%, diet 27%, every other kind) and in the core panels. The same
// MEDS layout and exposure codes as `vtrial cohort` (armExposureEvents), but with interventions
// drawn from the fields `vtrial cohort` does not yet vary (diet macronutrient targets, fibre,
// beta-glucan, nuts, olive oil, salt substitute, potassium, sodium change, total diet
// replacement, cholesterol/eggs, weight-loss kg targets, sleep hour targets, placebos), so the
// model sees every code a trial file can produce. Usage:
//   node scripts/model-cohort-supplement.mjs N YEARS SEED OUT.csv [--trial-like] [--enriched] [--early-visits]
// --enriched: participants come from the populations trials recruit (general adults, raised
// blood pressure, raised LDL, type 2 diabetes, obesity, overweight, raised triglycerides; drawn
// with the trial sampler's eligibility, on screening values), and 65% of episodes give the
// interventions trialled in that population (BP drugs and salt/DASH/potassium in hypertension,
// lipid drugs and sterols/fibre/fat quality in raised LDL, glucose drugs and diets in diabetes,
// weight-loss drugs and programmes in obesity); 12% get no intervention (the untreated course of
// the same populations). The strata are generic indications, not any benchmark trial.
// --placebo-controls P (0-1, with --enriched): an indicated drug or supplement episode is, with
// probability P, the placebo that mimics it instead (same start, stop and adherence), as in the
// placebo-controlled trials run in these populations; without it (or P = 0) the draws, and the
// file, are the same as before the option existed.
// --lifestyle (implies --enriched and --trial-like): weight-course participants (obesity,
// overweight, type 2 diabetes, raised BP, general adults) given the diet, weight-loss-programme,
// fasting, exercise and incretin episodes trialled for weight in 85% of episodes, which start at
// the baseline visit in 80% of episodes and stop 3-12 months later in 60% (as in trials with a
// weight-loss phase and a follow-up or maintenance phase without the intervention), so the model
// sees months of loss and the course after a stop. Follow at least 1.5 years with this option.
// --add-on (implies --enriched and --trial-like): the treated and severe populations most drug
// trials recruit for add-on therapy (uncontrolled BP on BP drugs, LDL-C 130-300 mg/dL with or
// without a statin, type 2 diabetes on metformin, triglycerides 500-2,000 mg/dL, short
// sleepers) given the add-on interventions trialled there; --placebo-controls works as
// with --enriched. The strata are labelled indications, not any benchmark trial.
// --combined (implies --enriched and --trial-like): combination designs, the add-on trials of
// weight and risk-factor care: in the populations they recruit (obesity, overweight, type 2
// diabetes, raised BP, raised LDL-C), 85% of participants keep a background diet or weight
// programme from the baseline visit (an energy target, a weight-loss programme, DASH or sodium
// reduction, a fat-quality diet), and 70% of those (all of the rest) are given an add-on on top
// of it (an incretin drug, aerobic exercise, a BP, lipid or glucose drug), from the baseline visit
// in 70% of add-ons; half of the incretin add-ons escalate the dose every 4 weeks through the
// marketed doses up to the chosen one (as their labels direct), so the model sees a drug's dose
// steps as one course. --placebo-controls P replaces an add-on drug by its placebo with
// probability P. The strata are labelled indications, not any benchmark trial.
// --screening-visit (with an enriched option): each participant's screening readings, the values
// the stratum's eligibility rules were checked on, are written at day SCREENING_DAY (-14, before
// the baseline visit at day 0), for the measured variables the rules name, as a trial's screening
// visit records them; a model trained with version-8 tokens reads them (and the model engine gives
// it the same visit for twins drawn on eligibility rules). Without the option the file is the same
// as before it existed.
// --untreated P (0-1, with an enriched option other than --combined): the share of participants
// given no intervention at all (default 0.12), so the untreated course of a screened population
// (regression to the mean after selection on a screening reading, the drift of trial
// participation) is seen often enough to be learned. Without the option the file is the same as
// before it existed.
// --full-panels: every visit measures every panel, and visits are monthly (every 28-35 days), so
// the model sees histories like the ones a rollout that feeds every sampled variable at monthly
// latent steps builds (rolloutFeed 'all', rolloutStepDays 31): a long run of full panels, in which
// a persistent high level stays where it is. Without the option the file is the same as before.
// --early-visits: besides the regular visits, a visit 7 and 14 days after every exposure start and
// every stop within follow-up, measuring blood pressure, the body panel and the intake panel
// always and the other panels as a regular visit does (merged into a regular visit on the same
// day), so the model sees the first two weeks of an exposure, when behavioural intake changes are
// largest (scripts/effect-by-visit.mjs --early; session 19). Without the option the file is the
// same as before it existed.
// Subject ids are 1,000,000 + (SEED mod 10,000) x 100,000 + index (N at most 100,000), so files
// written with different seeds can be concatenated into one cohort.
import { createWriteStream } from 'node:fs';
import { Rng, hashString } from '../dist/core/rng.js';
import { VARIABLES } from '../dist/population/catalog.js';
import { drawBaseline, NVAR } from '../dist/population/baseline.js';
import { armExposureEvents } from '../dist/population/exposures.js';
import { simulateReference } from '../dist/population/world/index.js';
import { DRUGS, DIET_PATTERNS, EXERCISE_TYPES, SUPPLEMENTS } from '../dist/population/interventions.js';
import { drawSynthetic } from '../dist/population/draw.js';
import { SCREENING_DAY } from '../dist/model/tokenizer.js';

const [N, YEARS, SEED, OUT] = [Number(process.argv[2] ?? 6000), Number(process.argv[3] ?? 3), Number(process.argv[4] ?? 101), process.argv[5] ?? 'supplement.csv'];
// --trial-like: exposures start at the baseline visit (as in a trial) in 70% of episodes, and
// the first months are visited densely; trials ask the model exactly this question
if (!(N >= 1 && N <= 100_000)) { process.stderr.write('N must be 1-100000\n'); process.exit(2); }
const LIFESTYLE = process.argv.includes('--lifestyle');
const ADD_ON = process.argv.includes('--add-on');
const COMBINED = process.argv.includes('--combined');
if (LIFESTYLE + ADD_ON + COMBINED > 1) { process.stderr.write('--lifestyle, --add-on and --combined are separate cohorts: give one\n'); process.exit(2); }
const TRIAL_LIKE = LIFESTYLE || ADD_ON || COMBINED || process.argv.includes('--trial-like');
const ENRICHED = LIFESTYLE || ADD_ON || COMBINED || process.argv.includes('--enriched');
const pcAt = process.argv.indexOf('--placebo-controls');
const PLACEBO_CONTROLS = pcAt < 0 ? 0 : Number(process.argv[pcAt + 1]);
if (!(PLACEBO_CONTROLS >= 0 && PLACEBO_CONTROLS <= 1)) { process.stderr.write(`--placebo-controls must be a share from 0 to 1 (got '${process.argv[pcAt + 1]}')\n`); process.exit(2); }
const SCREENING_VISIT = process.argv.includes('--screening-visit');
const FULL_PANELS = process.argv.includes('--full-panels');
const EARLY_VISITS = process.argv.includes('--early-visits');
const utAt = process.argv.indexOf('--untreated');
const UNTREATED = utAt < 0 ? 0.12 : Number(process.argv[utAt + 1]);
if (!(UNTREATED >= 0 && UNTREATED <= 1)) { process.stderr.write(`--untreated must be a share from 0 to 1 (got '${process.argv[utAt + 1]}')\n`); process.exit(2); }
if (utAt >= 0 && (!ENRICHED || COMBINED)) { process.stderr.write('--untreated needs --enriched, --lifestyle or --add-on (a --combined participant always keeps a background programme)\n'); process.exit(2); }
if (SCREENING_VISIT && !ENRICHED) { process.stderr.write('--screening-visit needs an enriched cohort (--enriched, --lifestyle, --add-on or --combined): only they are screened\n'); process.exit(2); }
if (PLACEBO_CONTROLS > 0 && !ENRICHED) { process.stderr.write('--placebo-controls needs --enriched (it replaces the indicated episodes)\n'); process.exit(2); }
// the placebo an indicated drug or supplement is compared against
const placeboFor = (iv) => ({ kind: 'placebo', mimics: iv.kind === 'supplement' ? 'supplement' : iv.frequency === 'weekly' ? 'weekly injection' : 'drug' });
const PANELS = [
  ['sbp', 'dbp', 'resting_hr'], ['body_weight', 'bmi', 'waist', 'body_fat_pct'], ['total_cholesterol', 'ldl_c', 'hdl_c', 'triglycerides'],
  ['fasting_glucose', 'hba1c', 'fasting_insulin'], ['crp', 'alt', 'creatinine', 'egfr'], ['cgm_mean_glucose', 'cgm_tir', 'cgm_cv', 'cgm_time_above_140', 'ppgr'],
  ['sleep_duration', 'sleep_efficiency', 'steps', 'hrv_rmssd'], ['microbiome_shannon', 'microbiome_butyrate', 'microbiome_prevotella'],
  ['energy_intake', 'sodium_intake', 'potassium_intake', 'carb_pct', 'protein_pct', 'fat_pct', 'sfa_pct', 'mufa_pct', 'pufa_pct', 'fibre_intake', 'dietary_cholesterol', 'alcohol', 'mvpa', 'smoker'],
];
// core panels measured more often than in `vtrial cohort`, so each exposure onset is seen in the outcomes it moves
const PANEL_P = [0.95, 0.9, 0.7, 0.7, 0.3, 0.2, 0.35, 0.1, 0.3];
const pick = (r, xs) => xs[r.int(xs.length)];
const u = (r, lo, hi) => +(lo + (hi - lo) * r.uniform()).toPrecision(3);

function diet(r) {
  const k = r.int(12);
  const iv = { kind: 'diet' };
  if (r.uniform() < 0.4) iv.pattern = pick(r, DIET_PATTERNS);
  switch (k) {
    case 0: Object.assign(iv, { fatPct: u(r, 18, 40), carbPct: u(r, 35, 60), proteinPct: u(r, 15, 25) }); break;
    case 1: Object.assign(iv, { carbPct: u(r, 10, 40), fatPct: u(r, 30, 50), sfaPct: u(r, 7, 14) }); break;
    case 2: Object.assign(iv, { sfaPct: u(r, 5, 10), mufaPct: u(r, 12, 20), pufaPct: u(r, 6, 12) }); break;
    case 3: Object.assign(iv, { fibreG: u(r, 20, 45) }); break;
    case 4: Object.assign(iv, { betaGlucanG: u(r, 2, 6) }); break;
    case 5: Object.assign(iv, { nutsG: u(r, 15, 60) }); break;
    case 6: Object.assign(iv, { oliveOilG: u(r, 20, 60) }); break;
    case 7: Object.assign(iv, { saltSubstituteKclPct: pick(r, [25, 50, 75]) }); break;
    case 8: Object.assign(iv, { potassiumMg: u(r, 3000, 4700) }); break;
    case 9: Object.assign(iv, { sodiumChangeMg: -u(r, 800, 2500) }); break;
    case 10: Object.assign(iv, { totalDietReplacementKcal: u(r, 800, 1300) }); break;
    default: Object.assign(iv, r.uniform() < 0.5 ? { cholesterolMg: u(r, 150, 600) } : { eggsPerDay: pick(r, [1, 2, 3]) });
  }
  return iv;
}

function intervention(r) {
  const k = r.uniform();
  if (k < 0.35) { const d = pick(r, DRUGS); return { kind: 'drug', drug: d.name, dose: pick(r, d.doses), frequency: d.frequency }; }
  if (k < 0.62) return diet(r);
  if (k < 0.72) return { kind: 'exercise', type: pick(r, EXERCISE_TYPES), minutesPerWeek: pick(r, [60, 90, 150, 210, 300]), intensity: pick(r, ['light', 'moderate', 'vigorous']) };
  if (k < 0.79) { const s = pick(r, SUPPLEMENTS); return { kind: 'supplement', supplement: s.name, dose: +(s.range[0] + (s.range[1] - s.range[0]) * (0.1 + 0.5 * r.uniform())).toPrecision(2) }; }
  if (k < 0.85) return r.uniform() < 0.5
    ? { kind: 'weight_loss', targetKg: pick(r, [4, 7, 10, 15]), support: pick(r, ['minimal', 'moderate', 'intensive']) }
    : { kind: 'weight_loss', targetPct: pick(r, [5, 7, 10]), support: pick(r, ['minimal', 'moderate', 'intensive']) };
  if (k < 0.89) return r.uniform() < 0.5 ? { kind: 'sleep', targetHours: pick(r, [7, 7.5, 8]) } : { kind: 'sleep', extendHours: pick(r, [0.5, 1, 1.5]) };
  if (k < 0.94) { const b = r.uniform(); return b < 0.4 ? { kind: 'behaviour', alcoholDrinksPerDay: pick(r, [0, 1, 2]) } : b < 0.7 ? { kind: 'behaviour', smokingCessation: true } : { kind: 'behaviour', sodiumEducation: true }; }
  return { kind: 'placebo', mimics: pick(r, ['drug', 'pill', 'supplement', 'weekly injection', 'margarine', 'cereal', 'capsule']) };
}

const drugOf = (r, classes) => { const ds = DRUGS.filter((d) => classes.includes(d.class)); const d = pick(r, ds); return { kind: 'drug', drug: d.name, dose: pick(r, d.doses), frequency: d.frequency }; };
const aerobic = (r) => ({ kind: 'exercise', type: pick(r, EXERCISE_TYPES), minutesPerWeek: pick(r, [90, 150, 210, 300]), intensity: pick(r, ['moderate', 'vigorous']) });
const weightProgramme = (r) => ({ kind: 'weight_loss', targetPct: pick(r, [5, 7, 10]), support: pick(r, ['moderate', 'intensive']) });
const energyCut = (r) => ({ kind: 'diet', energyChangeKcal: -pick(r, [300, 500, 750]) });
// indication strata: [name, share, eligibility rules, interventions trialled there]
const STRATA = [
  ['general', 0.22, [], null],
  ['raised_bp', 0.18, [{ variable: 'sbp', min: 130, max: 180 }], (r) => {
    const k = r.uniform();
    if (k < 0.55) return drugOf(r, ['ccb', 'thiazide', 'arb', 'ace_inhibitor', 'beta_blocker', 'mra']);
    if (k < 0.65) return { kind: 'diet', pattern: 'dash', ...(r.uniform() < 0.5 ? { sodiumMg: pick(r, [1500, 2300]) } : {}) };
    if (k < 0.75) return { kind: 'diet', sodiumChangeMg: -u(r, 800, 2500) };
    if (k < 0.82) return r.uniform() < 0.5 ? { kind: 'diet', saltSubstituteKclPct: pick(r, [25, 50, 75]) } : { kind: 'supplement', supplement: 'potassium', dose: pick(r, [1000, 2000, 3000]) };
    if (k < 0.92) return aerobic(r);
    return weightProgramme(r);
  }],
  ['raised_ldl', 0.16, [{ variable: 'ldl_c', min: 130, max: 250 }], (r) => {
    const k = r.uniform();
    if (k < 0.55) return drugOf(r, ['statin', 'ezetimibe', 'pcsk9_antibody', 'sirna_pcsk9', 'bempedoic_acid']);
    if (k < 0.7) { const s = pick(r, ['plant_sterols', 'plant_stanols', 'plant_stanol_ester', 'psyllium', 'oat_beta_glucan']); const def = SUPPLEMENTS.find((x) => x.name === s); return { kind: 'supplement', supplement: s, dose: +(def.range[0] + (def.range[1] - def.range[0]) * (0.1 + 0.4 * r.uniform())).toPrecision(2) }; }
    if (k < 0.9) return diet(r);
    return { kind: 'diet', pattern: pick(r, DIET_PATTERNS) };
  }],
  ['type2_diabetes', 0.16, [{ variable: 'diabetes', equals: 1 }, { variable: 'hba1c', min: 6.5, max: 10.5 }], (r) => {
    const k = r.uniform();
    if (k < 0.6) return drugOf(r, ['biguanide', 'glp1', 'glp1_gip', 'sglt2']);
    if (k < 0.7) return { kind: 'diet', carbPct: u(r, 10, 40), fatPct: u(r, 30, 50) };
    if (k < 0.78) return { kind: 'diet', totalDietReplacementKcal: u(r, 800, 1300) };
    if (k < 0.88) return aerobic(r);
    return r.uniform() < 0.5 ? weightProgramme(r) : energyCut(r);
  }],
  ['obesity', 0.14, [{ variable: 'bmi', min: 30, max: 45 }], (r) => {
    const k = r.uniform();
    if (k < 0.4) return drugOf(r, ['glp1', 'glp1_gip']);
    if (k < 0.6) return weightProgramme(r);
    if (k < 0.72) return energyCut(r);
    if (k < 0.8) return { kind: 'diet', fasting: { regimen: pick(r, ['time_restricted', 'alternate_day', 'five_two']), windowHours: 8 } };
    if (k < 0.9) return r.uniform() < 0.5 ? { kind: 'diet', carbPct: u(r, 10, 40), fatPct: u(r, 30, 50) } : { kind: 'diet', fatPct: u(r, 18, 30), carbPct: u(r, 50, 60) };
    return aerobic(r);
  }],
  ['overweight', 0.08, [{ variable: 'bmi', min: 25, max: 35 }], null],
  ['raised_tg', 0.06, [{ variable: 'triglycerides', min: 150, max: 500 }], (r) => {
    const k = r.uniform();
    if (k < 0.5) return drugOf(r, ['omega3', 'statin']);
    if (k < 0.75) return { kind: 'diet', carbPct: u(r, 10, 40), fatPct: u(r, 30, 50) };
    return r.uniform() < 0.5 ? weightProgramme(r) : { kind: 'diet', pattern: 'mediterranean' };
  }],
];
// --lifestyle strata: the populations weight trials recruit and the weight interventions tried there
const weightIv = (r) => {
  const k = r.uniform();
  if (k < 0.22) return energyCutAnySize(r);
  if (k < 0.40) return r.uniform() < 0.5 ? weightProgrammeAnySupport(r) : { kind: 'weight_loss', targetKg: pick(r, [4, 7, 10, 15]), support: pick(r, ['minimal', 'moderate', 'intensive']) };
  if (k < 0.52) return r.uniform() < 0.5 ? { kind: 'diet', carbPct: u(r, 10, 40), fatPct: u(r, 30, 50) } : { kind: 'diet', fatPct: u(r, 18, 30), carbPct: u(r, 50, 60) };
  if (k < 0.62) { const iv = { kind: 'diet', fasting: { regimen: pick(r, ['time_restricted', 'alternate_day', 'five_two']), windowHours: 8 } }; if (r.uniform() < 0.5) iv.energyChangeKcal = -pick(r, [300, 500, 750]); return iv; }
  if (k < 0.67) return { kind: 'diet', totalDietReplacementKcal: u(r, 800, 1300) };
  if (k < 0.72) return { kind: 'diet', pattern: pick(r, DIET_PATTERNS), energyChangeKcal: -pick(r, [300, 500, 750]) };
  if (k < 0.84) return aerobic(r);
  return drugOf(r, ['glp1', 'glp1_gip', 'biguanide', 'sglt2']);
};
function energyCutAnySize(r) { return { kind: 'diet', energyChangeKcal: -pick(r, [250, 400, 500, 600, 750, 1000]) }; }
function weightProgrammeAnySupport(r) { return { kind: 'weight_loss', targetPct: pick(r, [5, 7, 10]), support: pick(r, ['minimal', 'moderate', 'intensive']) }; }
const LIFESTYLE_STRATA = [
  ['general', 0.1, [], weightIv],
  ['obesity', 0.35, [{ variable: 'bmi', min: 30, max: 45 }], weightIv],
  ['overweight', 0.25, [{ variable: 'bmi', min: 25, max: 35 }], weightIv],
  ['type2_diabetes', 0.2, [{ variable: 'diabetes', equals: 1 }, { variable: 'hba1c', min: 6.5, max: 10.5 }], weightIv],
  ['raised_bp', 0.1, [{ variable: 'sbp', min: 130, max: 180 }, { variable: 'bmi', min: 25, max: 45 }], weightIv],
];
const ADD_ON_STRATA = [
  ['uncontrolled_bp_on_drugs', 0.25, [{ variable: 'on_bp_meds', equals: 1 }, { variable: 'sbp', min: 135, max: 180 }], (r) => {
    const k = r.uniform();
    if (k < 0.3) return drugOf(r, ['mra']);
    if (k < 0.75) return drugOf(r, ['ccb', 'thiazide', 'arb', 'ace_inhibitor', 'beta_blocker']);
    if (k < 0.88) return r.uniform() < 0.5 ? { kind: 'diet', sodiumChangeMg: -u(r, 800, 2500) } : { kind: 'diet', pattern: 'dash' };
    return aerobic(r);
  }],
  ['raised_ldl_treated_or_high', 0.2, [{ variable: 'ldl_c', min: 130, max: 300 }], (r) => {
    const k = r.uniform();
    if (k < 0.6) return drugOf(r, ['pcsk9_antibody', 'sirna_pcsk9', 'ezetimibe', 'bempedoic_acid']);
    if (k < 0.8) return drugOf(r, ['statin']);
    const s = pick(r, ['plant_sterols', 'plant_stanols', 'plant_stanol_ester', 'psyllium', 'oat_beta_glucan']); const def = SUPPLEMENTS.find((x) => x.name === s);
    return { kind: 'supplement', supplement: s, dose: +(def.range[0] + (def.range[1] - def.range[0]) * (0.1 + 0.4 * r.uniform())).toPrecision(2) };
  }],
  ['type2_diabetes_on_metformin', 0.2, [{ variable: 'on_metformin', equals: 1 }, { variable: 'hba1c', min: 7, max: 10.5 }], (r) => {
    const k = r.uniform();
    if (k < 0.75) return drugOf(r, ['glp1', 'glp1_gip', 'sglt2']);
    if (k < 0.88) return { kind: 'diet', carbPct: u(r, 10, 40), fatPct: u(r, 30, 50) };
    return aerobic(r);
  }],
  ['very_high_tg', 0.2, [{ variable: 'triglycerides', min: 500, max: 2000 }], (r) => {
    const k = r.uniform();
    if (k < 0.6) return drugOf(r, ['omega3']);
    if (k < 0.75) return drugOf(r, ['statin']);
    if (k < 0.88) return { kind: 'diet', carbPct: u(r, 10, 40), fatPct: u(r, 30, 50) };
    return energyCutAnySize(r);
  }],
  ['short_sleep', 0.15, [{ variable: 'sleep_duration', min: 4, max: 6.5 }], (r) => {
    const k = r.uniform();
    if (k < 0.65) return { kind: 'sleep', extendHours: pick(r, [0.5, 1, 1.5]) };
    if (k < 0.8) return { kind: 'sleep', targetHours: pick(r, [7, 7.5, 8]) };
    return aerobic(r);
  }],
];
// --combined strata: [name, share, eligibility rules, [background, add-on]]
const incretin = (r) => drugOf(r, ['glp1', 'glp1_gip']);
const fatQuality = (r) => ({ kind: 'diet', sfaPct: u(r, 5, 10), mufaPct: u(r, 12, 20), pufaPct: u(r, 6, 12) });
const COMBINED_STRATA = [
  ['obesity', 0.3, [{ variable: 'bmi', min: 30, max: 45 }], [(r) => (r.uniform() < 0.6 ? energyCutAnySize(r) : weightProgrammeAnySupport(r)), (r) => (r.uniform() < 0.65 ? incretin(r) : aerobic(r))]],
  ['overweight', 0.12, [{ variable: 'bmi', min: 25, max: 35 }], [(r) => (r.uniform() < 0.6 ? energyCutAnySize(r) : weightProgrammeAnySupport(r)), (r) => (r.uniform() < 0.4 ? incretin(r) : aerobic(r))]],
  ['type2_diabetes', 0.2, [{ variable: 'diabetes', equals: 1 }, { variable: 'hba1c', min: 6.5, max: 10.5 }], [(r) => { const k = r.uniform(); return k < 0.45 ? energyCutAnySize(r) : k < 0.7 ? weightProgrammeAnySupport(r) : { kind: 'diet', carbPct: u(r, 10, 40), fatPct: u(r, 30, 50) }; }, (r) => { const k = r.uniform(); return k < 0.55 ? incretin(r) : k < 0.75 ? drugOf(r, ['sglt2', 'biguanide']) : aerobic(r); }]],
  ['raised_bp', 0.22, [{ variable: 'sbp', min: 130, max: 180 }], [(r) => { const k = r.uniform(); return k < 0.35 ? { kind: 'diet', pattern: 'dash' } : k < 0.6 ? { kind: 'diet', sodiumChangeMg: -u(r, 800, 2500) } : k < 0.8 ? energyCutAnySize(r) : weightProgrammeAnySupport(r); }, (r) => { const k = r.uniform(); return k < 0.6 ? drugOf(r, ['ccb', 'thiazide', 'arb', 'ace_inhibitor']) : k < 0.8 ? aerobic(r) : incretin(r); }]],
  ['raised_ldl', 0.16, [{ variable: 'ldl_c', min: 130, max: 250 }], [(r) => (r.uniform() < 0.5 ? fatQuality(r) : r.uniform() < 0.5 ? { kind: 'diet', pattern: pick(r, DIET_PATTERNS) } : energyCutAnySize(r)), (r) => { const k = r.uniform(); return k < 0.6 ? drugOf(r, ['statin', 'ezetimibe']) : k < 0.8 ? { kind: 'supplement', supplement: 'plant_sterols', dose: pick(r, [1.5, 2, 3]) } : aerobic(r); }]],
];
const STRATA_USED = LIFESTYLE ? LIFESTYLE_STRATA : ADD_ON ? ADD_ON_STRATA : COMBINED ? COMBINED_STRATA : STRATA;
// --combined: background plus add-on episodes of one participant of stratum `st`
function combinedEpisodes(r, st, days) {
  const [bg, addOn] = st[3];
  const ivs = [];
  const hasBg = r.uniform() < 0.85;
  const adh = () => { const full = r.uniform() < 0.3; return { adherence: full ? 1 : 0.6 + 0.4 * r.uniform(), adherenceWaning: full ? 0 : 0.4 * r.uniform() }; };
  if (hasBg) ivs.push({ ...bg(r), startDay: 0, stopDay: r.uniform() < 0.75 ? days + 1 : Math.round(182 + r.uniform() * 183), ...adh() });
  if (!hasBg || r.uniform() < 0.7) {
    const start = r.uniform() < 0.7 ? 0 : Math.round(r.uniform() * days * 0.4);
    const stop = r.uniform() < 0.7 ? days + 1 : Math.min(days + 1, start + 91 + Math.round(r.uniform() * 274));
    let iv = addOn(r);
    const a = adh();
    if (PLACEBO_CONTROLS > 0 && (iv.kind === 'drug' || iv.kind === 'supplement') && r.uniform() < PLACEBO_CONTROLS) iv = placeboFor(iv);
    const d = iv.kind === 'drug' ? DRUGS.find((x) => x.name === iv.drug) : undefined;
    if (d && (d.class === 'glp1' || d.class === 'glp1_gip') && r.uniform() < 0.5) {
      // dose escalation every 4 weeks through the marketed doses up to the chosen one
      const steps = d.doses.filter((x) => x <= iv.dose);
      let s0 = start;
      steps.forEach((dose, j) => {
        const last = j === steps.length - 1;
        const s1 = last ? stop : Math.min(stop, s0 + 28);
        // constant adherence over the steps (waning restarts with each item)
        if (s1 > s0) ivs.push({ ...iv, dose, startDay: s0, stopDay: s1, ...a, adherenceWaning: 0 });
        s0 = s1;
      });
    } else ivs.push({ ...iv, startDay: start, stopDay: stop, ...a });
  }
  return ivs;
}
// the stratum of each participant index and its true baseline, drawn stratum by stratum
const strataOf = new Uint8Array(N);
const enrichedRows = [];
const screeningRows = []; // per participant: [[variable, screening reading], ...]
if (ENRICHED) {
  let at = 0;
  STRATA_USED.forEach(([, share, rules], k) => {
    const n = k === STRATA_USED.length - 1 ? N - at : Math.round(N * share);
    if (n <= 0) return;
    const d = drawSynthetic({ source: 'synthetic', n, sex: 'any', eligibility: rules, eligibilityGroups: [], baseline: [] }, SEED * 101 + k);
    const scr = Object.entries(d.batch.screening ?? {});
    for (let i = 0; i < n; i++) {
      strataOf[at + i] = k;
      enrichedRows.push(Float64Array.from(VARIABLES, (v) => d.batch.columns[v.id][i]));
      if (SCREENING_VISIT) screeningRows.push(scr.map(([id, c]) => [id, c[i]]));
    }
    at += n;
  });
}
const days = Math.round(YEARS * 365.25);
const idx = Object.fromEntries(VARIABLES.map((v, j) => [v.id, j]));
const truth = new Float64Array(NVAR);
const out = createWriteStream(OUT);
const write = (s) => new Promise((res) => (out.write(s) ? res() : out.once('drain', res)));
await write('subject_id,time,code,numeric_value\n');
const P_EXP = hashString('model-supplement-exposure'), P_VIS = hashString('model-supplement-visits'), P_EARLY = hashString('model-supplement-early-visits');
// panels an early visit always measures: blood pressure, body, intake (indices into PANELS)
const EARLY_ALWAYS = new Set([0, 1, 8]);
for (let s = 0; s < N; s++) {
  // subject index offset keeps these participants distinct from `vtrial cohort`'s for the same seed
  const sid = 1_000_000 + (SEED % 10_000) * 100_000 + s;
  if (ENRICHED) truth.set(enrichedRows[s]);
  else drawBaseline(SEED, sid, {}, truth);
  const r = new Rng(SEED, sid, P_EXP);
  const ivs = [];
  const matched = ENRICHED ? STRATA_USED[strataOf[s]][3] : null;
  const nEp = COMBINED ? 0 : ENRICHED && r.uniform() < UNTREATED ? 0 : TRIAL_LIKE ? 1 + r.int(2) : 2 + r.int(2);
  if (COMBINED) ivs.push(...combinedEpisodes(r, STRATA_USED[strataOf[s]], days));
  for (let e = 0; e < nEp; e++) {
    const start = TRIAL_LIKE && r.uniform() < (LIFESTYLE ? 0.8 : 0.7) ? 0 : Math.round(r.uniform() * days * (LIFESTYLE ? 0.5 : 0.8));
    const stop = LIFESTYLE
      ? (r.uniform() < 0.4 ? days + 1 : Math.min(days + 1, start + Math.round(91 + r.uniform() * 274)))
      : r.uniform() < 0.5 ? days + 1 : Math.min(days + 1, start + 28 + Math.round(r.uniform() * days * 0.6));
    const full = r.uniform() < 0.3;
    const indicated = matched && r.uniform() < (LIFESTYLE ? 0.85 : 0.65);
    let iv = indicated ? matched(r) : intervention(r);
    if (PLACEBO_CONTROLS > 0 && indicated && (iv.kind === 'drug' || iv.kind === 'supplement') && r.uniform() < PLACEBO_CONTROLS) iv = placeboFor(iv);
    ivs.push({ ...iv, startDay: start, stopDay: stop, adherence: full ? 1 : 0.5 + 0.5 * r.uniform(), adherenceWaning: full ? 0 : 0.5 * r.uniform() });
  }
  const vr = new Rng(SEED, sid, P_VIS);
  const visits = [];
  for (let day = 0; day <= days; day += FULL_PANELS ? 28 + vr.int(8) : Math.max(7, Math.round(vr.exponential(1 / (TRIAL_LIKE ? 40 : 60))))) {
    const vars = [];
    PANELS.forEach((p, k) => { if (day === 0 || FULL_PANELS || vr.uniform() < PANEL_P[k]) vars.push(...p); });
    visits.push({ label: `d${day}`, day, variables: vars });
  }
  if (EARLY_VISITS) {
    // own stream, so the regular visits are the same draws as without the option
    const er = new Rng(SEED, sid, P_EARLY);
    const byDay = new Map(visits.map((v) => [v.day, v]));
    const marks = new Set();
    for (const iv of ivs) for (const t of [iv.startDay, iv.stopDay]) if (t <= days) for (const d of [7, 14]) if (t + d <= days) marks.add(t + d);
    for (const d of [...marks].sort((a, b) => a - b)) {
      const vars = [];
      PANELS.forEach((p, k) => { if (EARLY_ALWAYS.has(k) || er.uniform() < PANEL_P[k]) vars.push(...p); });
      const v = byDay.get(d);
      if (v) v.variables = [...new Set([...v.variables, ...vars])];
      else { const nv = { label: `d${d}`, day: d, variables: vars }; visits.push(nv); byDay.set(d, nv); }
    }
    visits.sort((a, b) => a.day - b.day);
  }
  const arm = { id: 'cohort', label: 'cohort', role: 'experimental', interventions: ivs };
  const batch = { ids: Uint32Array.of(sid), columns: Object.fromEntries(VARIABLES.map((v, j) => [v.id, Float64Array.of(truth[j])])) };
  const tr = simulateReference(batch, arm, { durationDays: days, visits, dropout: 0.1 * YEARS }, SEED);
  const rows = [`${sid},0,${truth[idx.sex] === 1 ? 'SEX//F' : 'SEX//M'},`, `${sid},0,AGE,${truth[idx.age].toFixed(1)}`, `${sid},0,height,${truth[idx.height].toFixed(1)}`];
  for (const f of ['diabetes', 'hypertension', 'on_statin', 'on_bp_meds', 'on_metformin', 'on_insulin']) if (truth[idx[f]] === 1) rows.push(`${sid},0,CONDITION//${f},1`);
  const ev = armExposureEvents(arm, days + 1).map((e) => [e.day, `${sid},${e.day},${e.code},${e.value}`]);
  const meas = [];
  if (SCREENING_VISIT) for (const [id, x] of screeningRows[s]) if (Number.isFinite(x)) meas.push([SCREENING_DAY, `${sid},${SCREENING_DAY},${id},${+x.toPrecision(5)}`]);
  visits.forEach((v, k) => { for (const id of v.variables) { const x = tr.values[id]?.[k]; if (x !== undefined && Number.isFinite(x)) meas.push([v.day, `${sid},${v.day},${id},${+x.toPrecision(5)}`]); } });
  if (Number.isFinite(tr.dropoutDay[0])) meas.push([Math.round(tr.dropoutDay[0]), `${sid},${Math.round(tr.dropoutDay[0])},EVENT//lost_to_follow_up,`]);
  for (const [, line] of [...ev, ...meas].sort((a, b) => a[0] - b[0])) rows.push(line);
  await write(rows.join('\n') + '\n');
}
out.end();
await new Promise((res) => out.on('finish', res));
process.stderr.write(`wrote ${N} supplementary participants to ${OUT}\n`);
