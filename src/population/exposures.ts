/**
 * Trial arm -> exposure event codes (MEDS convention), shared by the training cohort and by the
 * transformer at rollout time, so that a trial arm is tokenised with exactly the codes the
 * cohort used. Codes (numeric_value in brackets; documented in docs/reference-world.md):
 *
 *   DRUG//<drug>                 [dose per administration, drug's unit]   DRUG_STOP//<drug>
 *   DIET//<pattern>              [1]                                      DIET_STOP//<pattern>
 *   DIET//<field>                [value] for sodium_mg_day, sodium_change_mg_day, potassium_mg_day,
 *                                energy_change_kcal, total_diet_replacement_kcal, carb_pct, fat_pct,
 *                                protein_pct, sfa_pct, mufa_pct, pufa_pct, fibre_g_day, beta_glucan_g_day,
 *                                cholesterol_mg_day, eggs_per_day, nuts_g_day, olive_oil_g_day,
 *                                salt_substitute_kcl_pct, fasting_<regimen> [window hours or 1]
 *                                                                        DIET_STOP//<field>
 *   EXERCISE//<type>_min_week    [minutes/week]                           EXERCISE_STOP//<type>
 *   EXERCISE//steps_per_day      [steps/day]
 *   SUPPLEMENT//<name>           [dose, catalog unit per day]             SUPPLEMENT_STOP//<name>
 *   SLEEP//target_hours | SLEEP//extend_hours [hours]                     SLEEP_STOP//<same>
 *   BEHAVIOUR//alcohol_drinks_day [drinks/day]; BEHAVIOUR//smoking_cessation [1];
 *   BEHAVIOUR//sodium_education [1]                                       BEHAVIOUR_STOP//<same>
 *   WEIGHT_LOSS//target_pct | WEIGHT_LOSS//target_kg [value]; WEIGHT_LOSS//support_<level> [1]
 *                                                                        WEIGHT_LOSS_STOP//<same>
 *   PLACEBO//<mimics or pill>    [1]                                      PLACEBO_STOP//<same>
 *   ADHERENCE//<any code above>  [planned fraction taken, 0-1] at the start and every 28 days
 *                                while adherence wanes (absent = taken as prescribed)
 */
import type { ArmSpec, DietIntervention, Intervention } from '../trial-dsl/spec.js';

export interface ExposureEvent {
  readonly day: number;
  readonly code: string;
  readonly value: number;
}

const DIET_FIELDS: [keyof DietIntervention, string][] = [
  ['sodiumMg', 'sodium_mg_day'],
  ['sodiumChangeMg', 'sodium_change_mg_day'],
  ['potassiumMg', 'potassium_mg_day'],
  ['energyChangeKcal', 'energy_change_kcal'],
  ['totalDietReplacementKcal', 'total_diet_replacement_kcal'],
  ['carbPct', 'carb_pct'],
  ['fatPct', 'fat_pct'],
  ['proteinPct', 'protein_pct'],
  ['sfaPct', 'sfa_pct'],
  ['mufaPct', 'mufa_pct'],
  ['pufaPct', 'pufa_pct'],
  ['fibreG', 'fibre_g_day'],
  ['betaGlucanG', 'beta_glucan_g_day'],
  ['cholesterolMg', 'cholesterol_mg_day'],
  ['eggsPerDay', 'eggs_per_day'],
  ['nutsG', 'nuts_g_day'],
  ['oliveOilG', 'olive_oil_g_day'],
  ['saltSubstituteKclPct', 'salt_substitute_kcl_pct'],
];

