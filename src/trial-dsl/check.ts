/**
 * Semantic checks and normalisation: from a schema-valid document to a TrialSpec.
 *
 * Checks beyond the schema: known variables, drugs and supplements (with did-you-mean), doses
 * inside the labelled range, at least two distinct arms, ratios for known arms, permuted block
 * size compatible with the ratio, visits inside the duration, endpoint variables measured at
 * the endpoint's visit, intervention start before stop, ranges ordered, thresholds present when
 * the measure needs one, analysis suited to the measure.
 */
import { createHash } from 'node:crypto';
import {
  allVariableIds, findDerived, findVariable, measurableIds, resolveColumn, VARIABLES,
} from '../population/catalog.js';
import { drugNames, findDrug, perWeek, SUPPLEMENTS, type Frequency } from '../population/interventions.js';
import type { Diagnostic } from './diagnostics.js';
import { formatPath, show } from './diagnostics.js';
import type { ParsedTrial } from './parse.js';
import type {
  AnalysisKind, ArmSpec, BaselineTarget, EligibilityCondition, EligibilityGroup, EligibilityRule, EndpointSpec, FlagRule, Intervention, Measure, PublishedSpec,
  RangeRule, ScheduleSpec, SexRule, Threshold, TrialSpec, VisitSpec,
} from './spec.js';
import { BP_SETTING_VARIABLES } from './spec.js';
import { didYouMean } from './suggest.js';
import { dayLabel, parseDailyDose, parseDose, parseDuration } from './units.js';

type Path = (string | number)[];
type Obj = Record<string, unknown>;

const EPS = 1e-9;
const STRATA_BUILTIN = ['sex', 'age_band'];

class Checker {
  readonly diagnostics: Diagnostic[] = [];
  constructor(readonly parsed: ParsedTrial) {}

  error(at: Path, code: string, message: string, extra: { expected?: string; found?: string; suggestion?: string; key?: boolean } = {}): void {
    const p = this.parsed.map.pos(at, extra.key);
    this.diagnostics.push({
      severity: 'error', code, file: this.parsed.file, line: p.line, column: p.column, path: formatPath(at), message,
      expected: extra.expected, found: extra.found, suggestion: extra.suggestion,
    });
  }

  warn(at: Path, code: string, message: string): void {
    const p = this.parsed.map.pos(at);
    this.diagnostics.push({ severity: 'warning', code, file: this.parsed.file, line: p.line, column: p.column, path: formatPath(at), message });
  }

  duration(v: unknown, at: Path, fallback: number): number {
    if (v === undefined) return fallback;
    const d = parseDuration(v);
    if (d === undefined) {
      // the schema already reports malformed strings; numbers other than 0 land here
      if (typeof v === 'number') this.error(at, 'format', 'a duration needs a unit', { expected: "e.g. '8 weeks' or '6 months'", found: show(v) });
      return fallback;
    }
    return d;
  }

  variable(id: unknown, at: Path, opts: { measurable?: boolean; allowDerived?: boolean } = {}): string | undefined {
    if (typeof id !== 'string') return undefined;
    const v = findVariable(id);
    if (v) {
      if (opts.measurable && !v.measurable) {
        this.error(at, 'not-measurable', `'${id}' is a fixed attribute, not something measured at visits`, { expected: 'a measurable variable' });
        return undefined;
      }
      return id;
    }
    if (opts.allowDerived !== false && findDerived(id)) return id;
    const pool = opts.measurable ? measurableIds() : allVariableIds();
    const alias = resolveColumn(id);
    this.error(at, 'unknown-variable', `unknown variable '${id}'`, {
      expected: 'a catalog variable (run `vtrial catalog`)', suggestion: alias ?? didYouMean(id, pool),
    });
    return undefined;
  }
}

