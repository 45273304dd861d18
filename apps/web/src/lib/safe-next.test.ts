import { describe, expect, it } from 'vitest';
import { safeNext } from './safe-next';

const origin = 'http://127.0.0.1:3000';

describe('safeNext', () => {
  it('keeps same-origin paths', () => {
    expect(safeNext('/', origin)).toBe('/');
    expect(safeNext('/teams/abc/tasks?status=running#x', origin)).toBe(
      '/teams/abc/tasks?status=running#x',
    );
    expect(safeNext('/invite/abcdefghijklmnopqrstuvwxyz', origin)).toBe(
      '/invite/abcdefghijklmnopqrstuvwxyz',
    );
    expect(safeNext('/a?next=//evil.example', origin)).toBe('/a?next=//evil.example');
    // Percent-encoded characters stay inside the path.
    expect(safeNext('/%0a/evil', origin)).toBe('/%0a/evil');
    expect(safeNext('/%2F%2Fevil.example', origin)).toBe('/%2F%2Fevil.example');
  });

  it.each([
    '//evil.example',
    '//evil.example/path',
    '/\\evil.example',
    '\\\\evil.example',
    '/ok\\..\\x',
    'https://evil.example',
    'http://127.0.0.1:3000/teams', // absolute, even to this origin: not a path
    'javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'evil.example',
    '/\tevil',
    '/\n/evil.example',
    '/\u0000x',
    '/ /evil.example',
    ' /teams',
    '',
  ])('refuses %j', (v) => {
    expect(safeNext(v, origin)).toBe('/');
  });

  it('falls back to the given fallback, or / for missing values', () => {
    expect(safeNext(undefined, origin)).toBe('/');
    expect(safeNext(null, origin)).toBe('/');
    expect(safeNext('//evil.example', origin, '/teams/new')).toBe('/teams/new');
    expect(safeNext('/x', 'not a url')).toBe('/');
  });
});
