import { describe, expect, it } from 'vitest';
import { NUL_MESSAGE, SURROGATE_MESSAGE, unstorableIssues } from './validate';

describe('unstorableIssues', () => {
  it('names each string PostgreSQL cannot store: a NUL, or half a character, in a value or a key', () => {
    expect(
      unstorableIssues({
        goal: 'ok 😀',
        agents: [{ role: 'a\ud800', instructions: 'fine' }],
        note: 'x\u0000',
        'k\udc00': 1,
      }).sort((a, b) => a.field.localeCompare(b.field)),
    ).toEqual([
      { field: 'agents.0.role', message: SURROGATE_MESSAGE },
      { field: 'k\udc00', message: SURROGATE_MESSAGE },
      { field: 'note', message: NUL_MESSAGE },
    ]);
    expect(unstorableIssues({ emoji: '😀👍🏽', text: 'plain' })).toEqual([]);
  });
});