/** Inputs of a variable that must be measured for it to be known (derived variables expand). */
export function measuredInputs(id: string): string[] {
  const d = findDerived(id);
  return d ? [...d.inputs] : [id];
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Run semantic checks; return the spec when there are no errors. */
export function checkAndNormalise(parsed: ParsedTrial): { spec?: TrialSpec; diagnostics: Diagnostic[] } {
  const c = new Checker(parsed);
  const doc = parsed.value as Obj;

  // ---- schedule ---------------------------------------------------------------------------
  const sched = (doc.schedule ?? {}) as Obj;
  const durationDays = c.duration(sched.duration, ['schedule', 'duration'], NaN);
  if (durationDays === 0) c.error(['schedule', 'duration'], 'range', 'the trial must last longer than day 0', { found: show(sched.duration) });
  const visitDays: number[] = [0];
  if (Array.isArray(sched.visits)) {
    sched.visits.forEach((v, i) => {
      const d = c.duration(v, ['schedule', 'visits', i], NaN);
      if (Number.isNaN(d)) return;
      if (Number.isFinite(durationDays) && d > durationDays + EPS) {
        c.error(['schedule', 'visits', i], 'visit-outside', `visit at ${dayLabel(d)} is after the end of the trial (${dayLabel(durationDays)})`, {
          expected: `a time up to ${show(sched.duration)}`, found: show(v),
        });
        return;
      }
      if (visitDays.some((x) => Math.abs(x - d) < EPS)) {
        if (d !== 0) c.error(['schedule', 'visits', i], 'duplicate-visit', `visit at ${dayLabel(d)} is listed twice`);
        return;
      }
      visitDays.push(d);
    });
  } else if (sched.visits && typeof sched.visits === 'object') {
    const every = c.duration((sched.visits as Obj).every, ['schedule', 'visits', 'every'], NaN);
    if (every > 0 && Number.isFinite(durationDays)) {
      for (let d = every; d <= durationDays + EPS; d += every) visitDays.push(Math.min(d, durationDays));
      if (visitDays.length > 1000) c.error(['schedule', 'visits', 'every'], 'range', 'more than 1000 visits', { found: show((sched.visits as Obj).every) });
    } else if (every === 0) c.error(['schedule', 'visits', 'every'], 'range', 'the visit interval must be longer than 0');
  }
  visitDays.sort((a, b) => a - b);
  if (Number.isFinite(durationDays) && visitDays.length === 1) c.error(['schedule', 'visits'], 'no-visits', 'no visit after baseline', { expected: 'at least one follow-up visit' });

  // ---- arms ---------------------------------------------------------------------------------
  const armsIn = (Array.isArray(doc.arms) ? doc.arms : []) as Obj[];
  const armIds: string[] = [];
  armsIn.forEach((a, i) => {
    if (typeof a?.id !== 'string') return;
    if (armIds.includes(a.id)) c.error(['arms', i, 'id'], 'duplicate-arm', `arm id '${a.id}' is used twice`);
    armIds.push(a.id);
  });
  const arms: ArmSpec[] = armsIn.map((a, i) => normaliseArm(c, a, ['arms', i], durationDays));

  // ---- randomisation -------------------------------------------------------------------------
  const rnd = (doc.randomisation ?? {}) as Obj;
  const ratio: Record<string, number> = {};
  const ratioIn = (rnd.ratio ?? {}) as Record<string, number>;
  for (const [k, v] of Object.entries(ratioIn)) {
    if (!armIds.includes(k)) c.error(['randomisation', 'ratio', k], 'unknown-arm', `ratio names an arm that does not exist: '${k}'`, { expected: `one of ${armIds.join(', ')}`, suggestion: didYouMean(k, armIds), key: true });
  }
  for (const id of armIds) ratio[id] = typeof ratioIn[id] === 'number' ? ratioIn[id] : rnd.ratio ? NaN : 1;
  const missingRatio = armIds.filter((id) => Number.isNaN(ratio[id]));
  if (missingRatio.length) c.error(['randomisation', 'ratio'], 'ratio-missing', `ratio gives no weight to arm(s) ${missingRatio.join(', ')}`, { expected: 'a positive number for every arm' });
  const strata = Array.isArray(rnd.strata) ? (rnd.strata as string[]) : [];
  strata.forEach((s, i) => {
    if (STRATA_BUILTIN.includes(s)) return;
    const v = findVariable(s);
    if (!v) c.error(['randomisation', 'strata', i], 'unknown-variable', `unknown stratification factor '${s}'`, { expected: "'sex', 'age_band' or a catalog variable", suggestion: didYouMean(s, [...STRATA_BUILTIN, ...VARIABLES.map((x) => x.id)]) });
  });
  const blockSize = typeof rnd.block_size === 'number' ? rnd.block_size : 0;
  if (blockSize > 0 && missingRatio.length === 0 && armIds.length > 0) {
    const weights = armIds.map((id) => ratio[id]);
    if (weights.every((w) => Number.isInteger(w))) {
      const sum = weights.reduce((a, b) => a + b, 0);
      if (blockSize % sum !== 0) c.error(['randomisation', 'block_size'], 'block-size', `block size ${blockSize} cannot hold whole repeats of the ${weights.join(':')} ratio`, { expected: `a multiple of ${sum}` });
    } else c.error(['randomisation', 'block_size'], 'block-size', 'permuted blocks need an integer allocation ratio', { expected: 'integer ratios such as 2:1, or block_size: 0' });
  }

  // ---- population --------------------------------------------------------------------------
  const pop = (doc.population ?? {}) as Obj;
  const eligibilityIn = (pop.eligibility && typeof pop.eligibility === 'object' ? pop.eligibility : {}) as Obj;
  const sexRule: SexRule = pop.sex === 'M' || pop.sex === 'F' ? pop.sex : 'any';
  const conditions = eligibilityConditions(c, eligibilityIn, ['population', 'eligibility'], sexRule);
  const eligibility = conditions.filter((x): x is EligibilityRule => !('options' in x));
  const eligibilityGroups = conditions.filter((x): x is EligibilityGroup => 'options' in x);
  if (pop.source === 'file') {
    for (const k of GROUP_KEYS.filter((x) => eligibilityIn[x] !== undefined)) {
      c.error(['population', 'eligibility', k], 'unsupported', `${k} is not yet applied to participants read from a file`, {
        expected: 'plain eligibility rules with population.source: file, or population.source: synthetic', key: true,
      });
    }
  }
  const baseline: BaselineTarget[] = [];
  for (const [k, v] of Object.entries((pop.baseline ?? {}) as Obj)) {
    const at: Path = ['population', 'baseline', k];
    const id = c.variable(k, at, { allowDerived: false });
    if (!id || !v || typeof v !== 'object') continue;
    const t = v as { mean?: number; sd?: number; share?: number };
    if (t.mean === undefined && t.sd === undefined && t.share === undefined) {
      c.error(at, 'empty', 'baseline target needs a mean or an sd (a share for a yes/no flag)');
      continue;
    }
    const def = findVariable(id)!;
    if (def.kind === 'flag') {
      const target = baselineFlagTarget(c, k, t, at, eligibility);
      if (target !== undefined) baseline.push({ variable: id, mean: target });
      continue;
    }
    if (t.share !== undefined) {
      c.error([...at, 'share'], 'type', `'${k}' is not a yes/no flag, so it has no share`, {
        expected: id === 'sex' ? 'population.female_share for the share of women' : `{mean: x, sd: y} in ${def.unit || 'its unit'}`,
        found: `share: ${t.share}`,
      });
      continue;
    }
    if (t.mean !== undefined && (t.mean < def.plausible[0] || t.mean > def.plausible[1]) && def.kind === 'continuous') {
      c.error([...at, 'mean'], 'implausible', `mean ${t.mean} is outside the plausible range of ${def.label}`, { expected: `${def.plausible[0]} to ${def.plausible[1]} ${def.unit}` });
    }
    baseline.push({ variable: id, ...(t.mean !== undefined ? { mean: t.mean } : {}), ...(t.sd !== undefined ? { sd: t.sd } : {}) });
  }
  const source = (pop.source as 'synthetic' | 'file' | undefined) ?? 'synthetic';
  if (source === 'file' && typeof pop.path !== 'string') c.error(['population'], 'missing-key', "population.source is 'file' but no path is given", { expected: 'path: participants.csv' });
  if (source === 'synthetic' && typeof pop.path === 'string') c.warn(['population', 'path'], 'unused', "path is ignored unless source is 'file'");

  // ---- measurement schedule ----------------------------------------------------------------
  const measured = new Map<number, Set<string>>(visitDays.map((d) => [d, new Set<string>()]));
  const endpointsIn = (Array.isArray(doc.endpoints) ? doc.endpoints : []) as Obj[];
  if (Array.isArray(sched.measure)) {
    (sched.measure as Obj[]).forEach((m, i) => {
      const vars = ((m.variables as unknown[]) ?? []).map((v, j) => c.variable(v, ['schedule', 'measure', i, 'variables', j], { measurable: true })).filter((v): v is string => !!v);
      let days: number[] = visitDays;
      if (Array.isArray(m.at)) {
        days = [];
        (m.at as unknown[]).forEach((a, j) => {
          const d = c.duration(a, ['schedule', 'measure', i, 'at', j], NaN);
          if (Number.isNaN(d)) return;
          const match = visitDays.find((x) => Math.abs(x - d) < EPS);
          if (match === undefined) c.error(['schedule', 'measure', i, 'at', j], 'not-a-visit', `${dayLabel(d)} is not a visit`, { expected: `one of the visits: ${visitDays.map(dayLabel).join(', ')}` });
          else days.push(match);
        });
      }
      for (const d of days) for (const v of vars) for (const inp of measuredInputs(v)) measured.get(d)!.add(inp);
    });
  } else {
    // default: every endpoint variable at every visit
    for (const e of endpointsIn) {
      if (typeof e?.variable !== 'string' || !(findVariable(e.variable) || findDerived(e.variable))) continue;
      for (const d of visitDays) for (const inp of measuredInputs(e.variable)) measured.get(d)!.add(inp);
    }
  }
  const visits: VisitSpec[] = visitDays.map((d) => ({ label: dayLabel(d), day: d, variables: [...measured.get(d)!].sort() }));

  // ---- endpoints ---------------------------------------------------------------------------
  const names = new Set<string>();
  const endpoints: EndpointSpec[] = [];
  endpointsIn.forEach((e, i) => {
    const at: Path = ['endpoints', i];
    const name = String(e.name ?? `endpoint_${i + 1}`);
    if (names.has(name)) c.error([...at, 'name'], 'duplicate-endpoint', `endpoint name '${name}' is used twice`);
    names.add(name);
    const variableId = c.variable(e.variable, [...at, 'variable'], { measurable: true });
    const measure = (e.measure as Measure | undefined) ?? 'change';
    const lastVisit = visitDays[visitDays.length - 1];
    const day = c.duration(e.at, [...at, 'at'], Number.isFinite(durationDays) && lastVisit !== undefined ? lastVisit : 0);
    const visitMatch = visitDays.find((x) => Math.abs(x - day) < EPS);
    if (e.at !== undefined && visitMatch === undefined && Number.isFinite(day)) {
      c.error([...at, 'at'], 'not-a-visit', `the endpoint time ${dayLabel(day)} is not a visit`, { expected: `one of: ${visitDays.map(dayLabel).join(', ')}`, found: show(e.at) });
    }
    if (variableId && visitMatch !== undefined) {
      const inputs = measuredInputs(variableId);
      const needDays = measure === 'mean_over_visits' || measure === 'time_to_event' ? visitDays.filter((d) => d > 0 && d <= visitMatch + EPS) : [visitMatch];
      const needBaseline = measure !== 'value' || (e.analysis ?? 'difference') === 'ancova';
      if (needBaseline) needDays.push(0);
      for (const d of needDays) {
        const missing = inputs.filter((v) => !measured.get(d)?.has(v));
        if (missing.length && (measure !== 'mean_over_visits' || d === 0 || d === visitMatch)) {
          c.error([...at, 'variable'], 'not-measured', `${missing.join(', ')} is not measured at ${dayLabel(d)}, which this endpoint needs`, {
            expected: `schedule.measure to include ${missing.join(', ')} at ${dayLabel(d)}`,
          });
          break;
        }
      }
    }
    let threshold: Threshold | undefined;
    const th = e.threshold as Obj | undefined;
    if (th) {
      const hasBelow = typeof th.below === 'number';
      const hasAbove = typeof th.above === 'number';
      if (hasBelow === hasAbove) c.error([...at, 'threshold'], 'threshold', 'a threshold needs exactly one of below or above', { expected: '{on: value, below: 130}' });
      else threshold = { op: hasBelow ? '<' : '>', value: (hasBelow ? th.below : th.above) as number, on: (th.on as Threshold['on']) ?? 'value' };
    }
    const binary = measure === 'responder' || measure === 'event';
    if ((binary || measure === 'time_to_event') && !threshold && !th) c.error(at, 'threshold', `measure '${measure}' needs a threshold`, { expected: 'threshold: {on: value, below: 130}' });
    if (!binary && measure !== 'time_to_event' && th) c.warn([...at, 'threshold'], 'unused', `threshold is ignored for measure '${measure}'`);
    const defaultAnalysis: AnalysisKind = binary ? 'risk_difference' : measure === 'time_to_event' ? 'hazard_ratio' : measure === 'change' ? 'ancova' : 'difference';
    const analysis = (e.analysis as AnalysisKind | undefined) ?? defaultAnalysis;
    const continuousA = ['difference', 'ancova'];
    const binaryA = ['risk_difference', 'risk_ratio', 'odds_ratio'];
    if (binary && !binaryA.includes(analysis)) c.error([...at, 'analysis'], 'analysis', `analysis '${analysis}' does not suit a ${measure} (yes/no) endpoint`, { expected: binaryA.join(', ') });
    if (measure === 'time_to_event' && analysis !== 'hazard_ratio') c.error([...at, 'analysis'], 'analysis', `analysis '${analysis}' does not suit a time-to-event endpoint`, { expected: 'hazard_ratio' });
    if (!binary && measure !== 'time_to_event' && !continuousA.includes(analysis)) c.error([...at, 'analysis'], 'analysis', `analysis '${analysis}' does not suit a continuous endpoint`, { expected: continuousA.join(', ') });
    let treatment = armIds[1] ?? '';
    let control = armIds[0] ?? '';
    if (typeof e.compare === 'string') {
      const m = /^\s*(\S+)\s+vs\.?\s+(\S+)\s*$/.exec(e.compare);
      if (m) {
        [treatment, control] = [m[1], m[2]];
        for (const id of [treatment, control]) {
          if (!armIds.includes(id)) c.error([...at, 'compare'], 'unknown-arm', `compare names an arm that does not exist: '${id}'`, { expected: `arm ids: ${armIds.join(', ')}`, suggestion: didYouMean(id, armIds) });
        }
        if (treatment === control) c.error([...at, 'compare'], 'compare', 'an arm cannot be compared with itself');
      }
    }
    const covariates: string[] = [];
    ((e.covariates as unknown[]) ?? []).forEach((v, j) => {
      if (v === 'sex' || v === 'age') { covariates.push(v as string); return; }
      const id = c.variable(v, [...at, 'covariates', j], { allowDerived: false });
      if (id) covariates.push(id);
    });
    const fromDay = e.from !== undefined ? c.duration(e.from, [...at, 'from'], 0) : undefined;
    if (fromDay !== undefined && measure !== 'mean_over_visits') c.warn([...at, 'from'], 'unused', "'from' is used only by measure mean_over_visits");
    const setting = e.setting as EndpointSpec['setting'] | undefined;
    if (setting && setting !== 'clinic' && variableId && !(BP_SETTING_VARIABLES as readonly string[]).includes(variableId)) {
      c.error([...at, 'setting'], 'setting', `a measurement setting applies to blood pressure endpoints, not to '${variableId}'`, { expected: `variable one of ${BP_SETTING_VARIABLES.join(', ')}, or no setting` });
    }
    endpoints.push({
      name, variable: variableId ?? String(e.variable), day: visitMatch ?? day, ...(fromDay !== undefined ? { fromDay } : {}),
      measure, ...(threshold ? { threshold } : {}), analysis, treatment, control, primary: e.primary === true, covariates,
      ...(setting && setting !== 'clinic' ? { setting } : {}),
    });
  });
  if (endpoints.length && !endpoints.some((e) => e.primary)) {
    // the first endpoint is primary when none is marked
    endpoints[0] = { ...endpoints[0], primary: true };
  }

  // ---- analysis & published ------------------------------------------------------------------
  const an = (doc.analysis ?? {}) as Obj;
  let published: PublishedSpec | undefined;
  if (doc.published) {
    const p = doc.published as Obj;
    if (typeof p.endpoint === 'string' && !names.has(p.endpoint)) c.error(['published', 'endpoint'], 'unknown-endpoint', `published.endpoint names no endpoint of this file: '${p.endpoint}'`, { expected: [...names].join(', '), suggestion: didYouMean(p.endpoint, names) });
    const ci = p.ci95 as [number, number];
    if (Array.isArray(ci) && ci[0] > ci[1]) c.error(['published', 'ci95'], 'range-order', 'ci95 is reversed', { expected: '[low, high]' });
    published = {
      endpoint: String(p.endpoint), estimate: p.estimate as number, ci95: [ci?.[0], ci?.[1]], effectKind: p.effect_kind as PublishedSpec['effectKind'],
      unit: String(p.unit ?? ''), citation: String(p.citation), ...(p.doi ? { doi: String(p.doi) } : {}), ...(p.pmid ? { pmid: String(p.pmid) } : {}),
    };
  }

  const diagnostics = c.diagnostics;
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  const schedule: ScheduleSpec = { durationDays, visits, dropout: typeof sched.dropout === 'number' ? sched.dropout : 0 };
  const spec: TrialSpec = {
    version: 1,
    name: String(doc.name),
    ...(doc.description ? { description: String(doc.description).trim() } : {}),
    ...(doc.registry ? { registry: String(doc.registry) } : {}),
    ...(doc.citation ? { citation: String(doc.citation) } : {}),
    seed: typeof doc.seed === 'number' ? doc.seed : 1,
    engine: (doc.engine as TrialSpec['engine']) ?? 'model',
    model: typeof doc.model === 'string' ? doc.model : 'models/default',
    population: {
      source, ...(typeof pop.path === 'string' ? { path: pop.path } : {}), n: pop.n as number,
      sex: (pop.sex as TrialSpec['population']['sex']) ?? 'any',
      ...(typeof pop.female_share === 'number' ? { femaleShare: pop.female_share } : {}),
      eligibility, eligibilityGroups, baseline,
    },
    randomisation: { ratio, strata, blockSize },
    schedule,
    arms,
    endpoints,
    analysis: {
      alpha: typeof an.alpha === 'number' ? an.alpha : 0.05,
      replicates: typeof an.replicates === 'number' ? an.replicates : 1,
      ci: (an.ci as 't' | 'bootstrap') ?? 't',
      bootstrapSamples: typeof an.bootstrap_samples === 'number' ? an.bootstrap_samples : 2000,
    },
    ...(published ? { published } : {}),
    ...(typeof doc.calibration_overlap === 'boolean' ? { calibrationOverlap: doc.calibration_overlap } : {}),
    source: { file: parsed.file, sha256: sha256(parsed.text) },
  };
  if (spec.population.sex !== 'any' && spec.population.femaleShare !== undefined) {
    c.error(['population', 'female_share'], 'conflict', `female_share conflicts with sex: ${spec.population.sex}`);
    return { diagnostics: c.diagnostics };
  }
  return { spec, diagnostics };
}

/** Keys of an eligibility map that hold any-of / count-of groups rather than a variable. */
const GROUP_KEYS = ['any_of', 'count_of'];

/**
 * Conditions from a map `variable: [min, max] | flag: true|false | any_of: [...] | count_of: {...}`,
 * all of which must hold. Options of any_of and count_of are such maps in turn.
 */
function eligibilityConditions(c: Checker, map: Obj, at: Path, sexRule: SexRule): EligibilityCondition[] {
  const out: EligibilityCondition[] = [];
  for (const [k, v] of Object.entries(map)) {
    const here: Path = [...at, k];
    if (k === 'any_of') {
      if (Array.isArray(v)) out.push({ atLeast: 1, options: eligibilityOptions(c, v, here, sexRule) });
    } else if (k === 'count_of') {
      const group = countOf(c, v, here, sexRule);
      if (group) out.push(group);
    } else out.push(...eligibilityRule(c, k, v, here, sexRule));
  }
  return out;
}

function eligibilityOptions(c: Checker, list: readonly unknown[], at: Path, sexRule: SexRule): EligibilityCondition[][] {
  return list.map((item, i) => (item && typeof item === 'object' && !Array.isArray(item) ? eligibilityConditions(c, item as Obj, [...at, i], sexRule) : []));
}

function countOf(c: Checker, v: unknown, at: Path, sexRule: SexRule): EligibilityGroup | undefined {
  const count = v as { at_least?: unknown; rules?: unknown } | undefined;
  if (!count || typeof count !== 'object' || !Array.isArray(count.rules) || typeof count.at_least !== 'number') return undefined;
  const n = count.rules.length;
  if (count.at_least > n) {
    c.error([...at, 'at_least'], 'range', `at_least ${count.at_least} of ${n} rules can never hold`, { expected: `at most ${n}`, found: String(count.at_least) });
    return undefined;
  }
  if (count.at_least === n) c.warn([...at, 'at_least'], 'all-of', `all ${n} rules must hold: plain eligibility rules say the same`);
  return { atLeast: count.at_least, options: eligibilityOptions(c, count.rules, [...at, 'rules'], sexRule) };
}

/** One eligibility entry: a range on a measurement, a value of a flag, or a range per sex. */
function eligibilityRule(c: Checker, k: string, v: unknown, at: Path, sexRule: SexRule): EligibilityRule[] {
  const id = c.variable(k, at.slice(), {});
  if (!id) return [];
  const def = findVariable(id);
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    if (def?.kind === 'flag' || def?.kind === 'category') {
      c.error(at, 'type', `'${k}' is ${def.kind === 'flag' ? 'a yes/no flag' : 'a category'}: ranges by sex apply to measurements`, {
        expected: def.kind === 'flag' ? 'true or false' : 'population.sex for sex', found: show(v),
      });
      return [];
    }
    const rules: EligibilityRule[] = [];
    for (const [key, sex] of [['male', 'M'], ['female', 'F']] as const) {
      const range = (v as Obj)[key];
      if (!Array.isArray(range)) continue;
      if (sexRule !== 'any' && sexRule !== sex) {
        c.warn([...at, key], 'unused', `population.sex is ${sexRule}, so the ${key === 'male' ? "men's" : "women's"} range never applies`);
        continue;
      }
      for (const r of rangeRule(c, id, range, [...at, key])) rules.push({ ...r, sex });
    }
    return rules;
  }
  if (typeof v === 'boolean') {
    if (def && def.kind !== 'flag') c.error(at, 'type', `'${k}' is not a yes/no flag`, { expected: `a range [min, max] in ${def.unit || 'its unit'}`, found: show(v) });
    else if (!def) c.error(at, 'type', `'${k}' is derived, not a flag`, { expected: 'a range [min, max]', found: show(v) });
    else return [{ variable: id, equals: v ? 1 : 0 }];
    return [];
  }
  if (!Array.isArray(v)) return [];
  if (def?.kind === 'flag') {
    c.error(at, 'type', `'${k}' is a yes/no flag`, { expected: 'true or false', found: show(v) });
    return [];
  }
  if (def?.kind === 'category') {
    c.error(at, 'type', `'${k}' is a category; use population.sex for sex`, { found: show(v) });
    return [];
  }
  return rangeRule(c, id, v, at);
}

