/**
 * Eligibility: rules are checked on SCREENING measurements (true value + catalog measurement
 * noise, keyed by Purpose.eligibility), not on true values, so that twins selected on a noisy
 * high reading regress toward the mean afterwards, as real trial participants do
 * (docs/sources/physiology.md C12; Patel HC et al. Hypertension 2015;65:401-6 PMID:25403604).
 */
import { Purpose, Rng } from '../core/rng.js';
import { InputError } from '../core/errors.js';
import type { EligibilityCondition, EligibilityGroup, EligibilityRule, FlagRule, RangeRule } from '../trial-dsl/spec.js';
import { DERIVED, VARIABLES, findDerived, findVariable } from './catalog.js';
import { NVAR, VAR_INDEX, flagScore, flagThreshold, hasScore, MARGINALS, valueRangeToScore, type LatentCondition } from './baseline.js';
import { measureIndexed } from './noise.js';

export function isFlagRule(r: EligibilityRule): r is FlagRule {
  return (r as FlagRule).equals !== undefined;
}

/** Screening values of one candidate: measurable variables get noise, fixed ones do not. */
export function screeningValues(seed: number, candidateId: number, truth: Float64Array, out: Float64Array): void {
  const rng = new Rng(seed, candidateId, Purpose.eligibility);
  rng.uniform(); // first draw is reserved for the conditional-sampling acceptance test
  for (let j = 0; j < NVAR; j++) {
    const def = VARIABLES[j];
    const z = rng.normal();
    out[j] = def.measurable && def.kind === 'continuous' ? measureIndexed(j, truth[j], z) : truth[j];
  }
}

/**
 * The measured variables a screening visit reads for these rules: stored measurable continuous
 * variables named by a rule (a derived one, such as non-HDL cholesterol, by its inputs), in
 * catalog order. Fixed attributes (age, sex, height, condition flags) are not measurements.
 */
export function screenedVariables(rules: readonly EligibilityRule[], groups: readonly EligibilityGroup[] = []): string[] {
  const named = new Set<string>();
  for (const r of [...rules, ...groupRules(groups)]) {
    const d = findDerived(r.variable);
    if (d) d.inputs.forEach((x) => named.add(x)); else named.add(r.variable);
  }
  return VARIABLES.filter((v) => named.has(v.id) && v.measurable && v.kind === 'continuous').map((v) => v.id);
}

/** The value of a stored or derived variable from a row indexed like VARIABLES. */
export function rowValue(id: string, row: Float64Array): number {
  const j = VAR_INDEX[id];
  if (j !== undefined) return row[j];
  const d = findDerived(id);
  if (!d) throw new Error(`unknown variable '${id}'`);
  const vals: Record<string, number> = {};
  for (const inp of d.inputs) vals[inp] = row[VAR_INDEX[inp]];
  return d.compute(vals);
}

/** Whether a rule restricts a person of this sex (0 = male, 1 = female): sex-specific ranges restrict one sex only. */
export function appliesToSex(rule: EligibilityRule, sex: number): boolean {
  const s = (rule as RangeRule).sex;
  return s === undefined || (s === 'F') === (sex === 1);
}

export function passes(rule: EligibilityRule, row: Float64Array): boolean {
  if (!appliesToSex(rule, row[VAR_INDEX.sex])) return true;
  const v = rowValue(rule.variable, row);
  if (isFlagRule(rule)) return v === rule.equals;
  const r = rule as RangeRule;
  if (Number.isNaN(v)) return false;
  if (r.min !== undefined && v < r.min) return false;
  if (r.max !== undefined && v > r.max) return false;
  return true;
}

export function passesAll(rules: readonly EligibilityRule[], row: Float64Array): boolean {
  for (const r of rules) if (!passes(r, row)) return false;
  return true;
}

export function isGroup(c: EligibilityCondition): c is EligibilityGroup {
  return (c as EligibilityGroup).options !== undefined;
}

/** Whether at least `atLeast` of the group's options hold (an option holds when all its conditions do). */
export function passesGroup(group: EligibilityGroup, row: Float64Array): boolean {
  let held = 0;
  for (const option of group.options) {
    let ok = true;
    for (const c of option) {
      if (!(isGroup(c) ? passesGroup(c, row) : passes(c, row))) {
        ok = false;
        break;
      }
    }
    if (ok && ++held >= group.atLeast) return true;
  }
  return false;
}

/** Every plain rule inside groups, at any depth. */
export function groupRules(groups: readonly EligibilityGroup[]): EligibilityRule[] {
  return groups.flatMap((g) => g.options.flatMap((o) => o.flatMap((c) => (isGroup(c) ? groupRules([c]) : [c]))));
}

function nestedGroups(groups: readonly EligibilityGroup[]): EligibilityGroup[] {
  return groups.flatMap((g) => [g, ...nestedGroups(g.options.flatMap((o) => o.filter(isGroup)))]);
}

export function passesGroups(groups: readonly EligibilityGroup[], row: Float64Array): boolean {
  for (const g of groups) if (!passesGroup(g, row)) return false;
  return true;
}

