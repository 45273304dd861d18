import { type Amounts, DIMENSIONS, type Dimension } from './limits.js';
import type {
  RateLimitStore,
  ReserveRequest,
  ReserveResult,
  ScopeSnapshot,
  SyncRequest,
} from './store.js';

/** The part of `pg.Pool` (or `pg.Client`) the store uses. */
export interface Queryable {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
}

export interface PostgresStoreOptions {
  /** Table name (functions are named after it). Default `baton_ratelimit_buckets`. */
  table?: string;
  /** Create the table and functions on first use (idempotent). Default true. */
  autoMigrate?: boolean;
  /**
   * Operations on one scope submitted in the same synchronous stretch, and those that arrive
   * while an earlier statement is on its way to the database, go together, as one statement
   * (`<table>_batch`) that locks the row once and applies them in arrival order — each result
   * exactly what it would have been alone at that point. Under load this turns many
   * row-locking statements into few: fewer round trips, and less time other processes wait on
   * the row. At most this many operations per statement (default 64); 1 sends every operation
   * on its own.
   */
  maxBatch?: number;
}

export interface PostgresStore extends RateLimitStore {
  /** Creates (or updates) the table and its functions; safe to call concurrently and repeatedly. */
  migrate(): Promise<void>;
  /**
   * Every scope's buckets as of the database's clock (refilled, without locking), in scope
   * order, at most `limit` (default 1,000) — for dashboards and metrics. Empty before the
   * table exists.
   */
  scopes(limit?: number): Promise<Array<ScopeSnapshot & { scope: string; updatedAt: number }>>;
  readonly table: string;
}

const IDENT = /^[a-z_][a-z0-9_]{0,40}$/;

/**
 * The schema: one row per scope with the four buckets as parallel arrays (index = dimension:
 * requests, inputTokens, outputTokens, tokens; NULL capacity = no bucket). `<table>_batch`
 * locks the row (`FOR UPDATE`), refills from the database's `clock_timestamp()`, then applies
 * a list of operations (reserve, adjust, sync, pause, read) in order, each checked and
 * answered as if alone, and writes back — one statement, atomic, no lost updates.
 * `<table>_snapshot` reads without locking.
 */
export function schemaSql(table: string): string {
  const t = table;
  const load = `
  insert into ${t} (scope, capacity, level, updated_at)
    values (p_scope, array[null,null,null,null]::float8[], array[null,null,null,null]::float8[], clock_timestamp())
    on conflict (scope) do nothing;
  select * into r from ${t} where scope = p_scope for update;
  v_now := greatest(clock_timestamp(), r.updated_at);
  caps := r.capacity;
  lv := ${t}_refill(r.capacity, r.level, extract(epoch from (v_now - r.updated_at)) * 1000);`;
  const store = `
  update ${t} set capacity = caps, level = lv, updated_at = v_now, paused_until = pu where scope = p_scope;`;
  const decl = `declare r record; v_now timestamptz; caps float8[]; lv float8[]; pu timestamptz; i int;`;
  const snap = 'capacity float8[], level float8[], now_ms float8, paused_until_ms float8';
  return `
select pg_advisory_xact_lock(hashtext('baton_ratelimit_schema:${t}'));
create table if not exists ${t} (
  scope text primary key,
  capacity float8[] not null,
  level float8[] not null,
  updated_at timestamptz not null,
  paused_until timestamptz
);
create or replace function ${t}_refill(caps float8[], lv float8[], elapsed_ms float8)
returns float8[] language plpgsql immutable as $$
declare i int; res float8[] := lv;
begin
  for i in 1..4 loop
    if caps[i] is not null then
      res[i] := greatest(lv[i], least(caps[i], lv[i] + greatest(elapsed_ms, 0) * caps[i] / 60000.0));
    end if;
  end loop;
  return res;
end $$;
-- One function per operation until the store learned to batch; every operation goes
-- through <table>_batch now.
drop function if exists ${t}_reserve(text, float8[], float8[]);
drop function if exists ${t}_adjust(text, float8[]);
drop function if exists ${t}_sync(text, float8[], float8[]);
drop function if exists ${t}_pause(text, float8);
create or replace function ${t}_batch(p_scope text, p_kinds int[], p_a float8[], p_b float8[])
returns table(ok boolean, wait_ms float8, limited_by int, oversize int, ${snap})
language plpgsql as $$
${decl} k int; o int; a float8; d float8; w float8; wi float8; lim int; ovs int; pms float8; v_ok boolean;
begin${load}
  pu := r.paused_until;
  for k in 1..coalesce(array_length(p_kinds, 1), 0) loop
    o := (k - 1) * 4;
    v_ok := true; w := 0; lim := 0; ovs := 0;
    if p_kinds[k] = 1 then
      for i in 1..4 loop
        if caps[i] is null and p_b[o + i] is not null then
          caps[i] := p_b[o + i];
          lv[i] := p_b[o + i];
        end if;
        a := coalesce(p_a[o + i], 0);
        if caps[i] is not null and a > 0 and lv[i] < a then
          if a > caps[i] then
            wi := 'Infinity'::float8;
            if ovs = 0 then ovs := i; end if;
          else
            wi := (a - lv[i]) / (caps[i] / 60000.0);
          end if;
          if wi > w then w := wi; lim := i; end if;
        end if;
      end loop;
      pms := case when pu is null then 0 else extract(epoch from (pu - v_now)) * 1000 end;
      if ovs = 0 and pms > 0 and pms >= w then w := pms; lim := 5; end if;
      v_ok := (w = 0 and ovs = 0);
      if v_ok then
        for i in 1..4 loop
          a := coalesce(p_a[o + i], 0);
          if caps[i] is not null and a > 0 then lv[i] := lv[i] - a; end if;
        end loop;
      end if;
    elsif p_kinds[k] = 2 then
      for i in 1..4 loop
        d := coalesce(p_a[o + i], 0);
        if caps[i] is not null and d <> 0 then
          if d > 0 then lv[i] := lv[i] - d; else lv[i] := least(caps[i], lv[i] - d); end if;
        end if;
      end loop;
    elsif p_kinds[k] = 3 then
      for i in 1..4 loop
        if p_a[o + i] is not null and p_a[o + i] > 0 then
          if caps[i] is null then
            lv[i] := p_a[o + i];
          else
            lv[i] := p_a[o + i] - (caps[i] - lv[i]);
          end if;
          caps[i] := p_a[o + i];
        end if;
        if caps[i] is not null and p_b[o + i] is not null then
          lv[i] := least(lv[i], p_b[o + i]);
        end if;
      end loop;
    elsif p_kinds[k] = 4 then
      pu := greatest(coalesce(pu, v_now), v_now + make_interval(secs => greatest(coalesce(p_a[o + 1], 0), 0) / 1000.0));
    end if;
    return query select v_ok, w, lim, ovs, caps, lv, (extract(epoch from v_now) * 1000)::float8,
      case when pu is null or pu <= v_now then 0::float8 else (extract(epoch from pu) * 1000)::float8 end;
  end loop;${store}
end $$;
create or replace function ${t}_snapshot(p_scope text)
returns table(${snap}) language plpgsql stable as $$
declare r record; v_now timestamptz;
begin
  select * into r from ${t} where scope = p_scope;
  if not found then return; end if;
  v_now := greatest(clock_timestamp(), r.updated_at);
  return query select r.capacity,
    ${t}_refill(r.capacity, r.level, extract(epoch from (v_now - r.updated_at)) * 1000),
    (extract(epoch from v_now) * 1000)::float8,
    case when r.paused_until is null or r.paused_until <= v_now then 0::float8
      else (extract(epoch from r.paused_until) * 1000)::float8 end;
end $$;
`;
}

