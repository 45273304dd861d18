import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { FleetView } from './fleet';

const noPool = {} as pg.Pool;

describe('FleetView', () => {
  it('alone (or before the first read) it owns every task', () => {
    const v = new FleetView(noPool, 'w-b');
    expect(v.size()).toBe(1);
    for (let i = 0; i < 50; i++) expect(v.owns(randomUUID())).toBe(true);
    v.set(['w-a', 'w-c']); // not listed yet: counted in
    expect(v.size()).toBe(3);
    expect(v.rank()).toBe(1);
  });

  it('exactly one of the live workers owns each task, and the tasks are spread', () => {
    const ids = ['w-3', 'w-1', 'w-2'];
    const views = ids.map((id) => {
      const v = new FleetView(noPool, id);
      v.set(ids);
      return v;
    });
    const owned = views.map(() => 0);
    for (let i = 0; i < 3000; i++) {
      const key = randomUUID();
      const owners = views.flatMap((v, k) => (v.owns(key) ? [k] : []));
      expect(owners).toHaveLength(1);
      owned[owners[0]!]!++;
    }
    for (const n of owned) expect(n).toBeGreaterThan(800);
  });

  it('deals rollup seconds round the fleet: one worker per second', () => {
    const ids = ['a', 'b', 'c'];
    const views = ids.map((id) => {
      const v = new FleetView(noPool, id);
      v.set(ids);
      return v;
    });
    const now = 1_700_000_000_250;
    const at = views.map((v) => now + v.rollupDelayMs(now));
    for (const t of at) {
      expect(t % 1000).toBe(0);
      expect(t - now).toBeGreaterThan(0);
      expect(t - now).toBeLessThanOrEqual(3000);
    }
    expect(new Set(at.map((t) => (t / 1000) % 3)).size).toBe(3);
    const alone = new FleetView(noPool, 'a');
    expect(alone.rollupDelayMs(now)).toBe(750);
  });
});
