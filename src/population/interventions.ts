/**
 * The intervention vocabulary: intervention kinds, their fields, and the drug formulary.
 *
 * The trial checker validates trial files against this table, the reference world and the
 * tokeniser turn the same entries into exposures. Labelled dose ranges are from the US
 * prescribing information (FDA labels, accessed through DailyMed); a dose outside the range is
 * a checker error, because a typo (200 mg atorvastatin) is far more likely than an intent.
 */

export type InterventionKind =
  | 'diet'
  | 'drug'
  | 'exercise'
  | 'supplement'
  | 'sleep'
  | 'behaviour'
  | 'weight_loss'
  | 'placebo';

export const INTERVENTION_KINDS: readonly InterventionKind[] = [
  'diet', 'drug', 'exercise', 'supplement', 'sleep', 'behaviour', 'weight_loss', 'placebo',
];

export type DrugClass =
  | 'statin'
  | 'ezetimibe'
  | 'pcsk9_antibody'
  | 'sirna_pcsk9'
  | 'bempedoic_acid'
  | 'omega3'
  | 'biguanide'
  | 'glp1'
  | 'glp1_gip'
  | 'sglt2'
  | 'ccb'
  | 'thiazide'
  | 'arb'
  | 'ace_inhibitor'
  | 'beta_blocker'
  | 'mra';

export type Frequency = 'daily' | 'twice_daily' | 'weekly' | 'every_2_weeks' | 'monthly' | 'every_6_months';

export const FREQUENCIES: readonly Frequency[] = ['daily', 'twice_daily', 'weekly', 'every_2_weeks', 'monthly', 'every_6_months'];

export interface DrugDef {
  readonly name: string;
  readonly class: DrugClass;
  /** Dose unit, always per administration. */
  readonly unit: 'mg' | 'g';
  readonly frequency: Frequency;
  /** Labelled dose range per administration, inclusive. */
  readonly labelled: readonly [number, number];
  /** The doses marketed (used for defaults and suggestions). */
  readonly doses: readonly number[];
  readonly aliases?: readonly string[];
}

/** US prescribing information (DailyMed, https://dailymed.nlm.nih.gov) for each labelled range. */
export const DRUGS: readonly DrugDef[] = [
  // statins
  { name: 'atorvastatin', class: 'statin', unit: 'mg', frequency: 'daily', labelled: [10, 80], doses: [10, 20, 40, 80], aliases: ['lipitor'] },
  { name: 'rosuvastatin', class: 'statin', unit: 'mg', frequency: 'daily', labelled: [5, 40], doses: [5, 10, 20, 40], aliases: ['crestor'] },
  { name: 'simvastatin', class: 'statin', unit: 'mg', frequency: 'daily', labelled: [5, 80], doses: [10, 20, 40, 80], aliases: ['zocor'] },
  { name: 'pravastatin', class: 'statin', unit: 'mg', frequency: 'daily', labelled: [10, 80], doses: [10, 20, 40, 80], aliases: ['pravachol'] },
  // other lipid-lowering drugs
  { name: 'ezetimibe', class: 'ezetimibe', unit: 'mg', frequency: 'daily', labelled: [10, 10], doses: [10], aliases: ['zetia'] },
  { name: 'evolocumab', class: 'pcsk9_antibody', unit: 'mg', frequency: 'every_2_weeks', labelled: [140, 420], doses: [140, 420], aliases: ['repatha'] },
  { name: 'alirocumab', class: 'pcsk9_antibody', unit: 'mg', frequency: 'every_2_weeks', labelled: [75, 300], doses: [75, 150, 300], aliases: ['praluent'] },
  { name: 'inclisiran', class: 'sirna_pcsk9', unit: 'mg', frequency: 'every_6_months', labelled: [284, 284], doses: [284], aliases: ['leqvio'] },
  { name: 'bempedoic_acid', class: 'bempedoic_acid', unit: 'mg', frequency: 'daily', labelled: [180, 180], doses: [180], aliases: ['nexletol'] },
  { name: 'icosapent_ethyl', class: 'omega3', unit: 'g', frequency: 'daily', labelled: [1, 4], doses: [2, 4], aliases: ['vascepa'] },
  { name: 'omega3_epa_dha', class: 'omega3', unit: 'g', frequency: 'daily', labelled: [0.5, 4], doses: [1, 2, 4], aliases: ['lovaza', 'omega-3-acid ethyl esters', 'epa_dha'] },
  // glucose-lowering drugs
  { name: 'metformin', class: 'biguanide', unit: 'mg', frequency: 'daily', labelled: [500, 2550], doses: [500, 1000, 1500, 2000], aliases: ['glucophage'] },
  { name: 'semaglutide', class: 'glp1', unit: 'mg', frequency: 'weekly', labelled: [0.25, 2.4], doses: [0.25, 0.5, 1, 2, 2.4], aliases: ['ozempic', 'wegovy'] },
  { name: 'oral_semaglutide', class: 'glp1', unit: 'mg', frequency: 'daily', labelled: [3, 14], doses: [3, 7, 14], aliases: ['rybelsus'] },
  { name: 'liraglutide', class: 'glp1', unit: 'mg', frequency: 'daily', labelled: [0.6, 3], doses: [0.6, 1.2, 1.8, 3], aliases: ['victoza', 'saxenda'] },
  { name: 'tirzepatide', class: 'glp1_gip', unit: 'mg', frequency: 'weekly', labelled: [2.5, 15], doses: [2.5, 5, 10, 15], aliases: ['mounjaro', 'zepbound'] },
  { name: 'empagliflozin', class: 'sglt2', unit: 'mg', frequency: 'daily', labelled: [10, 25], doses: [10, 25], aliases: ['jardiance'] },
  { name: 'dapagliflozin', class: 'sglt2', unit: 'mg', frequency: 'daily', labelled: [5, 10], doses: [5, 10], aliases: ['farxiga', 'forxiga'] },
  // antihypertensives
  { name: 'amlodipine', class: 'ccb', unit: 'mg', frequency: 'daily', labelled: [2.5, 10], doses: [2.5, 5, 10], aliases: ['norvasc'] },
  { name: 'chlorthalidone', class: 'thiazide', unit: 'mg', frequency: 'daily', labelled: [12.5, 100], doses: [12.5, 25, 50] },
  { name: 'hydrochlorothiazide', class: 'thiazide', unit: 'mg', frequency: 'daily', labelled: [12.5, 50], doses: [12.5, 25, 50], aliases: ['hctz'] },
  { name: 'indapamide', class: 'thiazide', unit: 'mg', frequency: 'daily', labelled: [1.25, 5], doses: [1.25, 1.5, 2.5] },
  { name: 'losartan', class: 'arb', unit: 'mg', frequency: 'daily', labelled: [25, 100], doses: [25, 50, 100], aliases: ['cozaar'] },
  { name: 'irbesartan', class: 'arb', unit: 'mg', frequency: 'daily', labelled: [75, 300], doses: [75, 150, 300], aliases: ['avapro'] },
  { name: 'lisinopril', class: 'ace_inhibitor', unit: 'mg', frequency: 'daily', labelled: [2.5, 80], doses: [5, 10, 20, 40], aliases: ['zestril'] },
  { name: 'bisoprolol', class: 'beta_blocker', unit: 'mg', frequency: 'daily', labelled: [1.25, 20], doses: [2.5, 5, 10] },
  { name: 'spironolactone', class: 'mra', unit: 'mg', frequency: 'daily', labelled: [12.5, 100], doses: [25, 50], aliases: ['aldactone'] },
];

