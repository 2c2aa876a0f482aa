/**
 * Simulated against reference figures: the generator's twins (measured once with catalog noise,
 * as the surveys measured people) compared with published means, SDs and prevalences, each
 * with its source and a pass/fail against the tolerance (means 5%, SDs 15%, prevalences 3
 * points, unless a line says otherwise).
 */
import { Purpose, Rng } from '../core/rng.js';
import { VARIABLES } from './catalog.js';
import { sampleBaselines, VAR_INDEX } from './baseline.js';
import { measureIndexed } from './noise.js';

export interface ReferenceFigure {
  readonly variable: string;
  readonly stat: 'mean' | 'sd' | 'prevalence';
  readonly sex: 'M' | 'F' | 'all';
  readonly ages: readonly [number, number];
  readonly value: number;
  /** Relative tolerance for means/SDs, absolute (proportion) for prevalences. */
  readonly tol: number;
  readonly source: string;
}

const NH = 'NHANES 2009-12 (physiology reference: nhanes-2009-2012)';
const bands: [number, number][] = [[20, 39], [40, 59], [60, 80]];

function nhanes(variable: string, factor: number, m: [number, number][], f: [number, number][]): ReferenceFigure[] {
  const out: ReferenceFigure[] = [];
  bands.forEach((ages, b) => {
    for (const [sex, arr] of [['M', m], ['F', f]] as const) {
      out.push({ variable, stat: 'mean', sex, ages, value: arr[b][0] * factor, tol: 0.05, source: NH });
      out.push({ variable, stat: 'sd', sex, ages, value: arr[b][1] * factor, tol: 0.15, source: NH });
    }
  });
  return out;
}

export const REFERENCE_FIGURES: readonly ReferenceFigure[] = [
  { variable: 'bmi', stat: 'mean', sex: 'M', ages: [20, 80], value: 29.1, tol: 0.05, source: 'Fryar CD et al. NHSR 122 (2018), NHANES 2015-16' },
  { variable: 'bmi', stat: 'mean', sex: 'F', ages: [20, 80], value: 29.6, tol: 0.05, source: 'Fryar 2018' },
  { variable: 'body_weight', stat: 'mean', sex: 'M', ages: [20, 80], value: 89.8, tol: 0.05, source: 'Fryar 2018' },
  { variable: 'body_weight', stat: 'mean', sex: 'F', ages: [20, 80], value: 77.4, tol: 0.05, source: 'Fryar 2018' },
  { variable: 'waist', stat: 'mean', sex: 'M', ages: [20, 80], value: 102.1, tol: 0.05, source: 'Fryar 2018' },
  { variable: 'waist', stat: 'mean', sex: 'F', ages: [20, 80], value: 98.0, tol: 0.05, source: 'Fryar 2018' },
  { variable: 'body_fat_pct', stat: 'mean', sex: 'M', ages: [20, 80], value: 28.1, tol: 0.05, source: 'Li C et al. AJCN 2009;90:1457-65 (DXA, NHANES 1999-2004)' },
  { variable: 'body_fat_pct', stat: 'mean', sex: 'F', ages: [20, 80], value: 40.0, tol: 0.05, source: 'Li 2009' },
  { variable: 'sbp', stat: 'mean', sex: 'all', ages: [18, 80], value: 122, tol: 0.05, source: 'Wright JD et al. NHSR 35 (2011), NHANES 2001-08' },
  { variable: 'dbp', stat: 'mean', sex: 'all', ages: [18, 80], value: 71, tol: 0.05, source: 'Wright 2011' },
  { variable: 'resting_hr', stat: 'mean', sex: 'M', ages: [20, 80], value: 71, tol: 0.05, source: 'Ostchega Y et al. NHSR 41 (2011)' },
  { variable: 'resting_hr', stat: 'mean', sex: 'F', ages: [20, 80], value: 74, tol: 0.05, source: 'Ostchega 2011' },
  { variable: 'ldl_c', stat: 'mean', sex: 'M', ages: [18, 80], value: 100.8, tol: 0.1, source: 'NHANES 2015-18 LDL trend (ages 12-80; adults run higher): tolerance 10%' },
  { variable: 'ldl_c', stat: 'mean', sex: 'F', ages: [18, 80], value: 106.8, tol: 0.1, source: 'NHANES 2015-18 LDL trend (ages 12-80): tolerance 10%' },
  { variable: 'total_cholesterol', stat: 'mean', sex: 'all', ages: [20, 80], value: 189, tol: 0.05, source: 'Aggarwal R et al. JAMA 2022;328:737-45 (2017-18)' },
  { variable: 'energy_intake', stat: 'mean', sex: 'M', ages: [18, 80], value: 2405, tol: 0.05, source: 'NHANES 24-h recall, PMC7481988 Table 2' },
  { variable: 'energy_intake', stat: 'mean', sex: 'F', ages: [18, 80], value: 1779, tol: 0.05, source: 'PMC7481988' },
  { variable: 'sodium_intake', stat: 'mean', sex: 'M', ages: [18, 80], value: 4062, tol: 0.05, source: 'PMC7481988' },
  { variable: 'sodium_intake', stat: 'mean', sex: 'F', ages: [18, 80], value: 2995, tol: 0.05, source: 'PMC7481988' },
  { variable: 'fibre_intake', stat: 'mean', sex: 'M', ages: [18, 80], value: 18, tol: 0.05, source: 'Hoy MK, Goldman JD. FSRG Dietary Data Brief 12 (2014)' },
  { variable: 'fibre_intake', stat: 'mean', sex: 'F', ages: [18, 80], value: 15, tol: 0.05, source: 'Hoy 2014' },
  { variable: 'carb_pct', stat: 'mean', sex: 'all', ages: [20, 80], value: 50.5, tol: 0.05, source: 'Shan Z et al. JAMA 2019;322:1178-87' },
  { variable: 'fat_pct', stat: 'mean', sex: 'all', ages: [20, 80], value: 33.2, tol: 0.05, source: 'Shan 2019' },
  { variable: 'protein_pct', stat: 'mean', sex: 'all', ages: [20, 80], value: 16.4, tol: 0.05, source: 'Shan 2019' },
  { variable: 'steps', stat: 'mean', sex: 'M', ages: [18, 80], value: 7192, tol: 0.1, source: 'Tudor-Locke C et al. MSSE 2004;36:1567-73 (pedometer sample): tolerance 10%' },
  { variable: 'steps', stat: 'mean', sex: 'F', ages: [18, 80], value: 5210, tol: 0.1, source: 'Tudor-Locke 2004: tolerance 10%' },
  { variable: 'smoker', stat: 'prevalence', sex: 'all', ages: [18, 80], value: 0.14, tol: 0.03, source: 'Cornelius ME et al. MMWR 2020;69:1736-42 (NHIS 2019)' },
  { variable: 'on_statin', stat: 'prevalence', sex: 'all', ages: [40, 80], value: 0.26, tol: 0.03, source: 'Gu Q et al. NCHS Data Brief 177 (2014), adults >= 40' },
  { variable: 'on_statin', stat: 'prevalence', sex: 'all', ages: [40, 59], value: 0.17, tol: 0.03, source: 'Gu 2014' },
  ...(['M', 'F'] as const).flatMap((sex, s) =>
    bands.map((ages, b): ReferenceFigure => ({
      variable: 'diabetes', stat: 'prevalence', sex, ages,
      value: [[0.021, 0.118, 0.252], [0.02, 0.084, 0.204]][s][b], tol: 0.03, source: NH,
    })),
  ),
  ...nhanes('body_weight', 1, [[88.1, 21.0], [91.1, 18.7], [87.7, 18.9]], [[76.0, 21.6], [76.1, 20.6], [74.0, 18.5]]),
  ...nhanes('height', 1, [[176.4, 7.4], [176.3, 7.3], [173.9, 7.6]], [[163.4, 7.3], [162.5, 7.1], [159.6, 6.9]]),
  ...nhanes('bmi', 1, [[28.2, 6.2], [29.3, 5.4], [28.9, 5.5]], [[28.4, 7.7], [28.8, 7.5], [29.0, 6.8]]),
  ...nhanes('resting_hr', 1, [[72.4, 12.0], [70.6, 11.8], [68.7, 11.9]], [[76.8, 11.1], [73.5, 11.2], [71.4, 12.2]]),
  ...nhanes('sbp', 1, [[118.6, 11.8], [123.2, 16.1], [129.5, 19.3]], [[109.8, 11.4], [118.5, 15.7], [132.1, 20.0]]),
  ...nhanes('dbp', 1, [[70.9, 11.5], [75.5, 11.0], [67.7, 12.9]], [[67.7, 10.4], [71.8, 10.2], [66.4, 12.9]]),
  ...nhanes('total_cholesterol', 38.67, [[4.85, 0.9], [5.25, 1.14], [4.76, 1.03]], [[4.75, 0.95], [5.39, 1.03], [5.36, 1.07]]),
  ...nhanes('hdl_c', 38.67, [[1.2, 0.33], [1.23, 0.37], [1.28, 0.37]], [[1.42, 0.37], [1.57, 0.46], [1.56, 0.43]]),
  ...nhanes('sleep_duration', 1, [[6.9, 1.2], [6.6, 1.2], [7.0, 1.4]], [[7.0, 1.4], [6.8, 1.4], [7.1, 1.4]]),
];

