/**
 * A plain-language account of a checked trial: what will be simulated, in the words a protocol
 * synopsis would use, with the schedule of assessments as a table. Shown by `vtrial explain`.
 */
import { findDerived, findVariable } from '../population/catalog.js';
import { findDrug } from '../population/interventions.js';
import type { EligibilityCondition, EligibilityGroup, EligibilityRule, EndpointSpec, Intervention, TrialSpec } from './spec.js';
import { dayLabel } from './units.js';

function unitOf(id: string): string {
  return findVariable(id)?.unit ?? findDerived(id)?.unit ?? '';
}

function labelOf(id: string): string {
  return findVariable(id)?.label ?? findDerived(id)?.label ?? id;
}

function when(iv: Intervention, durationDays: number): string {
  const from = iv.startDay === 0 ? '' : ` from ${dayLabel(iv.startDay)}`;
  const to = iv.stopDay >= durationDays ? '' : ` until ${dayLabel(iv.stopDay)}`;
  const adh = iv.adherence < 1 ? `; adherence ${Math.round(iv.adherence * 100)}%${iv.adherenceWaning ? `, waning by ${Math.round(iv.adherenceWaning * 100)}% by the end` : ''}` : '';
  return `${from}${to}${adh}`;
}

export function describeIntervention(iv: Intervention): string {
  switch (iv.kind) {
    case 'diet': {
      const parts: string[] = [];
      if (iv.pattern) parts.push(`${iv.pattern.replace(/_/g, ' ')} diet`);
      if (iv.energyChangeKcal !== undefined) parts.push(`energy ${iv.energyChangeKcal > 0 ? '+' : ''}${iv.energyChangeKcal} kcal/day`);
      if (iv.totalDietReplacementKcal !== undefined) parts.push(`total diet replacement at ${iv.totalDietReplacementKcal} kcal/day`);
      if (iv.sodiumMg !== undefined) parts.push(`sodium ${iv.sodiumMg} mg/day`);
      if (iv.sodiumChangeMg !== undefined) parts.push(`sodium ${iv.sodiumChangeMg > 0 ? '+' : ''}${iv.sodiumChangeMg} mg/day`);
      if (iv.potassiumMg !== undefined) parts.push(`potassium ${iv.potassiumMg} mg/day`);
      if (iv.saltSubstituteKclPct !== undefined || iv.saltSubstituteNaclPct !== undefined) parts.push(`salt substitute (${[iv.saltSubstituteNaclPct !== undefined ? `${iv.saltSubstituteNaclPct}% NaCl` : '', iv.saltSubstituteKclPct !== undefined ? `${iv.saltSubstituteKclPct}% KCl` : ''].filter(Boolean).join(', ')})`);
      for (const [k, name] of [['carbPct', 'carbohydrate'], ['fatPct', 'fat'], ['proteinPct', 'protein'], ['sfaPct', 'saturated fat'], ['mufaPct', 'MUFA'], ['pufaPct', 'PUFA']] as const) {
        if (iv[k] !== undefined) parts.push(`${name} ${iv[k]}% of energy`);
      }
      if (iv.fibreG !== undefined) parts.push(`fibre ${iv.fibreG} g/day`);
      if (iv.betaGlucanG !== undefined) parts.push(`oat beta-glucan ${iv.betaGlucanG} g/day`);
      if (iv.cholesterolMg !== undefined) parts.push(`dietary cholesterol ${iv.cholesterolMg} mg/day`);
      if (iv.eggsPerDay !== undefined) parts.push(`${iv.eggsPerDay} eggs/day`);
      if (iv.nutsG !== undefined) parts.push(`nuts ${iv.nutsG} g/day`);
      if (iv.oliveOilG !== undefined) parts.push(`olive oil ${iv.oliveOilG} g/day`);
      if (iv.fasting) parts.push(iv.fasting.regimen === 'time_restricted' ? `time-restricted eating (${iv.fasting.windowHours} h window)` : iv.fasting.regimen.replace(/_/g, ' ') + ' fasting');
      return parts.join(', ');
    }
    case 'drug': {
      const d = findDrug(iv.drug);
      return `${iv.drug} ${iv.dose} ${d?.unit ?? 'mg'} ${iv.frequency.replace(/_/g, ' ')}`;
    }
    case 'exercise': {
      const amount = [iv.minutesPerWeek !== undefined ? `${iv.minutesPerWeek} min/week` : '', iv.sessionsPerWeek !== undefined ? `${iv.sessionsPerWeek} sessions/week` : '', iv.stepsPerDay !== undefined ? `${iv.stepsPerDay} steps/day` : ''].filter(Boolean).join(', ');
      return `${iv.type.replace(/_/g, ' ')} exercise, ${iv.intensity}, ${amount}`;
    }
    case 'supplement':
      return `${iv.supplement.replace(/_/g, ' ')} supplement ${iv.dose} ${iv.supplement === 'potassium' ? 'mg' : 'g'}/day`;
    case 'sleep':
      return iv.targetHours !== undefined ? `sleep extension to ${iv.targetHours} h/night` : `sleep ${iv.extendHours! > 0 ? '+' : ''}${iv.extendHours} h/night`;
    case 'behaviour':
      return [
        iv.alcoholDrinksPerDay !== undefined ? `alcohol to ${iv.alcoholDrinksPerDay} drinks/day` : '',
        iv.smokingCessation ? 'smoking cessation' : '',
        iv.sodiumEducation ? 'sodium-reduction education' : '',
      ].filter(Boolean).join(', ');
    case 'weight_loss':
      return `weight-loss programme, target ${iv.targetPct !== undefined ? `${iv.targetPct}%` : `${iv.targetKg} kg`}, ${iv.support} support`;
    case 'placebo':
      return `placebo${iv.mimics ? ` (${iv.mimics})` : ''}`;
  }
}

