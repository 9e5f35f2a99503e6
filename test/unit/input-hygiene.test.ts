/**
 * Input hygiene (issue 9, item 6), piece by piece: the body decoding (base64 bodies are checked
 * byte by byte; text bodies as API Gateway hands them over), the sandbox gateway doing what API
 * Gateway does with a body, the character rules of text fields, and phone numbers.
 */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { MalformedRequestError, ValidationError } from '../../shared/domain/errors.js';
import { createPaymentLinkSchema } from '../../shared/domain/link/schemas.js';
import { parseOrThrow } from '../../shared/domain/validate.js';
import { readJsonBody, type ApiEvent } from '../../shared/http/api.js';
import { toProxyEvent } from '../../sandbox/api-gateway.js';
import { createLinkBody } from '../support/fixtures.js';

const jsonEvent = (body: string, isBase64Encoded: boolean) =>
  ({ headers: { 'content-type': 'application/json' }, body, isBase64Encoded }) as unknown as ApiEvent;

function errorsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof ValidationError) return err.errors.map((e) => `${e.pointer}: ${e.detail}`);
    throw err;
  }
  return [];
}

describe('readJsonBody', () => {
  it('refuses a base64 body whose bytes are not UTF-8 (400), and reads one that is', () => {
    const bad = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    expect(() => readJsonBody(jsonEvent(bad.toString('base64'), true))).toThrow(MalformedRequestError);
    expect(() => readJsonBody(jsonEvent(bad.toString('base64'), true))).toThrow(/not valid UTF-8/);
    expect(readJsonBody(jsonEvent(Buffer.from('{"a":"é😀"}').toString('base64'), true))).toEqual({ a: 'é😀' });
  });

  it('refuses U+FFFD (what a lossy decoder left) and lone surrogates in any key or value, naming the place', () => {
    expect(errorsOf(() => readJsonBody(jsonEvent('{"a":{"b":"x\uFFFD"}}', false)))).toEqual(['/a/b: is not valid UTF-8 (U+FFFD at position 2, the replacement for bytes that were not)']);
    expect(errorsOf(() => readJsonBody(jsonEvent('{"a":["ok","\\udfff"]}', false)))).toEqual(['/a/1: must not contain lone surrogates (U+DFFF at position 1)']);
    expect(errorsOf(() => readJsonBody(jsonEvent('{"k\\ud800":1}', false)))).toEqual(['/k\ud800: must not contain lone surrogates (U+D800 at position 2)']);
    expect(readJsonBody(jsonEvent('{"a":"\\ud83d\\ude00 \\n\\t"}', false))).toEqual({ a: '😀 \n\t' });
  });
});

describe('the sandbox gateway', () => {
  const request = (contentType: string) =>
    ({ rawHeaders: ['content-type', contentType], headers: { 'content-type': contentType }, method: 'POST', httpVersion: '1.1', socket: {} }) as unknown as IncomingMessage;
  const route = { resource: '/x', pathParameters: {} };

  it('hands every body over as text, decoded as UTF-8 with U+FFFD for bad bytes, as API Gateway without binary media types does', () => {
    const bytes = Buffer.from([0x7b, 0xff, 0x7d]);
    for (const type of ['application/json', 'application/octet-stream', 'image/png', '']) {
      const event = toProxyEvent(request(type), new URL('http://sandbox/x'), bytes, route, 'v1');
      expect(event.isBase64Encoded, type).toBe(false);
      expect(event.body, type).toBe('{\uFFFD}');
    }
  });
});

describe('text fields', () => {
  const parse = (overrides: Record<string, unknown>) => errorsOf(() => parseOrThrow(createPaymentLinkSchema, createLinkBody(overrides)));

  it('name the first refused character by code point and position (characters counted from 1)', () => {
    expect(parse({ order: { reference: '\u0000' } })).toEqual(['/order/reference: must not contain control characters (U+0000 at position 1)']);
    expect(parse({ order: { reference: 'ok\u009f' } })).toEqual(['/order/reference: must not contain control characters (U+009F at position 3)']);
    expect(parse({ order: { reference: '\u{1F600}\u202A' } })).toEqual(['/order/reference: must not contain bidirectional formatting characters (U+202A at position 2)']);
    expect(parse({ order: { reference: 'x\u2029' } })).toEqual(['/order/reference: must not contain line or paragraph separators (U+2029 at position 2)']);
    expect(parse({ order: { reference: 'x\uFFFD' } })).toEqual(['/order/reference: is not valid UTF-8 (U+FFFD at position 2, the replacement for bytes that were not)']);
    expect(parse({ order: { reference: 'x\ud800' } })).toEqual(['/order/reference: must not contain lone surrogates (U+D800 at position 2)']);
  });

  it('refuse every bidi override, embedding, isolate and mark', () => {
    for (const c of ['\u061C', '\u200E', '\u200F', '\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069']) {
      expect(parse({ customer: { first_name: `a${c}` } }), c).toEqual([expect.stringMatching(/^\/customer\/first_name: must not contain bidirectional formatting characters \(U\+[0-9A-F]{4} at position 2\)$/)]);
    }
  });

  it('refuse every C0 control, DEL and C1 control', () => {
    const controls = [...Array(0x20).keys(), 0x7f, ...Array.from({ length: 0x20 }, (_, i) => 0x80 + i)];
    for (const code of controls) {
      expect(parse({ order: { reference: String.fromCharCode(code) } }), code.toString(16)).toHaveLength(1);
    }
  });

  it('keep the characters around them: zero-width joiners in emoji, NBSP, any script', () => {
    for (const text of ['👩‍👩‍👧', 'Référence\u00A012', 'עברית', 'العربية', '日本語', '\u00A0~\u00A1']) {
      expect(parse({ order: { reference: text } }), text).toEqual([]);
    }
  });
});

describe('phone numbers', () => {
  const mobile = (value: string) => createPaymentLinkSchema.safeParse(createLinkBody({ customer: { mobile_phone_number: value } }));

  it('are normalised to E.164', () => {
    for (const [given, stored] of [
      ['+33612345678', '+33612345678'],
      ['+33 6 12 34 56 78', '+33612345678'],
      ['+33 (0)6 12-34.56.78', '+33612345678'],
      ['+1 (213) 373-4253', '+12133734253'],
    ]) {
      expect(mobile(given!).data?.customer?.mobile_phone_number, given).toBe(stored);
    }
  });

  it('are refused when no country could route them, or when they carry anything but the number', () => {
    for (const value of ['+1234', '+33012345678', '+336123456789', '+999123456', '0612345678', '33612345678', '+33612345678 ext 1', '+33612345678;ext=1', 'tel:+33612345678', '+33\u00A0612345678', '+٣٣٦١٢٣٤٥٦٧٨']) {
      const result = mobile(value);
      expect(result.success, value).toBe(false);
      expect(result.error?.issues[0]?.message, value).toMatch(/international phone number/);
    }
  });
});
