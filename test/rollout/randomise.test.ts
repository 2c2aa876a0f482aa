import { describe, expect, it } from 'vitest';
import { randomise, tertileCuts } from '../../src/rollout/randomise.js';
import { pack, unpack, parseExact, stringifyExact } from '../../src/rollout/pack.js';
import { partShards } from '../../src/rollout/run.js';
import type { ArmSpec, RandomisationSpec } from '../../src/trial-dsl/spec.js';
import { fixtureTwins } from './helpers.js';

const arms = (ids: string[]): ArmSpec[] => ids.map((id) => ({ id, label: id, role: 'active', interventions: [] }) as unknown as ArmSpec);

describe('randomise', () => {
  it('permuted blocks balance every stratum block by block', async () => {
    const twins = await fixtureTwins(403);
    const rand: RandomisationSpec = { ratio: { a: 1, b: 1 }, strata: ['sex', 'age_band'], blockSize: 4 };
    const alloc = randomise(rand, arms(['a', 'b']), twins, 11);
    const byStratum = new Map<string, number[]>();
    alloc.strata.forEach((s, i) => {
      if (!byStratum.has(s)) byStratum.set(s, []);
      byStratum.get(s)!.push(alloc.arm[i]);
    });
    expect(byStratum.size).toBeGreaterThanOrEqual(4);
    for (const list of byStratum.values()) {
      for (let b = 0; b + 4 <= list.length; b += 4) expect(list.slice(b, b + 4).filter((x) => x === 1).length).toBe(2);
      const ones = list.filter((x) => x === 1).length;
      expect(Math.abs(2 * ones - list.length)).toBeLessThanOrEqual(2); // at most one incomplete block
    }
    expect(alloc.counts[0] + alloc.counts[1]).toBe(403);
  });

  it('follows an unequal ratio with blocks and with simple randomisation', async () => {
    const twins = await fixtureTwins(3000);
    const blocked = randomise({ ratio: { a: 1, b: 2 }, strata: [], blockSize: 6 }, arms(['a', 'b']), twins, 5);
    expect(blocked.counts).toEqual([1000, 2000]);
    const simple = randomise({ ratio: { a: 1, b: 2 }, strata: [], blockSize: 0 }, arms(['a', 'b']), twins, 5);
    // binomial(3000, 2/3): SD ~ 26
    expect(Math.abs(simple.counts[1] - 2000)).toBeLessThan(110);
    expect(simple.counts[0] + simple.counts[1]).toBe(3000);
  });

  it('is deterministic in the seed and changes with it', async () => {
    const twins = await fixtureTwins(200);
    const rand: RandomisationSpec = { ratio: { a: 1, b: 1 }, strata: ['ldl_c'], blockSize: 2 };
    const x = randomise(rand, arms(['a', 'b']), twins, 1);
    const y = randomise(rand, arms(['a', 'b']), twins, 1);
    const z = randomise(rand, arms(['a', 'b']), twins, 2);
    expect(Array.from(y.arm)).toEqual(Array.from(x.arm));
    expect(Array.from(z.arm)).not.toEqual(Array.from(x.arm));
    expect(x.tertiles.ldl_c[0]).toBeLessThan(x.tertiles.ldl_c[1]);
    expect(new Set(x.strata)).toEqual(new Set(['ldl_c=0', 'ldl_c=1', 'ldl_c=2']));
  });

  it('gives each twin its own simple-randomisation draw, whatever the other twins', async () => {
    const twins = await fixtureTwins(100);
    const rand: RandomisationSpec = { ratio: { a: 1, b: 1 }, strata: [], blockSize: 0 };
    const all = randomise(rand, arms(['a', 'b']), twins, 9);
    const tail = { ids: twins.ids.slice(50), columns: Object.fromEntries(Object.entries(twins.columns).map(([k, v]) => [k, v.slice(50)])) };
    expect(Array.from(randomise(rand, arms(['a', 'b']), tail, 9).arm)).toEqual(Array.from(all.arm.slice(50)));
  });

  it('rejects a block size that cannot hold the ratio, and an unknown stratum', async () => {
    const twins = await fixtureTwins(10);
    expect(() => randomise({ ratio: { a: 1, b: 2 }, strata: [], blockSize: 4 }, arms(['a', 'b']), twins, 1)).toThrow(/block_size: 4 cannot hold the ratio 1:2/);
    expect(() => randomise({ ratio: { a: 1, b: 1 }, strata: ['nonsense'], blockSize: 2 }, arms(['a', 'b']), twins, 1)).toThrow(/unknown stratum 'nonsense'/);
  });

  it('computes tertile cut points', () => {
    expect(tertileCuts(Float64Array.from([1, 2, 3, 4, 5, 6, 7, NaN]))).toEqual([3, 5]);
  });
});

describe('shard plan and shard files', () => {
  it('splits shards into contiguous balanced parts covering each shard once', () => {
    for (const [n, k] of [[10, 3], [3, 3], [2, 5], [101, 7]]) {
      const seen: number[] = [];
      for (let i = 0; i < k; i++) {
        const [a, b] = partShards(n, i, k);
        for (let s = a; s < b; s++) seen.push(s);
      }
      expect(seen).toEqual(Array.from({ length: n }, (_, s) => s));
    }
  });

  it('round-trips typed arrays bit for bit and non-finite numbers in metadata', () => {
    const f = Float64Array.from([0.1 + 0.2, -0, NaN, Infinity, 1e-310]);
    const buf = pack({ x: NaN, y: -Infinity, z: [1, 2] }, new Map<string, Float64Array | Uint8Array | Uint32Array>([['f', f], ['u', Uint8Array.from([1, 2, 3])], ['i', Uint32Array.from([4294967295])]]));
    const { meta, arrays } = unpack<{ x: number; y: number; z: number[] }>(buf);
    expect(Number.isNaN(meta.x)).toBe(true);
    expect(meta.y).toBe(-Infinity);
    expect(Buffer.from((arrays.get('f') as Float64Array).buffer).equals(Buffer.from(f.buffer))).toBe(true);
    expect(Array.from(arrays.get('u')!)).toEqual([1, 2, 3]);
    expect(Array.from(arrays.get('i')!)).toEqual([4294967295]);
    expect(() => unpack(buf.subarray(0, buf.length - 8))).toThrow(/truncated/);
    expect(parseExact(stringifyExact({ a: NaN }))).toEqual({ a: NaN });
  });
});
