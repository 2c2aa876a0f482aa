/**
 * The population block's richer forms: flag shares among baseline targets, any-of / count-of
 * eligibility, sex-specific eligibility ranges; and per-arm dropout. Each form is parsed,
 * normalised, and rejected with a position when malformed.
 */
import { describe, expect, it } from 'vitest';
import { checkTrialText, formatDiagnostic } from '../../src/trial-dsl/index.js';
import { explainTrial } from '../../src/trial-dsl/explain.js';

/** A trial whose population block is `population` (YAML lines indented by two spaces). */
function trial(population: string, armExtra = '', schedExtra = ''): string {
  return `name: t
population:
  n: 100
${population}
schedule:
  duration: 8 weeks
  visits: [0, 4 weeks, 8 weeks]
${schedExtra}arms:
  - id: a${armExtra}
  - id: b
    interventions:
      - {kind: drug, drug: atorvastatin, dose: 20 mg}
endpoints:
  - {name: ldl, variable: ldl_c, compare: b vs a}
`;
}

function check(text: string) {
  return checkTrialText(text, 't.yaml');
}
function errorsOf(text: string) {
  return check(text).diagnostics.filter((d) => d.severity === 'error');
}
function warningsOf(text: string) {
  return check(text).diagnostics.filter((d) => d.severity === 'warning');
}

describe('baseline share of a flag', () => {
  it('normalises share to the mean of the 0/1 flag and explains it as a percentage', () => {
    const r = check(trial('  baseline:\n    on_statin: {share: 0.32}\n    age: {mean: 60, sd: 8}'));
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(r.spec!.population.baseline).toEqual([{ variable: 'on_statin', mean: 0.32 }, { variable: 'age', mean: 60, sd: 8 }]);
    expect(explainTrial(r.spec!)).toContain('on_statin share 32%');
  });

  it('keeps {mean: p} working for a flag', () => {
    const r = check(trial('  baseline:\n    smoker: {mean: 0.2}'));
    expect(r.ok).toBe(true);
    expect(r.spec!.population.baseline).toEqual([{ variable: 'smoker', mean: 0.2 }]);
  });

  it('rejects a share above 1 at the value and suggests the fraction for a percentage', () => {
    const errs = errorsOf(trial('  baseline:\n    on_statin: {share: 32}'));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ code: 'range', line: 5, column: 24, path: 'population.baseline.on_statin.share', suggestion: '0.32' });
    expect(formatDiagnostic(errs[0])).toBe("t.yaml:5:24: error: population.baseline.on_statin.share: a share is a fraction between 0 and 1 (expected <= 1, found 32); did you mean '0.32'?");
  });

  it('rejects a negative share', () => {
    const errs = errorsOf(trial('  baseline:\n    on_statin: {share: -0.1}'));
    expect(errs.map((d) => [d.code, d.path])).toEqual([['range', 'population.baseline.on_statin.share']]);
  });

  it('rejects share on a variable that is not a flag, pointing at the share', () => {
    const errs = errorsOf(trial('  baseline:\n    sbp: {share: 0.3}'));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ code: 'type', line: 5, column: 18, path: 'population.baseline.sbp.share' });
    expect(errs[0].message).toContain("'sbp' is not a yes/no flag");
    expect(errs[0].expected).toContain('{mean: x, sd: y}');
    // for sex, the female share is the field to use
    expect(errorsOf(trial('  baseline:\n    sex: {share: 0.6}'))[0].expected).toContain('female_share');
  });

  it('rejects a flag mean outside 0-1, an SD on a flag, and share given twice', () => {
    const mean = errorsOf(trial('  baseline:\n    on_statin: {mean: 32}'));
    expect(mean).toMatchObject([{ code: 'range', path: 'population.baseline.on_statin.mean', suggestion: 'share: 0.32' }]);
    const sd = errorsOf(trial('  baseline:\n    on_statin: {share: 0.3, sd: 0.4}'));
    expect(sd).toMatchObject([{ code: 'type', path: 'population.baseline.on_statin.sd', line: 5, column: 33 }]);
    const both = errorsOf(trial('  baseline:\n    on_statin: {share: 0.3, mean: 0.3}'));
    expect(both).toMatchObject([{ code: 'conflict', path: 'population.baseline.on_statin.mean' }]);
  });

  it('rejects a share that contradicts an eligibility rule on the same flag', () => {
    const errs = errorsOf(trial('  eligibility:\n    on_statin: false\n  baseline:\n    on_statin: {share: 0.3}'));
    expect(errs).toMatchObject([{ code: 'conflict', path: 'population.baseline.on_statin.share', line: 7 }]);
    expect(errs[0].message).toContain('on_statin: false');
  });

  it('warns that a share of 0 or 1 is an eligibility rule', () => {
    const w = warningsOf(trial('  baseline:\n    smoker: {share: 1}'));
    expect(w).toMatchObject([{ code: 'exact-share', path: 'population.baseline.smoker.share' }]);
    expect(w[0].message).toContain('population.eligibility.smoker: true');
  });

  it('asks for a target when the map is empty', () => {
    expect(errorsOf(trial('  baseline:\n    on_statin: {}'))[0].message).toContain('a share for a yes/no flag');
  });
});

