/**
 * Vega-Lite chart specifications for the report, and their rendering to SVG in Node with
 * vega's headless View (renderer 'none', toSVG): no browser, no network, no CDN.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { PowerCurve } from './power.js';
import type { Report } from './report.js';

const WIDTH = 260;
const HEIGHT = 180;
const FONT = 'Helvetica, Arial, sans-serif';
const CONFIG = { font: FONT, view: { stroke: '#ddd' }, axis: { labelFontSize: 11, titleFontSize: 11 }, legend: { labelFontSize: 11, titleFontSize: 11 } };

/** Render a Vega-Lite specification to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Mean trajectories with 95% bands for the mean, by arm, one panel per variable. */
export function trajectoryChart(report: Report): TopLevelSpec | null {
  const rows = report.trajectories
    .filter((t) => t.mean !== null && t.n > 0)
    .map((t) => {
      const half = t.sd !== null && t.n > 1 ? (1.96 * t.sd) / Math.sqrt(t.n) : 0;
      return { arm: t.arm, variable: t.variable, day: t.day, mean: t.mean, low: t.mean - half, high: t.mean + half, n: t.n };
    });
  if (rows.length === 0) return null;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    config: CONFIG,
    data: { values: rows },
    facet: { field: 'variable', type: 'nominal', title: null, header: { labelFontSize: 12, labelFontWeight: 'bold' } },
    columns: 3,
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: WIDTH,
      height: HEIGHT,
      layer: [
        {
          mark: { type: 'area', opacity: 0.2 },
          encoding: {
            x: { field: 'day', type: 'quantitative', title: 'day' },
            y: { field: 'low', type: 'quantitative', title: 'mean (95% band)', scale: { zero: false } },
            y2: { field: 'high' },
            color: { field: 'arm', type: 'nominal', title: 'arm' },
          },
        },
        {
          mark: { type: 'line', point: true },
          encoding: {
            x: { field: 'day', type: 'quantitative' },
            y: { field: 'mean', type: 'quantitative' },
            color: { field: 'arm', type: 'nominal' },
          },
        },
      ],
    },
  } as TopLevelSpec;
}

/** Forest plots of endpoint effects, one panel per effect measure (ratios on a log axis). */
export function forestChart(report: Report): TopLevelSpec | null {
  const rows = report.endpoints
    .filter((e) => e.estimate !== null && e.ci95[0] !== null && e.ci95[1] !== null)
    .map((e) => ({
      endpoint: `${e.name}${e.primary ? ' *' : ''}`,
      measure: e.effectMeasure + (e.unit ? ` (${e.unit})` : ''),
      ratio: e.nullValue === 1,
      estimate: e.estimate,
      low: e.ci95[0],
      high: e.ci95[1],
      nullValue: e.nullValue,
    }));
  if (rows.length === 0) return null;
  const measures = [...new Set(rows.map((r) => r.measure))];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    config: CONFIG,
    vconcat: measures.map((measure) => {
      const sub = rows.filter((r) => r.measure === measure);
      const ratio = sub[0].ratio;
      return {
        width: 2 * WIDTH,
        height: { step: 24 },
        data: { values: sub },
        title: { text: measure, anchor: 'start', fontSize: 12 },
        layer: [
          { mark: { type: 'rule', strokeDash: [4, 3], color: '#888' }, encoding: { x: { datum: ratio ? 1 : 0 } } },
          {
            mark: { type: 'rule', strokeWidth: 2 },
            encoding: {
              y: { field: 'endpoint', type: 'nominal', title: null, sort: null },
              x: { field: 'low', type: 'quantitative', title: `${measure}, 95% CI`, scale: ratio ? { type: 'log' } : { zero: false } },
              x2: { field: 'high' },
            },
          },
          {
            mark: { type: 'point', filled: true, size: 70, shape: 'square' },
            encoding: { y: { field: 'endpoint', type: 'nominal', sort: null }, x: { field: 'estimate', type: 'quantitative' } },
          },
        ],
      };
    }),
  } as TopLevelSpec;
}

