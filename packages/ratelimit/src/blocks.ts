/** One usage entry (a model response), in the shape the console and transcripts provide. */
export interface UsageEntry {
  timestamp: Date | string | number;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  costUsd: number | null;
}

export interface BlockTokenCounts {
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
}

/** A 5-hour usage block (Claude's billing window), or a gap between blocks. */
export interface UsageBlock {
  /** ISO start time (`gap-<ISO>` for gap blocks). */
  id: string;
  startTime: Date;
  /** start + 5 h (for gap blocks: the next activity). */
  endTime: Date;
  /** Last activity in the block. */
  actualEndTime?: Date;
  isActive: boolean;
  isGap: boolean;
  entries: UsageEntry[];
  tokenCounts: BlockTokenCounts;
  costUsd: number;
  models: string[];
}

export interface BurnRate {
  /** (input + output) tokens per minute between the first and last entry. */
  tokensPerMinute: number;
  costPerHour: number;
}

export interface BlockProjection {
  totalTokens: number;
  totalCost: number;
  remainingMinutes: number;
}

export const DEFAULT_BLOCK_HOURS = 5;
const HOUR = 3_600_000;

const ms = (t: Date | string | number) => (t instanceof Date ? t.getTime() : new Date(t).getTime());
const floorToHour = (t: number) => Math.floor(t / HOUR) * HOUR;

function createBlock(
  start: number,
  entries: UsageEntry[],
  now: number,
  durationMs: number,
): UsageBlock {
  const endTime = new Date(start + durationMs);
  const last = entries[entries.length - 1];
  const actualEnd = last ? ms(last.timestamp) : start;
  const tokenCounts: BlockTokenCounts = {
    inputTokens: 0,
    outputTokens: 0,
    cacheCreationTokens: 0,
    cacheReadTokens: 0,
  };
  let costUsd = 0;
  const models: string[] = [];
  for (const e of entries) {
    tokenCounts.inputTokens += e.inputTokens;
    tokenCounts.outputTokens += e.outputTokens;
    tokenCounts.cacheCreationTokens += e.cacheCreationTokens;
    tokenCounts.cacheReadTokens += e.cacheReadTokens;
    costUsd += e.costUsd ?? 0;
    if (!models.includes(e.model)) models.push(e.model);
  }
  return {
    id: new Date(start).toISOString(),
    startTime: new Date(start),
    endTime,
    actualEndTime: new Date(actualEnd),
    isActive: now - actualEnd < durationMs && now < endTime.getTime(),
    isGap: false,
    entries,
    tokenCounts,
    costUsd,
    models,
  };
}

function gapBlock(
  lastActivity: number,
  nextActivity: number,
  durationMs: number,
): UsageBlock | undefined {
  if (nextActivity - lastActivity <= durationMs) return undefined;
  const start = lastActivity + durationMs;
  return {
    id: `gap-${new Date(start).toISOString()}`,
    startTime: new Date(start),
    endTime: new Date(nextActivity),
    isActive: false,
    isGap: true,
    entries: [],
    tokenCounts: { inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0 },
    costUsd: 0,
    models: [],
  };
}

/**
 * Groups records into 5-hour blocks exactly as ccusage does: a block starts at its first
 * entry floored to the UTC hour; an entry starts a new block when it is more than 5 h after the
 * block's start or more than 5 h after the previous entry (then a gap block covers the idle
 * time); a block is active when its last entry is less than 5 h ago and now is before its end.
 */
export function identifyBlocks(
  records: readonly UsageEntry[],
  options: { now?: Date | number; sessionDurationHours?: number } = {},
): UsageBlock[] {
  if (records.length === 0) return [];
  const durationMs = (options.sessionDurationHours ?? DEFAULT_BLOCK_HOURS) * HOUR;
  const now = options.now === undefined ? Date.now() : ms(options.now);
  const sorted = [...records].sort((a, b) => ms(a.timestamp) - ms(b.timestamp));
  const blocks: UsageBlock[] = [];
  let start: number | undefined;
  let current: UsageEntry[] = [];
  for (const entry of sorted) {
    const t = ms(entry.timestamp);
    if (start === undefined) {
      start = floorToHour(t);
      current = [entry];
      continue;
    }
    const last = current[current.length - 1] as UsageEntry;
    const sinceLast = t - ms(last.timestamp);
    if (t - start > durationMs || sinceLast > durationMs) {
      blocks.push(createBlock(start, current, now, durationMs));
      if (sinceLast > durationMs) {
        const gap = gapBlock(ms(last.timestamp), t, durationMs);
        if (gap) blocks.push(gap);
      }
      start = floorToHour(t);
      current = [entry];
    } else {
      current.push(entry);
    }
  }
  if (start !== undefined && current.length > 0)
    blocks.push(createBlock(start, current, now, durationMs));
  return blocks;
}

/** Burn rate between the block's first and last entry (undefined for gaps and single instants). */
export function burnRate(block: UsageBlock): BurnRate | undefined {
  if (block.isGap || block.entries.length === 0) return undefined;
  const first = ms((block.entries[0] as UsageEntry).timestamp);
  const last = ms((block.entries[block.entries.length - 1] as UsageEntry).timestamp);
  const minutes = (last - first) / 60_000;
  if (minutes <= 0) return undefined;
  const tokens = block.tokenCounts.inputTokens + block.tokenCounts.outputTokens;
  return { tokensPerMinute: tokens / minutes, costPerHour: (block.costUsd / minutes) * 60 };
}

/** Usage at the end of an active block if the current burn rate holds. */
export function projectBlock(
  block: UsageBlock,
  now: Date | number = Date.now(),
): BlockProjection | undefined {
  if (!block.isActive || block.isGap) return undefined;
  const rate = burnRate(block);
  if (!rate) return undefined;
  const remainingMinutes = Math.max(0, (block.endTime.getTime() - ms(now)) / 60_000);
  const tokens = block.tokenCounts.inputTokens + block.tokenCounts.outputTokens;
  return {
    totalTokens: Math.round(tokens + rate.tokensPerMinute * remainingMinutes),
    totalCost: Math.round((block.costUsd + (rate.costPerHour / 60) * remainingMinutes) * 100) / 100,
    remainingMinutes: Math.round(remainingMinutes),
  };
}

/** The active block, if any. */
export function activeBlock(blocks: readonly UsageBlock[]): UsageBlock | undefined {
  return blocks.find((b) => b.isActive);
}