/** A range [min, max] (null for an open end) on a measurement or derived variable. */
function rangeRule(c: Checker, id: string, v: readonly unknown[], at: Path): RangeRule[] {
  const def = findVariable(id);
  const [lo, hi] = v as (number | null)[];
  if (lo === null && hi === null) {
    c.warn(at, 'empty-range', 'range [null, null] restricts nothing');
    return [];
  }
  if (typeof lo === 'number' && typeof hi === 'number' && lo > hi) {
    c.error(at, 'range-order', `range is reversed: ${lo} > ${hi}`, { expected: '[min, max] with min <= max' });
    return [];
  }
  if (def) {
    const [pl, ph] = def.plausible;
    for (const [j, x] of [[0, lo], [1, hi]] as const) {
      if (typeof x === 'number' && (x < pl || x > ph)) c.error([...at, j], 'implausible', `${x} ${def.unit} is outside the plausible range of ${def.label}`, { expected: `${pl} to ${ph} ${def.unit}`, found: String(x) });
    }
  }
  return [{ variable: id, ...(typeof lo === 'number' ? { min: lo } : {}), ...(typeof hi === 'number' ? { max: hi } : {}) }];
}

/**
 * The share targeted for a yes/no flag: `share: p` (the documented form) or `mean: p` (the mean
 * of a 0/1 flag is its share). An SD is not a free target for a flag (it is sqrt(p(1-p))).
 */