export type DietPattern =
  | 'usual'
  | 'dash'
  | 'mediterranean'
  | 'low_carb'
  | 'low_fat'
  | 'vegan'
  | 'vegetarian'
  | 'personalised_ppgr';

export const DIET_PATTERNS: readonly DietPattern[] = [
  'usual', 'dash', 'mediterranean', 'low_carb', 'low_fat', 'vegan', 'vegetarian', 'personalised_ppgr',
];

export type FastingRegimen = 'time_restricted' | 'alternate_day' | 'five_two';
export const FASTING_REGIMENS: readonly FastingRegimen[] = ['time_restricted', 'alternate_day', 'five_two'];

export type ExerciseType =
  | 'aerobic'
  | 'resistance'
  | 'combined'
  | 'hiit'
  | 'walking'
  | 'tai_chi'
  | 'yoga'
  | 'isometric_handgrip'
  | 'physical_activity_programme';

export const EXERCISE_TYPES: readonly ExerciseType[] = [
  'aerobic', 'resistance', 'combined', 'hiit', 'walking', 'tai_chi', 'yoga', 'isometric_handgrip', 'physical_activity_programme',
];

export type Intensity = 'light' | 'moderate' | 'vigorous';
export const INTENSITIES: readonly Intensity[] = ['light', 'moderate', 'vigorous'];

export type SupplementName =
  | 'potassium' | 'plant_sterols' | 'plant_stanols' | 'plant_stanol_ester' | 'psyllium' | 'omega3' | 'oat_beta_glucan' | 'fibre';
export const SUPPLEMENTS: readonly { name: SupplementName; unit: 'mg/day' | 'g/day'; range: readonly [number, number] }[] = [
  { name: 'potassium', unit: 'mg/day', range: [100, 6000] },
  { name: 'plant_sterols', unit: 'g/day', range: [0.1, 10] },
  { name: 'plant_stanols', unit: 'g/day', range: [0.1, 10] },
  // dose in g/day of stanol ESTER (e.g. stanol-ester margarine); the world converts it to free stanol
  { name: 'plant_stanol_ester', unit: 'g/day', range: [0.2, 17] },
  { name: 'psyllium', unit: 'g/day', range: [1, 40] },
  { name: 'omega3', unit: 'g/day', range: [0.1, 6] },
  { name: 'oat_beta_glucan', unit: 'g/day', range: [0.5, 15] },
  { name: 'fibre', unit: 'g/day', range: [1, 60] },
];

export type SupportIntensity = 'minimal' | 'moderate' | 'intensive';
export const SUPPORT_INTENSITIES: readonly SupportIntensity[] = ['minimal', 'moderate', 'intensive'];

export type ArmRole = 'experimental' | 'placebo' | 'usual_care' | 'advice_only' | 'active_comparator' | 'no_intervention';
export const ARM_ROLES: readonly ArmRole[] = ['experimental', 'placebo', 'usual_care', 'advice_only', 'active_comparator', 'no_intervention'];

const drugByName = new Map<string, DrugDef>();
for (const d of DRUGS) {
  drugByName.set(d.name, d);
  for (const a of d.aliases ?? []) drugByName.set(a.toLowerCase(), d);
}

export function findDrug(name: string): DrugDef | undefined {
  return drugByName.get(name.trim().toLowerCase());
}

export function drugNames(): string[] {
  return DRUGS.map((d) => d.name);
}

/** Administrations per week for a frequency (used to turn per-dose into weekly exposure). */
export function perWeek(f: Frequency): number {
  switch (f) {
    case 'daily': return 7;
    case 'twice_daily': return 14;
    case 'weekly': return 1;
    case 'every_2_weeks': return 0.5;
    case 'monthly': return 12 / 52.1775;
    case 'every_6_months': return 2 / 52.1775;
  }
}
