/**
 * ADaM-shaped export of simulated trajectories, so statisticians can run their existing R or
 * SAS code on a simulated trial (CDISC ADaM Implementation Guide v1.3: ADSL subject-level and
 * BDS basic data structure; https://www.cdisc.org/standards/foundational/adam).
 *
 * - ADSL: one row per twin AND arm (each twin is simulated under every arm): USUBJID is unique
 *   per twin-arm pair; RANDFL = "Y" marks the arm the twin was randomised to, so filtering on
 *   RANDFL = "Y" gives the data a real trial would have observed.
 * - BDS: one row per twin, arm, parameter and visit: USUBJID, PARAMCD, PARAM, AVISIT, AVISITN
 *   (study day of the visit), ADY, AVAL, BASE, CHG, PCHG, ABLFL, TRTP, TRTPN, RANDFL.
 *   Missing measurements (not scheduled, or after dropout) are not written.
 *
 * Written in CSV or Parquet, shard by shard (append), so a large run never holds all rows.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Trajectories } from '../core/simulator.js';
import { findDerived, findVariable } from '../population/catalog.js';
import type { TrialSpec } from '../trial-dsl/spec.js';

export interface AdamShard {
  /** Twin ids (stable across arms). */
  readonly ids: Uint32Array;
  /** Observed (randomised) arm index per twin, into spec.arms. */
  readonly allocation: Uint8Array;
  /** Baseline covariates per twin (age, sex 0/1, catalog ids). */
  readonly covariates: Readonly<Record<string, Float64Array>>;
  /** Trajectories of the same twins under every arm, in spec.arms order. */
  readonly arms: readonly Trajectories[];
}

export interface AdamOptions {
  /** Output folder; files adsl.csv + adbds.csv (or .parquet). */
  readonly dir: string;
  readonly format: 'csv' | 'parquet';
  readonly spec: TrialSpec;
  /** STUDYID (default: the trial name, upper-cased, non-alphanumerics as '-'). */
  readonly studyId?: string;
  /** Only the randomised arm of each twin (what a real trial observes). Default false: every arm. */
  readonly observedOnly?: boolean;
}

export interface AdamResult {
  readonly files: string[];
  readonly adslRows: number;
  readonly bdsRows: number;
  /** PARAMCD -> catalog variable id. */
  readonly paramcd: Record<string, string>;
}

/** ADaM PARAMCD: at most 8 characters, upper case, unique within the study. */
export function paramcdFor(variables: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const v of variables) {
    const stem = v.toUpperCase().replace(/[^A-Z0-9]/g, '');
    let code = stem.slice(0, 8);
    for (let k = 2; used.has(code); k++) code = stem.slice(0, 8 - String(k).length) + k;
    used.add(code);
    out.set(v, code);
  }
  return out;
}

const ADSL_FIXED = ['STUDYID', 'USUBJID', 'SUBJID', 'TRT01P', 'TRT01PN', 'ARMCD', 'RANDFL', 'AGE', 'SEX', 'COMPLFL', 'EOSDY'] as const;
const BDS_COLUMNS = ['STUDYID', 'USUBJID', 'PARAMCD', 'PARAM', 'AVISIT', 'AVISITN', 'ADY', 'AVAL', 'BASE', 'CHG', 'PCHG', 'ABLFL', 'TRTP', 'TRTPN', 'RANDFL'] as const;

type Cell = string | number | null;

