/**
 * Input hygiene (issue 9, item 6), over the sandbox's HTTP front like a caller: bytes that are not
 * UTF-8, lone surrogates, control and bidi characters in text that ends up in emails, SMS and pages,
 * and phone numbers the SMS channel could never use. Each is a 400 naming the field (and the
 * character); legitimate text in any script is kept as sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, useSandboxWithMerchants } from '../support/api-client.js';
import { createLinkBody } from '../support/fixtures.js';
import { waitFor } from '../support/wait.js';

const PATH = '/payment/v2/payment-links';
const ctx = useSandboxWithMerchants(beforeAll, afterAll);

interface Problem {
  errors?: Array<{ pointer: string; detail: string }>;
  detail?: string;
}

/** POSTs raw bytes as JSON, as a client with a broken encoder would. */
async function postBytes(bytes: Buffer): Promise<{ status: number; body: Problem & Record<string, unknown> }> {
  const res = await fetch(ctx.sb.url + PATH, { method: 'POST', headers: { ...ctx.m1.headers, 'content-type': 'application/json' }, body: bytes });
  return { status: res.status, body: (await res.json()) as Problem & Record<string, unknown> };
}

/** POSTs JSON text exactly as written (escapes such as \ud800 included). */
function postText(text: string) {
  return call<Problem & Record<string, unknown>>(ctx.sb.url, 'POST', PATH, { headers: { ...ctx.m1.headers, 'content-type': 'application/json' }, body: text });
}

const errorsOf = (body: Problem) => (body.errors ?? []).map((e) => `${e.pointer}: ${e.detail}`);

describe('bytes that are not UTF-8', () => {
  it('are a 400 naming the field, never stored as U+FFFD', async () => {
    const [before, after] = JSON.stringify(createLinkBody({ order: { reference: 'utf8-XX' } })).split('XX') as [string, string];
    const r = await postBytes(Buffer.concat([Buffer.from(before, 'utf8'), Buffer.from([0xff, 0xfe]), Buffer.from(after, 'utf8')]));
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(errorsOf(r.body)).toEqual([expect.stringMatching(/^\/order\/reference: .*not valid UTF-8.*U\+FFFD at position 6/)]);
    // An overlong encoding and an encoded surrogate are not UTF-8 either.
    for (const bad of [[0xc0, 0xaf], [0xed, 0xa0, 0x80]]) {
      const b = await postBytes(Buffer.concat([Buffer.from(before, 'utf8'), Buffer.from(bad), Buffer.from(after, 'utf8')]));
      expect(b.status, bad.join(' ')).toBe(400);
    }
    // The same text correctly encoded is accepted.
    const ok = await postBytes(Buffer.from(JSON.stringify(createLinkBody({ order: { reference: 'utf8-ÿþ' } })), 'utf8'));
    expect(ok.status).toBe(201);
    expect((ok.body.order as { reference: string }).reference).toBe('utf8-ÿþ');
  });
});

describe('lone surrogates', () => {
  it('are a 400 naming the field, anywhere in the body; a well-formed pair is kept', async () => {
    const ref = await postText(JSON.stringify(createLinkBody({ order: { reference: 'lone-XX' } })).replace('XX', '\\ud800'));
    expect(ref.status, ref.text).toBe(400);
    expect(errorsOf(ref.body)).toEqual(['/order/reference: must not contain lone surrogates (U+D800 at position 6)']);
    const data = await postText(JSON.stringify(createLinkBody({ order: { reference: 'lone-2', additional_data: { note: 'XX' } } })).replace('XX', 'a\\udc00'));
    expect(data.status, data.text).toBe(400);
    expect(errorsOf(data.body)).toEqual(['/order/additional_data/note: must not contain lone surrogates (U+DC00 at position 2)']);
    const pair = await postText(JSON.stringify(createLinkBody({ order: { reference: 'pair-XX' } })).replace('XX', '\\ud83d\\ude00'));
    expect(pair.status, pair.text).toBe(201);
    expect((pair.body.order as { reference: string }).reference).toBe('pair-😀');
  });
});

