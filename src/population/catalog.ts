/**
 * The variable catalog: one source of truth for every variable vtrial knows.
 *
 * The trial checker, the reference world, the tokeniser, the readers of real participant
 * data and the reports all read this table; nothing else names variables by string.
 *
 * Units follow US clinical convention (lipids and glucose in mg/dL) because most of the
 * published trials vtrial is validated against report them that way. Conversions:
 * 1 mmol/L cholesterol = 38.67 mg/dL; 1 mmol/L triglyceride = 88.57 mg/dL;
 * 1 mmol/L glucose = 18.016 mg/dL.
 *
 * Within-person biological variation (cvi, %) and analytical variation (cva, %) are used to
 * add measurement noise; where a variable is better described on an absolute scale the noise
 * is given as an SD (`noiseSd`) in the variable's own unit. Sources per entry.
 */

export type Domain =
  | 'demographic'
  | 'blood'
  | 'body'
  | 'cardio'
  | 'sleep'
  | 'cgm'
  | 'microbiome'
  | 'wearable'
  | 'behaviour'
  | 'diet'
  | 'medication'
  | 'condition';

export type VariableKind = 'continuous' | 'flag' | 'category';

/** How a variable is scaled before modelling: log for right-skewed ones (triglycerides, CRP, insulin). */
export type Transform = 'identity' | 'log' | 'logit100';

export interface VariableDef {
  /** Stable identifier used in trial files, data files and tokens (snake_case). */
  readonly id: string;
  readonly label: string;
  readonly unit: string;
  readonly domain: Domain;
  readonly kind: VariableKind;
  /** Values outside this range are implausible (data-entry or unit errors). */
  readonly plausible: readonly [number, number];
  readonly transform: Transform;
  /**
   * The scale the twin model learns this variable on, where it differs from `transform`: LDL-C
   * and total cholesterol are drawn on their natural scale but respond to drugs and diet in
   * proportion to their level (a statin lowers LDL-C by a share of it), which a log scale makes
   * a shift. Read when a tokeniser is fitted; a checkpoint stores the scale it was trained on.
   */
  readonly modelTransform?: Transform;
  /** Within-person biological variation, % (coefficient of variation). */
  readonly cvi?: number;
  /** Analytical variation, %. */
  readonly cva?: number;
  /** Measurement noise as an SD in the variable's unit (used instead of cvi/cva where given). */
  readonly noiseSd?: number;
  /** Decimal places used when reporting. */
  readonly decimals: number;
  /** Category levels (kind 'category'). */
  readonly levels?: readonly string[];
  /** Other names accepted in data files (case-insensitive), e.g. 'weight' for body_weight. */
  readonly aliases?: readonly string[];
  /** Common unit mistakes: a value in this other unit is multiplied by factor to reach ours. */
  readonly altUnits?: readonly { unit: string; factor: number }[];
  /** Where the noise figures come from. */
  readonly source?: string;
  /** Measurable at a visit (false for fixed attributes such as sex). */
  readonly measurable: boolean;
}

const SMITH_1993 = 'Smith SJ et al. Clin Chem 1993;39:1012-22 (lipid biological variation) PMID:8504530';
const EFLM_2020 = 'EFLM Biological Variation Database, Aarsand AK et al. Clin Chem 2020;66:1123-32 doi:10.1093/clinchem/hvaa178';
const BP_VISIT =
  'Visit-to-visit SBP SD 5.6-7.7 mmHg in research settings: Rothwell PM et al. Lancet 2010;375:895-905 doi:10.1016/S0140-6736(10)60308-X';

