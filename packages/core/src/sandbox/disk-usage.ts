import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface DiskUsage {
  bytes: number;
  files: number;
  /** Stopped early: more than `stopAt` bytes. */
  over: boolean;
}

/**
 * Bytes allocated under the given directories, walked with lstat (links are counted as links,
 * never followed; hard links once), stopping as soon as `stopAt` is passed.
 */
export async function diskUsage(
  dirs: string[],
  stopAt = Number.POSITIVE_INFINITY,
): Promise<DiskUsage> {
  let bytes = 0;
  let files = 0;
  const seen = new Set<string>();
  const stack = [...dirs];
  while (stack.length) {
    const dir = stack.pop() as string;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const p = join(dir, name);
      let st: Awaited<ReturnType<typeof lstat>>;
      try {
        st = await lstat(p);
      } catch {
        continue;
      }
      if (st.nlink > 1 && !st.isDirectory()) {
        const id = `${st.dev}:${st.ino}`;
        if (seen.has(id)) continue;
        seen.add(id);
      }
      // Blocks, not the apparent size: a sparse file costs what it occupies.
      bytes += st.blocks * 512;
      if (st.isDirectory()) stack.push(p);
      else files++;
      if (bytes > stopAt) return { bytes, files, over: true };
    }
  }
  return { bytes, files, over: false };
}
