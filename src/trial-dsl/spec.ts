/**
 * TrialSpec: the typed, validated, defaults-filled form of a trial file.
 *
 * Everything downstream (population, rollout, model, analysis) reads only this, never YAML.
 * Times are in days since randomisation (day 0 = baseline visit); doses in the drug's labelled
 * unit per administration; intakes in the catalog's units.
 */
import type {
  ArmRole, DietPattern, ExerciseType, FastingRegimen, Frequency, Intensity, SupplementName, SupportIntensity,
} from '../population/interventions.js';

export const DAYS_PER_WEEK = 7;
export const DAYS_PER_MONTH = 30.4375; // 365.25 / 12
export const DAYS_PER_YEAR = 365.25;
/** Endpoint variables a blood-pressure measurement setting (EndpointSpec.setting) applies to. */
export const BP_SETTING_VARIABLES = ['sbp', 'dbp', 'map'] as const;

export type Engine = 'model' | 'reference';

export interface TrialSpec {
  readonly version: 1;
  readonly name: string;
  readonly description?: string;
  readonly registry?: string;
  readonly citation?: string;
  readonly seed: number;
  readonly engine: Engine;
  /** Model checkpoint folder (engine 'model'); resolved relative to the package when not absolute. */
  readonly model: string;
  readonly population: PopulationSpec;
  readonly randomisation: RandomisationSpec;
  readonly schedule: ScheduleSpec;
  readonly arms: readonly ArmSpec[];
  readonly endpoints: readonly EndpointSpec[];
  readonly analysis: AnalysisSettings;
  /** Validation entries only: the published result this trial file mirrors. */
  readonly published?: PublishedSpec;
  /** Validation entries only: whether this trial informed the reference world's parameters. */
  readonly calibrationOverlap?: boolean;
  /** Where the spec came from (for reports and error messages). */
  readonly source: { readonly file: string; readonly sha256: string };
}

export type SexRule = 'any' | 'M' | 'F';

export interface RangeRule {
  readonly variable: string;
  readonly min?: number; // inclusive
  readonly max?: number; // inclusive
  /** When set, the rule applies to this sex only; the other sex passes it (`age: {male: [55, 80], female: [60, 80]}`). */
  readonly sex?: 'M' | 'F';
}

export interface FlagRule {
  readonly variable: string; // a 'flag' variable (diabetes, on_statin, smoker, ...)
  readonly equals: 0 | 1;
}

export type EligibilityRule = RangeRule | FlagRule;

/**
 * At least `atLeast` of `options` hold, where an option holds when all of its conditions hold.
 * `any_of` in a trial file is atLeast 1; `count_of: {at_least: k, rules: [...]}` is atLeast k.
 * Options may hold groups in turn ("diabetes, or at least 3 of 5 risk factors").
 */
export interface EligibilityGroup {
  readonly atLeast: number;
  readonly options: readonly (readonly EligibilityCondition[])[];
}

/** A plain rule or an any-of / count-of group. */
export type EligibilityCondition = EligibilityRule | EligibilityGroup;

/**
 * Target baseline features the sampler should reach (reported trial baselines). For a yes/no
 * flag, `mean` is the share of twins with the flag (0-1; written `share` in a trial file).
 */
export interface BaselineTarget {
  readonly variable: string;
  readonly mean?: number;
  readonly sd?: number;
}

export interface PopulationSpec {
  readonly source: 'synthetic' | 'file';
  /** For source 'file': CSV (wide or long) or Parquet path, relative to the trial file. */
  readonly path?: string;
  /** Number of twins randomised (after eligibility). */
  readonly n: number;
  readonly sex: SexRule;
  /** Share of women among twins, when the trial reports it (0-1); overrides population mix. */
  readonly femaleShare?: number;
  /** Rules that must all hold (judged on screening measurements). */
  readonly eligibility: readonly EligibilityRule[];
  /**
   * Any-of / count-of rules, each of which must hold as well. Always filled by the checker
   * (empty when the file has none); optional so that populations built in code may leave it out.
   */
  readonly eligibilityGroups?: readonly EligibilityGroup[];
  readonly baseline: readonly BaselineTarget[];
}

