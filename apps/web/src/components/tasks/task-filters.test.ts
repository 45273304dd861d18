import { describe, expect, it } from 'vitest';
import {
  filtersToSearch,
  hasFilters,
  listInput,
  PAGE_SIZE,
  parseFilters,
  parseStatus,
} from './task-filters';

describe('task filters in the URL', () => {
  it('parses known values and drops unknown or malformed ones', () => {
    expect(
      parseFilters({
        status: 'running',
        backend: 'claude-code',
        model: '  claude-opus-5-5 ',
        user: 'u1',
        from: '2026-10-01',
        to: '2026-10-31',
        q: 'haiku',
      }),
    ).toEqual({
      status: 'running',
      backend: 'claude-code',
      model: 'claude-opus-5-5',
      user: 'u1',
      from: '2026-10-01',
      to: '2026-10-31',
      q: 'haiku',
    });
    expect(
      parseFilters({
        status: 'exploded',
        backend: 'gpt',
        from: 'yesterday',
        to: '2026-1-1',
        q: '  ',
      }),
    ).toEqual({
      status: null,
      backend: null,
      model: null,
      user: null,
      from: null,
      to: null,
      q: null,
    });
  });

  it('takes the first of repeated parameters and caps long text', () => {
    expect(parseStatus(['failed', 'running'])).toBe('failed');
    expect(parseFilters({ q: 'x'.repeat(500) }).q).toHaveLength(200);
  });

  it('round-trips through the query string', () => {
    const f = parseFilters({ status: 'failed', model: 'a b&c', q: 'ü' });
    const search = filtersToSearch(f);
    expect(search).toBe('?status=failed&model=a+b%26c&q=%C3%BC');
    expect(parseFilters(Object.fromEntries(new URLSearchParams(search)))).toEqual(f);
    expect(filtersToSearch(parseFilters({}))).toBe('');
    expect(hasFilters(parseFilters({}))).toBe(false);
    expect(hasFilters(f)).toBe(true);
  });

  it('turns an inclusive day range into a half-open instant range for the API', () => {
    const input = listInput(
      't1',
      parseFilters({ from: '2026-10-01', to: '2026-10-01', user: 'u' }),
    );
    expect(input.from?.toISOString()).toBe('2026-10-01T00:00:00.000Z');
    expect(input.to?.toISOString()).toBe('2026-10-02T00:00:00.000Z');
    expect(input).toMatchObject({ teamId: 't1', createdBy: 'u', limit: PAGE_SIZE });
    expect(input.status).toBeUndefined();
  });
});