export const VARIABLES: readonly VariableDef[] = [
  // demographic
  { id: 'age', label: 'Age', unit: 'years', domain: 'demographic', kind: 'continuous', plausible: [18, 100], transform: 'identity', decimals: 0, measurable: false },
  { id: 'sex', label: 'Sex', unit: '', domain: 'demographic', kind: 'category', levels: ['M', 'F'], plausible: [0, 1], transform: 'identity', decimals: 0, measurable: false, aliases: ['gender'] },
  { id: 'height', label: 'Height', unit: 'cm', domain: 'body', kind: 'continuous', plausible: [120, 220], transform: 'identity', noiseSd: 0.5, decimals: 1, measurable: true, altUnits: [{ unit: 'm', factor: 100 }, { unit: 'in', factor: 2.54 }] },
  // body composition
  { id: 'body_weight', label: 'Body weight', unit: 'kg', domain: 'body', kind: 'continuous', plausible: [30, 300], transform: 'log', noiseSd: 0.8, decimals: 1, measurable: true, aliases: ['weight', 'weight_kg'], altUnits: [{ unit: 'lb', factor: 0.45359237 }], source: 'Day-to-day weight fluctuation ~0.5-1 kg: Turicchi J et al. PLoS One 2020;15:e0232219 doi:10.1371/journal.pone.0232219' },
  { id: 'bmi', label: 'Body-mass index', unit: 'kg/m2', domain: 'body', kind: 'continuous', plausible: [12, 90], transform: 'log', noiseSd: 0.3, decimals: 1, measurable: true },
  { id: 'waist', label: 'Waist circumference', unit: 'cm', domain: 'body', kind: 'continuous', plausible: [50, 200], transform: 'identity', noiseSd: 1.5, decimals: 1, measurable: true, aliases: ['waist_cm'], altUnits: [{ unit: 'in', factor: 2.54 }] },
  { id: 'body_fat_pct', label: 'Body fat', unit: '%', domain: 'body', kind: 'continuous', plausible: [3, 70], transform: 'identity', noiseSd: 1.0, decimals: 1, measurable: true, aliases: ['body_fat'] },
  // blood pressure and heart rate
  { id: 'sbp', label: 'Systolic blood pressure', unit: 'mmHg', domain: 'cardio', kind: 'continuous', plausible: [70, 260], transform: 'identity', noiseSd: 6.5, decimals: 1, measurable: true, source: BP_VISIT },
  { id: 'dbp', label: 'Diastolic blood pressure', unit: 'mmHg', domain: 'cardio', kind: 'continuous', plausible: [35, 150], transform: 'identity', noiseSd: 4.5, decimals: 1, measurable: true, source: BP_VISIT },
  { id: 'resting_hr', label: 'Resting heart rate', unit: 'bpm', domain: 'cardio', kind: 'continuous', plausible: [30, 150], transform: 'identity', noiseSd: 5, decimals: 0, measurable: true, aliases: ['heart_rate', 'pulse'] },
  // lipids
  { id: 'total_cholesterol', label: 'Total cholesterol', unit: 'mg/dL', domain: 'blood', kind: 'continuous', plausible: [60, 500], transform: 'identity', modelTransform: 'log', cvi: 6.1, cva: 1.5, decimals: 0, measurable: true, aliases: ['tc', 'chol'], altUnits: [{ unit: 'mmol/L', factor: 38.67 }], source: SMITH_1993 },
  { id: 'ldl_c', label: 'LDL cholesterol', unit: 'mg/dL', domain: 'blood', kind: 'continuous', plausible: [10, 400], transform: 'identity', modelTransform: 'log', cvi: 9.5, cva: 2.0, decimals: 0, measurable: true, aliases: ['ldl'], altUnits: [{ unit: 'mmol/L', factor: 38.67 }], source: SMITH_1993 },
  { id: 'hdl_c', label: 'HDL cholesterol', unit: 'mg/dL', domain: 'blood', kind: 'continuous', plausible: [10, 150], transform: 'log', cvi: 7.4, cva: 2.0, decimals: 0, measurable: true, aliases: ['hdl'], altUnits: [{ unit: 'mmol/L', factor: 38.67 }], source: SMITH_1993 },
  { id: 'triglycerides', label: 'Triglycerides', unit: 'mg/dL', domain: 'blood', kind: 'continuous', plausible: [20, 3000], transform: 'log', cvi: 22.6, cva: 2.5, decimals: 0, measurable: true, aliases: ['tg', 'trig'], altUnits: [{ unit: 'mmol/L', factor: 88.57 }], source: SMITH_1993 },
  // glycaemia
  { id: 'fasting_glucose', label: 'Fasting plasma glucose', unit: 'mg/dL', domain: 'blood', kind: 'continuous', plausible: [40, 500], transform: 'log', cvi: 5.0, cva: 2.0, decimals: 0, measurable: true, aliases: ['glucose', 'fpg'], altUnits: [{ unit: 'mmol/L', factor: 18.016 }], source: EFLM_2020 },
  { id: 'hba1c', label: 'HbA1c', unit: '%', domain: 'blood', kind: 'continuous', plausible: [3.5, 18], transform: 'log', cvi: 1.2, cva: 1.5, decimals: 2, measurable: true, aliases: ['a1c'], altUnits: [{ unit: 'mmol/mol', factor: 0.09148 }], source: EFLM_2020 },
  { id: 'fasting_insulin', label: 'Fasting insulin', unit: 'uU/mL', domain: 'blood', kind: 'continuous', plausible: [0.5, 300], transform: 'log', cvi: 21, cva: 4, decimals: 1, measurable: true, aliases: ['insulin'], altUnits: [{ unit: 'pmol/L', factor: 1 / 6 }], source: EFLM_2020 },
  // inflammation, liver, kidney
  { id: 'crp', label: 'hs-CRP', unit: 'mg/L', domain: 'blood', kind: 'continuous', plausible: [0.05, 200], transform: 'log', cvi: 42, cva: 4, decimals: 2, measurable: true, aliases: ['hs_crp', 'hscrp'], altUnits: [{ unit: 'mg/dL', factor: 10 }], source: EFLM_2020 },
  { id: 'alt', label: 'Alanine aminotransferase', unit: 'U/L', domain: 'blood', kind: 'continuous', plausible: [3, 1000], transform: 'log', cvi: 19, cva: 4, decimals: 0, measurable: true, source: EFLM_2020 },
  { id: 'creatinine', label: 'Serum creatinine', unit: 'mg/dL', domain: 'blood', kind: 'continuous', plausible: [0.2, 15], transform: 'log', cvi: 4.5, cva: 2.5, decimals: 2, measurable: true, altUnits: [{ unit: 'umol/L', factor: 1 / 88.42 }], source: EFLM_2020 },
  { id: 'egfr', label: 'eGFR (CKD-EPI 2021)', unit: 'mL/min/1.73m2', domain: 'blood', kind: 'continuous', plausible: [3, 180], transform: 'identity', noiseSd: 4, decimals: 0, measurable: true },
  // sleep
  { id: 'sleep_duration', label: 'Sleep duration', unit: 'h', domain: 'sleep', kind: 'continuous', plausible: [2, 14], transform: 'identity', noiseSd: 0.6, decimals: 2, measurable: true, aliases: ['sleep_hours'] },
  { id: 'sleep_efficiency', label: 'Sleep efficiency', unit: '%', domain: 'sleep', kind: 'continuous', plausible: [40, 100], transform: 'logit100', noiseSd: 3, decimals: 1, measurable: true },
  // continuous glucose monitoring (a CGM week summarised)
  { id: 'cgm_mean_glucose', label: 'CGM mean glucose', unit: 'mg/dL', domain: 'cgm', kind: 'continuous', plausible: [60, 400], transform: 'log', noiseSd: 4, decimals: 0, measurable: true },
  { id: 'cgm_tir', label: 'CGM time in range 70-180 mg/dL', unit: '%', domain: 'cgm', kind: 'continuous', plausible: [0, 100], transform: 'logit100', noiseSd: 3, decimals: 1, measurable: true },
  { id: 'cgm_cv', label: 'CGM glucose coefficient of variation', unit: '%', domain: 'cgm', kind: 'continuous', plausible: [5, 60], transform: 'identity', noiseSd: 2, decimals: 1, measurable: true },
  { id: 'ppgr', label: 'Mean postprandial glucose response (2-h iAUC)', unit: 'mg/dL*h', domain: 'cgm', kind: 'continuous', plausible: [0, 400], transform: 'log', noiseSd: 8, decimals: 0, measurable: true },
  // gut microbiome
  { id: 'microbiome_shannon', label: 'Gut microbiome Shannon diversity', unit: 'nats', domain: 'microbiome', kind: 'continuous', plausible: [0.5, 6], transform: 'identity', noiseSd: 0.15, decimals: 2, measurable: true },
  { id: 'microbiome_butyrate', label: 'Butyrate-producer relative abundance', unit: '%', domain: 'microbiome', kind: 'continuous', plausible: [0, 60], transform: 'logit100', noiseSd: 2, decimals: 1, measurable: true },
  { id: 'microbiome_prevotella', label: 'Prevotella relative abundance', unit: '%', domain: 'microbiome', kind: 'continuous', plausible: [0, 80], transform: 'logit100', noiseSd: 2, decimals: 1, measurable: true },
  // wearables
  { id: 'steps', label: 'Daily steps', unit: 'steps/day', domain: 'wearable', kind: 'continuous', plausible: [0, 60000], transform: 'log', noiseSd: 900, decimals: 0, measurable: true, aliases: ['daily_steps'] },
  { id: 'hrv_rmssd', label: 'Heart-rate variability (RMSSD)', unit: 'ms', domain: 'wearable', kind: 'continuous', plausible: [3, 250], transform: 'log', noiseSd: 6, decimals: 0, measurable: true, aliases: ['hrv'] },
  // behaviour and diet intake (usual intake)
  { id: 'energy_intake', label: 'Energy intake', unit: 'kcal/day', domain: 'diet', kind: 'continuous', plausible: [600, 6000], transform: 'log', noiseSd: 250, decimals: 0, measurable: true },
  { id: 'sodium_intake', label: 'Sodium intake', unit: 'mg/day', domain: 'diet', kind: 'continuous', plausible: [300, 12000], transform: 'log', noiseSd: 500, decimals: 0, measurable: true, aliases: ['sodium'] },
  { id: 'potassium_intake', label: 'Potassium intake', unit: 'mg/day', domain: 'diet', kind: 'continuous', plausible: [500, 9000], transform: 'log', noiseSd: 350, decimals: 0, measurable: true, aliases: ['potassium'] },
  { id: 'carb_pct', label: 'Carbohydrate share of energy', unit: '%E', domain: 'diet', kind: 'continuous', plausible: [2, 85], transform: 'identity', noiseSd: 3, decimals: 1, measurable: true },
  { id: 'protein_pct', label: 'Protein share of energy', unit: '%E', domain: 'diet', kind: 'continuous', plausible: [5, 50], transform: 'identity', noiseSd: 1.5, decimals: 1, measurable: true },
  { id: 'fat_pct', label: 'Fat share of energy', unit: '%E', domain: 'diet', kind: 'continuous', plausible: [5, 80], transform: 'identity', noiseSd: 3, decimals: 1, measurable: true },
  { id: 'sfa_pct', label: 'Saturated fat share of energy', unit: '%E', domain: 'diet', kind: 'continuous', plausible: [1, 35], transform: 'identity', noiseSd: 1.2, decimals: 1, measurable: true },
  { id: 'mufa_pct', label: 'Monounsaturated fat share of energy', unit: '%E', domain: 'diet', kind: 'continuous', plausible: [1, 40], transform: 'identity', noiseSd: 1.2, decimals: 1, measurable: true },
  { id: 'pufa_pct', label: 'Polyunsaturated fat share of energy', unit: '%E', domain: 'diet', kind: 'continuous', plausible: [1, 30], transform: 'identity', noiseSd: 1.0, decimals: 1, measurable: true },
  { id: 'fibre_intake', label: 'Dietary fibre', unit: 'g/day', domain: 'diet', kind: 'continuous', plausible: [1, 120], transform: 'log', noiseSd: 3, decimals: 1, measurable: true, aliases: ['fiber_intake', 'fibre', 'fiber'] },
  { id: 'dietary_cholesterol', label: 'Dietary cholesterol', unit: 'mg/day', domain: 'diet', kind: 'continuous', plausible: [0, 2000], transform: 'identity', noiseSd: 60, decimals: 0, measurable: true },
  { id: 'alcohol', label: 'Alcohol', unit: 'drinks/day', domain: 'behaviour', kind: 'continuous', plausible: [0, 30], transform: 'identity', noiseSd: 0.3, decimals: 1, measurable: true, aliases: ['alcohol_drinks'] },
  { id: 'mvpa', label: 'Moderate-to-vigorous physical activity', unit: 'min/week', domain: 'behaviour', kind: 'continuous', plausible: [0, 3000], transform: 'identity', noiseSd: 25, decimals: 0, measurable: true, aliases: ['mvpa_minutes'] },
  { id: 'smoker', label: 'Current smoker', unit: '', domain: 'behaviour', kind: 'flag', plausible: [0, 1], transform: 'identity', decimals: 0, measurable: true, aliases: ['smoking'] },
  // conditions and medications (flags)
  { id: 'diabetes', label: 'Type 2 diabetes', unit: '', domain: 'condition', kind: 'flag', plausible: [0, 1], transform: 'identity', decimals: 0, measurable: false },
  { id: 'hypertension', label: 'Hypertension (SBP>=140, DBP>=90 or treated)', unit: '', domain: 'condition', kind: 'flag', plausible: [0, 1], transform: 'identity', decimals: 0, measurable: false },
  { id: 'on_statin', label: 'On a statin', unit: '', domain: 'medication', kind: 'flag', plausible: [0, 1], transform: 'identity', decimals: 0, measurable: false, aliases: ['statin'] },
  { id: 'on_bp_meds', label: 'On antihypertensive medication', unit: '', domain: 'medication', kind: 'flag', plausible: [0, 1], transform: 'identity', decimals: 0, measurable: false, aliases: ['on_antihypertensive'] },
  { id: 'on_metformin', label: 'On metformin', unit: '', domain: 'medication', kind: 'flag', plausible: [0, 1], transform: 'identity', decimals: 0, measurable: false, aliases: ['metformin'] },
  { id: 'on_insulin', label: 'On insulin', unit: '', domain: 'medication', kind: 'flag', plausible: [0, 1], transform: 'identity', decimals: 0, measurable: false },
  // CGM, added after the first release: appended so that the index of every earlier variable is unchanged.
  // Hours/day above 140 mg/dL from the week's glucose distribution (baseline.ts hoursAbove); noise SD a modelling choice.
  { id: 'cgm_time_above_140', label: 'CGM time above 140 mg/dL', unit: 'h/day', domain: 'cgm', kind: 'continuous', plausible: [0, 24], transform: 'identity', noiseSd: 0.5, decimals: 2, measurable: true },
];

