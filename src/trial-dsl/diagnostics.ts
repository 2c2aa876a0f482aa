/**
 * Diagnostics: errors and warnings as values, with source positions.
 */

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  readonly severity: Severity;
  /** Stable code, e.g. 'unknown-key', 'type', 'unknown-variable', 'dose-range', 'yaml-syntax'. */
  readonly code: string;
  readonly file: string;
  /** 1-based line and column of the offending node (key for unknown keys, value otherwise). */
  readonly line: number;
  readonly column: number;
  /** YAML path, e.g. arms[1].interventions[0].dose */
  readonly path: string;
  readonly message: string;
  readonly expected?: string;
  readonly found?: string;
  readonly suggestion?: string;
}

export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${p}` : p;
  }
  return out || '(top level)';
}

/** One line per diagnostic, compiler style: file:line:col: severity: path: message (expected ..., found ...). */
export function formatDiagnostic(d: Diagnostic): string {
  let s = `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.path}: ${d.message}`;
  const parts: string[] = [];
  if (d.expected) parts.push(`expected ${d.expected}`);
  if (d.found !== undefined) parts.push(`found ${d.found}`);
  if (parts.length) s += ` (${parts.join(', ')})`;
  if (d.suggestion) s += `; did you mean '${d.suggestion}'?`;
  return s;
}

/** A short rendering of a found value for messages. */
export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return `'${v.length > 40 ? v.slice(0, 37) + '...' : v}'`;
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'object') return 'a map';
  return String(v);
}
