/**
 * Error classes shared by the library and the CLI. The CLI maps them to exit codes:
 * InputError and UsageError -> 2 (the user can fix the input), anything else -> 1.
 */

/** Bad command-line usage (unknown option value, missing argument). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Bad input data or files: a trial file, a cohort file, a checkpoint that does not fit. */
export class InputError extends Error {
  override name = 'InputError';
  constructor(message: string, readonly details: readonly string[] = []) {
    super(message);
  }
}

export function exitCodeFor(e: unknown): number {
  return e instanceof InputError || e instanceof UsageError ? 2 : 1;
}

export function formatError(e: unknown): string {
  if (e instanceof InputError) return ['vtrial: ' + e.message, ...e.details].join('\n');
  if (e instanceof UsageError) return 'vtrial: ' + e.message;
  if (e instanceof Error) return `vtrial: ${e.message}${process.env.VTRIAL_DEBUG ? '\n' + e.stack : ''}`;
  return 'vtrial: ' + String(e);
}