/** Variables computed from others; usable as endpoints and eligibility, never stored. */
export interface DerivedDef {
  readonly id: string;
  readonly label: string;
  readonly unit: string;
  readonly inputs: readonly string[];
  readonly compute: (v: Readonly<Record<string, number>>) => number;
  readonly decimals: number;
}

export const DERIVED: readonly DerivedDef[] = [
  { id: 'non_hdl_c', label: 'Non-HDL cholesterol', unit: 'mg/dL', inputs: ['total_cholesterol', 'hdl_c'], compute: (v) => v.total_cholesterol - v.hdl_c, decimals: 0 },
  { id: 'tc_hdl_ratio', label: 'Total/HDL cholesterol ratio', unit: 'ratio', inputs: ['total_cholesterol', 'hdl_c'], compute: (v) => v.total_cholesterol / v.hdl_c, decimals: 2 },
  // HOMA-IR = glucose (mg/dL) x insulin (uU/mL) / 405: Matthews DR et al. Diabetologia 1985;28:412-9 doi:10.1007/BF00280883
  { id: 'homa_ir', label: 'HOMA-IR', unit: 'index', inputs: ['fasting_glucose', 'fasting_insulin'], compute: (v) => (v.fasting_glucose * v.fasting_insulin) / 405, decimals: 2 },
  // MAP = DBP + (SBP - DBP)/3
  { id: 'map', label: 'Mean arterial pressure', unit: 'mmHg', inputs: ['sbp', 'dbp'], compute: (v) => v.dbp + (v.sbp - v.dbp) / 3, decimals: 1 },
];