describe('any_of and count_of eligibility', () => {
  const anyOf = '  eligibility:\n    age: [35, 64]\n    any_of:\n      - {sbp: [130, 159]}\n      - {dbp: [80, 94]}\n      - {bmi: [27, null], hypertension: true}';

  it('normalises any_of into a group of options next to the plain rules', () => {
    const r = check(trial(anyOf));
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([]);
    const p = r.spec!.population;
    expect(p.eligibility).toEqual([{ variable: 'age', min: 35, max: 64 }]);
    expect(p.eligibilityGroups).toEqual([{
      atLeast: 1,
      options: [[{ variable: 'sbp', min: 130, max: 159 }], [{ variable: 'dbp', min: 80, max: 94 }], [{ variable: 'bmi', min: 27 }, { variable: 'hypertension', equals: 1 }]],
    }]);
    expect(explainTrial(r.spec!)).toContain('at least one of: sbp 130 to 159 mmHg or dbp 80 to 94 mmHg or (bmi 27 to inf kg/m2 and hypertension yes)');
  });

  it('normalises count_of, and files without groups get an empty list', () => {
    const r = check(trial('  eligibility:\n    count_of:\n      at_least: 2\n      rules:\n        - {smoker: true}\n        - {ldl_c: [160, null]}\n        - {hdl_c: [null, 40]}'));
    expect(r.ok).toBe(true);
    expect(r.spec!.population.eligibilityGroups).toEqual([{ atLeast: 2, options: [[{ variable: 'smoker', equals: 1 }], [{ variable: 'ldl_c', min: 160 }], [{ variable: 'hdl_c', max: 40 }]] }]);
    expect(explainTrial(r.spec!)).toContain('at least 2 of: smoker yes, ldl_c 160 to inf mg/dL, hdl_c -inf to 40 mg/dL');
    expect(check(trial('  eligibility:\n    age: [40, 70]')).spec!.population.eligibilityGroups).toEqual([]);
  });

  it('reports unknown variables, bad ranges and wrong flag values inside options with their positions', () => {
    const errs = errorsOf(trial('  eligibility:\n    any_of:\n      - {sbpp: [130, 159]}\n      - {dbp: [94, 80]}\n      - {smoker: [0, 1]}'));
    expect(errs.map((d) => [d.code, d.path, d.line, d.column])).toEqual([
      ['unknown-variable', 'population.eligibility.any_of[0].sbpp', 6, 16],
      ['range-order', 'population.eligibility.any_of[1].dbp', 7, 15],
      ['type', 'population.eligibility.any_of[2].smoker', 8, 18],
    ]);
    expect(errs[0].suggestion).toBe('sbp');
  });

  it('nests a count_of inside an any_of option ("diabetes, or 3 of 5 risk factors")', () => {
    const text = trial(`  eligibility:
    any_of:
      - {diabetes: true}
      - count_of:
          at_least: 3
          rules:
            - {smoker: true}
            - {hypertension: true}
            - {ldl_c: [160, null]}
            - {bmi: [25, null]}
            - {hdl_c: {male: [null, 40], female: [null, 50]}}`);
    const r = check(text);
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([]);
    const [group] = r.spec!.population.eligibilityGroups!;
    expect(group.atLeast).toBe(1);
    expect(group.options[0]).toEqual([{ variable: 'diabetes', equals: 1 }]);
    expect(group.options[1]).toMatchObject([{ atLeast: 3, options: [[{ variable: 'smoker', equals: 1 }], [{ variable: 'hypertension', equals: 1 }], [{ variable: 'ldl_c', min: 160 }], [{ variable: 'bmi', min: 25 }], [{ variable: 'hdl_c', max: 40, sex: 'M' }, { variable: 'hdl_c', max: 50, sex: 'F' }]] }]);
    expect(explainTrial(r.spec!)).toContain('at least one of: diabetes yes or [at least 3 of: smoker yes, hypertension yes,');
    // an error deep inside points at its own line, and unknown keys there still get suggestions
    const errs = errorsOf(text.replace('{ldl_c: [160, null]}', '{ldl: [160, null]}').replace('at_least: 3', 'at_least: 3\n          rule: []'));
    expect(errs.find((d) => d.code === 'unknown-variable')).toMatchObject({ path: 'population.eligibility.any_of[1].count_of.rules[2].ldl', line: 13, suggestion: 'ldl_c' });
    expect(errs.find((d) => d.code === 'unknown-key')).toMatchObject({ path: 'population.eligibility.any_of[1].count_of.rule', line: 9, column: 11, suggestion: 'rules' });
  });

  it('rejects a single option, an empty option and a malformed count_of', () => {
    expect(errorsOf(trial('  eligibility:\n    any_of:\n      - {sbp: [130, 159]}'))).toMatchObject([{ code: 'items', path: 'population.eligibility.any_of', line: 6, column: 7 }]);
    expect(errorsOf(trial('  eligibility:\n    any_of: [{sbp: [130, 159]}, {}]'))).toMatchObject([{ code: 'empty', path: 'population.eligibility.any_of[1]', line: 5, column: 33 }]);
    const count = errorsOf(trial('  eligibility:\n    count_of: {at_lest: 2, rules: [{smoker: true}, {diabetes: true}]}'));
    expect(count.find((d) => d.code === 'unknown-key')).toMatchObject({ path: 'population.eligibility.count_of.at_lest', suggestion: 'at_least', line: 5, column: 16 });
  });

  it('rejects count_of asking for more rules than it lists, and warns when it asks for all', () => {
    const errs = errorsOf(trial('  eligibility:\n    count_of: {at_least: 3, rules: [{smoker: true}, {diabetes: true}]}'));
    expect(errs).toMatchObject([{ code: 'range', path: 'population.eligibility.count_of.at_least', line: 5, column: 26, expected: 'at most 2' }]);
    const w = warningsOf(trial('  eligibility:\n    count_of: {at_least: 2, rules: [{smoker: true}, {diabetes: true}]}'));
    expect(w).toMatchObject([{ code: 'all-of' }]);
  });

  it('rejects any_of for participants read from a file, at the key', () => {
    const errs = errorsOf(trial('  source: file\n  path: p.csv\n' + anyOf));
    expect(errs).toMatchObject([{ code: 'unsupported', path: 'population.eligibility.any_of', line: 8, column: 5 }]);
  });
});