export interface RandomisationSpec {
  /** Allocation ratio by arm id (positive numbers). */
  readonly ratio: Readonly<Record<string, number>>;
  /** Stratification factors: 'sex', 'age_band', or a variable id with tertiles. */
  readonly strata: readonly string[];
  /** Permuted block size (a multiple of the sum of the integer ratio), or 0 for simple randomisation. */
  readonly blockSize: number;
}

export interface VisitSpec {
  /** Label shown in reports, e.g. 'baseline', 'week 8'. */
  readonly label: string;
  readonly day: number;
  /** Variables measured at this visit (catalog ids; derived endpoints expand to their inputs). */
  readonly variables: readonly string[];
}

export interface ScheduleSpec {
  readonly durationDays: number;
  /** Sorted by day; the first is day 0 (baseline). */
  readonly visits: readonly VisitSpec[];
  /** Probability a twin has dropped out by the end of the trial (0-1). */
  readonly dropout: number;
}

interface InterventionBase {
  readonly startDay: number;
  /** Day the intervention stops (defaults to the end of the trial). */
  readonly stopDay: number;
  /** Mean share of the intended exposure a twin actually takes (0-1). */
  readonly adherence: number;
  /** Relative fall in adherence by the end of the trial (0 = none, 0.5 = halves). */
  readonly adherenceWaning: number;
  readonly label?: string;
}

export interface DietIntervention extends InterventionBase {
  readonly kind: 'diet';
  readonly pattern?: DietPattern;
  /** Change in energy intake, kcal/day (negative = deficit). */
  readonly energyChangeKcal?: number;
  /** Total diet replacement at this fixed intake, kcal/day. */
  readonly totalDietReplacementKcal?: number;
  readonly carbPct?: number;
  readonly fatPct?: number;
  readonly proteinPct?: number;
  readonly sfaPct?: number;
  readonly mufaPct?: number;
  readonly pufaPct?: number;
  /** Target sodium intake, mg/day. */
  readonly sodiumMg?: number;
  /** Change in sodium intake, mg/day (alternative to a target). */
  readonly sodiumChangeMg?: number;
  /** Target potassium intake, mg/day. */
  readonly potassiumMg?: number;
  /** Salt substitute: its KCl content (the share of salt replaced by KCl), percent by weight. */
  readonly saltSubstituteKclPct?: number;
  /**
   * Salt substitute: its NaCl content, percent by weight (default 100 minus the KCl share). Set it
   * when the rest is neither NaCl nor KCl, e.g. 62.5% NaCl, 25% KCl and 12.5% other salts.
   */
  readonly saltSubstituteNaclPct?: number;
  readonly fibreG?: number;
  readonly betaGlucanG?: number;
  readonly cholesterolMg?: number;
  readonly eggsPerDay?: number;
  readonly nutsG?: number;
  readonly oliveOilG?: number;
  readonly fasting?: { readonly regimen: FastingRegimen; readonly windowHours?: number };
}

export interface DrugIntervention extends InterventionBase {
  readonly kind: 'drug';
  /** Catalog drug name (aliases resolved). */
  readonly drug: string;
  /** Dose per administration, in the drug's unit. */
  readonly dose: number;
  readonly frequency: Frequency;
}

export interface ExerciseIntervention extends InterventionBase {
  readonly kind: 'exercise';
  readonly type: ExerciseType;
  readonly minutesPerWeek?: number;
  readonly sessionsPerWeek?: number;
  readonly intensity: Intensity;
  /** Daily step target for walking/activity programmes. */
  readonly stepsPerDay?: number;
}

export interface SupplementIntervention extends InterventionBase {
  readonly kind: 'supplement';
  readonly supplement: SupplementName;
  /** Dose in the supplement's catalog unit (g/day or mg/day). */
  readonly dose: number;
}

export interface SleepIntervention extends InterventionBase {
  readonly kind: 'sleep';
  readonly targetHours?: number;
  readonly extendHours?: number;
}