function describeEndpoint(e: EndpointSpec): string {
  const what = labelOf(e.variable);
  const unit = unitOf(e.variable);
  const th = e.threshold ? ` ${e.threshold.on === 'value' ? '' : e.threshold.on.replace('_', ' ') + ' '}${e.threshold.op} ${e.threshold.value}${e.threshold.on === 'percent_change' ? '%' : unit ? ' ' + unit : ''}` : '';
  const measure = {
    value: `${what} at ${dayLabel(e.day)}`,
    change: `change in ${what} from baseline to ${dayLabel(e.day)}`,
    percent_change: `percent change in ${what} from baseline to ${dayLabel(e.day)}`,
    responder: `share with ${what}${th} at ${dayLabel(e.day)}`,
    event: `share with ${what}${th} by ${dayLabel(e.day)}`,
    mean_over_visits: `${what} averaged over visits to ${dayLabel(e.day)}`,
    time_to_event: `time to ${what}${th} (to ${dayLabel(e.day)})`,
  }[e.measure];
  const analysis = {
    difference: 'difference in means (Welch t interval)',
    ancova: `ANCOVA adjusted for baseline${e.covariates.length ? ', ' + e.covariates.join(', ') : ''}`,
    risk_difference: 'risk difference',
    risk_ratio: 'risk ratio',
    odds_ratio: 'odds ratio',
    hazard_ratio: 'Cox hazard ratio',
  }[e.analysis];
  const setting = e.setting && e.setting !== 'clinic' ? ` (${e.setting === 'home' ? 'home' : '24-hour ambulatory'} measurement)` : '';
  return `${e.primary ? '[primary] ' : ''}${e.name}: ${measure}${setting}; ${e.treatment} vs ${e.control}; ${analysis}`;
}

/** '68 weeks', '6 months', '10 days'. */
export function durationPhrase(days: number): string {
  const [n, unit] = dayLabel(days).split(' ').reverse();
  return unit ? `${n} ${unit}${n === '1' ? '' : 's'}` : n;
}

function ruleText(r: EligibilityRule): string {
  if ('equals' in r) return `${r.variable} ${r.equals ? 'yes' : 'no'}`;
  const who = r.sex === 'M' ? ' (men)' : r.sex === 'F' ? ' (women)' : '';
  return `${`${r.variable} ${r.min ?? '-inf'} to ${r.max ?? 'inf'} ${unitOf(r.variable)}`.trim()}${who}`;
}

function groupText(g: EligibilityGroup): string {
  const text = (c: EligibilityCondition): string => ('options' in c ? `[${groupText(c)}]` : ruleText(c));
  const options = g.options.map((o) => (o.length === 1 ? text(o[0]) : `(${o.map(text).join(' and ')})`));
  return g.atLeast === 1 ? `at least one of: ${options.join(' or ')}` : `at least ${g.atLeast} of: ${options.join(', ')}`;
}

