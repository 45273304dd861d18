import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Rng } from './rng.js';
import { toolInputFor } from './toolinput.js';

/** An independent check: zod's JSON-schema reader validates what the generator produced. */
function fits(schema: Record<string, unknown>, value: unknown): boolean {
  const r = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]).safeParse(value);
  return r.success;
}

const EVERY_TYPE = {
  type: 'object',
  properties: {
    path: { type: 'string', minLength: 12, maxLength: 40 },
    count: { type: 'integer', minimum: 3, maximum: 7 },
    ratio: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
    even: { type: 'integer', minimum: 1, maximum: 20, multipleOf: 2 },
    force: { type: 'boolean' },
    mode: { type: 'string', enum: ['overwrite', 'append'] },
    kind: { const: 'file' },
    tags: { type: 'array', items: { type: 'string' }, minItems: 2, maxItems: 3 },
    owner: {
      type: 'object',
      properties: {
        id: { type: 'string', format: 'uuid' },
        email: { type: 'string', format: 'email' },
        nested: {
          type: 'object',
          properties: { level: { type: 'integer', minimum: 10 } },
          required: ['level'],
          additionalProperties: false,
        },
      },
      required: ['id', 'email', 'nested'],
      additionalProperties: false,
    },
    optional: { type: 'string' },
    maybe: { type: ['null', 'number'], maximum: -5 },
  },
  required: ['path', 'count', 'ratio', 'even', 'force', 'mode', 'kind', 'tags', 'owner', 'maybe'],
  additionalProperties: false,
};

describe('toolInputFor', () => {
  it('fills every required property by type, recursively, within bounds', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const v = toolInputFor(EVERY_TYPE, new Rng(seed)) as Record<string, unknown>;
      expect(fits(EVERY_TYPE, v)).toBe(true);
      if (seed === 1) {
        // The validator is not vacuous: out-of-bounds, wrong-enum and incomplete inputs fail it.
        const owner = v.owner as Record<string, unknown>;
        for (const bad of [
          { ...v, count: 99 },
          { ...v, mode: 'replace' },
          { ...v, tags: ['only-one'] },
          { ...v, owner: { ...owner, nested: {} } },
          { ...v, extra: 1 },
        ])
          expect(fits(EVERY_TYPE, bad)).toBe(false);
      }
      expect(Object.keys(v).sort()).toEqual([...EVERY_TYPE.required].sort()); // optional omitted
      expect(v.mode).toBe('overwrite'); // an enum takes its first value
      expect(v.kind).toBe('file');
      expect(typeof v.force).toBe('boolean');
      expect(Number.isInteger(v.count)).toBe(true);
      expect(v.count as number).toBeGreaterThanOrEqual(3);
      expect(v.count as number).toBeLessThanOrEqual(7);
      expect((v.even as number) % 2).toBe(0);
      expect(v.ratio as number).toBeGreaterThan(0);
      expect(v.ratio as number).toBeLessThan(1);
      expect((v.path as string).length).toBeGreaterThanOrEqual(12);
      expect((v.tags as string[]).length).toBe(2);
      expect(v.maybe as number).toBeLessThanOrEqual(-5);
      const owner = v.owner as Record<string, unknown>;
      expect(owner.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
      expect((owner.nested as { level: number }).level).toBeGreaterThanOrEqual(10);
    }
  });

  it('is deterministic for a seed', () => {
    expect(toolInputFor(EVERY_TYPE, new Rng(9))).toEqual(toolInputFor(EVERY_TYPE, new Rng(9)));
    const seeds = new Set(
      [1, 2, 3, 4, 5].map((s) => JSON.stringify(toolInputFor(EVERY_TYPE, new Rng(s)))),
    );
    expect(seeds.size).toBeGreaterThan(1);
  });

  it('follows $ref, allOf, anyOf and tuple/unique arrays', () => {
    const schema = {
      type: 'object',
      $defs: {
        point: {
          type: 'object',
          properties: { x: { type: 'number' }, y: { type: 'number' } },
          required: ['x', 'y'],
        },
      },
      properties: {
        at: { $ref: '#/$defs/point' },
        path: { type: 'array', items: { $ref: '#/$defs/point' }, minItems: 3 },
        labelled: {
          allOf: [
            { $ref: '#/$defs/point' },
            { type: 'object', properties: { label: { type: 'string' } }, required: ['label'] },
          ],
        },
        either: { anyOf: [{ type: 'integer', minimum: 100 }, { type: 'string' }] },
        pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'boolean' }] },
        colours: {
          type: 'array',
          items: { enum: ['red', 'green', 'blue'] },
          minItems: 2,
          uniqueItems: true,
        },
      },
      required: ['at', 'path', 'labelled', 'either', 'pair', 'colours'],
    };
    const v = toolInputFor(schema, new Rng(4)) as Record<string, unknown>;
    expect(fits(schema, v)).toBe(true);
    expect(Object.keys(v.at as object).sort()).toEqual(['x', 'y']);
    expect((v.path as unknown[]).length).toBe(3);
    expect(Object.keys(v.labelled as object).sort()).toEqual(['label', 'x', 'y']);
    expect(v.either as number).toBeGreaterThanOrEqual(100);
    expect(typeof (v.pair as unknown[])[0]).toBe('string');
    expect(typeof (v.pair as unknown[])[1]).toBe('boolean');
    expect(v.colours).toEqual(['red', 'green']);
  });

  it('stops recursive schemas and treats a bare schema as an empty object', () => {
    const tree = {
      type: 'object',
      properties: { name: { type: 'string' }, child: { $ref: '#' } },
      required: ['name', 'child'],
    };
    let node = toolInputFor(tree, new Rng(1)) as Record<string, unknown>;
    let depth = 0;
    while (node.child !== undefined) {
      node = node.child as Record<string, unknown>;
      depth++;
    }
    expect(depth).toBeGreaterThan(2);
    expect(depth).toBeLessThan(10);
    expect(toolInputFor({ type: 'object' }, new Rng(1))).toEqual({});
    expect(toolInputFor(undefined, new Rng(1))).toEqual({});
  });
});
