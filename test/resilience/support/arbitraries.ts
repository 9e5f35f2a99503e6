/**
 * fast-check arbitraries for hostile input: text with control, bidi and lone-surrogate characters,
 * huge strings, deep nesting, reserved keys, and mutations of a valid JSON document (wrong types,
 * missing and extra fields) applied at any path. Pure: the property tests send what these build.
 */
import fc from 'fast-check';
import { percentEncode } from './raw-http.js';

/** Characters that end up in emails, SMS and pages and must never pass silently (issue 9, item 6). */
export const NASTY_CHARS = [
  '\u0000', '\u0007', '\u0008', '\t', '\n', '\r', '\u001b', '\u007f', '\u0085', '\u00a0', '\u200b', '\u200e', '\u200f', '\u2028', '\u2029',
  '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\ufeff', '\ufffd', '\ud800', '\udfff',
  '\ud83d\ude00', 'é', 'ß', 'İ', '٣', '"', '\\', '<', '>', '&', "'", '%', '/', '{', '}', ' ', 'a', '0',
];

export const RESERVED_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '', ' ', '$ref', 'id', 'version', 'status'];

export const hostileText = (maxLength = 40): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: fc.constantFrom(...NASTY_CHARS), maxLength }),
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: 'grapheme', maxLength }),
    fc.constantFrom('', ' ', 'null', 'undefined', 'NaN', '0', '-1', '1e309', 'true', '[]', '{}', '<script>alert(1)</script>', '${7*7}', '../../etc/passwd'),
  );

/** Strings around the limits (255 per text field, 2,048 per URL, 256 KB per body) and far past them. */
export const hugeText: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(255, 256, 1024, 2049, 70_000, 300_000), fc.constantFrom('x', 'é', '\u202e', '\u0000', '😀'))
  .map(([n, c]) => c.repeat(n));

export const edgeNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 0, 0.5, 1.5, 2 ** 31, 2 ** 53, 2 ** 53 + 2, 1e308, -1e308, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 5e-324),
);

/** Replaced in the serialised body by nesting `depth` levels deep (JSON.stringify would overflow first). */
export interface Deep {
  deep: number;
  shape: 'object' | 'array';
}

export const deepValue: fc.Arbitrary<Deep> = fc.record({ deep: fc.constantFrom(31, 33, 100, 5000, 20_000), shape: fc.constantFrom('object', 'array') });

export type Value = unknown;

export const anyValue: fc.Arbitrary<Value> = fc.oneof(
  { arbitrary: hostileText(), weight: 4 },
  { arbitrary: edgeNumber, weight: 3 },
  { arbitrary: fc.constantFrom(true, false, null), weight: 2 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 3 },
  { arbitrary: hugeText, weight: 1 },
  { arbitrary: deepValue, weight: 1 },
  { arbitrary: fc.array(hostileText(10), { maxLength: 30 }), weight: 1 },
);

export type Mutation =
  | { kind: 'set'; at: number; value: Value }
  | { kind: 'delete'; at: number }
  | { kind: 'add'; at: number; key: string; value: Value };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: anyValue }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('add' as const), at: fc.nat(), key: fc.oneof(fc.constantFrom(...RESERVED_KEYS), hostileText(20)), value: anyValue }),
);

/** Text-level damage JSON.stringify cannot produce. */
export type RawDamage = 'none' | 'truncate' | 'bom' | 'trailing-garbage' | 'duplicate-key' | 'invalid-utf8' | 'not-json' | 'empty' | 'top-level-array';
export const rawDamage: fc.Arbitrary<RawDamage> = fc.oneof(
  { arbitrary: fc.constant('none' as const), weight: 6 },
  { arbitrary: fc.constantFrom<RawDamage>('truncate', 'bom', 'trailing-garbage', 'duplicate-key', 'invalid-utf8', 'not-json', 'empty', 'top-level-array'), weight: 2 },
);

type Path = Array<string | number>;

/** Every path in a JSON document, containers first (the root is []). */
export function pathsOf(value: unknown, at: Path = []): Path[] {
  const out: Path[] = [at];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...at, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...at, k]));
  return out;
}

/** Sets an own property, even one named __proto__ (plain assignment would change the prototype). */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function parentOf(doc: unknown, path: Path): unknown {
  let node = doc;
  for (const step of path.slice(0, -1)) node = (node as Record<string | number, unknown>)[step];
  return node;
}

