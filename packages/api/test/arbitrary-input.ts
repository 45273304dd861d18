/**
 * fast-check arbitraries for a procedure's input, read off its zod schema: mostly values of the
 * declared shape (so the call gets past validation and into the handler, with unicode, NUL
 * bytes, huge strings, negative/NaN/huge numbers, invalid dates, extra keys), mixed with
 * adversarial values of any type (wrong types, deep nesting, prototype keys).
 */
import fc from 'fast-check';
import type { z } from 'zod';

export interface InputPools {
  /** Ids that exist (a team, a task, a repository…): uuid fields draw from them often. */
  ids: string[];
  /** Strings that mean something here (a repository name, a model id, a user id…). */
  strings: string[];
  /** Values a field of this name is often given (`teamId`: the team the caller belongs to). */
  byKey: Record<string, unknown[]>;
}

type Def = { type: string; [key: string]: unknown };
const defOf = (schema: unknown): Def => (schema as { _zod: { def: Def } })._zod.def;

const HUGE = 300_000;

/** Strings that hurt: NUL and control bytes, lone surrogates, emoji, RTL marks, SQL, paths, huge. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\ud800',
    '\udfff x',
    '\u202e\u200b\ufeff',
    '👩‍👩‍👧‍👦'.repeat(50),
    "'; drop table teams; --",
    '%_\\',
    '../../etc/passwd',
    '--upload-pack=touch /tmp/pwned',
    '-c',
    'HEAD~1',
    '@{-1}',
    '\n\r\t',
    '0',
    '-1',
    'NaN',
    'null',
    '__proto__',
  ),
  fc.constant('x'.repeat(HUGE)),
  fc.constant('é'.repeat(70_000)),
);

const nastyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: -1_000, max: 1_000 }),
  fc.double(),
  fc.constantFrom(
    0,
    -0,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 2,
    -Number.MAX_SAFE_INTEGER,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    2 ** 31,
    2 ** 31 - 1,
    -(2 ** 31) - 1,
    2 ** 53,
    1e21,
    0.1 + 0.2,
    1e-7,
    123.456789,
  ),
);

const nastyDate: fc.Arbitrary<Date> = fc.oneof(
  fc.date({ noInvalidDate: false }),
  fc.constantFrom(new Date(8.64e15), new Date(-8.64e15), new Date(0), new Date(Number.NaN)),
);

/** Deeply nested arrays/objects (recursion a validator or a handler might choke on). */
const deep: fc.Arbitrary<unknown> = fc.integer({ min: 50, max: 5_000 }).chain((depth) =>
  fc.constantFrom('array', 'object').map((kind) => {
    let v: unknown = 1;
    for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
    return v;
  }),
);

/** Anything of any type. */
export const adversarial: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.anything({
      maxDepth: 3,
      withNullPrototype: true,
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withSparseArray: true,
      withBoxedValues: true,
    }),
  },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: nastyString },
  { weight: 1, arbitrary: nastyNumber },
  {
    weight: 1,
    arbitrary: fc.constantFrom(undefined, null, true, false, [], {}, Symbol('s'), () => 1),
  },
);

/** Extra keys an object may carry: unknown ones and prototype names. */
const extraKeys = fc.dictionary(
  fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString'),
  ),
  adversarial,
  { maxKeys: 3 },
);

interface Check {
  check: string;
  minimum?: number;
  maximum?: number;
  value?: number;
  inclusive?: boolean;
  format?: string;
  pattern?: RegExp;
}
const checksOf = (def: Def): Check[] =>
  ((def.checks ?? []) as { _zod: { def: Check } }[]).map((c) => c._zod.def);