/** Histograms of individual treatment effects (paired counterfactuals), one per endpoint. */
export function individualEffectChart(report: Report): TopLevelSpec | null {
  const rows = report.endpoints.flatMap((e) =>
    (e.individual?.histogram ?? []).map((b) => ({ endpoint: e.name, start: b.start, end: b.end, count: b.count, mean: e.individual!.mean })),
  );
  if (rows.length === 0) return null;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    config: CONFIG,
    data: { values: rows },
    facet: { field: 'endpoint', type: 'nominal', title: null, header: { labelFontSize: 12, labelFontWeight: 'bold' } },
    columns: 3,
    resolve: { scale: { x: 'independent', y: 'independent' } },
    spec: {
      width: WIDTH,
      height: HEIGHT,
      layer: [
        {
          mark: { type: 'rect', color: '#4c78a8', stroke: 'white', strokeWidth: 0.5 },
          encoding: {
            x: { field: 'start', type: 'quantitative', title: 'individual effect (treatment - control)' },
            x2: { field: 'end' },
            y: { field: 'count', type: 'quantitative', title: 'twins' },
          },
        },
        {
          // every row of a panel carries its endpoint's mean effect: one rule per panel
          mark: { type: 'rule', color: '#e45756', strokeWidth: 2 },
          encoding: { x: { field: 'mean', aggregate: 'mean', type: 'quantitative' } },
        },
      ],
    },
  } as TopLevelSpec;
}

/** Kaplan-Meier curves for time-to-event endpoints. */
export function kaplanMeierChart(report: Report): TopLevelSpec | null {
  const rows: { endpoint: string; arm: string; day: number; survival: number }[] = [];
  for (const e of report.endpoints) {
    if (!e.kaplanMeier) continue;
    for (const [arm, curve] of Object.entries(e.kaplanMeier)) {
      rows.push({ endpoint: e.name, arm, day: 0, survival: 1 });
      curve.time.forEach((t, i) => rows.push({ endpoint: e.name, arm, day: t, survival: curve.survival[i] }));
    }
  }
  if (rows.length === 0) return null;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    config: CONFIG,
    data: { values: rows },
    facet: { field: 'endpoint', type: 'nominal', title: null },
    columns: 3,
    spec: {
      width: WIDTH,
      height: HEIGHT,
      mark: { type: 'line', interpolate: 'step-after' },
      encoding: {
        x: { field: 'day', type: 'quantitative', title: 'day' },
        y: { field: 'survival', type: 'quantitative', title: 'event-free share', scale: { domain: [0, 1] } },
        color: { field: 'arm', type: 'nominal' },
      },
    },
  } as TopLevelSpec;
}

/** Power against sample size with Monte Carlo 95% intervals and the target line. */
export function powerChart(curve: PowerCurve): TopLevelSpec {
  const rows = curve.points.map((p) => ({ n: p.n, power: p.power, low: p.ci95[0], high: p.ci95[1] }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    config: CONFIG,
    width: 2 * WIDTH,
    height: HEIGHT + 40,
    title: { text: `Power for ${curve.endpoint} at alpha ${curve.alpha}`, anchor: 'start', fontSize: 12 },
    layer: [
      { data: { values: [{ target: curve.target }] }, mark: { type: 'rule', strokeDash: [4, 3], color: '#e45756' }, encoding: { y: { field: 'target', type: 'quantitative' } } },
      {
        data: { values: rows },
        mark: { type: 'rule' },
        encoding: { x: { field: 'n', type: 'quantitative' }, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' } },
      },
      {
        data: { values: rows },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'n', type: 'quantitative', title: 'twins randomised', scale: { type: 'log', nice: false, padding: 24 } },
          y: { field: 'power', type: 'quantitative', title: 'power (Monte Carlo 95% CI)', scale: { domain: [0, 1] } },
        },
      },
    ],
  } as TopLevelSpec;
}
