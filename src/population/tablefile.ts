/**
 * Writing column tables as CSV or Parquet (by the file extension), used by `population sample`
 * and `cohort`.
 */
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { UsageError } from '../core/errors.js';

export type Column = { name: string; values: ArrayLike<number> | readonly string[]; kind: 'number' | 'int' | 'string'; decimals?: number };

export function tableFormat(path: string): 'csv' | 'parquet' {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.parquet') return 'parquet';
  throw new UsageError(`--out ${path}: expected a .csv or .parquet file name`);
}

function cell(c: Column, i: number): string {
  const v = c.values[i];
  if (c.kind === 'string') {
    const s = String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  }
  const x = v as number;
  if (!Number.isFinite(x)) return '';
  return c.decimals !== undefined ? String(+x.toFixed(c.decimals)) : String(x);
}

/** Write columns (equal length) to CSV or Parquet. */
export async function writeTable(path: string, cols: readonly Column[]): Promise<void> {
  const fmt = tableFormat(path);
  const n = cols.length ? cols[0].values.length : 0;
  if (fmt === 'parquet') {
    const { parquetWriteBuffer } = await import('hyparquet-writer');
    const columnData = cols.map((c) => ({
      name: c.name,
      data: c.kind === 'string' ? Array.from(c.values as readonly string[]) : Array.from(c.values as ArrayLike<number>, (x) => (Number.isFinite(x) ? (c.kind === 'int' ? Math.round(x) : x) : null)),
      type: (c.kind === 'string' ? 'STRING' : c.kind === 'int' ? 'INT32' : 'DOUBLE') as 'STRING' | 'INT32' | 'DOUBLE',
    }));
    const buf = parquetWriteBuffer({ columnData });
    await writeFile(path, new Uint8Array(buf));
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(path);
    out.on('error', reject);
    out.write(cols.map((c) => c.name).join(',') + '\n');
    let i = 0;
    const step = (): void => {
      while (i < n) {
        const line = cols.map((c) => cell(c, i)).join(',') + '\n';
        i++;
        if (!out.write(line)) {
          out.once('drain', step);
          return;
        }
      }
      out.end(resolve);
    };
    step();
  });
}