/** Check that every rule names a known variable (the trial checker does this too; the library checks again). */
export function validateRules(rules: readonly EligibilityRule[], groups: readonly EligibilityGroup[] = []): string[] {
  const problems: string[] = [];
  for (const r of [...rules, ...groupRules(groups)]) {
    if (!findVariable(r.variable) && !DERIVED.some((d) => d.id === r.variable)) problems.push(`eligibility: unknown variable '${r.variable}'`);
  }
  for (const g of nestedGroups(groups)) {
    if (!(Number.isInteger(g.atLeast) && g.atLeast >= 1 && g.atLeast <= g.options.length)) {
      problems.push(`eligibility: at least ${g.atLeast} of ${g.options.length} options can never hold`);
    }
  }
  return problems;
}

/**
 * A latent condition that reaches the rule directly, where the rule is on a variable drawn from
 * a single latent score (a marginal variable or a flag liability); undefined otherwise.
 * Range bounds are widened by 4 measurement SDs on the true value so that selection on the
 * noisy screening value stays exact (the rule itself is re-checked on the screening value).
 */
export function conditionFor(rule: EligibilityRule): LatentCondition | undefined {
  if (isFlagRule(rule)) {
    const s = flagScore(rule.variable);
    if (!s) return undefined;
    const id = rule.variable;
    return {
      score: s,
      bounds: (sex, age) => {
        const t = flagThreshold(id, sex, age);
        return rule.equals === 1 ? [t, Infinity] : id === 'diabetes' || id === s ? [-Infinity, t] : [-Infinity, Infinity];
      },
    };
  }
  const r = rule as RangeRule;
  if (!(r.variable in MARGINALS) || !hasScore(r.variable)) return undefined;
  return {
    score: r.variable,
    bounds: (sex, age) => (appliesToSex(r, sex) ? valueRangeToScore(r.variable, sex, age, r.min, r.max, 4) : [-Infinity, Infinity]),
  };
}

/**
 * Eligibility rules from a YAML map in the trial language's form: `variable: [min, max]`
 * (inclusive, null for open), `variable: {male: [min, max], female: [min, max]}` or
 * `flag: true/false`. any_of / count_of need a trial file. Throws InputError naming every problem.
 */
export function eligibilityFromMap(doc: unknown, file: string): EligibilityRule[] {
  const problems: string[] = [];
  const rules: EligibilityRule[] = [];
  if (doc === null || doc === undefined) return rules;
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new InputError(`${file}: expected a map of variable: [min, max] or flag: true/false`);
  const map = (doc as Record<string, unknown>).eligibility && typeof (doc as Record<string, unknown>).eligibility === 'object' ? ((doc as Record<string, unknown>).eligibility as Record<string, unknown>) : (doc as Record<string, unknown>);
  for (const [key, val] of Object.entries(map)) {
    if (key === 'any_of' || key === 'count_of') {
      problems.push(`${file}: ${key}: not accepted here; write the population in a trial file, where any_of and count_of are drawn (\`vtrial run\`)`);
      continue;
    }
    const def = findVariable(key);
    const derived = findDerived(key);
    if (!def && !derived) {
      problems.push(`${file}: ${key}: unknown variable (see \`vtrial catalog\`)`);
      continue;
    }
    if (def?.kind === 'flag') {
      if (typeof val !== 'boolean' && val !== 0 && val !== 1) problems.push(`${file}: ${key}: expected true or false for a flag, found ${JSON.stringify(val)}`);
      else rules.push({ variable: key, equals: val === true || val === 1 ? 1 : 0 });
      continue;
    }
    const bySex = val !== null && typeof val === 'object' && !Array.isArray(val) ? (val as Record<string, unknown>) : undefined;
    const ranges: [string, unknown, 'M' | 'F' | undefined][] = bySex ? Object.entries(bySex).map(([k, r]) => [`${key}.${k}`, r, k === 'male' ? 'M' : k === 'female' ? 'F' : undefined]) : [[key, val, undefined]];
    for (const [where, r, sex] of ranges) {
      if (bySex && sex === undefined) {
        problems.push(`${file}: ${where}: expected male or female, each with [min, max]`);
        continue;
      }
      if (!Array.isArray(r) || r.length !== 2 || !r.every((x) => x === null || typeof x === 'number')) {
        problems.push(`${file}: ${where}: expected [min, max] (numbers, null for open)${bySex ? '' : ' or {male: [min, max], female: [min, max]}'}, found ${JSON.stringify(r)}`);
        continue;
      }
      const [min, max] = r as (number | null)[];
      if (min !== null && max !== null && min > max) problems.push(`${file}: ${where}: min ${min} is above max ${max}`);
      rules.push({ variable: key, ...(min !== null ? { min } : {}), ...(max !== null ? { max } : {}), ...(sex ? { sex } : {}) });
    }
  }
  if (problems.length) throw new InputError(`${file}: invalid eligibility`, problems);
  return rules;
}
