/**
 * Property-based input tests (issue 9, "the suite that keeps looking"): fast-check sends mutated
 * create bodies, list queries, `{id}` path segments, header variants and provider webhooks to one
 * in-process sandbox over HTTP. Every answer must be a success or a 4xx that says what is wrong
 * (problem+json on the API, an HTML page on the shopper routes), never a 5xx; and a rejected
 * request must leave the table as it was (no item added or removed).
 *
 * Reproduce a failure with the seed fast-check prints: PAYLINK_FC_SEED=<seed> npx vitest run
 * test/resilience/properties.test.ts. PAYLINK_FC_RUNS changes the number of runs per property.
 */
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentLinkResource } from '../../shared/domain/link/schemas.js';
import { useSandboxWithMerchants } from '../support/api-client.js';
import { createLinkBody, PURSE_CREATE_EXAMPLE } from '../support/fixtures.js';
import { hostileId, hostileText, mutate, mutation, rawDamage, serialise } from './support/arbitraries.js';
import { percentEncode, rawRequest, sendableHeaderValue, type RawReply } from './support/raw-http.js';
import { snapshotDiff, tableSnapshot, type TableSnapshot } from './support/table-snapshot.js';

const PATH = '/payment/v2/payment-links';
const RUNS = Number(process.env.PAYLINK_FC_RUNS ?? 100);
const SEED = process.env.PAYLINK_FC_SEED === undefined ? undefined : Number(process.env.PAYLINK_FC_SEED);
/**
 * Runs and shrinking stop after 40 s, inside the test's 60 s: a failure found late is still reported
 * with its seed and the smallest counterexample so far, instead of a bare timeout that leaves the
 * shrinker sending requests into the next property.
 */
const params = { numRuns: RUNS, interruptAfterTimeLimit: 40_000, ...(SEED === undefined ? {} : { seed: SEED }) };

const ctx = useSandboxWithMerchants(beforeAll, afterAll, { sqsVisibilityTimeoutSeconds: 0.3 });
/** Links of the second merchant: real ids the first must never reach. */
const foreignIds: string[] = [];
/** Links of the first merchant, for the read-only routes. */
const ownIds: string[] = [];
let validCursor = '';

beforeAll(async () => {
  for (let i = 0; i < 3; i++) {
    const own = await ctx.m1.post<PaymentLinkResource>(PATH, createLinkBody({ order: { reference: `prop-own-${i}` } }));
    const foreign = await ctx.m2.post<PaymentLinkResource>(PATH, createLinkBody({ entity_id: 'demo-entity-2', order: { reference: `prop-foreign-${i}` } }));
    expect([own.status, foreign.status]).toEqual([201, 201]);
    ownIds.push(own.body.id);
    foreignIds.push(foreign.body.id);
  }
  validCursor = String((await ctx.m1.get<{ next_cursor: string }>(`${PATH}?limit=1`)).body.next_cursor);
  await ctx.sb.settle();
});

/** The answer is a success or a 4xx that explains itself; never a 5xx. */
function expectExplained(r: RawReply, what: string, kind: 'api' | 'page' = 'api'): void {
  const summary = `${what} → ${r.status} ${r.contentType} ${r.text.slice(0, 300)}`;
  expect(r.status, summary).toBeGreaterThanOrEqual(200);
  expect(r.status, summary).toBeLessThan(500);
  if (r.status < 400) return;
  // A path that matches no route (`/payment-links/.` is `/payment-links/` once resolved) is the
  // gateway's problem+json 404, before any shopper page is involved.
  const gateway = r.contentType === 'application/problem+json' && /"detail":"no route for /.test(r.text);
  if (kind === 'page' && !gateway) {
    expect(r.contentType, summary).toMatch(/^text\/html/);
    return;
  }
  expect(r.contentType, summary).toBe('application/problem+json');
  const problem = JSON.parse(r.text) as { status: number; title: string; errors?: Array<{ pointer: string; detail: string }> };
  expect(problem.status, summary).toBe(r.status);
  expect(problem.title, summary).toBeTruthy();
  for (const e of problem.errors ?? []) expect(e.pointer, summary).toMatch(/^(\/[\s\S]*)?$/);
}