/** A valid-looking string for a string schema: its pattern, its length bounds, the pools. */
function validString(def: Def, pools: InputPools): fc.Arbitrary<string> {
  const checks = checksOf(def);
  const min = checks.find((c) => c.check === 'min_length')?.minimum ?? 0;
  const max = Math.min(checks.find((c) => c.check === 'max_length')?.maximum ?? 60, 60);
  const pattern = checks.find((c) => c.check === 'string_format' && c.pattern)?.pattern;
  if (def.format === 'uuid' || def.format === 'guid')
    return fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...pools.ids) }, fc.uuid());
  if (def.format === 'email') return fc.oneof(fc.emailAddress(), fc.constant('A@B.TEST'));
  if (def.format === 'datetime')
    return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
  // (A pattern's matches may miss the length bounds: the pools hold values that fit both.)
  const shaped = pattern
    ? fc.stringMatching(pattern)
    : fc.string({
        unit: 'grapheme',
        minLength: Math.max(min, 1),
        maxLength: Math.max(max, min, 1),
      });
  // Valid for zod, hard for what is behind it: NUL and control bytes, lone surrogates.
  const spiked = fc
    .tuple(shaped, fc.constantFrom('\u0000', '\u0001', '\ud800', '\u202e', '\\', "'", '%'))
    .map(([v, c]) => (v.length > 1 ? `${v.slice(0, 1)}${c}${v.slice(2)}` : `${v}${c}`));
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...pools.strings) },
    { weight: 3, arbitrary: shaped },
    { weight: 2, arbitrary: spiked },
  );
}

/** A valid-looking number for a number schema: within its bounds, whole when it must be. */
function validNumber(def: Def): fc.Arbitrary<number> {
  const checks = checksOf(def);
  const whole =
    ['safeint', 'int32', 'uint32'].includes(String(def.format)) ||
    checks.some((c) => c.check === 'number_format');
  const lo = checks.find((c) => c.check === 'greater_than');
  const hi = checks.find((c) => c.check === 'less_than');
  const min = lo?.value ?? -1e6;
  const max = hi?.value ?? 1e6;
  const edges = [
    min,
    max,
    lo && !lo.inclusive ? min : undefined,
    hi && !hi.inclusive ? max : undefined,
  ]
    .filter((v): v is number => v !== undefined)
    .flatMap((v) => (whole ? [v - 1, v, v + 1] : [v - 1e-9, v, v + 1e-9, v + 0.5]));
  const inside = whole
    ? fc.integer({ min: Math.ceil(Math.max(min, -1e9)), max: Math.floor(Math.min(max, 1e9)) })
    : fc.double({ min: Math.max(min, -1e9), max: Math.min(max, 1e9), noNaN: true });
  return fc.oneof(
    { weight: 4, arbitrary: inside },
    { weight: 1, arbitrary: fc.constantFrom(...edges) },
  );
}

/** A value meant to pass `schema` (refinements aside). */
function validFor(schema: unknown, pools: InputPools, depth: number): fc.Arbitrary<unknown> {
  const def = defOf(schema);
  const valid = (s: unknown) => validFor(s, pools, depth + 1);
  if (depth > 6) return adversarial;
  switch (def.type) {
    case 'optional':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
    case 'default':
    case 'prefault':
      return fc.oneof({ weight: 3, arbitrary: valid(def.innerType) }, fc.constant(undefined));
    case 'nullable':
      return fc.oneof({ weight: 3, arbitrary: valid(def.innerType) }, fc.constant(null));
    case 'pipe':
      return valid(def.in);
    case 'object': {
      const fields: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, field] of Object.entries((def.shape ?? {}) as Record<string, unknown>)) {
        const known = pools.byKey[key];
        fields[key] = known
          ? fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...known) }, valid(field))
          : valid(field);
      }
      return fc.record(fields);
    }
    case 'string':
      return validString(def, pools);
    case 'number':
    case 'int':
      return validNumber(def);
    case 'bigint':
      return fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n });
    case 'boolean':
      return fc.boolean();
    case 'date':
      return fc.date({
        noInvalidDate: true,
        min: new Date('1970-01-01'),
        max: new Date('2100-01-01'),
      });
    case 'enum':
      return fc.constantFrom(...Object.values(def.entries as Record<string, unknown>));
    case 'literal':
      return fc.constantFrom(...(def.values as unknown[]));
    case 'array': {
      const checks = checksOf(def);
      const minLength = checks.find((c) => c.check === 'min_length')?.minimum ?? 0;
      const maxLength = Math.min(checks.find((c) => c.check === 'max_length')?.maximum ?? 6, 12);
      return fc.array(valid(def.element), { minLength, maxLength: Math.max(minLength, maxLength) });
    }
    case 'tuple':
      return fc.tuple(...(def.items as unknown[]).map(valid));
    case 'union':
      return fc.oneof(...(def.options as unknown[]).map(valid));
    case 'intersection':
      return valid(def.left);
    case 'record':
      return fc.dictionary(fc.string({ maxLength: 10 }), valid(def.valueType), { maxKeys: 4 });
    default:
      return adversarial;
  }
}

