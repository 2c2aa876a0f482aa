/**
 * A small self-describing binary container for shard results: an 8-byte magic, a JSON header
 * (metadata plus the list of typed arrays) and the arrays' raw bytes, each aligned to 8 bytes.
 * Float64 values round-trip bit for bit, which is what makes a merged or resumed run
 * byte-identical to an uninterrupted one-process run.
 *
 * Non-finite numbers in the metadata (NaN, Infinity) are written as {"$num": "NaN"} so they
 * survive JSON, where they would otherwise silently become null.
 */
export type PackedArray = Float64Array | Uint8Array | Uint32Array;

const MAGIC = 'VTRPACK1';
const TYPES = { f64: Float64Array, u8: Uint8Array, u32: Uint32Array } as const;
type TypeName = keyof typeof TYPES;

function typeName(a: PackedArray): TypeName {
  if (a instanceof Float64Array) return 'f64';
  if (a instanceof Uint8Array) return 'u8';
  if (a instanceof Uint32Array) return 'u32';
  throw new Error('pack: unsupported array type');
}

/** JSON.stringify that keeps NaN and +-Infinity. */
export function stringifyExact(value: unknown, space?: number): string {
  return JSON.stringify(
    value,
    (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? { $num: String(v) } : v),
    space,
  );
}

/** Inverse of stringifyExact. */
export function parseExact<T = unknown>(text: string): T {
  return JSON.parse(text, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length === 1 && keys[0] === '$num' && typeof o.$num === 'string') return Number(o.$num);
    }
    return v;
  }) as T;
}

/** Pack metadata and named typed arrays into one buffer. */
export function pack(meta: unknown, arrays: ReadonlyMap<string, PackedArray>): Buffer {
  const entries: { key: string; type: TypeName; offset: number; length: number }[] = [];
  let offset = 0;
  for (const [key, a] of arrays) {
    entries.push({ key, type: typeName(a), offset, length: a.length });
    offset += Math.ceil(a.byteLength / 8) * 8;
  }
  const header = Buffer.from(stringifyExact({ meta, arrays: entries }), 'utf8');
  const headerPadded = Math.ceil((16 + header.length) / 8) * 8;
  const out = Buffer.alloc(headerPadded + offset);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(header.length, 8);
  header.copy(out, 16);
  let i = 0;
  for (const [, a] of arrays) {
    const src = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    src.copy(out, headerPadded + entries[i++].offset);
  }
  return out;
}

/** Unpack a buffer written by pack (arrays are fresh copies, safe to keep or transfer). */
export function unpack<M = unknown>(buf: Buffer, what = 'file'): { meta: M; arrays: Map<string, PackedArray> } {
  if (buf.length < 16 || buf.toString('latin1', 0, 8) !== MAGIC) {
    throw new Error(`${what}: not a vtrial shard file (bad magic); was it truncated or written by another program?`);
  }
  const headerLength = buf.readUInt32LE(8);
  if (16 + headerLength > buf.length) throw new Error(`${what}: truncated header`);
  const header = parseExact<{ meta: M; arrays: { key: string; type: TypeName; offset: number; length: number }[] }>(
    buf.toString('utf8', 16, 16 + headerLength),
  );
  const base = Math.ceil((16 + headerLength) / 8) * 8;
  const arrays = new Map<string, PackedArray>();
  for (const e of header.arrays) {
    const Ctor = TYPES[e.type];
    if (!Ctor) throw new Error(`${what}: unknown array type '${e.type}'`);
    const bytes = e.length * Ctor.BYTES_PER_ELEMENT;
    const start = base + e.offset;
    if (start + bytes > buf.length) throw new Error(`${what}: truncated (array '${e.key}' runs past the end)`);
    const copy = new ArrayBuffer(bytes);
    new Uint8Array(copy).set(buf.subarray(start, start + bytes));
    arrays.set(e.key, new Ctor(copy));
  }
  return { meta: header.meta, arrays };
}
