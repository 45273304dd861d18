import type { Rng } from './rng.js';

/**
 * A tool call's `input` generated from the tool's `input_schema`, the way a forced `tool_choice`
 * needs one: every required property gets a value of its JSON-schema type (string, number,
 * integer, boolean, null, array, object — nested objects recursively), `const` and `enum` take
 * their (first) value, `anyOf`/`oneOf` the first branch, `allOf` is merged, local `$ref`s
 * (`#/$defs/…`, `#/definitions/…`) are followed. Bounds are honoured (`minimum`/`maximum`,
 * exclusive ones, `multipleOf`, `minLength`/`maxLength`, `minItems`/`maxItems`, `uniqueItems`,
 * `minProperties`) and common string `format`s get a value of that format. `pattern` is not
 * (a regex cannot be inverted in general). Values come from the given seeded RNG, so a seed
 * reproduces them.
 */

type Schema = Record<string, unknown>;

const VOCABULARY = (
  'alpha beta gamma delta report summary config task build deploy review draft value item ' +
  'notes main index search query result output input update request record sample'
).split(' ');

/** Nesting depth after which recursive schemas stop (objects → {}, arrays → []). */
const MAX_DEPTH = 8;

function isSchema(v: unknown): v is Schema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function resolveRef(root: Schema, ref: string): Schema | undefined {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/')) {
    if (raw === '') continue;
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isSchema(node) && !Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return isSchema(node) ? node : undefined;
}

/** `allOf` merged into one schema (properties and required united, other keys first-wins). */
function mergeAllOf(s: Schema, root: Schema, depth: number): Schema {
  const parts = (s.allOf as unknown[]).filter(isSchema).map((p) => normalize(p, root, depth));
  const { allOf: _a, ...rest } = s;
  const out: Schema = { ...rest };
  const props: Schema = isSchema(rest.properties) ? { ...rest.properties } : {};
  const required = new Set<string>(Array.isArray(rest.required) ? (rest.required as string[]) : []);
  for (const p of parts) {
    for (const [k, v] of Object.entries(p)) {
      if (k === 'properties' && isSchema(v)) Object.assign(props, v);
      else if (k === 'required' && Array.isArray(v)) for (const r of v) required.add(String(r));
      else if (!(k in out)) out[k] = v;
    }
  }
  if (Object.keys(props).length > 0) out.properties = props;
  if (required.size > 0) out.required = [...required];
  return out;
}

/** Follows `$ref`s and flattens `allOf`, so the generator sees one plain schema. */
function normalize(s: Schema, root: Schema, depth: number): Schema {
  let cur = s;
  for (let hops = 0; typeof cur.$ref === 'string' && hops < MAX_DEPTH; hops++) {
    const target = resolveRef(root, cur.$ref);
    if (!target) break;
    const { $ref: _r, ...rest } = cur;
    cur = { ...target, ...rest };
  }
  if (Array.isArray(cur.allOf) && depth < MAX_DEPTH) cur = mergeAllOf(cur, root, depth + 1);
  return cur;
}

function typeOf(s: Schema): string {
  const t = s.type;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const nonNull = t.find((x) => x !== 'null');
    return typeof nonNull === 'string' ? nonNull : 'null';
  }
  if (isSchema(s.properties) || Array.isArray(s.required)) return 'object';
  if (s.items !== undefined || Array.isArray(s.prefixItems)) return 'array';
  return 'string';
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function words(rng: Rng, n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(VOCABULARY[rng.int(0, VOCABULARY.length - 1)] as string);
  return out.join(' ');
}

function hex(rng: Rng, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += rng.int(0, 15).toString(16);
  return out;
}

function stringValue(s: Schema, rng: Rng): string {
  let v: string;
  switch (s.format) {
    case 'date-time':
      v = `2026-0${rng.int(1, 9)}-1${rng.int(0, 9)}T12:00:00Z`;
      break;
    case 'date':
      v = `2026-0${rng.int(1, 9)}-1${rng.int(0, 9)}`;
      break;
    case 'time':
      v = `12:${rng.int(10, 59)}:00`;
      break;
    case 'email':
      v = `${VOCABULARY[rng.int(0, VOCABULARY.length - 1)]}@example.com`;
      break;
    case 'uri':
    case 'url':
    case 'iri':
      v = `https://example.com/${VOCABULARY[rng.int(0, VOCABULARY.length - 1)]}`;
      break;
    case 'hostname':
      v = 'example.com';
      break;
    case 'ipv4':
      v = `192.0.2.${rng.int(1, 254)}`;
      break;
    case 'ipv6':
      v = `2001:db8::${rng.int(1, 9999)}`;
      break;
    case 'uuid':
      v = `${hex(rng, 8)}-${hex(rng, 4)}-4${hex(rng, 3)}-8${hex(rng, 3)}-${hex(rng, 12)}`;
      break;
    default:
      v = words(rng, rng.int(1, 3));
  }
  const min = num(s.minLength) ?? 0;
  const max = num(s.maxLength);
  while (v.length < min) v += ` ${words(rng, 1)}`;
  if (max !== undefined && v.length > max) v = v.slice(0, Math.max(0, max));
  return v;
}

