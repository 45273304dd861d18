/**
 * The web ↔ worker job contract under arbitrary payloads (fast-check): parsePayload refuses
 * anything that is not a payload with an error naming the job and the field (never a
 * TypeError of its own), and a valid payload — extra keys of newer senders included — comes
 * back the same after the trip a job takes: JSON, then a jsonb column in real PostgreSQL.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb, type DbClient } from './client';
import { JOBS, type JobName, PayloadError, parsePayload } from './jobs';
import { createTestDatabase, type TestDatabase } from './testing';

let tdb: TestDatabase;
let client: DbClient;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'), { migrate: false });
  client = createDb(tdb.url, { max: 2 });
});

afterAll(async () => {
  await client?.close();
  await tdb?.drop();
});

const jobName = fc.constantFrom<JobName>(...Object.values(JOBS));

/** What a sender may put in a job: JSON values PostgreSQL's jsonb holds (no NUL in strings). */
const jsonText = fc.string({ unit: 'grapheme', maxLength: 30 }).filter((s) => !s.includes('\0'));
const jsonValue = fc
  .jsonValue({ maxDepth: 3 })
  .filter((v) => !JSON.stringify(v).includes('\\u0000'))
  // What a sender's JSON actually carries: fc.jsonValue may hold -0, which JSON writes as 0.
  .map((v) => JSON.parse(JSON.stringify(v)) as unknown);

const validPayload = fc
  .record(
    {
      taskId: fc.uuid(),
      teamId: fc.uuid(),
      requestedBy: jsonText,
      redrive: fc.boolean(),
    },
    { requiredKeys: ['taskId', 'teamId'] },
  )
  .chain((known) =>
    // Fields a newer sender adds (kept: `looseObject`), never one of the known names (nor
    // `__proto__`: dropped, see below).
    fc
      .dictionary(
        fc
          .oneof(jsonText, fc.constantFrom('constructor', 'toString', 'hasOwnProperty', ''))
          .filter((k) => !['taskId', 'teamId', 'requestedBy', 'redrive'].includes(k)),
        jsonValue,
        { maxKeys: 3 },
      )
      .map((extra) => ({ ...extra, ...known })),
  );

/** Anything a queue row could hold, or a caller could hand over by mistake. */
const anyPayload = fc.oneof(
  fc.anything({
    maxDepth: 3,
    withNullPrototype: true,
    withBigInt: true,
    withDate: true,
    withMap: true,
  }),
  validPayload.chain((p) =>
    fc
      .constantFrom('taskId', 'teamId', 'requestedBy', 'redrive')
      .chain((key) => fc.anything({ maxDepth: 2 }).map((bad) => ({ ...p, [key]: bad }))),
  ),
);

describe('job payloads', () => {
  it('refuses what is not a payload with an error naming the job and the field', () => {
    fc.assert(
      fc.property(jobName, anyPayload, (name, data) => {
        let parsed: unknown;
        try {
          parsed = parsePayload(name, data);
        } catch (err) {
          expect(err).toBeInstanceOf(PayloadError);
          expect(err).toMatchObject({ code: 'INVALID_PAYLOAD', job: name });
          expect((err as Error).message).toMatch(
            new RegExp(
              `^invalid ${name} payload: (taskId|teamId|requestedBy|redrive|\\(root\\)): .+`,
            ),
          );
          return;
        }
        expect(parsed).toMatchObject({ taskId: expect.any(String), teamId: expect.any(String) });
      }),
      { numRuns: 500 },
    );
  });

  it('a valid payload survives JSON and a jsonb column unchanged, extra fields included', async () => {
    await fc.assert(
      fc.asyncProperty(jobName, validPayload, async (name, payload) => {
        expect(parsePayload(name, payload)).toEqual(payload);
        const res = await client.pool.query<{ data: unknown }>('select $1::jsonb as data', [
          JSON.stringify(payload),
        ]);
        expect(parsePayload(name, res.rows[0]!.data)).toEqual(payload);
      }),
      { numRuns: 200 },
    );
  });
});

describe('job payloads: the cases the properties found', () => {
  it('drops a "__proto__" key (JSON.parse makes it an own key) instead of taking it as the prototype', () => {
    const data = JSON.parse(
      '{"__proto__":{"polluted":true},"taskId":"34ecb6fa-f5c3-4186-82c7-cab600000005","teamId":"00000018-001d-4000-8000-000f0000001e"}',
    );
    const parsed = parsePayload(JOBS.runTask, data);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.keys(parsed)).toEqual(['taskId', 'teamId']);
    expect((parsed as Record<string, unknown>).polluted).toBeUndefined();
  });
});
