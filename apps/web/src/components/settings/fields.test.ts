import { describe, expect, it } from 'vitest';
import { localDateTime, numberField } from './fields';

describe('settings form fields', () => {
  it('reads numbers, leaving empty fields unset and garbage for the server to name', () => {
    expect(numberField('12.5')).toBe(12.5);
    expect(numberField(' 3 ')).toBe(3);
    expect(numberField('')).toBeUndefined();
    expect(numberField(null)).toBeUndefined();
    expect(numberField('abc')).toBeNaN();
  });

  it('reads datetime-local values as local time', () => {
    const d = localDateTime('2026-12-01T09:30')!;
    expect([d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes()]).toEqual([
      2026, 11, 1, 9, 30,
    ]);
    expect(localDateTime('')).toBeUndefined();
    expect(localDateTime('someday')).toBeUndefined();
  });
});