/** Applies the mutations in order to a copy of `doc`; deep values become sentinels for `serialise`. */
export function mutate(doc: unknown, mutations: Mutation[]): { doc: unknown; deep: Map<string, Deep> } {
  let copy: unknown = structuredClone(doc);
  const deep = new Map<string, Deep>();
  const materialise = (value: Value): unknown => {
    if (value && typeof value === 'object' && 'deep' in value && 'shape' in value) {
      const sentinel = `@@deep-${deep.size}@@`;
      deep.set(sentinel, value as Deep);
      return sentinel;
    }
    return value;
  };
  for (const m of mutations) {
    const paths = pathsOf(copy);
    const path = paths[m.at % paths.length]!;
    if (m.kind === 'add') {
      const target = path.reduce<unknown>((node, step) => (node as Record<string | number, unknown>)[step], copy);
      if (target && typeof target === 'object' && !Array.isArray(target)) define(target as Record<string, unknown>, m.key, materialise(m.value));
      else if (Array.isArray(target)) target.push(materialise(m.value));
      continue;
    }
    if (path.length === 0) {
      copy = m.kind === 'set' ? materialise(m.value) : undefined;
      continue;
    }
    const parent = parentOf(copy, path) as Record<string | number, unknown> | unknown[];
    const key = path[path.length - 1]!;
    if (m.kind === 'set') {
      if (Array.isArray(parent)) parent[key as number] = materialise(m.value);
      else define(parent, String(key), materialise(m.value));
    } else if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
  }
  return { doc: copy, deep };
}

/** The body's bytes: the document as JSON, deep sentinels expanded, then the text-level damage. */
export function serialise(doc: unknown, deep: Map<string, Deep>, damage: RawDamage): Buffer {
  let text = doc === undefined ? '' : JSON.stringify(doc);
  for (const [sentinel, d] of deep) {
    const [open, close] = d.shape === 'object' ? ['{"a":', '}'] : ['[', ']'];
    text = text.replace(JSON.stringify(sentinel), `${open.repeat(d.deep)}1${close.repeat(d.deep)}`);
  }
  switch (damage) {
    case 'none':
      return Buffer.from(text, 'utf8');
    case 'truncate':
      return Buffer.from(text.slice(0, Math.floor(text.length / 2)), 'utf8');
    case 'bom':
      return Buffer.from(`\ufeff${text}`, 'utf8');
    case 'trailing-garbage':
      return Buffer.from(`${text} }{`, 'utf8');
    case 'duplicate-key':
      return Buffer.from(text.replace(/^\{/, '{"amount":"duplicate",'), 'utf8');
    case 'invalid-utf8': {
      const at = Math.max(0, text.indexOf('"', text.indexOf(':') + 1) + 1);
      return Buffer.concat([Buffer.from(text.slice(0, at), 'utf8'), Buffer.from([0xc3, 0x28, 0xff, 0xed, 0xa0, 0x80]), Buffer.from(text.slice(at), 'utf8')]);
    }
    case 'not-json':
      return Buffer.from(text.replace(/"/g, "'"), 'utf8');
    case 'empty':
      return Buffer.alloc(0);
    case 'top-level-array':
      return Buffer.from(`[${text}]`, 'utf8');
  }
}

/** A path segment for an `{id}` route: as it may arrive, over-long, encoded or reserved. */
export const hostileId = (realIds: () => string[]): fc.Arbitrary<string> =>
  fc.oneof(
    fc.uuid(),
    hostileText(60).filter((s) => s.length > 0).map(percentEncode),
    fc.constantFrom(1024, 1025, 2048, 2049, 3000, 7000).map((n) => 'x'.repeat(n)),
    fc.constantFrom('.', '..', '%2e%2e', '%2F', '%252F', '%00', '%', '%zz', '%C3', '%ED%A0%80', '%E2%80%AE', '__proto__', 'constructor', 'prototype', 'toString', 'LINK%23x', 'null', '*', '~', ';', ','),
    fc.nat().map((i) => {
      const ids = realIds();
      return ids.length === 0 ? 'none' : ids[i % ids.length]!;
    }),
    fc.tuple(fc.nat(), fc.constantFrom('upper', 'suffix', 'prefix', 'encoded-hex')).map(([i, how]) => {
      const ids = realIds();
      const id = ids.length === 0 ? '00000000-0000-4000-8000-000000000000' : ids[i % ids.length]!;
      if (how === 'upper') return id.toUpperCase();
      if (how === 'suffix') return `${id}%20`;
      if (how === 'prefix') return `%20${id}`;
      return id.replace(/[a-f]/, (c) => `%${c.charCodeAt(0).toString(16)}`);
    }),
  );
