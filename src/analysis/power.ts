/**
 * Power curves: replicate trials at several sample sizes, the share significant at each, and
 * the smallest size reaching a target power. The trial runner is injected (the analysis layer
 * never imports the rollout), so this module is a pure loop over replicate analyses.
 */
import { summariseReplicates, typeOneError, type ReplicateSummary, type TypeOneErrorCheck } from './replicates.js';
import type { TrialAnalysis } from './trial.js';

export interface PowerPoint {
  /** Twins randomised per trial. */
  readonly n: number;
  readonly replicates: number;
  readonly power: number;
  readonly mcse: number;
  readonly ci95: [number, number];
  readonly meanEstimate: number;
  readonly sdEstimate: number;
}

export interface PowerCurve {
  readonly trial: string;
  readonly endpoint: string;
  readonly alpha: number;
  readonly target: number;
  readonly points: PowerPoint[];
  /** Smallest size whose estimated power reaches the target; null if none does. */
  readonly smallestN: number | null;
  /** Smallest size whose Wilson lower bound reaches the target (a conservative choice); null if none. */
  readonly smallestNConfident: number | null;
  /** Type-I error check from replicates with identical arms, when run. */
  readonly nullCheck?: TypeOneErrorCheck;
}

export type ReplicateRunner = (n: number, replicate: number) => Promise<TrialAnalysis>;

export interface PowerOptions {
  readonly sizes: readonly number[];
  readonly replicates: number;
  readonly target: number;
  /** Endpoint name (default: the first primary endpoint, else the first). */
  readonly endpoint?: string;
  /** Called after each replicate (progress). */
  readonly onReplicate?: (n: number, replicate: number) => void;
}

/** Pick the endpoint a power analysis is about. */
export function powerEndpoint(analysis: TrialAnalysis, name?: string): string {
  if (name) {
    if (!analysis.endpoints.some((e) => e.name === name)) {
      throw new Error(`endpoint '${name}' is not in the trial (endpoints: ${analysis.endpoints.map((e) => e.name).join(', ')})`);
    }
    return name;
  }
  return (analysis.endpoints.find((e) => e.primary) ?? analysis.endpoints[0]).name;
}

/** The power point of one size, from its replicate summary. */
export function powerPoint(n: number, summary: ReplicateSummary, endpoint: string): PowerPoint {
  const e = summary.endpoints.find((x) => x.name === endpoint);
  if (!e) throw new Error(`endpoint '${endpoint}' is not in the replicate summary`);
  return { n, replicates: e.replicates, power: e.power, mcse: e.powerMcse, ci95: e.powerCi95, meanEstimate: e.meanEstimate, sdEstimate: e.sdEstimate };
}

/**
 * Run `replicates` trials at each size and build the power curve.
 *
 * @param run runs one replicate trial at size n and returns its analysis
 */
export async function powerCurve(run: ReplicateRunner, options: PowerOptions): Promise<PowerCurve> {
  if (!options.sizes.length) throw new Error('powerCurve requires at least one sample size');
  if (!(options.replicates >= 2)) throw new Error(`powerCurve requires at least 2 replicates per size, received ${options.replicates}`);
  if (!(options.target > 0 && options.target < 1)) throw new Error(`powerCurve requires a target power between 0 and 1, received ${options.target}`);
  const sizes = [...options.sizes].sort((a, b) => a - b);
  const points: PowerPoint[] = [];
  let endpoint = options.endpoint;
  let alpha = 0.05;
  let trial = '';
  for (const n of sizes) {
    const analyses: TrialAnalysis[] = [];
    for (let r = 0; r < options.replicates; r++) {
      const a = await run(n, r);
      endpoint = powerEndpoint(a, endpoint);
      alpha = a.alpha;
      trial = a.trial.name;
      analyses.push(a);
      options.onReplicate?.(n, r);
    }
    points.push(powerPoint(n, summariseReplicates(analyses), endpoint!));
  }
  return {
    trial,
    endpoint: endpoint!,
    alpha,
    target: options.target,
    points,
    smallestN: points.find((p) => p.power >= options.target)?.n ?? null,
    smallestNConfident: points.find((p) => p.ci95[0] >= options.target)?.n ?? null,
  };
}

/** Type-I error from replicate analyses of a trial with identical arms. */
export function nullCheck(analyses: readonly TrialAnalysis[], endpoint?: string): TypeOneErrorCheck {
  const summary = summariseReplicates(analyses);
  return typeOneError(summary, endpoint ? powerEndpoint(analyses[0], endpoint) : powerEndpoint(analyses[0]));
}

/**
 * The trial with identical arms for a null check: the treatment arm of `endpoint` receives the
 * control arm's interventions, so every difference between arms is chance.
 */
export function identicalArmsSpec<S extends { arms: readonly { id: string; interventions: readonly unknown[] }[]; endpoints: readonly { name: string; treatment: string; control: string }[] }>(spec: S, endpoint: string): S {
  const ep = spec.endpoints.find((e) => e.name === endpoint);
  if (!ep) throw new Error(`endpoint '${endpoint}' is not in the trial`);
  const control = spec.arms.find((a) => a.id === ep.control)!;
  return { ...spec, arms: spec.arms.map((a) => (a.id === ep.treatment ? { ...a, interventions: control.interventions } : a)) };
}

/** Plain-text table of a power curve (and the null check when present). */
export function renderPowerSummary(curve: PowerCurve): string {
  const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '—');
  const lines = [`Power for ${curve.endpoint} (${curve.trial}) at two-sided alpha ${curve.alpha}; target ${pct(curve.target)}`, ''];
  const header = ['twins', 'replicates', 'power', 'MC SE', 'MC 95% CI', 'mean estimate', 'SD of estimate'];
  const rows = curve.points.map((p) => [String(p.n), String(p.replicates), pct(p.power), pct(p.mcse), `${pct(p.ci95[0])} to ${pct(p.ci95[1])}`, p.meanEstimate.toPrecision(3), p.sdEstimate.toPrecision(3)]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const fmt = (r: string[]): string => r.map((x, c) => x.padEnd(widths[c])).join('  ').trimEnd();
  lines.push(fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt), '');
  lines.push(
    curve.smallestN !== null
      ? `Smallest size reaching the target: ${curve.smallestN} twins` + (curve.smallestNConfident !== null ? ` (${curve.smallestNConfident} with the Monte Carlo lower bound above the target)` : ' (the Monte Carlo lower bound stays below the target at every size tried)')
      : 'No size tried reaches the target; try larger sizes.',
  );
  if (curve.nullCheck) {
    const c = curve.nullCheck;
    lines.push(
      `Null check (identical arms, ${c.replicates} replicates): type-I error ${pct(c.rate)} (Monte Carlo 95% CI ${pct(c.ci95[0])} to ${pct(c.ci95[1])}), nominal ${c.alpha}: ${c.consistent ? 'consistent' : 'NOT consistent'} with the nominal level`,
    );
  }
  lines.push('Replicates at every size reuse the same replicate streams (common random numbers), which smooths the curve.');
  return lines.join('\n');
}