/** Nothing was added to or removed from the table (background work may still update links). */
function expectNothingCreated(before: TableSnapshot, after: TableSnapshot, what: string): void {
  const diff = snapshotDiff(before, after).filter((d) => !d.startsWith('~'));
  expect(diff, what).toEqual([]);
}

const snapshot = () => tableSnapshot(ctx.sb.db, ctx.sb.tableName);
/** Answers by property and status, printed at the end: how much of each property was rejected. */
const outcomes = new Map<string, Map<number, number>>();
function count(status: number): void {
  const name = expect.getState().currentTestName ?? '?';
  const byStatus = outcomes.get(name) ?? new Map<number, number>();
  byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  outcomes.set(name, byStatus);
}
afterAll(() => {
  const lines = [...outcomes].map(([name, byStatus]) => `  ${name.split(' > ')[0]}: ${[...byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')}`);
  console.log(`property answers (seed ${SEED ?? 'random'}, ${RUNS} runs per property, shrinking included):\n${lines.join('\n')}`);
});
const jsonHeaders = () => ({ ...ctx.m1.headers, 'content-type': 'application/json' });

/**
 * One request of a property run: checked, and when rejected, checked to have added or removed no
 * item. (What a success sets off in the background updates links but adds no item: a creation
 * sends no webhook, and these bodies never reach the bounce simulator's addresses.)
 */
async function probe(send: () => Promise<RawReply>, what: () => string, kind: 'api' | 'page' = 'api'): Promise<RawReply> {
  const before = lastSnapshot ?? (await snapshot());
  const r = await send();
  count(r.status);
  expectExplained(r, what(), kind);
  lastSnapshot = await snapshot();
  if (r.status >= 400) expectNothingCreated(before, lastSnapshot, what());
  return r;
}
/** The table after the previous probe: nothing adds items in the background, so it is the table before the next. */
let lastSnapshot: TableSnapshot | undefined;

afterEach(async () => {
  await ctx.sb.settle();
});

const show = (b: Buffer) => JSON.stringify(b.toString('utf8').slice(0, 400));

describe('create body: arbitrary mutations of a valid body', () => {
  const bases = [createLinkBody({ order: { reference: 'prop-base' } }), { ...PURSE_CREATE_EXAMPLE, expiration_in_minutes: 120 }];

  it('answer 201 or a 4xx naming the problem, and a rejected body creates nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(bases.length - 1), fc.array(mutation, { minLength: 1, maxLength: 3 }), rawDamage, async (which, mutations, damage) => {
        const { doc, deep } = mutate(bases[which], mutations);
        const body = serialise(doc, deep, damage);
        await probe(() => rawRequest(ctx.sb.url, 'POST', PATH, jsonHeaders(), body), () => `create ${damage} ${show(body)}`);
      }),
      params,
    );
  });
});

describe('list queries', () => {
  const key = fc.oneof(
    fc.constantFrom('status', 'order_reference', 'limit', 'cursor', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'status[]', '', 'LIMIT'),
    hostileText(12),
  );
  const value = fc.oneof(
    fc.constantFrom('CREATED', 'PAID', 'created', '1', '0', '-1', '100', '101', '1e2', ' 5', '5 ', '0x10', '9'.repeat(400), 'prop-own-1'),
    fc.constant(null).map(() => validCursor),
    fc.nat(40).map((n) => validCursor.slice(0, n) + validCursor.slice(n + 1)),
    hostileText(),
    fc.constantFrom(2049, 5000).map((n) => 'c'.repeat(n)),
  );
  const encoding = fc.constantFrom('component', 'raw', 'broken');
  const encode = (s: string, how: string) => {
    if (how === 'component') return percentEncode(s);
    if (how === 'broken') return `${percentEncode(s)}%${s.length % 2 ? 'zz' : 'C3'}`;
    // Unencoded, as far as HTTP lets a client: visible ASCII (a raw byte over 0x7e is refused by the HTTP parser itself).
    return s.replace(/[^\u0021-\u007e]|[#&=?%]/gu, (c) => percentEncode(c));
  };

  it('answer 200 or a 4xx naming the parameter, and create nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(key, value, encoding), { maxLength: 5 }), async (pairs) => {
        const query = pairs.map(([k, v, how]) => `${encode(k, how)}=${encode(v, how)}`).join('&');
        const r = await probe(() => rawRequest(ctx.sb.url, 'GET', `${PATH}?${query}`, ctx.m1.headers), () => `list ?${query.slice(0, 300)}`);
        if (r.status === 200) {
          const page = JSON.parse(r.text) as { items: Array<{ entity_id: string }>; next_cursor: string | null };
          expect(page.items.every((l) => l.entity_id === 'demo-entity')).toBe(true);
        }
      }),
      params,
    );
  });
});