function baselineFlagTarget(c: Checker, k: string, t: { mean?: number; sd?: number; share?: number }, at: Path, eligibility: readonly EligibilityRule[]): number | undefined {
  if (t.sd !== undefined) {
    c.error([...at, 'sd'], 'type', `'${k}' is a yes/no flag: its SD follows from its share`, { expected: `{share: p}, e.g. {share: 0.32} for 32% of twins`, found: `sd: ${t.sd}` });
    return undefined;
  }
  if (t.share !== undefined && t.mean !== undefined) {
    c.error([...at, 'mean'], 'conflict', `give the share of '${k}' once: share and mean say the same thing for a flag`, { expected: `share: ${t.share}` });
    return undefined;
  }
  const p = t.share ?? t.mean;
  if (p === undefined) return undefined;
  const key = t.share !== undefined ? 'share' : 'mean';
  if (p < 0 || p > 1) {
    // for `share` the schema reports the same path, and this duplicate is dropped
    c.error([...at, key], 'range', `the mean of the flag '${k}' is a share between 0 and 1`, {
      expected: 'share: p with 0 <= p <= 1', found: String(p), suggestion: p > 1 && p <= 100 ? `share: ${Number((p / 100).toFixed(6))}` : undefined,
    });
    return undefined;
  }
  const rule = eligibility.find((r): r is FlagRule => r.variable === k && 'equals' in r);
  if (rule && p !== rule.equals) {
    c.error([...at, key], 'conflict', `a share of ${p} for '${k}' conflicts with the eligibility rule ${k}: ${rule.equals === 1}, which every twin meets`, {
      expected: `share: ${rule.equals}, or no eligibility rule on ${k}`,
    });
    return undefined;
  }
  if (!rule && (p === 0 || p === 1)) c.warn([...at, key], 'exact-share', `a share of ${p} is an eligibility rule: write population.eligibility.${k}: ${p === 1} to make it exact`);
  return p;
}

