/**
 * Run jobs ahead of their use: callers ask for results one by one in a known order (a power
 * curve asks for replicate 0, 1, 2, ... of each size), while up to `window` jobs run at once
 * (one per pool thread), started in that order. Results are the same as running the jobs one
 * after the other; only the time differs.
 */
export interface Ahead<T> {
  /** The result of job `key` (starting it and the next ones, up to the window, if needed). */
  get(key: string): Promise<T>;
}

export function runAhead<T>(keys: readonly string[], job: (key: string) => Promise<T>, window: number): Ahead<T> {
  const index = new Map(keys.map((k, i) => [k, i]));
  const started = new Map<string, Promise<T>>();
  let next = 0;
  const start = (k: string): void => {
    const p = job(k);
    p.catch(() => undefined); // reported when asked for
    started.set(k, p);
  };
  return {
    get(key: string): Promise<T> {
      const i = index.get(key);
      if (i === undefined) {
        // not planned: run it now
        return job(key);
      }
      for (; next < keys.length && next < i + Math.max(1, window); next++) if (!started.has(keys[next])) start(keys[next]);
      if (!started.has(key)) start(key);
      const p = started.get(key)!;
      started.delete(key);
      return p;
    },
  };
}
