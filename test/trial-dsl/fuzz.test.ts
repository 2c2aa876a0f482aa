import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify, parse } from 'yaml';
import { checkTrialText } from '../../src/trial-dsl/index.js';

const root = join(import.meta.dirname, '..', '..');
const examples = readdirSync(join(root, 'trials')).filter((f) => f.endsWith('.yaml')).map((f) => readFileSync(join(root, 'trials', f), 'utf8'));

/** Every diagnostic is well formed: a position inside the file, a path, a message. */
function assertClean(text: string) {
  const r = checkTrialText(text, 'fuzz.yaml');
  const lines = text.split('\n').length;
  for (const d of r.diagnostics) {
    expect(d.line).toBeGreaterThanOrEqual(1);
    expect(d.line).toBeLessThanOrEqual(lines + 1);
    expect(d.column).toBeGreaterThanOrEqual(1);
    expect(d.message.length).toBeGreaterThan(0);
    expect(d.path.length).toBeGreaterThan(0);
  }
  expect(r.ok).toBe(!r.diagnostics.some((d) => d.severity === 'error'));
  if (r.ok) expect(r.spec).toBeDefined();
}

const anyValue = fc.oneof(
  fc.string(), fc.integer(), fc.double({ noNaN: false }), fc.boolean(), fc.constant(null),
  fc.array(fc.oneof(fc.integer(), fc.string(), fc.constant(null)), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.integer(), fc.string()), { maxKeys: 3 }),
  fc.constantFrom('8 weeks', '0', 'baseline', '-3 weeks', '40 mg', 'a vs b', 'dash', 'atorvastatin', 'sbp', 'all'),
);

/** Paths to every node of a parsed YAML value. */
function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...prefix, i])));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...prefix, k]));
  return out;
}

function setAt(root: unknown, path: (string | number)[], value: unknown, mode: 'set' | 'delete' | 'rename'): unknown {
  const copy = structuredClone(root);
  if (path.length === 0) return value;
  let node = copy as Record<string | number, unknown>;
  for (const p of path.slice(0, -1)) node = node[p] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (mode === 'delete') {
    if (Array.isArray(node)) node.splice(last as number, 1);
    else delete node[last];
  } else if (mode === 'rename' && !Array.isArray(node)) {
    node[String(last) + 'x'] = node[last];
    delete node[last];
  } else node[last] = value;
  return copy;
}

describe('the checker never crashes', () => {
  it('on random text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => assertClean(s)), { numRuns: 300 });
  });

  it('on random bytes of YAML-ish structure', () => {
    const yamlish = fc.array(fc.constantFrom('name: x\n', 'arms:\n', '  - id: a\n', '    interventions: [', ']\n', '{', '}', ': ', '- ', '\t', '"', "'", '&a ', '*a ', '!!str ', '---\n', '#c\n', '  '), { maxLength: 40 }).map((a) => a.join(''));
    fc.assert(fc.property(yamlish, (s) => assertClean(s)), { numRuns: 300 });
  });

  it('on examples with one node replaced, removed or its key renamed', () => {
    const docs = examples.map((t) => parse(t));
    fc.assert(
      fc.property(fc.nat(docs.length - 1), fc.nat(), anyValue, fc.constantFrom('set', 'delete', 'rename') as fc.Arbitrary<'set' | 'delete' | 'rename'>, (di, pi, value, mode) => {
        const doc = docs[di];
        const ps = paths(doc);
        const mutated = setAt(doc, ps[pi % ps.length], value, mode);
        assertClean(stringify(mutated));
      }),
      { numRuns: 400 },
    );
  });

  it('on examples truncated at any line', () => {
    fc.assert(
      fc.property(fc.nat(examples.length - 1), fc.nat(), (di, cut) => {
        const lines = examples[di].split('\n');
        assertClean(lines.slice(0, cut % lines.length).join('\n'));
      }),
      { numRuns: 200 },
    );
  });
});
