/**
 * Parsing a trial file: YAML with source positions, then JSON Schema validation (ajv, all
 * errors), with every error mapped back to file:line:column and the YAML path.
 */
import { createRequire } from 'node:module';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { buildTrialSchema, DOSE_PATTERN, DURATION_PATTERN, interventionKeys, knownKeysAt } from './schema.js';
import { type Diagnostic, formatPath, show } from './diagnostics.js';
import { didYouMean } from './suggest.js';

type Path = (string | number)[];

/** Finds the source position of a YAML path. */
export class SourceMap {
  constructor(
    readonly file: string,
    readonly doc: Document.Parsed,
    readonly lines: LineCounter,
  ) {}

  /** Position of the node at path (of its key when `key` is true); falls back to the deepest existing ancestor. */
  pos(path: readonly (string | number)[], key = false): { line: number; column: number } {
    let node: unknown = this.doc.contents;
    let offset = rangeStart(node) ?? 0;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) break;
        if (last && key) {
          offset = rangeStart(pair.key) ?? offset;
          break;
        }
        node = pair.value;
        offset = rangeStart(node) ?? rangeStart(pair.key) ?? offset;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (item === undefined) break;
        node = item;
        offset = rangeStart(node) ?? offset;
      } else break;
    }
    const lp = this.lines.linePos(offset);
    return { line: lp.line, column: lp.col };
  }
}

function rangeStart(node: unknown): number | undefined {
  const r = (node as Node | null | undefined)?.range;
  return r ? r[0] : undefined;
}

let cachedValidator: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (cachedValidator) return cachedValidator;
  // ajv is CommonJS; its 2020-12 build is loaded through require so the class is the default export.
  const require = createRequire(import.meta.url);
  const Ajv2020 = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js').default;
  const ajv = new Ajv2020({ allErrors: true, strict: false, allowUnionTypes: true });
  cachedValidator = ajv.compile(buildTrialSchema());
  return cachedValidator;
}

export interface ParsedTrial {
  readonly file: string;
  readonly text: string;
  /** The plain JS value of the document (undefined when the YAML did not parse). */
  readonly value: unknown;
  readonly map: SourceMap;
  readonly diagnostics: Diagnostic[];
}

/** Parse YAML text and validate it against the trial schema. Never throws on bad input. */
export function parseTrialText(text: string, file: string): ParsedTrial {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true });
  const map = new SourceMap(file, doc, lines);
  const diagnostics: Diagnostic[] = [];
  for (const e of [...doc.errors, ...doc.warnings]) {
    const lp = lines.linePos(e.pos[0]);
    diagnostics.push({
      severity: doc.errors.includes(e) ? 'error' : 'warning',
      code: 'yaml-' + e.code.toLowerCase().replace(/_/g, '-'),
      file,
      line: lp.line,
      column: lp.col,
      path: '(yaml)',
      message: e.message.split('\n')[0],
    });
  }
  if (doc.errors.length > 0) return { file, text, value: undefined, map, diagnostics };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    diagnostics.push({ severity: 'error', code: 'yaml', file, line: 1, column: 1, path: '(yaml)', message: (e as Error).message });
    return { file, text, value: undefined, map, diagnostics };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    diagnostics.push({
      severity: 'error', code: 'type', file, line: 1, column: 1, path: '(top level)',
      message: 'a trial file must be a YAML map', expected: 'keys such as name, population, schedule, arms, endpoints', found: show(value),
    });
    return { file, text, value, map, diagnostics };
  }
  const validate = validator();
  if (!validate(value)) diagnostics.push(...schemaDiagnostics(validate.errors ?? [], value, map));
  return { file, text, value, map, diagnostics };
}