export interface DescribeRow extends ReferenceFigure {
  readonly simulated: number;
  readonly n: number;
  readonly pass: boolean;
}

/** Simulate n twins (ids 0..n-1), measure them once, and compare with every reference figure. */
export function describePopulation(n: number, seed: number): DescribeRow[] {
  const cols = sampleBaselines(seed, n);
  // one measurement per twin, like a survey
  const measured: Record<string, Float64Array> = {};
  for (const v of VARIABLES) measured[v.id] = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const rng = new Rng(seed, i, Purpose.measurement);
    VARIABLES.forEach((v, j) => {
      const z = rng.normal();
      measured[v.id][i] = v.measurable && v.kind === 'continuous' ? measureIndexed(j, cols[v.id][i], z) : cols[v.id][i];
    });
  }
  return REFERENCE_FIGURES.map((f) => {
    const x = measured[f.variable];
    const sex = measured.sex;
    const age = measured.age;
    let c = 0;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      if (f.sex !== 'all' && sex[i] !== (f.sex === 'M' ? 0 : 1)) continue;
      if (age[i] < f.ages[0] || age[i] >= f.ages[1] + 1) continue;
      c++;
      s += x[i];
      s2 += x[i] * x[i];
    }
    const mean = s / c;
    const sd = Math.sqrt(Math.max(0, (s2 - c * mean * mean) / Math.max(1, c - 1)));
    const simulated = f.stat === 'sd' ? sd : mean;
    const pass = f.stat === 'prevalence' ? Math.abs(simulated - f.value) <= f.tol : Math.abs(simulated - f.value) <= f.tol * Math.abs(f.value);
    return { ...f, simulated, n: c, pass };
  });
}

export { VAR_INDEX };
