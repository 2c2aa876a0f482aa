import { describe, expect, it } from 'vitest';
import { mean, sampleStandardDeviation, sampleCorrelation } from 'simple-statistics';
import { Rng, Purpose, hashString, mixKey } from '../../src/core/rng.js';

describe('keyed random streams', () => {
  it('are reproducible from their key', () => {
    const a = new Rng(42, 7, Purpose.baseline);
    const b = new Rng(42, 7, Purpose.baseline);
    for (let i = 0; i < 100; i++) expect(a.uniform()).toBe(b.uniform());
  });

  it('differ when any key part differs, including the high bits of a large seed', () => {
    const first = (...k: number[]) => new Rng(...k).uniform();
    const base = first(42, 7, Purpose.baseline);
    expect(first(43, 7, Purpose.baseline)).not.toBe(base);
    expect(first(42, 8, Purpose.baseline)).not.toBe(base);
    expect(first(42, 7, Purpose.measurement)).not.toBe(base);
    expect(mixKey([2 ** 40])).not.toBe(mixKey([0]));
  });

  it('draw uniforms on (0,1) and standard normals with the right moments', () => {
    const r = new Rng(1, 2, 3);
    const u = Array.from({ length: 20000 }, () => r.uniform());
    expect(Math.min(...u)).toBeGreaterThan(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(mean(u)).toBeCloseTo(0.5, 2);
    const z = Array.from({ length: 20000 }, () => r.normal());
    expect(Math.abs(mean(z))).toBeLessThan(0.03);
    expect(sampleStandardDeviation(z)).toBeCloseTo(1, 1);
  });

  it('neighbouring twin streams are uncorrelated', () => {
    const a = Array.from({ length: 5000 }, (_, i) => new Rng(9, i, Purpose.latent).normal());
    const b = Array.from({ length: 5000 }, (_, i) => new Rng(9, i + 1, Purpose.latent).normal());
    expect(Math.abs(sampleCorrelation(a, b))).toBeLessThan(0.05);
  });

  it('gamma draws have mean shape (Marsaglia-Tsang), also for shape < 1', () => {
    const r = new Rng(5);
    for (const shape of [0.5, 2, 9]) {
      const g = Array.from({ length: 20000 }, () => r.gamma(shape));
      expect(mean(g)).toBeCloseTo(shape, shape > 5 ? 0 : 1);
    }
  });

  it('hashes purposes stably', () => {
    expect(hashString('baseline')).toBe(hashString('baseline'));
    expect(hashString('baseline')).not.toBe(hashString('baselinf'));
  });
});