const csvCell = (x: Cell): string => {
  if (x === null) return '';
  if (typeof x === 'number') return Number.isFinite(x) ? String(x) : '';
  return /[",\n\r]/.test(x) ? `"${x.replace(/"/g, '""')}"` : x;
};

interface TableSink {
  append(columns: Record<string, Cell[]>): Promise<void>;
  close(): Promise<void>;
}

async function csvSink(file: string, header: readonly string[]): Promise<TableSink> {
  const out: WriteStream = createWriteStream(file);
  const write = async (s: string): Promise<void> => {
    if (!out.write(s)) await once(out, 'drain');
  };
  await write(header.join(',') + '\n');
  return {
    async append(columns) {
      const n = columns[header[0]].length;
      let chunk = '';
      for (let i = 0; i < n; i++) {
        chunk += header.map((h) => csvCell(columns[h][i])).join(',') + '\n';
        if (chunk.length > 1 << 20) {
          await write(chunk);
          chunk = '';
        }
      }
      await write(chunk);
    },
    async close() {
      out.end();
      await once(out, 'finish');
    },
  };
}

async function parquetSink(file: string, header: readonly string[], types: Record<string, 'STRING' | 'DOUBLE' | 'INT32'>): Promise<TableSink> {
  const { ParquetWriter, fileWriter, schemaFromColumnData } = await import('hyparquet-writer');
  const schema = schemaFromColumnData({ columnData: header.map((name) => ({ name, data: [], type: types[name] })) });
  const writer = new ParquetWriter({ writer: fileWriter(file), schema, createdBy: 'vtrial' });
  return {
    async append(columns) {
      if (columns[header[0]].length === 0) return;
      await writer.write({ columnData: header.map((name) => ({ name, data: columns[name], type: types[name] })) });
    },
    async close() {
      await writer.finish();
    },
  };
}

/** Streaming ADaM writer: open, append shard by shard, close. */
export class AdamWriter {
  private adslRows = 0;
  private bdsRows = 0;
  private constructor(
    private readonly options: AdamOptions,
    private readonly adsl: TableSink,
    private readonly bds: TableSink,
    private readonly covariateNames: readonly string[],
    private readonly paramcd: Map<string, string>,
    private readonly files: string[],
  ) {}

  /**
   * Open the two tables. `covariates` names the baseline columns written to ADSL beyond AGE and
   * SEX (upper-cased catalog ids); `variables` the trajectory variables written to BDS.
   */
  static async open(options: AdamOptions, covariates: readonly string[], variables: readonly string[]): Promise<AdamWriter> {
    mkdirSync(options.dir, { recursive: true });
    const extra = covariates.filter((c) => c !== 'age' && c !== 'sex');
    const adslHeader = [...ADSL_FIXED, ...extra.map((c) => c.toUpperCase())];
    const ext = options.format === 'csv' ? 'csv' : 'parquet';
    const adslFile = join(options.dir, `adsl.${ext}`);
    const bdsFile = join(options.dir, `adbds.${ext}`);
    let adsl: TableSink;
    let bds: TableSink;
    if (options.format === 'csv') {
      adsl = await csvSink(adslFile, adslHeader);
      bds = await csvSink(bdsFile, BDS_COLUMNS);
    } else {
      const adslTypes: Record<string, 'STRING' | 'DOUBLE' | 'INT32'> = { STUDYID: 'STRING', USUBJID: 'STRING', SUBJID: 'STRING', TRT01P: 'STRING', TRT01PN: 'INT32', ARMCD: 'STRING', RANDFL: 'STRING', AGE: 'DOUBLE', SEX: 'STRING', COMPLFL: 'STRING', EOSDY: 'DOUBLE' };
      for (const c of extra) adslTypes[c.toUpperCase()] = 'DOUBLE';
      const bdsTypes: Record<string, 'STRING' | 'DOUBLE' | 'INT32'> = { STUDYID: 'STRING', USUBJID: 'STRING', PARAMCD: 'STRING', PARAM: 'STRING', AVISIT: 'STRING', AVISITN: 'DOUBLE', ADY: 'DOUBLE', AVAL: 'DOUBLE', BASE: 'DOUBLE', CHG: 'DOUBLE', PCHG: 'DOUBLE', ABLFL: 'STRING', TRTP: 'STRING', TRTPN: 'INT32', RANDFL: 'STRING' };
      adsl = await parquetSink(adslFile, adslHeader, adslTypes);
      bds = await parquetSink(bdsFile, BDS_COLUMNS, bdsTypes);
    }
    return new AdamWriter(options, adsl, bds, extra, paramcdFor(variables), [adslFile, bdsFile]);
  }

  private studyId(): string {
    return this.options.studyId ?? this.options.spec.name.toUpperCase().replace(/[^A-Z0-9]+/g, '-').replace(/^-|-$/g, '');
  }

  /** Append one shard of twins (every arm's trajectories). */
  async append(shard: AdamShard): Promise<void> {
    const spec = this.options.spec;
    if (shard.arms.length !== spec.arms.length) throw new Error(`AdamWriter.append requires trajectories for all ${spec.arms.length} arms, received ${shard.arms.length}`);
    const studyId = this.studyId();
    const adsl: Record<string, Cell[]> = {};
    for (const h of [...ADSL_FIXED, ...this.covariateNames.map((c) => c.toUpperCase())]) adsl[h] = [];
    const bds: Record<string, Cell[]> = {};
    for (const h of BDS_COLUMNS) bds[h] = [];
    const labelOfDay = new Map(spec.schedule.visits.map((v) => [v.day, v.label]));
    const n = shard.ids.length;
    for (let a = 0; a < spec.arms.length; a++) {
      const arm = spec.arms[a];
      const traj = shard.arms[a];
      const nV = traj.visitDays.length;
      const baseVisit = traj.visitDays.indexOf(0);
      for (let i = 0; i < n; i++) {
        const randomised = shard.allocation[i] === a;
        if (this.options.observedOnly && !randomised) continue;
        const usubjid = `${studyId}-${shard.ids[i]}-${arm.id}`;
        const sex = shard.covariates.sex?.[i];
        const dropout = traj.dropoutDay[i];
        adsl.STUDYID.push(studyId);
        adsl.USUBJID.push(usubjid);
        adsl.SUBJID.push(String(shard.ids[i]));
        adsl.TRT01P.push(arm.label);
        adsl.TRT01PN.push(a);
        adsl.ARMCD.push(arm.id);
        adsl.RANDFL.push(randomised ? 'Y' : 'N');
        adsl.AGE.push(shard.covariates.age?.[i] ?? null);
        adsl.SEX.push(sex === 0 ? 'M' : sex === 1 ? 'F' : null);
        adsl.COMPLFL.push(Number.isFinite(dropout) ? 'N' : 'Y');
        adsl.EOSDY.push(Number.isFinite(dropout) ? dropout : spec.schedule.durationDays);
        for (const c of this.covariateNames) adsl[c.toUpperCase()].push(shard.covariates[c]?.[i] ?? null);
        for (const [variable, code] of this.paramcd) {
          const values = traj.values[variable];
          if (!values) continue;
          const def = findVariable(variable) ?? findDerived(variable);
          const param = def ? `${def.label}${def.unit ? ` (${def.unit})` : ''}` : variable;
          const base = baseVisit >= 0 ? values[i * nV + baseVisit] : NaN;
          for (let v = 0; v < nV; v++) {
            const aval = values[i * nV + v];
            if (!Number.isFinite(aval)) continue;
            const day = traj.visitDays[v];
            bds.STUDYID.push(studyId);
            bds.USUBJID.push(usubjid);
            bds.PARAMCD.push(code);
            bds.PARAM.push(param);
            bds.AVISIT.push(labelOfDay.get(day) ?? `day ${day}`);
            bds.AVISITN.push(day);
            bds.ADY.push(day);
            bds.AVAL.push(aval);
            bds.BASE.push(Number.isFinite(base) ? base : null);
            bds.CHG.push(Number.isFinite(base) ? aval - base : null);
            bds.PCHG.push(Number.isFinite(base) && base !== 0 ? (100 * (aval - base)) / base : null);
            bds.ABLFL.push(v === baseVisit ? 'Y' : null);
            bds.TRTP.push(arm.label);
            bds.TRTPN.push(a);
            bds.RANDFL.push(randomised ? 'Y' : 'N');
          }
        }
      }
    }
    this.adslRows += adsl.STUDYID.length;
    this.bdsRows += bds.STUDYID.length;
    await this.adsl.append(adsl);
    await this.bds.append(bds);
  }

  async close(): Promise<AdamResult> {
    await this.adsl.close();
    await this.bds.close();
    return { files: this.files, adslRows: this.adslRows, bdsRows: this.bdsRows, paramcd: Object.fromEntries([...this.paramcd].map(([v, c]) => [c, v])) };
  }
}

/**
 * Write ADSL and BDS from shards (an array, or an async iterable a run produces one by one).
 * `covariates` and `variables` default to those of the first shard.
 */
export async function writeAdam(
  options: AdamOptions,
  shards: Iterable<AdamShard> | AsyncIterable<AdamShard>,
  columns: { covariates?: readonly string[]; variables?: readonly string[] } = {},
): Promise<AdamResult> {
  let writer: AdamWriter | null = null;
  for await (const shard of shards as AsyncIterable<AdamShard>) {
    if (!writer) {
      const covariates = columns.covariates ?? Object.keys(shard.covariates);
      const variables = columns.variables ?? Object.keys(shard.arms[0]?.values ?? {});
      writer = await AdamWriter.open(options, covariates, variables);
    }
    await writer.append(shard);
  }
  if (!writer) writer = await AdamWriter.open(options, columns.covariates ?? [], columns.variables ?? []);
  return writer.close();
}