const LIMITED_BY: Array<ReserveResult['limitedBy']> = [
  undefined,
  'requests',
  'inputTokens',
  'outputTokens',
  'tokens',
  'pause',
];

function toArray(a: Amounts | undefined): Array<number | null> {
  return DIMENSIONS.map((d) => {
    const v = a?.[d];
    return v === undefined ? null : v;
  });
}

interface SnapRow {
  capacity: Array<number | null>;
  level: Array<number | null>;
  now_ms: number;
  paused_until_ms: number;
}

function toSnapshot(row: SnapRow): ScopeSnapshot {
  const buckets: ScopeSnapshot['buckets'] = {};
  DIMENSIONS.forEach((d: Dimension, i) => {
    const capacity = row.capacity[i];
    const level = row.level[i];
    if (capacity !== null && capacity !== undefined && level !== null && level !== undefined) {
      buckets[d] = { capacity, level };
    }
  });
  return { now: Number(row.now_ms), pausedUntil: Number(row.paused_until_ms), buckets };
}

/**
 * Buckets in PostgreSQL, shared by any number of processes on any number of machines. The
 * clock is the database's `clock_timestamp()`, so machines' clocks do not matter.
 */
export function postgresStore(pool: Queryable, options: PostgresStoreOptions = {}): PostgresStore {
  const table = options.table ?? 'baton_ratelimit_buckets';
  if (!IDENT.test(table)) {
    throw new TypeError(`table must be a lower-case SQL identifier (${IDENT}), got "${table}"`);
  }
  let ready: Promise<void> | undefined;
  const migrate = () => {
    ready ??= pool.query(schemaSql(table)).then(
      () => undefined,
      (e: unknown) => {
        ready = undefined;
        throw e;
      },
    );
    return ready;
  };
  const autoMigrate = options.autoMigrate !== false;
  const maxBatch = Math.max(1, Math.floor(options.maxBatch ?? 64));
  const call = async (fn: string, params: unknown[]): Promise<SnapRow[]> => {
    if (autoMigrate) await migrate();
    const placeholders = params.map((_, i) => `$${i + 1}`).join(', ');
    const res = await pool.query(`select * from ${table}_${fn}(${placeholders})`, params);
    return res.rows as SnapRow[];
  };

  // One lane per scope: at most one statement on its way, the operations that arrive
  // meanwhile queue up and go together next.
  const lanes = new Map<string, Lane>();
  const batchSql = `select * from ${table}_batch($1, $2::int[], $3::float8[], $4::float8[])`;
  const drain = async (scope: string, lane: Lane): Promise<void> => {
    lane.running = true;
    try {
      // One microtask before the first statement: operations submitted in the same synchronous
      // stretch (a settle and the re-sync from the same response's headers) go together.
      await undefined;
      while (lane.ops.length > 0) {
        const ops = lane.ops.splice(0, maxBatch);
        try {
          if (autoMigrate) await migrate();
          const kinds: number[] = [];
          const a: Array<number | null> = [];
          const b: Array<number | null> = [];
          for (const op of ops) {
            kinds.push(op.kind);
            a.push(...op.a);
            b.push(...op.b);
          }
          const res = await pool.query(batchSql, [scope, kinds, a, b]);
          const rows = res.rows as BatchRow[];
          if (rows.length !== ops.length) {
            throw new Error(`${table}_batch returned ${rows.length} rows for ${ops.length}`);
          }
          for (let i = 0; i < ops.length; i++) ops[i]?.resolve(rows[i] as BatchRow);
        } catch (e) {
          for (const op of ops) op.reject(e);
        }
      }
    } finally {
      lane.running = false;
      if (lane.ops.length === 0 && lanes.get(scope) === lane) lanes.delete(scope);
    }
  };
  const submit = (
    scope: string,
    kind: Kind,
    a: Array<number | null>,
    b: Array<number | null> = NONE,
  ): Promise<BatchRow> =>
    new Promise<BatchRow>((resolve, reject) => {
      let lane = lanes.get(scope);
      if (!lane) {
        lane = { ops: [], running: false };
        lanes.set(scope, lane);
      }
      lane.ops.push({ kind, a, b, resolve, reject });
      if (!lane.running) void drain(scope, lane);
    });

  return {
    table,
    migrate,
    async reserve(scope, request: ReserveRequest): Promise<ReserveResult> {
      const row = await submit(
        scope,
        KIND.reserve,
        toArray(request.amounts),
        toArray(request.capacity),
      );
      const result: ReserveResult = {
        ok: row.ok,
        waitMs: Number(row.wait_ms),
        snapshot: toSnapshot(row),
      };
      const limitedBy = LIMITED_BY[row.limited_by];
      if (limitedBy) result.limitedBy = limitedBy;
      if (row.oversize > 0) {
        result.oversize = DIMENSIONS[row.oversize - 1];
        result.waitMs = Number.POSITIVE_INFINITY;
      }
      return result;
    },
    adjust: async (scope, deltas) => toSnapshot(await submit(scope, KIND.adjust, toArray(deltas))),
    sync: async (scope, request: SyncRequest) =>
      toSnapshot(
        await submit(scope, KIND.sync, toArray(request.capacity), toArray(request.target)),
      ),
    pause: async (scope, ms) => toSnapshot(await submit(scope, KIND.pause, [ms, null, null, null])),
    async scopes(limit = 1000) {
      let res: { rows: unknown[] };
      try {
        // Each row as `<table>_snapshot` reads one scope (refill, clock, pause).
        res = await pool.query(
          `select b.scope, (extract(epoch from b.updated_at) * 1000)::float8 as updated_at_ms, s.*
             from ${table} b, lateral ${table}_snapshot(b.scope) s
            order by b.scope limit $1`,
          [limit],
        );
      } catch (e) {
        // 42P01 / 42883: no table (or functions) yet — nothing has been limited.
        const code = (e as { code?: string }).code;
        if (code === '42P01' || code === '42883') return [];
        throw e;
      }
      return (res.rows as Array<SnapRow & { scope: string; updated_at_ms: number }>).map((row) => ({
        scope: row.scope,
        // When the scope was last used (a reservation, a settlement, a pause).
        updatedAt: Number(row.updated_at_ms),
        ...toSnapshot(row),
      }));
    },
    async snapshot(scope) {
      // Behind this process's operations on the scope (they are on their way, or queued).
      if (lanes.has(scope)) return toSnapshot(await submit(scope, KIND.read, NONE));
      const [row] = await call('snapshot', [scope]);
      return row ? toSnapshot(row) : undefined;
    },
  };
}

/** Operation kinds of `<table>_batch`. */
const KIND = { reserve: 1, adjust: 2, sync: 3, pause: 4, read: 5 } as const;
type Kind = (typeof KIND)[keyof typeof KIND];
const NONE: Array<number | null> = [null, null, null, null];

type BatchRow = SnapRow & { ok: boolean; wait_ms: number; limited_by: number; oversize: number };

interface Lane {
  ops: Array<{
    kind: Kind;
    a: Array<number | null>;
    b: Array<number | null>;
    resolve(row: BatchRow): void;
    reject(e: unknown): void;
  }>;
  running: boolean;
}