describe('{id} routes', () => {
  const routes: Array<{ method: string; path: (id: string) => string; kind: 'api' | 'page'; body?: string; ids: () => string[] }> = [
    { method: 'GET', path: (id) => `${PATH}/${id}`, kind: 'api', ids: () => [...foreignIds, ...ownIds] },
    { method: 'POST', path: (id) => `${PATH}/${id}/cancel`, kind: 'api', ids: () => foreignIds },
    { method: 'GET', path: (id) => `${PATH}/${id}/webhook-deliveries`, kind: 'api', ids: () => [...foreignIds, ...ownIds] },
    { method: 'POST', path: (id) => `${PATH}/${id}/notifications`, kind: 'api', body: '{"channel":"EMAIL"}', ids: () => foreignIds },
    { method: 'POST', path: (id) => `/payment/v2/webhook-deliveries/${id}/retry`, kind: 'api', ids: () => foreignIds },
    { method: 'GET', path: (id) => `/payment-links/${id}`, kind: 'page', ids: () => [] },
    { method: 'GET', path: (id) => `/payment-links/${id}/return?client_session_id=${id}`, kind: 'page', ids: () => foreignIds },
    { method: 'POST', path: (id) => `/webhooks/${id}`, kind: 'api', body: '{}', ids: () => [] },
  ];

  it('answer a success or a 4xx (problem+json on the API, an HTML page for shoppers), and never reach another merchant', async () => {
    const foreignBefore = await Promise.all(foreignIds.map(async (id) => (await ctx.sb.deps.links.get(id))!.version));
    const route = fc.nat(routes.length - 1);
    await fc.assert(
      fc.asyncProperty(
        route.chain((i) => fc.tuple(fc.constant(i), hostileId(routes[i]!.ids))),
        async ([i, id]) => {
          const { method, path, kind, body } = routes[i]!;
          const r = await probe(
            () => rawRequest(ctx.sb.url, method, path(id), body ? jsonHeaders() : ctx.m1.headers, body),
            () => `${method} ${path(id).slice(0, 200)}`,
            kind,
          );
          if (foreignIds.some((f) => path(id).includes(f))) expect(r.status, `${method} ${path(id)}`).not.toBe(200);
        },
      ),
      params,
    );
    const foreignAfter = await Promise.all(foreignIds.map(async (id) => (await ctx.sb.deps.links.get(id))!.version));
    expect(foreignAfter).toEqual(foreignBefore);
  });
});