/** A value meant to fail `schema`, or to pass it with an edge: wrong types, bounds, huge, nasty. */
function nastyFor(schema: unknown, pools: InputPools, depth: number): fc.Arbitrary<unknown> {
  const def = defOf(schema);
  if (depth > 6) return adversarial;
  switch (def.type) {
    case 'optional':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
    case 'default':
    case 'prefault':
    case 'nullable':
      return nastyFor(def.innerType, pools, depth + 1);
    case 'pipe':
      return nastyFor(def.in, pools, depth + 1);
    case 'object': {
      const shape = (def.shape ?? {}) as Record<string, unknown>;
      const keys = Object.keys(shape);
      const valid = validFor(schema, pools, depth) as fc.Arbitrary<Record<string, unknown>>;
      const options: fc.Arbitrary<unknown>[] = [
        fc.tuple(valid, extraKeys).map(([known, extra]) => Object.assign(extra, known)),
        adversarial,
      ];
      if (keys.length > 0) {
        // One field (or two) off, the others valid: the refusal must name that field.
        const oneOff = fc
          .constantFrom(...keys)
          .chain((key) =>
            fc
              .tuple(valid, arbitraryFor(shape[key], pools, depth + 1))
              .map(([v, bad]) => ({ ...v, [key]: bad })),
          );
        options.push(
          oneOff,
          oneOff,
          oneOff,
          fc.tuple(oneOff, oneOff).map(([a, b]) => ({ ...a, ...b })),
        );
        options.push(
          valid.chain((v) =>
            fc.subarray(keys).map((drop) => {
              const out = { ...v };
              for (const k of drop) delete out[k];
              return out;
            }),
          ),
        );
      }
      return fc.oneof(...options);
    }
    case 'string':
      return fc.oneof(nastyString, adversarial);
    case 'number':
    case 'int':
      return fc.oneof(nastyNumber, adversarial, fc.constantFrom('1', '1e3', ''));
    case 'date':
      return fc.oneof(nastyDate, fc.constantFrom('2026-01-01', 0, 'yesterday'), adversarial);
    case 'enum':
    case 'literal':
      return fc.oneof(nastyString, adversarial);
    case 'array':
      return fc.oneof(
        fc.array(arbitraryFor(def.element, pools, depth + 1), { maxLength: 6 }),
        fc.array(validFor(def.element, pools, depth + 1), { minLength: 20, maxLength: 200 }),
        adversarial,
      );
    case 'union':
      return fc.oneof(...(def.options as unknown[]).map((o) => nastyFor(o, pools, depth + 1)));
    default:
      return adversarial;
  }
}

/** Values for `schema`: mostly valid-looking (to reach the handler), often off by one field. */
export function arbitraryFor(schema: unknown, pools: InputPools, depth = 0): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: validFor(schema, pools, depth) },
    { weight: 2, arbitrary: nastyFor(schema, pools, depth) },
  );
}

/**
 * A procedure's input: its parsers (`.input()` may be chained, e.g. teamProcedure's teamId then
 * the procedure's own object) merged into one object when they are all objects.
 */
export function procedureInput(
  inputs: readonly z.ZodType[],
  pools: InputPools,
): fc.Arbitrary<unknown> {
  if (inputs.length === 0) return fc.oneof(fc.constant(undefined), adversarial);
  const unwrapped = inputs.map((s) => {
    let x: unknown = s;
    while (['default', 'prefault', 'optional'].includes(defOf(x).type)) x = defOf(x).innerType;
    return x;
  });
  if (unwrapped.every((s) => defOf(s).type === 'object')) {
    const shape = Object.assign({}, ...unwrapped.map((s) => defOf(s).shape));
    return arbitraryFor({ _zod: { def: { type: 'object', shape } } }, pools);
  }
  return fc.oneof(...inputs.map((s) => arbitraryFor(s, pools)));
}