function numberValue(s: Schema, rng: Rng, integer: boolean): number {
  const exMin = num(s.exclusiveMinimum);
  const exMax = num(s.exclusiveMaximum);
  // Draft 4 spells exclusive bounds as booleans beside minimum/maximum.
  const minIsEx = s.exclusiveMinimum === true;
  const maxIsEx = s.exclusiveMaximum === true;
  const step = integer ? 1 : 0.01;
  let lo = num(s.minimum);
  let hi = num(s.maximum);
  if (lo !== undefined && minIsEx) lo += step;
  if (hi !== undefined && maxIsEx) hi -= step;
  if (exMin !== undefined) lo = Math.max(lo ?? exMin + step, exMin + step);
  if (exMax !== undefined) hi = Math.min(hi ?? exMax - step, exMax - step);
  if (lo === undefined && hi === undefined) lo = 0;
  if (lo === undefined) lo = (hi as number) - 100;
  if (hi === undefined) hi = lo + 100;
  if (hi < lo) hi = lo;
  const multiple = num(s.multipleOf);
  if (multiple !== undefined && multiple > 0) {
    const first = Math.ceil(lo / multiple);
    const last = Math.max(first, Math.floor(hi / multiple));
    // Rounded so that a fractional step (0.1) does not leave float noise (0.30000000000000004).
    return Math.round(rng.int(first, last) * multiple * 1e9) / 1e9;
  }
  if (integer) return rng.int(Math.ceil(lo), Math.max(Math.ceil(lo), Math.floor(hi)));
  const x = Math.round((lo + rng.next() * (hi - lo)) * 100) / 100;
  return Math.min(hi, Math.max(lo, x));
}

function arrayValue(s: Schema, root: Schema, rng: Rng, depth: number): unknown[] {
  if (depth >= MAX_DEPTH) return [];
  const tuple = Array.isArray(s.prefixItems)
    ? (s.prefixItems as unknown[])
    : Array.isArray(s.items)
      ? (s.items as unknown[])
      : undefined;
  const itemSchema = isSchema(s.items) ? s.items : {};
  const min = num(s.minItems) ?? 1;
  const max = num(s.maxItems);
  let n = Math.max(min, tuple?.length ?? 1);
  if (max !== undefined) n = Math.min(n, max);
  const out: unknown[] = [];
  const seen = new Set<string>();
  const normalized = normalize(itemSchema, root, depth);
  const enumValues = Array.isArray(normalized.enum) ? (normalized.enum as unknown[]) : undefined;
  for (let i = 0; i < n; i++) {
    const sch = tuple?.[i];
    if (isSchema(sch)) {
      out.push(valueFor(sch, root, rng, depth + 1));
      continue;
    }
    if (s.uniqueItems === true && enumValues) {
      // Distinct enum values in order (first value first, as for a single enum).
      if (i >= enumValues.length) break;
      out.push(enumValues[i]);
      continue;
    }
    let v = valueFor(itemSchema, root, rng, depth + 1);
    for (let tries = 0; s.uniqueItems === true && seen.has(JSON.stringify(v)) && tries < 8; tries++)
      v = valueFor(itemSchema, root, rng, depth + 1);
    seen.add(JSON.stringify(v));
    out.push(v);
  }
  return out;
}

function objectValue(s: Schema, root: Schema, rng: Rng, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (depth >= MAX_DEPTH) return out;
  const props = isSchema(s.properties) ? s.properties : {};
  const extra = isSchema(s.additionalProperties) ? s.additionalProperties : {};
  const keys = Array.isArray(s.required) ? (s.required as unknown[]).map(String) : [];
  const minProps = num(s.minProperties) ?? 0;
  for (const k of Object.keys(props)) {
    if (keys.length >= minProps) break;
    if (!keys.includes(k)) keys.push(k);
  }
  for (const k of keys) {
    const ps = props[k];
    out[k] = valueFor(isSchema(ps) ? ps : extra, root, rng, depth + 1);
  }
  return out;
}

function valueFor(schema: Schema, root: Schema, rng: Rng, depth: number): unknown {
  const s = normalize(schema, root, depth);
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = s[key];
    if (Array.isArray(branches)) {
      const first = branches.find((b) => isSchema(b) && b.type !== 'null') ?? branches[0];
      if (isSchema(first)) {
        const { [key]: _b, ...rest } = s;
        return valueFor({ ...rest, ...first }, root, rng, depth);
      }
    }
  }
  switch (typeOf(s)) {
    case 'object':
      return objectValue(s, root, rng, depth);
    case 'array':
      return arrayValue(s, root, rng, depth);
    case 'integer':
      return numberValue(s, rng, true);
    case 'number':
      return numberValue(s, rng, false);
    case 'boolean':
      return rng.next() < 0.5;
    case 'null':
      return null;
    default:
      return stringValue(s, rng);
  }
}

/** An `input` object that fits `inputSchema` (an empty object when the schema says nothing). */
export function toolInputFor(inputSchema: unknown, rng: Rng): Record<string, unknown> {
  if (!isSchema(inputSchema)) return {};
  const v = valueFor(inputSchema, inputSchema, rng, 0);
  return isSchema(v) ? v : {};
}