describe('headers on create: Authorization, x-api-key, Idempotency-Key, Content-Type', () => {
  let seq = 0;
  const token = () => (ctx.m1.headers.authorization ?? '').slice('Bearer '.length);
  // Weighted towards what a real client sends, so that the idempotent replay is reached often.
  const authorization = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('valid', 'lower-scheme', 'double-space', 'trailing-space') },
    { weight: 1, arbitrary: fc.constantFrom('other-merchant', 'basic', 'empty', 'absent', 'scheme-only', 'long') },
    { weight: 1, arbitrary: fc.nat().map((n) => `flip-${n}`) },
    { weight: 1, arbitrary: hostileText(30).map((s) => `raw:${s}`) },
  );
  const authValue = (variant: string): string | undefined => {
    const t = token();
    if (variant === 'valid') return `Bearer ${t}`;
    if (variant === 'lower-scheme') return `bearer ${t}`;
    if (variant === 'double-space') return `Bearer  ${t}`;
    if (variant === 'trailing-space') return `Bearer ${t} `;
    if (variant === 'other-merchant') return ctx.m2.headers.authorization;
    if (variant === 'basic') return `Basic ${Buffer.from('demo-client:demo-secret').toString('base64')}`;
    if (variant === 'empty') return '';
    if (variant === 'absent') return undefined;
    if (variant === 'scheme-only') return 'Bearer';
    if (variant === 'long') return `Bearer ${'a'.repeat(7000)}`;
    if (variant.startsWith('flip-')) {
      const at = Number(variant.slice(5)) % t.length;
      return `Bearer ${t.slice(0, at)}${t[at] === 'A' ? 'B' : 'A'}${t.slice(at + 1)}`;
    }
    return sendableHeaderValue(variant.slice(4));
  };
  const apiKey = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom<string | undefined>('demo-api-key', 'demo-api-key ') },
    { weight: 1, arbitrary: fc.constantFrom<string | undefined>('demo-api-key-2', undefined, '', 'DEMO-API-KEY', 'x'.repeat(3000)) },
  );
  const idempotencyKey = fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: fc.stringMatching(/^[!-~]{1,40}$/) },
    { weight: 1, arbitrary: hostileText(40).map(sendableHeaderValue) },
    { weight: 1, arbitrary: fc.constantFrom(255, 256, 3000).map((n) => 'k'.repeat(n)) },
  );
  const contentType = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom<string | undefined>('application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/vnd.api+json', 'application/json;charset=latin1') },
    { weight: 1, arbitrary: fc.constantFrom<string | undefined>(undefined, '', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', '*/*') },
    { weight: 1, arbitrary: hostileText(20).map(sendableHeaderValue) },
  );

  it('answer 201 or a 4xx; rejected requests create nothing; a key replays its request and refuses another body with 422', async () => {
    await fc.assert(
      fc.asyncProperty(authorization, apiKey, idempotencyKey, contentType, async (auth, key, idem, type) => {
        const reference = `prop-hdr-${seq++}`;
        const headers: Record<string, string> = {};
        const authorizationValue = authValue(auth);
        if (authorizationValue !== undefined) headers.authorization = authorizationValue;
        if (key !== undefined) headers['x-api-key'] = key;
        if (idem !== undefined) headers['idempotency-key'] = idem;
        if (type !== undefined) headers['content-type'] = type;
        const body = JSON.stringify(createLinkBody({ order: { reference } }));
        const what = () => `create with ${JSON.stringify(headers).slice(0, 400)}`;
        const first = await probe(() => rawRequest(ctx.sb.url, 'POST', PATH, headers, body), what);
        if (first.status !== 201 || idem === undefined) return;
        const again = await probe(() => rawRequest(ctx.sb.url, 'POST', PATH, headers, body), () => `replay: ${what()}`);
        expect(again.status, what()).toBe(201);
        expect(again.headers['idempotent-replayed'], what()).toBe('true');
        expect(JSON.parse(again.text).id, what()).toBe(JSON.parse(first.text).id);
        const other = JSON.stringify(createLinkBody({ order: { reference: `${reference}-other` } }));
        const conflict = await probe(() => rawRequest(ctx.sb.url, 'POST', PATH, headers, other), () => `other body: ${what()}`);
        expect(conflict.status, what()).toBe(422);
        const list = await rawRequest(ctx.sb.url, 'GET', `${PATH}?order_reference=${reference}`, ctx.m1.headers);
        expect(JSON.parse(list.text).items, what()).toHaveLength(1);
      }),
      params,
    );
  });
});

describe('provider webhooks', () => {
  const enqueued = { count: 0 };
  beforeAll(() => {
    const queue = ctx.sb.deps.providerEventQueue;
    const enqueue = queue.enqueue.bind(queue);
    queue.enqueue = async (message) => {
      enqueued.count += 1;
      return enqueue(message);
    };
  });

  const header = fc.option(hostileText(40).map(sendableHeaderValue), { nil: undefined });
  const forged = fc.record({
    body: fc.oneof(fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'), hostileText(200)),
    how: fc.constantFrom('unsigned', 'wrong-key', 'tampered', 'stale', 'future', 'garbage-headers', 'signature-list'),
    id: header,
    timestamp: header,
    signature: header,
  });

  it('that are not signed with the provider key answer 401 problem+json and queue nothing', async () => {
    await fc.assert(
      fc.asyncProperty(forged, async ({ body, how, id, timestamp, signature }) => {
        const good = ctx.sb.psp.sign(body, { id: 'evt-prop' });
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (how === 'wrong-key') Object.assign(headers, good, { 'webhook-signature': `v1,${Buffer.alloc(32, 1).toString('base64')}` });
        if (how === 'tampered') Object.assign(headers, good);
        if (how === 'stale') Object.assign(headers, ctx.sb.psp.sign(body, { id: 'evt-prop', timestamp: new Date(Date.now() - 3_600_000) }));
        if (how === 'future') Object.assign(headers, ctx.sb.psp.sign(body, { id: 'evt-prop', timestamp: new Date(Date.now() + 3_600_000) }));
        if (how === 'signature-list') Object.assign(headers, good, { 'webhook-signature': `${signature ?? ''} v2,${good['webhook-signature'].slice(3)}` });
        if (how === 'garbage-headers') {
          for (const [name, v] of [['webhook-id', id], ['webhook-timestamp', timestamp], ['webhook-signature', signature]] as const) {
            if (v !== undefined) headers[name] = v;
          }
        }
        const sent = how === 'tampered' ? `${body} ` : body;
        const before = enqueued.count;
        const r = await probe(() => rawRequest(ctx.sb.url, 'POST', '/webhooks/sandbox', headers, sent), () => `webhook ${how} ${JSON.stringify(headers)} ${sent.slice(0, 200)}`);
        expect(r.status, `${how}: ${r.text}`).toBe(401);
        expect(enqueued.count).toBe(before);
      }),
      params,
    );
  });

  it('signed with the right key but with arbitrary content answer 202 or a 4xx, and change no link', async () => {
    const event = (linkId: string) => ({
      id: `evt-${linkId}`,
      type: 'payment.updated',
      created_at: new Date().toISOString(),
      data: { payment: { id: 'pay-x', client_session_id: 'cs-x', payment_link_id: linkId, authorization_status: 'AUTHORIZED', amount: 1, currency: 'EUR', captured: true, created_at: new Date().toISOString() } },
    });
    const signedBody = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'),
      hostileText(300),
      fc.tuple(fc.uuid(), fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([id, m]) => {
        const { doc, deep } = mutate(event(id), m);
        return serialise(doc, deep, 'none').toString('utf8');
      }),
    );
    // The fixed links only: links the create property made may be expiring in the background.
    const versions = () => Promise.all([...ownIds, ...foreignIds].map(async (id) => (await ctx.sb.deps.links.get(id))!.version));
    let signed = 0;
    const linksOf = (s: TableSnapshot) => [...s.keys()].filter((k) => k.endsWith('|LINK')).sort();
    const before = await snapshot();
    const versionsBefore = await versions();
    await fc.assert(
      fc.asyncProperty(signedBody, async (body) => {
        const r = await rawRequest(ctx.sb.url, 'POST', '/webhooks/sandbox', { ...ctx.sb.psp.sign(body, { id: `evt-signed-${signed++}` }) }, body);
        count(r.status);
        expectExplained(r, `signed ${body.slice(0, 300)}`);
      }),
      params,
    );
    await ctx.sb.settle();
    expect(linksOf(await snapshot())).toEqual(linksOf(before));
    expect(await versions()).toEqual(versionsBefore);
  });
});