/** [prefix, suffix, value] triples an intervention starts with. */
export function interventionCodes(iv: Intervention): { prefix: string; name: string; value: number }[] {
  switch (iv.kind) {
    case 'drug':
      return [{ prefix: 'DRUG', name: iv.drug, value: iv.dose }];
    case 'diet': {
      const out: { prefix: string; name: string; value: number }[] = [];
      if (iv.pattern) out.push({ prefix: 'DIET', name: iv.pattern, value: 1 });
      for (const [k, name] of DIET_FIELDS) {
        const v = iv[k];
        if (typeof v === 'number') out.push({ prefix: 'DIET', name, value: v });
      }
      if (iv.fasting) out.push({ prefix: 'DIET', name: `fasting_${iv.fasting.regimen}`, value: iv.fasting.windowHours ?? 1 });
      return out;
    }
    case 'exercise': {
      const out = [{ prefix: 'EXERCISE', name: `${iv.type}_min_week`, value: iv.minutesPerWeek ?? (iv.sessionsPerWeek ? iv.sessionsPerWeek * 45 : iv.stepsPerDay ? 0 : 150) }];
      if (iv.stepsPerDay) out.push({ prefix: 'EXERCISE', name: 'steps_per_day', value: iv.stepsPerDay });
      out.push({ prefix: 'EXERCISE', name: `intensity_${iv.intensity}`, value: 1 });
      return out;
    }
    case 'supplement':
      return [{ prefix: 'SUPPLEMENT', name: iv.supplement, value: iv.dose }];
    case 'sleep':
      return iv.targetHours !== undefined ? [{ prefix: 'SLEEP', name: 'target_hours', value: iv.targetHours }] : [{ prefix: 'SLEEP', name: 'extend_hours', value: iv.extendHours ?? 1 }];
    case 'behaviour': {
      const out: { prefix: string; name: string; value: number }[] = [];
      if (iv.alcoholDrinksPerDay !== undefined) out.push({ prefix: 'BEHAVIOUR', name: 'alcohol_drinks_day', value: iv.alcoholDrinksPerDay });
      if (iv.smokingCessation) out.push({ prefix: 'BEHAVIOUR', name: 'smoking_cessation', value: 1 });
      if (iv.sodiumEducation) out.push({ prefix: 'BEHAVIOUR', name: 'sodium_education', value: 1 });
      return out;
    }
    case 'weight_loss': {
      const out: { prefix: string; name: string; value: number }[] = [];
      if (iv.targetPct !== undefined) out.push({ prefix: 'WEIGHT_LOSS', name: 'target_pct', value: iv.targetPct });
      if (iv.targetKg !== undefined) out.push({ prefix: 'WEIGHT_LOSS', name: 'target_kg', value: iv.targetKg });
      out.push({ prefix: 'WEIGHT_LOSS', name: `support_${iv.support}`, value: 1 });
      return out;
    }
    case 'placebo':
      return [{ prefix: 'PLACEBO', name: iv.mimics ?? 'pill', value: 1 }];
  }
}

/** Days between the planned-adherence events of a waning intervention. */
export const ADHERENCE_EVENT_DAYS = 28;

/**
 * Waning of an intervention at day t (1 at its start): a linear decline by `adherenceWaning`
 * over the intervention's span inside the trial (at least a week). The reference world's exposure
 * profile (armProfile in world/simulator.ts) and the planned adherence told to the twin model
 * both use it.
 */
export function waningFactor(iv: Pick<Intervention, 'startDay' | 'stopDay' | 'adherenceWaning'>, t: number, durationDays: number): number {
  const span = Math.max(7, Math.min(iv.stopDay, durationDays) - iv.startDay);
  return Math.max(0, 1 - iv.adherenceWaning * Math.min(1, Math.max(0, t - iv.startDay) / span));
}

/** Planned adherence of an intervention at day t: its adherence times its waning factor. */
export function plannedAdherence(iv: Intervention, t: number, durationDays: number): number {
  return iv.adherence * waningFactor(iv, t, durationDays);
}

/**
 * Exposure events of a trial arm: starts at startDay, stops at stopDay when before the end.
 * Each start comes with `ADHERENCE//<code>` events carrying the planned adherence (fraction of
 * the prescribed exposure taken): one at the start and, when adherence wanes, one every
 * ADHERENCE_EVENT_DAYS while it runs, so the twin model sees what the trial planned. Sorted by day.
 */
export function armExposureEvents(arm: ArmSpec, durationDays: number): ExposureEvent[] {
  const ev: ExposureEvent[] = [];
  for (const iv of arm.interventions) {
    const end = Math.min(iv.stopDay, durationDays);
    const adh: { day: number; value: number }[] = [{ day: iv.startDay, value: plannedAdherence(iv, iv.startDay, durationDays) }];
    if (iv.adherenceWaning > 0) {
      for (let d = iv.startDay + ADHERENCE_EVENT_DAYS; d < end; d += ADHERENCE_EVENT_DAYS) adh.push({ day: d, value: plannedAdherence(iv, d, durationDays) });
    }
    for (const c of interventionCodes(iv)) {
      const code = `${c.prefix}//${c.name}`;
      ev.push({ day: iv.startDay, code, value: c.value });
      for (const a of adh) ev.push({ day: a.day, code: `ADHERENCE//${code}`, value: Math.round(a.value * 1000) / 1000 });
      if (iv.stopDay < durationDays) ev.push({ day: iv.stopDay, code: `${c.prefix}_STOP//${c.name}`, value: 0 });
    }
  }
  return ev.sort((a, b) => a.day - b.day || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}