describe('control and bidi characters in text fields', () => {
  const cases: Array<[string, Record<string, unknown>, string, string]> = [
    ['NUL in a reference', { order: { reference: 'ab\u0000c' } }, '/order/reference', 'must not contain control characters (U+0000 at position 3)'],
    ['ESC in a first name', { customer: { first_name: 'J\u001b[31mane' } }, '/customer/first_name', 'must not contain control characters (U+001B at position 2)'],
    ['CR/LF in a last name', { customer: { last_name: 'Doe\r\nBcc: x' } }, '/customer/last_name', 'must not contain control characters (U+000D at position 4)'],
    ['TAB in a city', { order: { reference: 'r', billing_address: { city: 'Pa\tris' } } }, '/order/billing_address/city', 'must not contain control characters (U+0009 at position 3)'],
    ['LF in an address line', { order: { reference: 'r', billing_address: { address_lines: ['1 rue X', 'a\nb'] } } }, '/order/billing_address/address_lines/1', 'must not contain control characters (U+000A at position 2)'],
    ['DEL in an item name', { order: { reference: 'r', shipments: [{ item_lines: [{ type: 'PHYSICAL', name: 'Mug\u007f' }] }] } }, '/order/shipments/0/item_lines/0/name', 'must not contain control characters (U+007F at position 4)'],
    ['C1 NEL in a customer reference', { customer: { reference: 'c\u0085' } }, '/customer/reference', 'must not contain control characters (U+0085 at position 2)'],
    ['a line separator in a reference', { order: { reference: 'a\u2028b' } }, '/order/reference', 'must not contain line or paragraph separators (U+2028 at position 2)'],
    ['RLO in a reference', { order: { reference: 'invoice-\u202Efdp.exe' } }, '/order/reference', 'must not contain bidirectional formatting characters (U+202E at position 9)'],
    ['LRI in a first name', { customer: { first_name: '\u2066Jane' } }, '/customer/first_name', 'must not contain bidirectional formatting characters (U+2066 at position 1)'],
    ['RLM in a seller name', { order: { reference: 'r', marketplace_sellers: [{ name: 'Shop\u200F', reference: 's' }] } }, '/order/marketplace_sellers/0/name', 'must not contain bidirectional formatting characters (U+200F at position 5)'],
    ['ALM in a company name', { order: { reference: 'r', billing_address: { company_name: 'ACME\u061C' } } }, '/order/billing_address/company_name', 'must not contain bidirectional formatting characters (U+061C at position 5)'],
    ['a position counted in characters, not UTF-16 units', { order: { reference: '😀😀\u0000' } }, '/order/reference', 'must not contain control characters (U+0000 at position 3)'],
    ['LF in the redirection URL', { shopper_redirection_url: 'https://example.org/x\nSet-Cookie: a=b' }, '/shopper_redirection_url', 'must not contain control characters (U+000A at position 22)'],
    ['a control character in a webhook header value', { webhook: { url: 'https://example.org/hook', headers: [{ name: 'X-Tag', values: ['a\u0001'] }] } }, '/webhook/headers/0/values/0', 'must not contain control characters (U+0001 at position 2)'],
  ];

  it.each(cases)('%s is a 400 naming the field and the character', async (_what, overrides, pointer, detail) => {
    const r = await ctx.m1.post<Problem>(PATH, createLinkBody(overrides));
    expect(r.status, r.text).toBe(400);
    expect(r.body.errors).toEqual([{ pointer, detail }]);
  });

  it('keeps text in any script, emoji sequences and merchant data with line breaks', async () => {
    const customer = { first_name: 'Zoë 👩‍👩‍👧', last_name: 'עברית العربية 日本語', reference: 'ÅÄÖ-ß' };
    const order = { reference: 'hygiene-ok', additional_data: { note: 'line 1\nline 2\ttabbed' } };
    const r = await ctx.m1.post<{ customer: unknown; order: unknown }>(PATH, createLinkBody({ customer, order }));
    expect(r.status, r.text).toBe(201);
    expect(r.body.customer).toEqual(customer);
    expect(r.body.order).toEqual(order);
  });

  it('are refused in the list filter too', async () => {
    const r = await ctx.m1.get<Problem>(`${PATH}?order_reference=${encodeURIComponent('a\u202Eb')}`);
    expect(r.status, r.text).toBe(400);
    expect(r.body.errors).toEqual([{ pointer: '/order_reference', detail: 'must not contain bidirectional formatting characters (U+202E at position 2)' }]);
  });
});

describe('phone numbers', () => {
  it('that no SMS could reach are a 400 naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ send_by_sms: true, customer: { mobile_phone_number: '+1234' } }, '/customer/mobile_phone_number'],
      [{ customer: { mobile_phone_number: '+33012345678' } }, '/customer/mobile_phone_number'],
      [{ customer: { mobile_phone_number: '+33 6 12 34 56 78 ext. 9' } }, '/customer/mobile_phone_number'],
      [{ send_by_sms: true, order: { reference: 'r', billing_address: { mobile_phone_number: '+999123456' } } }, '/order/billing_address/mobile_phone_number'],
    ];
    for (const [overrides, pointer] of cases) {
      const r = await ctx.m1.post<Problem>(PATH, createLinkBody(overrides));
      expect(r.status, r.text).toBe(400);
      expect(r.body.errors?.map((e) => e.pointer)).toEqual([pointer]);
      expect(r.body.errors?.[0]?.detail).toMatch(/phone number/);
    }
  });

  it('are stored in E.164 and the SMS goes to that number', async () => {
    const r = await ctx.m1.post<{ customer: { mobile_phone_number: string } }>(
      PATH,
      createLinkBody({ order: { reference: 'sms-e164' }, send_by_sms: true, customer: { mobile_phone_number: '+33 (0)6 98 76-54.32' } }),
    );
    expect(r.status, r.text).toBe(201);
    expect(r.body.customer.mobile_phone_number).toBe('+33698765432');
    await waitFor(async () => ctx.sb.sms.messages().some((m) => m.phone_number === '+33698765432'));
  });
});
