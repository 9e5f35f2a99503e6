import type { z } from 'zod';
import { ValidationError, type FieldError } from './errors.js';

/** RFC 6901 JSON pointer for a zod issue path. */
export function toPointer(path: readonly PropertyKey[]): string {
  return path.map((p) => '/' + String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue): FieldError[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ pointer: toPointer([...issue.path, key]), detail: 'unknown field' }));
    }
    if (issue.code === 'invalid_type' && issue.input === undefined) {
      return [{ pointer: toPointer(issue.path), detail: 'is required' }];
    }
    return [{ pointer: toPointer(issue.path), detail: issue.message }];
  });
}

/** Parse `input` with `schema`, or throw a ValidationError naming every bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, prefix: PropertyKey[] = []): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const errors = fieldErrors(result.error).map((e) => ({ ...e, pointer: toPointer(prefix) + e.pointer }));
  throw new ValidationError(errors);
}
