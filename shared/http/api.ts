/** Shapes shared by the API Gateway (REST, proxy integration) handlers. */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { MalformedRequestError, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../domain/errors.js';
import { encodingProblem } from '../domain/text-hygiene.js';
import { toPointer } from '../domain/validate.js';
import type { Merchant } from '../domain/ports.js';

export type ApiEvent = APIGatewayProxyEvent;
export type ApiResult = APIGatewayProxyResult;

/** Lambda context plus what the authentication middleware found. */
export interface ApiContext extends Context {
  merchant?: Merchant;
}

export const MAX_BODY_BYTES = 256 * 1024;

const BASE_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...BASE_HEADERS, ...headers },
    body: JSON.stringify(body),
  };
}

/** Header lookup; @middy/http-header-normalizer has lower-cased the names already. */
export function header(event: ApiEvent, name: string): string | undefined {
  return event.headers?.[name.toLowerCase()] ?? undefined;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The body as text. API Gateway (no binaryMediaTypes, infra/constructs/api.ts) hands over every
 * body as a string it decoded as UTF-8, bytes that were not UTF-8 replaced with U+FFFD: those are
 * refused by checkJsonShape. A base64 body still has its bytes, which must be UTF-8 (400 if not).
 */
export function rawBody(event: ApiEvent): string {
  if (event.body == null) return '';
  if (!event.isBase64Encoded) return event.body;
  try {
    return UTF8.decode(Buffer.from(event.body, 'base64'));
  } catch {
    throw new MalformedRequestError('the request body is not valid UTF-8');
  }
}

function bodyBytes(event: ApiEvent): number {
  if (event.body == null) return 0;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').length : Buffer.byteLength(event.body, 'utf8');
}

export function checkBodySize(event: ApiEvent): void {
  if (bodyBytes(event) > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(`the request body must be at most ${MAX_BODY_BYTES} bytes`);
  }
}

function mediaType(event: ApiEvent): string {
  return (header(event, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The JSON body of a request: 413 when too large, 415 when not JSON, 400 when malformed. */
export function readJsonBody(event: ApiEvent): unknown {
  checkBodySize(event);
  const type = mediaType(event);
  if (type !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) {
    throw new UnsupportedMediaTypeError('the request body must be application/json');
  }
  const text = rawBody(event);
  if (text.trim() === '') throw new MalformedRequestError('the request body is empty; a JSON object is expected');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new MalformedRequestError('the request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new MalformedRequestError('the request body must be a JSON object');
  }
  checkJsonShape(parsed);
  return parsed;
}

/** Deeper than any request this API defines (a link body is 4 levels deep; merchant data a few more). */
export const MAX_JSON_DEPTH = 32;
/** Keys that mean something to JavaScript objects rather than to us: refused wherever they appear. */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Refuses (400, naming the place) a body nested deeper than MAX_JSON_DEPTH or with a reserved key
 * anywhere: both would otherwise reach recursive code (validation, marshalling) and end as a 500;
 * so would a number the table cannot keep (numberProblem).
 * Every key and string must be well-formed text: no lone surrogate (a JSON `\ud800` escape) and no
 * U+FFFD, all that is left of bytes that were not UTF-8 (text-hygiene.ts).
 * Iterative, so the check itself cannot overflow the stack.
 */
/**
 * Numbers the table keeps exactly: integers within ±(2^53−1) (beyond, JSON.parse has already lost
 * digits, and the DynamoDB marshaller refuses them) and no non-zero magnitude below 1e-130
 * (DynamoDB's smallest). Fractions such as 0.075 are fine.
 */
function numberProblem(n: number): string | undefined {
  if (Math.abs(n) > Number.MAX_SAFE_INTEGER) return `must be between -${Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}`;
  if (n !== 0 && Math.abs(n) < 1e-130) return 'is too close to zero to be stored (at least 1e-130 in magnitude, or 0)';
  return undefined;
}

export function checkJsonShape(value: unknown): void {
  const stack: Array<{ node: unknown; path: string[] }> = [{ node: value, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (typeof node === 'string') {
      const problem = encodingProblem(node);
      if (problem) throw ValidationError.field(toPointer(path), problem);
    }
    if (typeof node === 'number') {
      const problem = numberProblem(node);
      if (problem) throw ValidationError.field(toPointer(path), problem);
    }
    if (typeof node !== 'object' || node === null) continue;
    if (path.length >= MAX_JSON_DEPTH) throw ValidationError.field(toPointer(path), `is nested deeper than ${MAX_JSON_DEPTH} levels`);
    for (const [key, child] of Object.entries(node)) {
      if (!Array.isArray(node) && RESERVED_KEYS.has(key)) throw ValidationError.field(toPointer([...path, key]), 'is a reserved name and cannot be used as a key');
      const problem = encodingProblem(key);
      if (problem) throw ValidationError.field(toPointer([...path, key]), problem);
      stack.push({ node: child, path: [...path, key] });
    }
  }
}

/** The x-www-form-urlencoded body of a request (OAuth token endpoint). */
export function readFormBody(event: ApiEvent): Record<string, string> {
  checkBodySize(event);
  if (mediaType(event) !== 'application/x-www-form-urlencoded') {
    throw new UnsupportedMediaTypeError('the request body must be application/x-www-form-urlencoded');
  }
  const params = new URLSearchParams(rawBody(event));
  const out: Record<string, string> = {};
  for (const [k, v] of params) {
    // RFC 6749 §3.2: parameters must not be included more than once.
    if (k in out) throw new MalformedRequestError(`the parameter ${k} is repeated`);
    out[k] = v;
  }
  return out;
}

export function pathParameter(event: ApiEvent, name: string): string {
  const value = event.pathParameters?.[name];
  if (!value) throw new MalformedRequestError(`the path parameter ${name} is missing`);
  return value;
}

export function merchantOf(context: ApiContext): Merchant {
  if (!context.merchant) throw new Error('authenticate() middleware is not in the chain');
  return context.merchant;
}
