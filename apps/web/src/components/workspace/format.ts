const oneDecimal = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });

/** Bytes as people read them: 812 B, 4.2 KiB, 1.5 MiB (binary units, at most one decimal). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 1024) return `${Math.max(0, Math.round(n || 0))} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${oneDecimal.format(v)} ${units[i]}`;
}

/** The download address of a task's whole workspace, or of one file in it. */
export function workspaceDownloadUrl(taskId: string, path?: string): string {
  const base = `/api/tasks/${encodeURIComponent(taskId)}/workspace`;
  return path === undefined ? base : `${base}?path=${encodeURIComponent(path)}`;
}

/** The kind of each line of a unified diff, for colouring. */
export function diffLineKind(line: string): 'add' | 'del' | 'hunk' | 'meta' | 'context' {
  if (line.startsWith('+++') || line.startsWith('---')) return 'meta';
  if (line.startsWith('+')) return 'add';
  if (line.startsWith('-')) return 'del';
  if (line.startsWith('@@')) return 'hunk';
  if (
    /^(diff |index |new file|deleted file|similarity|rename |old mode|new mode|Binary )/.test(line)
  )
    return 'meta';
  return 'context';
}
