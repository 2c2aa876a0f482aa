import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTrialText, formatDiagnostic } from '../../src/trial-dsl/index.js';
import { buildTrialSchema } from '../../src/trial-dsl/schema.js';

const root = join(import.meta.dirname, '..', '..');
const examples = readdirSync(join(root, 'trials')).filter((f) => f.endsWith('.yaml'));
const dash = readFileSync(join(root, 'trials', 'dash-sodium.yaml'), 'utf8');

const minimal = `name: t
population: {n: 100}
schedule:
  duration: 8 weeks
  visits: [0, 4 weeks, 8 weeks]
arms:
  - id: a
  - id: b
    interventions:
      - {kind: drug, drug: atorvastatin, dose: 20 mg}
endpoints:
  - {name: ldl, variable: ldl_c, compare: b vs a}
`;

function errorsOf(text: string) {
  return checkTrialText(text, 't.yaml').diagnostics.filter((d) => d.severity === 'error');
}

describe('example trials', () => {
  it('has at least six examples', () => expect(examples.length).toBeGreaterThanOrEqual(6));
  for (const f of examples) {
    it(`${f} checks cleanly`, () => {
      const r = checkTrialText(readFileSync(join(root, 'trials', f), 'utf8'), f);
      expect(r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([]);
      expect(r.ok).toBe(true);
    });
  }
});

describe('normalisation', () => {
  it('fills defaults and converts durations to days', () => {
    const r = checkTrialText(minimal, 't.yaml');
    expect(r.ok).toBe(true);
    const s = r.spec!;
    expect(s.engine).toBe('model');
    expect(s.seed).toBe(1);
    expect(s.schedule.durationDays).toBe(56);
    expect(s.schedule.visits.map((v) => v.day)).toEqual([0, 28, 56]);
    expect(s.schedule.visits.every((v) => v.variables.includes('ldl_c'))).toBe(true);
    expect(s.randomisation.ratio).toEqual({ a: 1, b: 1 });
    const e = s.endpoints[0];
    expect(e).toMatchObject({ variable: 'ldl_c', day: 56, measure: 'change', analysis: 'ancova', treatment: 'b', control: 'a', primary: true });
    const iv = s.arms[1].interventions[0];
    expect(iv).toMatchObject({ kind: 'drug', drug: 'atorvastatin', dose: 20, frequency: 'daily', adherence: 0.9, startDay: 0, stopDay: 56 });
    expect(s.arms[0].role).toBe('usual_care');
    expect(s.source.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('expands {every: ...} visits and derived endpoint inputs', () => {
    const t = minimal.replace('visits: [0, 4 weeks, 8 weeks]', 'visits: {every: 2 weeks}').replace('variable: ldl_c', 'variable: non_hdl_c');
    const r = checkTrialText(t, 't.yaml');
    expect(r.ok).toBe(true);
    expect(r.spec!.schedule.visits.map((v) => v.day)).toEqual([0, 14, 28, 42, 56]);
    expect(r.spec!.schedule.visits[0].variables).toEqual(['hdl_c', 'total_cholesterol']);
  });

  it('resolves drug brand names and unit conversions', () => {
    const r = checkTrialText(minimal.replace('drug: atorvastatin, dose: 20 mg', 'drug: Lipitor, dose: 0.04 g'), 't.yaml');
    expect(r.ok).toBe(true);
    expect(r.spec!.arms[1].interventions[0]).toMatchObject({ drug: 'atorvastatin', dose: 40 });
  });
});

describe('errors', () => {
  it('reports a misspelt top-level key with its position and a suggestion', () => {
    const errs = errorsOf(minimal.replace('arms:', 'armz:'));
    const unknown = errs.find((d) => d.code === 'unknown-key')!;
    expect(unknown).toMatchObject({ line: 6, column: 1, path: 'armz', suggestion: 'arms' });
    expect(errs.some((d) => d.code === 'missing-key' && d.path === 'arms')).toBe(true);
  });

  it('reports a wrong type at the value', () => {
    const errs = errorsOf('seed: forty-two\n' + minimal);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ code: 'type', line: 1, column: 7, path: 'seed', expected: 'integer' });
  });

  it('reports every error at once, schema and semantic', () => {
    const t = minimal
      .replace('population: {n: 100}', 'population: {n: 100, eligibility: {sbpp: [120, 140], age: [70, 30]}}')
      .replace('dose: 20 mg', 'dose: 200 mg')
      .replace('compare: b vs a', 'compare: b vs c')
      .replace('- id: a', '- id: a\n    colour: red');
    const codes = errorsOf(t).map((d) => d.code).sort();
    expect(codes).toEqual(['dose-range', 'range-order', 'unknown-arm', 'unknown-key', 'unknown-variable']);
  });

  it('suggests catalog names for misspelt drugs, variables and intervention keys', () => {
    const t = minimal.replace('drug: atorvastatin', 'drug: atorvastatn').replace('variable: ldl_c', 'variable: ldl').replace('dose: 20 mg}', 'dose: 20 mg, adherance: 0.8}');
    const errs = errorsOf(t);
    expect(errs.find((d) => d.code === 'unknown-drug')?.suggestion).toBe('atorvastatin');
    expect(errs.find((d) => d.code === 'unknown-variable')?.suggestion).toBe('ldl_c');
    expect(errs.find((d) => d.code === 'unknown-key')?.suggestion).toBe('adherence');
  });

  it('rejects a single arm', () => {
    const t = minimal.replace('  - id: a\n', '');
    expect(errorsOf(t).some((d) => d.code === 'items' && d.path === 'arms')).toBe(true);
  });

  it('rejects visits after the end and endpoints at a non-visit', () => {
    const t = minimal.replace('visits: [0, 4 weeks, 8 weeks]', 'visits: [0, 4 weeks, 8 weeks, 10 weeks]').replace('compare: b vs a}', 'compare: b vs a, at: 6 weeks}');
    const codes = errorsOf(t).map((d) => d.code);
    expect(codes).toContain('visit-outside');
    expect(codes).toContain('not-a-visit');
  });

  it('rejects an endpoint whose variable is not measured at its visit', () => {
    const t = minimal.replace('visits: [0, 4 weeks, 8 weeks]', 'visits: [0, 4 weeks, 8 weeks]\n  measure:\n    - variables: [ldl_c]\n      at: [0, 4 weeks]');
    const errs = errorsOf(t);
    expect(errs.map((d) => d.code)).toEqual(['not-measured']);
    expect(errs[0].message).toContain('week 8');
  });

  it('takes a BP measurement setting on BP endpoints only, and rejects an unknown setting', () => {
    const bp = minimal.replace('variables: [ldl_c]', 'variables: [ldl_c, sbp]').replace('{name: ldl, variable: ldl_c, compare: b vs a}', '{name: bp, variable: sbp, setting: ambulatory_24h, compare: b vs a}');
    const ok = checkTrialText(bp, 'bp.yaml');
    expect(errorsOf(bp)).toEqual([]);
    expect(ok.spec?.endpoints[0].setting).toBe('ambulatory_24h');
    const ldl = minimal.replace('{name: ldl, variable: ldl_c, compare: b vs a}', '{name: ldl, variable: ldl_c, setting: home, compare: b vs a}');
    const errs = errorsOf(ldl);
    expect(errs.map((d) => d.code)).toEqual(['setting']);
    expect(errs[0].path).toBe('endpoints[0].setting');
    expect(errs[0].line).toBeGreaterThan(0);
    const typo = errorsOf(bp.replace('setting: ambulatory_24h', 'setting: ambulatory'));
    expect(typo.some((d) => d.path === 'endpoints[0].setting')).toBe(true);
  });

  it('rejects badly formed durations and doses with the expected form', () => {
    const errs = errorsOf(minimal.replace('duration: 8 weeks', 'duration: 8 weks').replace('dose: 20 mg', 'dose: 20'));
    expect(errs.map((d) => d.path).sort()).toEqual(['arms[1].interventions[0].dose', 'schedule.duration']);
    expect(errs.every((d) => d.code === 'format')).toBe(true);
  });

  it('checks ratio arms and permuted block sizes', () => {
    const t = minimal.replace('arms:', 'randomisation: {ratio: {a: 1, bb: 2}, block_size: 4}\narms:');
    const codes = errorsOf(t).map((d) => d.code);
    expect(codes).toContain('unknown-arm');
    expect(codes).toContain('ratio-missing');
    const t2 = minimal.replace('arms:', 'randomisation: {ratio: {a: 1, b: 2}, block_size: 4}\narms:');
    expect(errorsOf(t2).map((d) => d.code)).toEqual(['block-size']);
  });

  it('requires a threshold for responder endpoints and a fitting analysis', () => {
    const t = minimal.replace('{name: ldl, variable: ldl_c, compare: b vs a}', '{name: ldl, variable: ldl_c, measure: responder, analysis: ancova, compare: b vs a}');
    const codes = errorsOf(t).map((d) => d.code).sort();
    expect(codes).toEqual(['analysis', 'threshold']);
  });

  it('reports YAML syntax errors with a position', () => {
    const errs = errorsOf('name: [unclosed\npopulation: {n: 3}\n');
    expect(errs.length).toBeGreaterThan(0);
    expect(errs[0].code).toMatch(/^yaml-/);
    expect(errs[0].line).toBeGreaterThanOrEqual(1);
  });

  it('reports duplicate keys', () => {
    const errs = errorsOf(minimal + 'name: again\n');
    expect(errs.some((d) => d.code === 'yaml-duplicate-key')).toBe(true);
  });

  it('formats as file:line:column', () => {
    const d = errorsOf(minimal.replace('arms:', 'armz:'))[0];
    expect(formatDiagnostic(d)).toMatch(/^t\.yaml:\d+:\d+: error: /);
  });
});

describe('schema file', () => {
  it('schema/trial.schema.json is up to date with the catalog (run `npm run schema`)', () => {
    const committed = JSON.parse(readFileSync(join(root, 'schema', 'trial.schema.json'), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(buildTrialSchema())));
  });

  it('the example trials point editors at the schema', () => {
    for (const f of examples) expect(readFileSync(join(root, 'trials', f), 'utf8')).toMatch(/yaml-language-server: \$schema=\.\.\/schema\/trial\.schema\.json/);
  });

  it('the DASH example is the README quick start and uses the model engine by default', () => {
    expect(checkTrialText(dash, 'dash.yaml').spec!.engine).toBe('model');
  });
});

describe('salt substitutes', () => {
  const withDiet = (diet: string) => minimal.replace('- {kind: drug, drug: atorvastatin, dose: 20 mg}', diet);
  it('takes the NaCl share of a substitute next to its KCl share', () => {
    const r = checkTrialText(withDiet('- {kind: diet, salt_substitute_kcl_pct: 25, salt_substitute_nacl_pct: 62.5}'), 't.yaml');
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const iv = r.spec!.arms[1].interventions[0] as { saltSubstituteKclPct?: number; saltSubstituteNaclPct?: number };
    expect(iv).toMatchObject({ saltSubstituteKclPct: 25, saltSubstituteNaclPct: 62.5 });
  });
  it('rejects NaCl and KCl shares that add up to more than 100%, pointing at the NaCl share', () => {
    const errs = errorsOf(withDiet('- {kind: diet, salt_substitute_kcl_pct: 30, salt_substitute_nacl_pct: 75}'));
    expect(errs).toMatchObject([{ code: 'out-of-range', path: 'arms[1].interventions[0].salt_substitute_nacl_pct' }]);
    expect(errs[0].message).toContain('more than 100%');
  });
});

describe('explain', () => {
  it('describes arms, doses, schedule of assessments and endpoints in words', async () => {
    const { explainTrial } = await import('../../src/trial-dsl/explain.js');
    const spec = checkTrialText(readFileSync(join(root, 'trials', 'glp1-weight.yaml'), 'utf8'), 'g.yaml').spec!;
    const text = explainTrial(spec);
    expect(text).toContain('semaglutide 2.4 mg weekly from week 16');
    expect(text).toContain('68 weeks of follow-up');
    expect(text).toMatch(/hba1c\s+x\s+\.\s+\.\s+\.\s+x/);
    expect(text).toContain('[primary] weight_pct_68w: percent change in Body weight');
  });
});
