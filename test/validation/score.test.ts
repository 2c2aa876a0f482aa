import { describe, expect, it } from 'vitest';
import { calibrationFit, checkFloors, ciExcludesZero, parseThresholds, scoreComparison, summarise } from '../../src/analysis/validate/index.js';

const pub = (estimate: number, lo: number, hi: number) => ({ estimate, ci95: [lo, hi] as [number, number] });
const pred = (estimate: number, lo = estimate - 0.5, hi = estimate + 0.5) => ({ estimate, mc95: [lo, hi] as [number, number] });

describe('scoreComparison', () => {
  it('does not score direction when the published CI includes zero', () => {
    const s = scoreComparison({ id: 'a', published: pub(-0.7, -1.6, 0.2), predicted: pred(0.1), calibrationOverlap: false });
    expect(s.direction_ok).toBeNull();
    expect(s.inside_ci).toBe(true);
  });

  it('scores direction where the CI excludes zero, right and wrong', () => {
    const right = scoreComparison({ id: 'r', published: pub(-4.3, -5.9, -2.8), predicted: pred(-1), calibrationOverlap: false });
    const wrong = scoreComparison({ id: 'w', published: pub(-4.3, -5.9, -2.8), predicted: pred(0.3), calibrationOverlap: false });
    expect(right.direction_ok).toBe(true);
    expect(right.inside_ci).toBe(false);
    expect(wrong.direction_ok).toBe(false);
  });

  it('treats a predicted estimate of exactly zero as the wrong direction', () => {
    const s = scoreComparison({ id: 'z', published: pub(3, 0.8, 5.2), predicted: pred(0), calibrationOverlap: true });
    expect(s.direction_ok).toBe(false);
  });

  it('counts the CI bounds as inside', () => {
    expect(scoreComparison({ id: 'b', published: pub(-8.7, -9.72, -7.69), predicted: pred(-9.72), calibrationOverlap: false }).inside_ci).toBe(true);
    expect(scoreComparison({ id: 'b', published: pub(-8.7, -9.72, -7.69), predicted: pred(-9.73), calibrationOverlap: false }).inside_ci).toBe(false);
  });

  it('gives the signed error in published CI half-widths', () => {
    const s = scoreComparison({ id: 'h', published: pub(-5, -7, -3), predicted: pred(-8), calibrationOverlap: false });
    expect(s.error).toBeCloseTo(-3, 12);
    expect(s.error_halfwidths).toBeCloseTo(-1.5, 12);
    expect(s.published_inside_mc).toBe(false);
  });

  it('scores a comparison that could not be run as a miss', () => {
    const scored = scoreComparison({ id: 'f', published: pub(-1, -2, -0.5), predicted: null, calibrationOverlap: false, failure: 'x' });
    expect(scored.inside_ci).toBe(false);
    expect(scored.direction_ok).toBe(false);
    const unscored = scoreComparison({ id: 'g', published: pub(0.1, -1, 1.2), predicted: null, calibrationOverlap: false });
    expect(unscored.direction_ok).toBeNull();
    expect(unscored.error).toBeNull();
  });

  it('rejects a published block whose estimate lies outside its own CI', () => {
    expect(() => scoreComparison({ id: 'bad', published: pub(2, -1, 1), predicted: pred(0), calibrationOverlap: false })).toThrow(/outside its own ci95/);
    expect(() => scoreComparison({ id: 'bad', published: pub(0, 1, -1), predicted: pred(0), calibrationOverlap: false })).toThrow(/low < high/);
  });

  it('knows when a CI excludes zero', () => {
    expect(ciExcludesZero([-2, -0.01])).toBe(true);
    expect(ciExcludesZero([0.08, 0.28])).toBe(true);
    expect(ciExcludesZero([-0.2, 1.6])).toBe(false);
    expect(ciExcludesZero([0, 1])).toBe(false);
  });
});

describe('summarise', () => {
  const scores = [
    scoreComparison({ id: '1', published: pub(-4, -6, -2), predicted: pred(-4.5), calibrationOverlap: true }),
    scoreComparison({ id: '2', published: pub(-2, -3, -1), predicted: pred(-0.5), calibrationOverlap: false }),
    scoreComparison({ id: '3', published: pub(1, -1, 3), predicted: pred(2), calibrationOverlap: false }),
    scoreComparison({ id: '4', published: pub(6, 4, 8), predicted: pred(-1), calibrationOverlap: false }),
  ];
  const s = summarise(scores);

  it('counts direction over the scored comparisons and inside-CI over all', () => {
    expect(s.direction).toEqual({ ok: 2, scored: 3 });
    expect(s.inside_ci).toEqual({ ok: 2, n: 4 });
  });

  it('averages absolute errors in units and in half-widths', () => {
    expect(s.mean_abs_error).toBeCloseTo((0.5 + 1.5 + 1 + 7) / 4, 12);
    expect(s.mean_abs_error_halfwidths).toBeCloseTo((0.25 + 1.5 + 0.5 + 3.5) / 4, 12);
  });

  it('splits by calibration overlap', () => {
    expect(s.by_overlap.overlap.n).toBe(1);
    expect(s.by_overlap.independent.n).toBe(3);
    expect(s.by_overlap.independent.direction).toEqual({ ok: 1, scored: 2 });
    expect(s.by_overlap.overlap.calibration).toBeNull();
  });

  it('fits the calibration slope of predicted on published', () => {
    const fit = calibrationFit([1, 2, 3, 4], [3, 5, 7, 9]);
    expect(fit!.slope).toBeCloseTo(2, 12);
    expect(fit!.intercept).toBeCloseTo(1, 12);
    expect(calibrationFit([1, 1, 1], [1, 2, 3])).toBeNull();
    expect(calibrationFit([1, 2], [1, 2])).toBeNull();
  });
});

describe('thresholds', () => {
  const summary = summarise([
    scoreComparison({ id: '1', published: pub(-4, -6, -2), predicted: pred(-4.5), calibrationOverlap: true }),
    scoreComparison({ id: '2', published: pub(-2, -3, -1), predicted: pred(0.5), calibrationOverlap: false }),
  ]);

  it('parses floors per engine', () => {
    expect(parseThresholds('model:\n  direction: all\n  inside_ci: 31\n', 't.yaml')).toEqual({ model: { direction: 'all', inside_ci: 31 } });
  });

  it('rejects unknown engines, keys and bad values with the file named', () => {
    expect(() => parseThresholds('modle: {direction: all}', 't.yaml')).toThrow(/t\.yaml: unknown engine 'modle'/);
    expect(() => parseThresholds('model: {insideci: 3}', 't.yaml')).toThrow(/unknown key 'insideci'/);
    expect(() => parseThresholds('model: {inside_ci: -1}', 't.yaml')).toThrow(/whole number/);
    expect(() => parseThresholds('model: {direction: most}', 't.yaml')).toThrow(/'all' or a whole number/);
  });

  it('reports each floor the summary falls below', () => {
    expect(checkFloors(summary, { direction: 'all', inside_ci: 1 })).toEqual(['direction agreement 1/2 is below the floor of 2 (all scored)']);
    expect(checkFloors(summary, { direction: 1, inside_ci: 2 })).toEqual(['inside-CI 1/2 is below the floor of 2']);
    expect(checkFloors(summary, undefined)).toEqual([]);
  });
});