describe('sex-specific eligibility ranges', () => {
  const predimed = '  eligibility:\n    age: {male: [55, 80], female: [60, 80]}\n    waist: {male: [102, null]}';

  it('normalises each sex into its own range rule', () => {
    const r = check(trial(predimed));
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(r.spec!.population.eligibility).toEqual([
      { variable: 'age', min: 55, max: 80, sex: 'M' },
      { variable: 'age', min: 60, max: 80, sex: 'F' },
      { variable: 'waist', min: 102, sex: 'M' },
    ]);
    expect(explainTrial(r.spec!)).toContain('age 55 to 80 years (men); age 60 to 80 years (women); waist 102 to inf cm (men)');
  });

  it('works inside any_of and count_of options', () => {
    const r = check(trial('  eligibility:\n    count_of:\n      at_least: 1\n      rules:\n        - {waist: {male: [102, null], female: [88, null]}}\n        - {triglycerides: [150, null]}'));
    expect(r.ok).toBe(true);
    expect(r.spec!.population.eligibilityGroups![0].options[0]).toEqual([{ variable: 'waist', min: 102, sex: 'M' }, { variable: 'waist', min: 88, sex: 'F' }]);
  });

  it('reports a misspelt sex key with a suggestion, at the key', () => {
    const errs = errorsOf(trial('  eligibility:\n    age: {men: [55, 80], female: [60, 80]}'));
    expect(errs).toMatchObject([{ code: 'unknown-key', path: 'population.eligibility.age.men', line: 5, column: 11, suggestion: 'male' }]);
  });

  it('checks each sex range like any range, with its position', () => {
    const errs = errorsOf(trial('  eligibility:\n    age: {male: [80, 55], female: [60, 300]}'));
    expect(errs.map((d) => [d.code, d.path, d.line, d.column])).toEqual([
      ['range-order', 'population.eligibility.age.male', 5, 17],
      ['implausible', 'population.eligibility.age.female[1]', 5, 40],
    ]);
  });

  it('rejects ranges by sex on a flag and an empty map', () => {
    const flag = errorsOf(trial('  eligibility:\n    smoker: {male: [0, 1]}'));
    expect(flag.some((d) => d.code === 'type' && d.path === 'population.eligibility.smoker' && d.message.includes('ranges by sex apply to measurements'))).toBe(true);
    expect(errorsOf(trial('  eligibility:\n    age: {}'))).toMatchObject([{ code: 'empty', path: 'population.eligibility.age' }]);
  });

  it('warns that the other sex range never applies to a one-sex population', () => {
    const r = check(trial('  sex: M\n' + predimed));
    expect(r.ok).toBe(true);
    expect(r.diagnostics.filter((d) => d.severity === 'warning')).toMatchObject([{ code: 'unused', path: 'population.eligibility.age.female' }]);
    expect(r.spec!.population.eligibility.filter((x) => x.variable === 'age')).toEqual([{ variable: 'age', min: 55, max: 80, sex: 'M' }]);
  });
});