function normaliseArm(c: Checker, a: Obj, at: Path, durationDays: number): ArmSpec {
  const interventions: Intervention[] = [];
  ((a.interventions as Obj[] | undefined) ?? []).forEach((iv, j) => {
    const n = normaliseIntervention(c, iv, [...at, 'interventions', j], durationDays);
    if (n) interventions.push(n);
  });
  return {
    id: String(a.id),
    label: typeof a.label === 'string' ? a.label : String(a.id),
    role: (a.role as ArmSpec['role']) ?? (interventions.length === 0 ? 'usual_care' : 'experimental'),
    interventions,
    ...(typeof a.dropout === 'number' ? { dropout: a.dropout } : {}),
  };
}

function normaliseIntervention(c: Checker, iv: Obj, at: Path, durationDays: number): Intervention | undefined {
  const kind = iv.kind as string;
  const startDay = c.duration(iv.start, [...at, 'start'], 0);
  const stopDay = c.duration(iv.stop, [...at, 'stop'], durationDays);
  if (startDay >= stopDay && Number.isFinite(startDay) && Number.isFinite(stopDay) && (Number.isFinite(durationDays) || iv.stop !== undefined)) {
    c.error([...at, iv.stop !== undefined ? 'stop' : 'start'], 'start-stop', `the intervention starts at ${dayLabel(startDay)} but stops at ${dayLabel(stopDay)}`, { expected: 'start before stop' });
  }
  if (durationDays && startDay > durationDays + EPS) c.error([...at, 'start'], 'visit-outside', 'the intervention starts after the end of the trial');
  if (durationDays && iv.stop !== undefined && stopDay > durationDays + EPS) c.warn([...at, 'stop'], 'after-end', 'stop is after the end of the trial; the trial ends first');
  const base = {
    startDay, stopDay: Number.isFinite(durationDays) ? Math.min(stopDay, durationDays) : stopDay,
    adherence: typeof iv.adherence === 'number' ? iv.adherence : kind === 'drug' ? 0.9 : 1,
    adherenceWaning: typeof iv.adherence_waning === 'number' ? iv.adherence_waning : 0,
    ...(typeof iv.label === 'string' ? { label: iv.label } : {}),
  };
  const num = (k: string) => (typeof iv[k] === 'number' ? (iv[k] as number) : undefined);
  const defined = <T extends Obj>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  switch (kind) {
    case 'diet': {
      const fasting = iv.fasting as { regimen: 'time_restricted' | 'alternate_day' | 'five_two'; window_hours?: number } | undefined;
      if (fasting?.regimen === 'time_restricted' && fasting.window_hours === undefined) c.error([...at, 'fasting'], 'missing-key', 'time-restricted eating needs its eating window', { expected: 'window_hours: 8' });
      if (num('sodium_mg_day') !== undefined && num('sodium_change_mg_day') !== undefined) c.error([...at, 'sodium_change_mg_day'], 'conflict', 'give a sodium target or a sodium change, not both');
      if (num('energy_kcal_day') !== undefined && num('total_diet_replacement_kcal_day') !== undefined) c.error([...at, 'energy_kcal_day'], 'conflict', 'give an energy change or a total diet replacement intake, not both');
      const macro = ['carb_pct', 'fat_pct', 'protein_pct'].map(num);
      if (macro.every((x) => x !== undefined) && Math.abs(macro.reduce((s, x) => s! + x!, 0)! - 100) > 5) c.error([...at, 'carb_pct'], 'macros', `carbohydrate, fat and protein shares add up to ${macro.reduce((s, x) => s! + x!, 0)}%`, { expected: 'about 100% (alcohol aside)' });
      const fats = ['sfa_pct', 'mufa_pct', 'pufa_pct'].map(num);
      const fat = num('fat_pct');
      if (fat !== undefined && fats.every((x) => x !== undefined) && fats.reduce((s, x) => s! + x!, 0)! > fat + 3) c.error([...at, 'sfa_pct'], 'macros', 'saturated, mono- and polyunsaturated shares exceed total fat');
      const kclPct = num('salt_substitute_kcl_pct'), naclPct = num('salt_substitute_nacl_pct');
      if (kclPct !== undefined && naclPct !== undefined && kclPct + naclPct > 100) c.error([...at, 'salt_substitute_nacl_pct'], 'out-of-range', `a salt substitute of ${naclPct}% NaCl and ${kclPct}% KCl adds up to more than 100%`, { expected: 'NaCl + KCl shares of at most 100 (e.g. 62.5 and 25, the rest other salts)' });
      const keys = Object.keys(iv).filter((k) => !['kind', 'start', 'stop', 'adherence', 'adherence_waning', 'label'].includes(k));
      if (keys.length === 0) c.error(at, 'empty', 'a diet intervention must say what changes', { expected: 'pattern, energy_kcal_day, sodium_mg_day, sfa_pct, ...' });
      return {
        kind: 'diet', ...base,
        ...defined({
          pattern: iv.pattern as never, energyChangeKcal: num('energy_kcal_day'), totalDietReplacementKcal: num('total_diet_replacement_kcal_day'),
          carbPct: num('carb_pct'), fatPct: num('fat_pct'), proteinPct: num('protein_pct'), sfaPct: num('sfa_pct'), mufaPct: num('mufa_pct'), pufaPct: num('pufa_pct'),
          sodiumMg: num('sodium_mg_day'), sodiumChangeMg: num('sodium_change_mg_day'), potassiumMg: num('potassium_mg_day'), saltSubstituteKclPct: num('salt_substitute_kcl_pct'), saltSubstituteNaclPct: num('salt_substitute_nacl_pct'),
          fibreG: num('fibre_g_day'), betaGlucanG: num('beta_glucan_g_day'), cholesterolMg: num('cholesterol_mg_day'), eggsPerDay: num('eggs_per_day'),
          nutsG: num('nuts_g_day'), oliveOilG: num('olive_oil_g_day'),
          fasting: fasting ? defined({ regimen: fasting.regimen, windowHours: fasting.window_hours }) : undefined,
        }),
      } as Intervention;
    }
    case 'drug': {
      const name = String(iv.drug ?? '');
      const drug = findDrug(name);
      if (!drug) {
        if (iv.drug !== undefined) c.error([...at, 'drug'], 'unknown-drug', `unknown drug '${name}'`, { expected: 'a catalog drug (run `vtrial catalog --drugs`)', suggestion: didYouMean(name, drugNames()) });
        return undefined;
      }
      const dose = parseDose(iv.dose, drug.unit);
      if (dose === undefined) return undefined; // the schema reported the malformed dose
      const [lo, hi] = drug.labelled;
      if (dose < lo - EPS || dose > hi + EPS) {
        c.error([...at, 'dose'], 'dose-range', `${dose} ${drug.unit} of ${drug.name} is outside its labelled range`, {
          expected: `${lo === hi ? lo : `${lo} to ${hi}`} ${drug.unit} per dose (marketed: ${drug.doses.join(', ')} ${drug.unit})`, found: show(iv.dose),
        });
      }
      const frequency = (iv.frequency as Frequency | undefined) ?? drug.frequency;
      if (perWeek(frequency) > perWeek(drug.frequency) * 2 + EPS) c.warn([...at, 'frequency'], 'frequency', `${drug.name} is labelled ${drug.frequency.replace(/_/g, ' ')}; ${frequency.replace(/_/g, ' ')} is unusual`);
      return { kind: 'drug', ...base, drug: drug.name, dose, frequency };
    }
    case 'exercise':
      if (num('minutes_per_week') === undefined && num('sessions_per_week') === undefined && num('steps_per_day') === undefined) {
        c.error(at, 'empty', 'an exercise intervention needs an amount', { expected: 'minutes_per_week, sessions_per_week or steps_per_day' });
      }
      return {
        kind: 'exercise', ...base, type: iv.type as never, intensity: (iv.intensity as never) ?? 'moderate',
        ...defined({ minutesPerWeek: num('minutes_per_week'), sessionsPerWeek: num('sessions_per_week'), stepsPerDay: num('steps_per_day') }),
      } as Intervention;
    case 'supplement': {
      const s = SUPPLEMENTS.find((x) => x.name === iv.supplement);
      if (!s) return undefined;
      const dose = parseDailyDose(iv.dose, s.unit);
      if (dose === undefined) return undefined;
      if (dose < s.range[0] || dose > s.range[1]) c.error([...at, 'dose'], 'dose-range', `${dose} ${s.unit} of ${s.name} is outside the range studied`, { expected: `${s.range[0]} to ${s.range[1]} ${s.unit}`, found: show(iv.dose) });
      return { kind: 'supplement', ...base, supplement: s.name, dose };
    }
    case 'sleep':
      if ((num('target_hours') === undefined) === (num('extend_hours') === undefined)) c.error(at, 'sleep', 'a sleep intervention needs exactly one of target_hours or extend_hours');
      return { kind: 'sleep', ...base, ...defined({ targetHours: num('target_hours'), extendHours: num('extend_hours') }) } as Intervention;
    case 'behaviour':
      if (num('alcohol_drinks_per_day') === undefined && iv.smoking_cessation !== true && iv.sodium_education !== true) c.error(at, 'empty', 'a behaviour intervention must say what changes', { expected: 'alcohol_drinks_per_day, smoking_cessation: true or sodium_education: true' });
      return {
        kind: 'behaviour', ...base,
        ...defined({ alcoholDrinksPerDay: num('alcohol_drinks_per_day'), smokingCessation: iv.smoking_cessation as boolean | undefined, sodiumEducation: iv.sodium_education as boolean | undefined }),
      } as Intervention;
    case 'weight_loss':
      if ((num('target_pct') === undefined) === (num('target_kg') === undefined)) c.error(at, 'weight-loss', 'a weight-loss programme needs exactly one of target_pct or target_kg');
      return { kind: 'weight_loss', ...base, support: (iv.support as never) ?? 'moderate', ...defined({ targetPct: num('target_pct'), targetKg: num('target_kg') }) } as Intervention;
    case 'placebo':
      return { kind: 'placebo', ...base, ...(typeof iv.mimics === 'string' ? { mimics: iv.mimics } : {}) };
    default:
      return undefined;
  }
}