const byId = new Map<string, VariableDef>(VARIABLES.map((v) => [v.id, v]));
const derivedById = new Map<string, DerivedDef>(DERIVED.map((d) => [d.id, d]));

export function variable(id: string): VariableDef {
  const v = byId.get(id);
  if (!v) throw new Error(`unknown variable '${id}'`);
  return v;
}

export function findVariable(id: string): VariableDef | undefined {
  return byId.get(id);
}

export function findDerived(id: string): DerivedDef | undefined {
  return derivedById.get(id);
}

/** Every id usable as an endpoint or eligibility key: stored and derived variables. */
export function allVariableIds(): string[] {
  return [...VARIABLES.map((v) => v.id), ...DERIVED.map((d) => d.id)];
}

export function measurableIds(): string[] {
  return VARIABLES.filter((v) => v.measurable).map((v) => v.id);
}

/** Resolve a data-file column name (id or alias, any case) to a catalog id. */
export function resolveColumn(name: string): string | undefined {
  const key = name.trim().toLowerCase();
  if (byId.has(key)) return key;
  for (const v of VARIABLES) if (v.aliases?.some((a) => a.toLowerCase() === key)) return v.id;
  return undefined;
}

/** Total measurement SD at a value: sqrt(cvi^2 + cva^2) % of the value, or noiseSd. */
export function measurementSd(def: VariableDef, value: number): number {
  if (def.noiseSd !== undefined) return def.noiseSd;
  const cv = Math.hypot(def.cvi ?? 0, def.cva ?? 0) / 100;
  return cv * Math.abs(value);
}