export function explainTrial(s: TrialSpec): string {
  const out: string[] = [];
  out.push(`${s.name}`);
  if (s.description) out.push(s.description);
  out.push('', `Engine: ${s.engine}${s.engine === 'model' ? ` (checkpoint ${s.model})` : ' (mechanistic reference world)'}; seed ${s.seed}.`);
  const p = s.population;
  const elig = p.eligibility.map(ruleText);
  for (const g of p.eligibilityGroups ?? []) elig.push(groupText(g));
  out.push('', `Population: ${p.n} ${p.source === 'file' ? `participants read from ${p.path}` : 'synthetic twins'}` + (p.sex !== 'any' ? `, ${p.sex === 'F' ? 'women' : 'men'} only` : '') + (p.femaleShare !== undefined ? `, ${Math.round(p.femaleShare * 100)}% women` : '') + '.');
  if (elig.length) out.push(`  Eligible if: ${elig.join('; ')}.`);
  const target = (b: TrialSpec['population']['baseline'][number]): string =>
    findVariable(b.variable)?.kind === 'flag' && b.mean !== undefined
      ? `${b.variable} share ${Number((b.mean * 100).toFixed(1))}%`
      : `${b.variable}${b.mean !== undefined ? ` mean ${b.mean}` : ''}${b.sd !== undefined ? ` sd ${b.sd}` : ''}`;
  if (p.baseline.length) out.push(`  Baseline enriched to: ${p.baseline.map(target).join('; ')}.`);
  const r = s.randomisation;
  out.push('', `Randomisation: ${s.arms.map((a) => r.ratio[a.id]).join(':')} (${s.arms.map((a) => a.id).join(':')})` + (r.strata.length ? `, stratified by ${r.strata.join(', ')}` : '') + (r.blockSize ? `, permuted blocks of ${r.blockSize}` : ', simple') + '.');
  out.push('', 'Arms:');
  for (const a of s.arms) {
    out.push(`  ${a.id} (${a.role.replace(/_/g, ' ')}): ${a.label}`);
    if (!a.interventions.length) out.push('    no intervention');
    for (const iv of a.interventions) out.push(`    - ${describeIntervention(iv)}${when(iv, s.schedule.durationDays)}`);
  }
  const pct = (p: number): string => `${Math.round(p * 100)}%`;
  const armDropout = s.arms.filter((a) => a.dropout !== undefined).map((a) => `${a.id} ${pct(a.dropout!)}`);
  const dropout = armDropout.length === s.arms.length ? `expected dropout ${armDropout.join(', ')}` : `expected dropout ${pct(s.schedule.dropout)}${armDropout.length ? ` (${armDropout.join(', ')})` : ''}`;
  out.push('', `Schedule: ${durationPhrase(s.schedule.durationDays)} of follow-up; ${dropout}.`);
  const vars = [...new Set(s.schedule.visits.flatMap((v) => v.variables))].sort();
  const width = Math.max(8, ...vars.map((v) => v.length));
  out.push('  ' + ''.padEnd(width) + ' ' + s.schedule.visits.map((v) => v.label.replace('baseline', 'base').padStart(9)).join(''));
  for (const v of vars) out.push('  ' + v.padEnd(width) + ' ' + s.schedule.visits.map((x) => (x.variables.includes(v) ? 'x' : '.').padStart(9)).join(''));
  out.push('', 'Endpoints:');
  for (const e of s.endpoints) out.push('  ' + describeEndpoint(e));
  out.push('', `Analysis: two-sided alpha ${s.analysis.alpha}, ${s.analysis.ci === 't' ? 't-based' : `bootstrap (${s.analysis.bootstrapSamples} samples)`} intervals, ${s.analysis.replicates} replicate trial${s.analysis.replicates > 1 ? 's' : ''}.`);
  if (s.published) out.push('', `Published (${s.published.citation}): ${s.published.estimate} [${s.published.ci95[0]}, ${s.published.ci95[1]}] ${s.published.unit}, ${s.published.effectKind.replace(/_/g, ' ')}.`);
  return out.join('\n');
}
