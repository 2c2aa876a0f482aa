import type { Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { UsageError } from '../../core/errors.js';
import { generateCohort, cohortCsvLine, COHORT_CSV_HEADER, type CohortRow } from '../../population/cohort.js';
import { tableFormat, writeTable } from '../../population/tablefile.js';
import { WORLD_VERSION } from '../../population/world/version.js';

export function register(program: Command): void {
  program
    .command('cohort')
    .description('Write a longitudinal training cohort from the reference world (MEDS: subject_id,time,code,numeric_value)')
    .requiredOption('--n <n>', 'participants')
    .requiredOption('--years <y>', 'follow-up in years')
    .requiredOption('--out <file>', 'output .csv or .parquet')
    .option('--seed <s>', 'seed', '1')
    .option('--confounding <x>', 'strength of confounding by indication (0 = random assignment)', '0')
    .action(async (o: { n: string; years: string; out: string; seed: string; confounding: string }) => {
      const n = Number(o.n);
      const years = Number(o.years);
      const seed = Number(o.seed);
      const confounding = Number(o.confounding);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`--n ${o.n}: expected a positive integer`);
      if (!(years > 0) || years > 30) throw new UsageError(`--years ${o.years}: expected a number in (0, 30]`);
      if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed ${o.seed}: expected a non-negative integer`);
      if (!(confounding >= 0)) throw new UsageError(`--confounding ${o.confounding}: expected a number >= 0`);
      const fmt = tableFormat(o.out);
      let count = 0;
      if (fmt === 'parquet') {
        const rows: CohortRow[] = [];
        for await (const r of generateCohort({ n, years, seed, confounding })) rows.push(r);
        count = rows.length;
        await writeTable(o.out, [
          { name: 'subject_id', kind: 'int', values: rows.map((r) => r.subject_id) },
          { name: 'time', kind: 'number', values: rows.map((r) => r.time) },
          { name: 'code', kind: 'string', values: rows.map((r) => r.code) },
          { name: 'numeric_value', kind: 'number', values: rows.map((r) => r.numeric_value) },
        ]);
      } else {
        const out = createWriteStream(o.out);
        const write = (s: string): Promise<void> => (out.write(s) ? Promise.resolve() : new Promise((res) => out.once('drain', () => res())));
        await write(COHORT_CSV_HEADER + '\n');
        for await (const r of generateCohort({ n, years, seed, confounding })) {
          await write(cohortCsvLine(r) + '\n');
          count++;
        }
        await new Promise<void>((res, rej) => {
          out.on('error', rej);
          out.end(res);
        });
      }
      process.stderr.write(`wrote ${count} rows for ${n} participants over ${years} years to ${o.out} (reference world ${WORLD_VERSION})\n`);
    });
}