export interface BehaviourIntervention extends InterventionBase {
  readonly kind: 'behaviour';
  /** Target alcohol intake, drinks/day. */
  readonly alcoholDrinksPerDay?: number;
  readonly smokingCessation?: boolean;
  readonly sodiumEducation?: boolean;
}

export interface WeightLossIntervention extends InterventionBase {
  readonly kind: 'weight_loss';
  readonly targetPct?: number;
  readonly targetKg?: number;
  readonly support: SupportIntensity;
}

export interface PlaceboIntervention extends InterventionBase {
  readonly kind: 'placebo';
  /** What the placebo mimics (e.g. 'drug', 'supplement'), for reports. */
  readonly mimics?: string;
}

export type Intervention =
  | DietIntervention
  | DrugIntervention
  | ExerciseIntervention
  | SupplementIntervention
  | SleepIntervention
  | BehaviourIntervention
  | WeightLossIntervention
  | PlaceboIntervention;

export interface ArmSpec {
  readonly id: string;
  readonly label: string;
  readonly role: ArmRole;
  readonly interventions: readonly Intervention[];
  /**
   * Probability a twin of this arm has dropped out by the end of the trial (0-1), overriding
   * schedule.dropout for this arm; undefined = the schedule's. Same hazard form and random stream.
   */
  readonly dropout?: number;
}

export type Measure = 'value' | 'change' | 'percent_change' | 'responder' | 'event' | 'mean_over_visits' | 'time_to_event';
export type AnalysisKind = 'difference' | 'ancova' | 'risk_difference' | 'risk_ratio' | 'odds_ratio' | 'hazard_ratio';
export type ThresholdOp = '<' | '<=' | '>' | '>=';

export interface Threshold {
  readonly op: ThresholdOp;
  readonly value: number;
  /** What the threshold applies to: the value itself, the change, or the percent change. */
  readonly on: 'value' | 'change' | 'percent_change';
}

/** Blood-pressure measurement settings of an endpoint (EndpointSpec.setting). */
export const BP_SETTINGS = ['clinic', 'home', 'ambulatory_24h'] as const;
export type BpSetting = (typeof BP_SETTINGS)[number];

export interface EndpointSpec {
  readonly name: string;
  /** Catalog variable or derived variable id. */
  readonly variable: string;
  /** Day of the endpoint visit (for mean_over_visits / time_to_event: the last day considered). */
  readonly day: number;
  /** Visit days averaged for 'mean_over_visits' (all post-baseline visits up to day by default). */
  readonly fromDay?: number;
  readonly measure: Measure;
  readonly threshold?: Threshold;
  readonly analysis: AnalysisKind;
  readonly treatment: string; // arm id
  readonly control: string; // arm id
  readonly primary: boolean;
  /** Extra baseline covariates for ANCOVA (catalog ids). */
  readonly covariates: readonly string[];
  /**
   * Blood-pressure measurement setting (sbp, dbp, map only): clinic (default, what the engines
   * simulate), home or ambulatory_24h, whose treatment-induced changes are smaller
   * (src/analysis/bp_setting.ts).
   */
  readonly setting?: BpSetting;
}

export interface AnalysisSettings {
  readonly alpha: number;
  /** Replicate trials for power and Monte Carlo error (1 = a single trial). */
  readonly replicates: number;
  readonly ci: 't' | 'bootstrap';
  readonly bootstrapSamples: number;
}

export type PublishedEffectKind = 'difference_in_change' | 'difference_at_end' | 'difference_mean_over_followup' | 'per_arm_change' | 'percent_change';

export interface PublishedSpec {
  readonly endpoint: string; // endpoint name in this file
  readonly estimate: number;
  readonly ci95: readonly [number, number];
  readonly effectKind: PublishedEffectKind;
  readonly unit: string;
  readonly citation: string;
  readonly doi?: string;
  readonly pmid?: string;
}

/** Every intervention kind's arms-level helper: does any arm use a drug of the given name? */
export function armDrugs(arm: ArmSpec): string[] {
  return arm.interventions.filter((i): i is DrugIntervention => i.kind === 'drug').map((i) => i.drug);
}
