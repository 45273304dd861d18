import { describe, expect, it } from 'vitest';
import { diffLineKind, formatBytes, workspaceDownloadUrl } from './format';

describe('workspace formatting', () => {
  it('shows sizes in binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(812)).toBe('812 B');
    expect(formatBytes(4300)).toBe('4.2 KiB');
    expect(formatBytes(1.5 * 2 ** 20)).toBe('1.5 MiB');
    expect(formatBytes(3 * 2 ** 40)).toBe('3 TiB');
  });

  it('builds download addresses with the path encoded', () => {
    expect(workspaceDownloadUrl('t1')).toBe('/api/tasks/t1/workspace');
    expect(workspaceDownloadUrl('t1', 'src/a b&c.txt')).toBe(
      '/api/tasks/t1/workspace?path=src%2Fa%20b%26c.txt',
    );
  });

  it('classifies diff lines', () => {
    expect(
      ['diff --git a/x b/x', '--- a/x', '+++ b/x', '@@ -1 +1 @@', '-old', '+new', ' same'].map(
        diffLineKind,
      ),
    ).toEqual(['meta', 'meta', 'meta', 'hunk', 'del', 'add', 'context']);
  });
});
