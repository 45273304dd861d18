import { describe, expect, it } from 'vitest';
import { FairQueue } from './fair-queue.js';

const drain = (q: FairQueue<string>, n: number) => Array.from({ length: n }, () => q.shift());

describe('FairQueue', () => {
  it('is FIFO within one team', () => {
    const q = new FairQueue<string>();
    for (const x of ['a', 'b', 'c']) q.push(x);
    expect(drain(q, 4)).toEqual(['a', 'b', 'c', undefined]);
  });

  it('interleaves teams and honours weights', () => {
    const q = new FairQueue<string>({ weights: { gold: 2 } });
    for (let i = 0; i < 6; i++) q.push(`g${i}`, { team: 'gold' });
    for (let i = 0; i < 6; i++) q.push(`s${i}`, { team: 'silver' });
    const first9 = drain(q, 9);
    expect(first9.filter((x) => x?.startsWith('g'))).toHaveLength(6);
    expect(first9.filter((x) => x?.startsWith('s'))).toHaveLength(3);
  });

  it('serves priority classes strictly, and removes items anywhere', () => {
    const q = new FairQueue<string>();
    q.push('b1', { priority: 'batch' });
    q.push('n1');
    q.push('i1', { priority: 'interactive' });
    q.push('n2');
    expect(q.remove('n1')).toBe(true);
    expect(q.remove('n1')).toBe(false);
    expect(q.countByTeam()).toEqual({ '': 3 });
    expect(drain(q, 3)).toEqual(['i1', 'n2', 'b1']);
    expect(q.size).toBe(0);
  });
});
