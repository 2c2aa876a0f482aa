import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { InputError, UsageError } from '../../core/errors.js';
import { VARIABLES, findVariable } from '../../population/catalog.js';
import { describePopulation } from '../../population/describe.js';
import { drawSynthetic } from '../../population/draw.js';
import { eligibilityFromMap } from '../../population/eligibility.js';
import { writeTable, tableFormat, type Column } from '../../population/tablefile.js';
import { Purpose, Rng } from '../../core/rng.js';
import { measureIndexed } from '../../population/noise.js';

function int(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const x = Number(v);
  if (!Number.isInteger(x) || x < 0) throw new UsageError(`${name} ${v}: expected a non-negative integer`);
  return x;
}

export function register(program: Command): void {
  const pop = program.command('population').description('Synthetic twins: compare with reference figures, or sample baselines to a file');
  pop
    .command('describe')
    .description('Simulated vs reference population figures (means, SDs, prevalences) with sources and pass/fail')
    .option('--n <n>', 'twins to simulate', '20000')
    .option('--seed <s>', 'seed', '1')
    .option('--json', 'print JSON')
    .action((o: { n: string; seed: string; json?: boolean }) => {
      const rows = describePopulation(int('--n', o.n, 20000), int('--seed', o.seed, 1));
      if (o.json) {
        process.stdout.write(JSON.stringify({ n: Number(o.n), seed: Number(o.seed), passed: rows.filter((r) => r.pass).length, total: rows.length, figures: rows }, null, 2) + '\n');
        return;
      }
      const lines = ['variable            stat  sex  ages    reference  simulated   n      tol   ok    source'];
      for (const r of rows) {
        const fmt = (x: number): string => (r.stat === 'prevalence' ? (100 * x).toFixed(1) + '%' : x.toPrecision(4));
        lines.push(
          `${r.variable.padEnd(19)} ${r.stat.slice(0, 4).padEnd(5)} ${r.sex.padEnd(4)} ${`${r.ages[0]}-${r.ages[1]}`.padEnd(7)} ${fmt(r.value).padStart(9)}  ${fmt(r.simulated).padStart(9)}  ${String(r.n).padStart(6)} ${(r.stat === 'prevalence' ? `${r.tol * 100}pt` : `${r.tol * 100}%`).padStart(5)}  ${r.pass ? 'pass' : 'FAIL'}  ${r.source}`,
        );
      }
      const passed = rows.filter((r) => r.pass).length;
      lines.push('', `${passed}/${rows.length} reference figures within tolerance (measured once with catalog noise, as the surveys were)`);
      process.stdout.write(lines.join('\n') + '\n');
    });
  pop
    .command('sample')
    .description('Write synthetic twins\' baselines, one row per twin, one column per catalog variable (sex as M/F)')
    .requiredOption('--n <n>', 'twins')
    .option('--where <file>', 'YAML map of eligibility rules, as in a trial\'s population.eligibility')
    .option('--seed <s>', 'seed', '1')
    .option('--measured', 'write one noisy measurement of each measurable variable instead of the true values')
    .requiredOption('--out <file>', 'output .csv or .parquet')
    .action(async (o: { n: string; where?: string; seed: string; measured?: boolean; out: string }) => {
      tableFormat(o.out);
      const n = int('--n', o.n, 0);
      if (n < 1) throw new UsageError('--n must be at least 1');
      const seed = int('--seed', o.seed, 1);
      let eligibility: ReturnType<typeof eligibilityFromMap> = [];
      if (o.where) {
        let doc: unknown;
        try {
          doc = parseYaml(await readFile(o.where, 'utf8'));
        } catch (e) {
          throw new InputError(`${o.where}: cannot read YAML (${(e as Error).message})`);
        }
        eligibility = eligibilityFromMap(doc, o.where);
      }
      const res = drawSynthetic({ source: 'synthetic', n, sex: 'any', eligibility, baseline: [] }, seed);
      const cols = res.batch.columns;
      const cells: Column[] = VARIABLES.map((v, j) => {
        if (v.id === 'sex') return { name: 'sex', kind: 'string' as const, values: Array.from(cols.sex, (s) => (s === 1 ? 'F' : 'M')) };
        let values: Float64Array = cols[v.id];
        if (o.measured && v.measurable && v.kind === 'continuous') {
          values = Float64Array.from(values, (x, i) => measureIndexed(j, x, new Rng(seed, i, Purpose.measurement, j).normal()));
        }
        return { name: v.id, kind: v.kind === 'continuous' ? ('number' as const) : ('int' as const), values, decimals: v.decimals + 1 };
      });
      await writeTable(o.out, cells);
      process.stderr.write(`wrote ${n} twins to ${o.out} (${res.draws} candidates drawn; ${res.method})\n`);
      for (const w of res.warnings) process.stderr.write(`warning: ${w}\n`);
    });
  void findVariable;
}