function pointerToPath(pointer: string): Path {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function getAt(value: unknown, path: Path): unknown {
  let v: unknown = value;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

/** Keys allowed at an object path, including per-kind intervention keys. */
function allowedKeys(value: unknown, path: Path): string[] {
  // arms[i].interventions[j]
  if (path.length === 4 && path[0] === 'arms' && path[2] === 'interventions') {
    const kind = (getAt(value, path) as { kind?: unknown } | undefined)?.kind;
    if (typeof kind === 'string') return interventionKeys(kind);
  }
  return knownKeysAt(buildTrialSchema(), path);
}

/** The sex key meant by a common other spelling (men, M, women, F, ...) in a range by sex. */
function sexKey(key: string): string | undefined {
  if (/^(m|men|man|males?)$/i.test(key)) return 'male';
  if (/^(f|w|women|woman|females?)$/i.test(key)) return 'female';
  return undefined;
}

function schemaDiagnostics(errors: ErrorObject[], value: unknown, map: SourceMap): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  const push = (d: Omit<Diagnostic, 'file' | 'line' | 'column' | 'severity'> & { at: Path; key?: boolean }) => {
    const k = `${d.at.join('/')}|${d.message}`;
    if (seen.has(k)) return;
    seen.add(k);
    const p = map.pos(d.at, d.key);
    const { at: _at, key: _key, ...rest } = d;
    out.push({ severity: 'error', file: map.file, line: p.line, column: p.column, ...rest });
  };
  for (const e of errors) {
    if (e.keyword === 'if') continue; // the matching `then` error says what is wrong
    const path = pointerToPath(e.instancePath);
    const found = getAt(value, path);
    const where = formatPath(path);
    switch (e.keyword) {
      case 'additionalProperties': {
        const key = (e.params as { additionalProperty: string }).additionalProperty;
        const allowed = allowedKeys(value, path);
        const hint = didYouMean(key, allowed) ?? (allowed.includes('male') ? sexKey(key) : undefined);
        push({
          code: 'unknown-key', at: [...path, key], key: true, path: formatPath([...path, key]),
          message: `unknown key '${key}'`,
          expected: allowed.length ? `one of ${allowed.join(', ')}` : undefined,
          suggestion: hint,
        });
        break;
      }
      case 'required': {
        const missing = (e.params as { missingProperty: string }).missingProperty;
        // a misspelt key often explains a missing one: point at it
        const obj = (found ?? {}) as Record<string, unknown>;
        const near = Object.keys(obj).find((k) => didYouMean(k, [missing]) === missing);
        push({
          code: 'missing-key', at: near ? [...path, near] : path, key: !!near, path: formatPath([...path, missing]),
          message: near ? `missing required key '${missing}' (is '${near}' a misspelling of it?)` : `missing required key '${missing}'`,
        });
        break;
      }
      case 'type': {
        const t = (e.params as { type: string | string[] }).type;
        if (path[path.length - 1] === 'dose' && typeof found === 'number') {
          push({ code: 'format', at: path, path: where, message: 'a dose needs its unit', expected: `e.g. '${found} mg' or '${found} g'`, found: show(found) });
          break;
        }
        push({ code: 'type', at: path, path: where, message: 'wrong type', expected: Array.isArray(t) ? t.join(' or ') : t, found: show(found) });
        break;
      }
      case 'enum': {
        const allowed = ((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String);
        push({
          code: 'enum', at: path, path: where, message: 'not an accepted value',
          expected: `one of ${allowed.join(', ')}`, found: show(found),
          suggestion: typeof found === 'string' ? didYouMean(found, allowed) : undefined,
        });
        break;
      }
      case 'const': {
        const allowed = (e.params as { allowedValue: unknown }).allowedValue;
        push({ code: 'const', at: path, path: where, message: 'not an accepted value', expected: JSON.stringify(allowed), found: show(found) });
        break;
      }
      case 'pattern': {
        const pattern = (e.params as { pattern: string }).pattern;
        const expected =
          pattern === DURATION_PATTERN ? "a duration with a unit, e.g. '8 weeks', '6 months', '26w', '1y' (or 0)"
          : pattern === DOSE_PATTERN ? "a dose with a unit, e.g. '40 mg' or '4 g'"
          : pattern === '^all$' ? "'all' or a list of visit times"
          : pattern.includes(' vs') ? "'treatment vs control' using arm ids"
          : `text matching ${pattern}`;
        push({ code: 'format', at: path, path: where, message: 'badly formed value', expected, found: show(found) });
        break;
      }
      case 'minimum': case 'maximum': case 'exclusiveMinimum': case 'exclusiveMaximum': {
        const p = e.params as { comparison: string; limit: number };
        // shares are fractions: 32 (a percentage) most likely meant 0.32
        const percent = e.keyword === 'maximum' && p.limit === 1 && typeof found === 'number' && found > 1 && found <= 100;
        push({
          code: 'range', at: path, path: where, message: percent ? 'a share is a fraction between 0 and 1' : 'number out of range',
          expected: `${p.comparison} ${p.limit}`, found: show(found), suggestion: percent ? String(Number(((found as number) / 100).toFixed(6))) : undefined,
        });
        break;
      }
      case 'minItems': case 'maxItems': {
        const p = e.params as { limit: number };
        const what = path[path.length - 1] === 'arms' ? ' (a trial compares at least two arms)' : '';
        push({ code: 'items', at: path, path: where, message: `wrong number of items${what}`, expected: `${e.keyword === 'minItems' ? 'at least' : 'at most'} ${p.limit}`, found: show(found) });
        break;
      }
      case 'minLength':
        push({ code: 'empty', at: path, path: where, message: 'must not be empty', found: show(found) });
        break;
      case 'false schema':
        push({ code: 'items', at: path, path: where, message: 'unexpected extra item', found: show(found) });
        break;
      case 'minProperties': {
        const p = e.params as { limit: number };
        const rules = path.includes('eligibility');
        push({
          code: 'empty', at: path, path: where, message: rules ? 'no rule given' : 'must not be empty',
          expected: rules ? 'at least one rule, e.g. {sbp: [130, 159]}' : `at least ${p.limit} key${p.limit === 1 ? '' : 's'}`, found: show(found),
        });
        break;
      }
      default:
        push({ code: e.keyword, at: path, path: where, message: e.message ?? 'invalid value', found: show(found) });
    }
  }
  return out;
}
