/**
 * The trial language: parse, check and normalise trial files into TrialSpec.
 */
import { readFile } from 'node:fs/promises';
import { InputError } from '../core/errors.js';
import { checkAndNormalise } from './check.js';
import { type Diagnostic, formatDiagnostic } from './diagnostics.js';
import { parseTrialText } from './parse.js';
import type { TrialSpec } from './spec.js';

export * from './spec.js';
export type { Diagnostic } from './diagnostics.js';
export { formatDiagnostic } from './diagnostics.js';
export { parseDuration, dayLabel } from './units.js';
export { buildTrialSchema } from './schema.js';
export { measuredInputs } from './check.js';

export interface CheckResult {
  readonly file: string;
  readonly spec?: TrialSpec;
  readonly diagnostics: readonly Diagnostic[];
  readonly ok: boolean;
}

/** Check trial text: every error at once, never throws for bad input. */
export function checkTrialText(text: string, file: string): CheckResult {
  const parsed = parseTrialText(text, file);
  const schemaFailed = parsed.diagnostics.some((d) => d.severity === 'error');
  if (parsed.value === undefined || parsed.value === null || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
    return { file, diagnostics: sortDiagnostics(parsed.diagnostics), ok: false };
  }
  // Semantic checks run even when the schema failed, so every error is reported at once. On a
  // structurally broken document they may trip over a wrong type: the schema has already
  // reported that, so such a failure adds nothing and is dropped.
  let semantic: Diagnostic[] = [];
  let spec: TrialSpec | undefined;
  try {
    const r = checkAndNormalise(parsed);
    semantic = r.diagnostics;
    spec = r.spec;
  } catch (e) {
    if (!schemaFailed) throw e;
  }
  if (schemaFailed) {
    // a path the schema already flagged needs no second message
    const flagged = new Set(parsed.diagnostics.map((d) => d.path));
    semantic = semantic.filter((d) => ![...flagged].some((p) => d.path === p || d.path.startsWith(p + '.') || d.path.startsWith(p + '[')));
    spec = undefined;
  }
  const all = sortDiagnostics([...parsed.diagnostics, ...semantic]);
  return { file, spec, diagnostics: all, ok: !!spec && !all.some((d) => d.severity === 'error') };
}

/** Check a trial file on disk. A missing or unreadable file is a diagnostic too. */
export async function checkTrialFile(file: string): Promise<CheckResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a trial file' : (e as Error).message;
    return { file, ok: false, diagnostics: [{ severity: 'error', code: 'file', file, line: 1, column: 1, path: '(file)', message }] };
  }
  return checkTrialText(text, file);
}

/** Load a trial for running: throws InputError listing every error. */
export async function loadTrial(file: string): Promise<TrialSpec> {
  const r = await checkTrialFile(file);
  if (!r.ok || !r.spec) {
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    throw new InputError(`${file}: ${errors.length} error${errors.length === 1 ? '' : 's'} in the trial file`, errors.map(formatDiagnostic));
  }
  return r.spec;
}

function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => a.line - b.line || a.column - b.column);
}
