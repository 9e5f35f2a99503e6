import type { z } from 'zod';
import { ValidationError, type FieldError } from './errors.js';

/** RFC 6901 JSON pointer for a zod issue path. */
export function toPointer(path: readonly PropertyKey[]): string {
  return path.map((p) => '/' + String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

/** The value at a zod issue's path in what was parsed (zod v4 issues do not carry it). */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let node = input;
  for (const key of path) {
    if (typeof node !== 'object' || node === null || !Object.prototype.hasOwnProperty.call(node, key)) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** The JSON type of a value, as a caller would name it. */
function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

const EXPECTED: Record<string, string> = { int: 'an integer', number: 'a number', string: 'a string', boolean: 'a boolean', object: 'an object', array: 'an array' };

export function fieldErrors(error: z.ZodError, input?: unknown): FieldError[] {
  return error.issues.flatMap((issue): FieldError[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ pointer: toPointer([...issue.path, key]), detail: 'unknown field' }));
    }
    if (issue.code === 'invalid_type') {
      const given = valueAt(input, issue.path);
      if (given === undefined) return [{ pointer: toPointer(issue.path), detail: 'is required' }];
      // A schema may say what it expects more precisely (an integer in minor units) than zod's type.
      const said = issue.message.startsWith('Invalid input') ? `must be ${EXPECTED[issue.expected] ?? issue.expected}` : issue.message;
      return [{ pointer: toPointer(issue.path), detail: `${said}, not ${jsonType(given)}` }];
    }
    return [{ pointer: toPointer(issue.path), detail: issue.message }];
  });
}

/** Parse `input` with `schema`, or throw a ValidationError naming every bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, prefix: PropertyKey[] = []): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const errors = fieldErrors(result.error, input).map((e) => ({ ...e, pointer: toPointer(prefix) + e.pointer }));
  throw new ValidationError(errors);
}
