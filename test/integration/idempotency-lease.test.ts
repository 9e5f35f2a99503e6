/**
 * Idempotency-Key after a crash (issue 9, item 2). An attempt that dies leaves its claim in
 * progress: within the claim's lease (the function's timeout plus a margin) a retry is a 409; after
 * it the retry runs again and finds what the dead attempt did, so no POST does its work twice.
 * Handlers are called as Lambda calls them, on the sandbox's dynalite and queues, with a clock the
 * test moves; an attempt "dies" at a port call that never returns (the process is gone).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { makeHandler as makeCancel } from '../../functions/cancel-payment-link/handler.js';
import { makeHandler as makeCreate } from '../../functions/create-payment-link/handler.js';
import { makeHandler as makeResend } from '../../functions/resend-notification/handler.js';
import { makeHandler as makeRotate } from '../../functions/rotate-webhook-secret/handler.js';
import { lambdaContext } from '../../sandbox/lambda-context.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import { DynamoIdempotencyStore } from '../../shared/adapters/idempotency-store.js';
import { timeoutSecondsOf, type FunctionName } from '../../shared/app/functions.js';
import type { AppDeps } from '../../shared/app/ports.js';
import { claimLeaseMs } from '../../shared/domain/idempotency/idempotency.js';
import type { Clock } from '../../shared/domain/ports.js';
import { testSandbox, tokenFor } from '../support/api-client.js';
import { createLinkBody } from '../support/fixtures.js';

/** Stands still until the test moves it (the sandbox's tokens and timers keep the real time). */
class MovableClock implements Clock {
  private current = Date.now();
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

const LINKS = '/payment/v2/payment-links';
let sb: Sandbox;
let deps: AppDeps;
const clock = new MovableClock();
const tokens: Record<1 | 2, string> = { 1: '', 2: '' };

beforeAll(async () => {
  sb = await testSandbox();
  deps = { ...sb.deps, clock, idempotency: new DynamoIdempotencyStore(sb.db, sb.tableName, clock) };
  tokens[1] = await tokenFor(sb.url, 'demo-client', 'demo-secret');
  tokens[2] = await tokenFor(sb.url, 'demo-client-2', 'demo-secret-2');
});
afterAll(async () => {
  await sb.stop();
});

interface Call {
  resource: string;
  path: string;
  key: string;
  body?: unknown;
  pathParameters?: Record<string, string>;
  merchant?: 1 | 2;
}

function apiEvent({ resource, path, key, body, pathParameters, merchant = 1 }: Call): APIGatewayProxyEvent {
  const suffix = merchant === 1 ? '' : '-2';
  return {
    resource,
    path,
    httpMethod: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Api-Key': `demo-api-key${suffix}`, Authorization: `Bearer ${tokens[merchant]}`, 'Idempotency-Key': key },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: pathParameters ?? null,
    stageVariables: null,
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { requestId: 'test', domainName: 'localhost', stage: 'v1' } as APIGatewayProxyEvent['requestContext'],
  };
}

/**
 * `port` with `method` replaced by one that never returns: the attempt dies there, before the
 * original runs or right after it. `died` resolves when the attempt got there.
 */
function dyingAt<T extends object>(port: T, method: keyof T & string, when: 'before' | 'after'): { port: T; died: Promise<void> } {
  let reached!: () => void;
  const died = new Promise<void>((resolve) => (reached = resolve));
  const original = port[method] as (...args: unknown[]) => Promise<unknown>;
  const dying = async (...args: unknown[]) => {
    if (when === 'after') await original.apply(port, args);
    reached();
    return new Promise<never>(() => undefined);
  };
  return { port: Object.assign(Object.create(port) as T, { [method]: dying }), died };
}

type Handler = ReturnType<typeof makeCreate>;
const HANDLERS: Record<'create-payment-link' | 'cancel-payment-link' | 'resend-notification' | 'rotate-webhook-secret', (d: AppDeps) => Handler> = {
  'create-payment-link': makeCreate,
  'cancel-payment-link': makeCancel,
  'resend-notification': makeResend,
  'rotate-webhook-secret': makeRotate,
};

/** Calls the function; a given `crash` makes this attempt die and is awaited instead of the answer. */
async function invoke(fn: keyof typeof HANDLERS, call: Call, crash?: { deps: Partial<AppDeps>; died: Promise<void> }) {
  const handler = HANDLERS[fn]({ ...deps, ...(crash?.deps ?? {}) });
  // A long context: middy's early-timeout timer must not answer for an attempt that is meant to hang.
  const answer = handler(apiEvent(call), lambdaContext(fn, 3_600_000));
  if (crash) {
    await crash.died;
    return undefined;
  }
  const r = await answer;
  return { status: r.statusCode, body: JSON.parse(r.body) as Record<string, unknown>, replayed: r.headers?.['idempotent-replayed'] === 'true' };
}

/** Dies after the work, before the claim records its response. */
function diesBeforeCompleting() {
  const { port, died } = dyingAt(deps.idempotency, 'complete', 'before');
  return { deps: { idempotency: port }, died };
}

const leaseOf = (fn: FunctionName) => claimLeaseMs(timeoutSecondsOf(fn));

/** Moves the clock to just before the dead attempt's lease ends (a retry is a 409), then just past it. */
async function expectHeldForTheLease(fn: keyof typeof HANDLERS, call: Call) {
  clock.advance(leaseOf(fn) - 1_000);
  expect((await invoke(fn, call))?.status).toBe(409);
  clock.advance(2_000);
}

async function linksFor(reference: string) {
  return (await sb.deps.links.list('demo-entity', { order_reference: reference }, 10, undefined)).items;
}

let n = 0;
const unique = (what: string) => `${what}-${Date.now()}-${++n}`;

describe('create after a crash', () => {
  const createCall = (reference: string, key: string): Call => ({ resource: LINKS, path: LINKS, key, body: createLinkBody({ order: { reference } }) });

  it('holds the key for the lease, then answers the link the dead attempt wrote: one link', async () => {
    const ref = unique('crash-after-write');
    const call = createCall(ref, unique('key'));
    await invoke('create-payment-link', call, diesBeforeCompleting());
    const written = await linksFor(ref);
    expect(written).toHaveLength(1);

    await expectHeldForTheLease('create-payment-link', call);
    const retry = await invoke('create-payment-link', call);
    expect(retry?.status).toBe(201);
    expect(retry?.body.id).toBe(written[0]!.id);
    expect(await linksFor(ref)).toHaveLength(1);

    const replay = await invoke('create-payment-link', call);
    expect(replay).toMatchObject({ status: 201, replayed: true, body: { id: written[0]!.id } });
  });

  it('creates the link once when the dead attempt wrote none', async () => {
    const ref = unique('crash-before-write');
    const call = createCall(ref, unique('key'));
    const { port, died } = dyingAt(deps.links, 'create', 'before');
    await invoke('create-payment-link', call, { deps: { links: port }, died });
    expect(await linksFor(ref)).toHaveLength(0);

    await expectHeldForTheLease('create-payment-link', call);
    const retry = await invoke('create-payment-link', call);
    expect(retry?.status).toBe(201);
    expect((await linksFor(ref)).map((l) => l.id)).toEqual([retry?.body.id]);
  });

  it('lets one of several racing retries take the key over: one link, the others 409', async () => {
    const ref = unique('crash-race');
    const call = createCall(ref, unique('key'));
    await invoke('create-payment-link', call, diesBeforeCompleting());
    clock.advance(leaseOf('create-payment-link') + 1_000);
    const retries = await Promise.all(Array.from({ length: 5 }, () => invoke('create-payment-link', call)));
    const statuses = retries.map((r) => r?.status);
    expect(statuses.every((s) => s === 201 || s === 409), String(statuses)).toBe(true);
    expect(new Set(retries.filter((r) => r?.status === 201).map((r) => r?.body.id)).size).toBe(1);
    expect(await linksFor(ref)).toHaveLength(1);
  });

  it('does not hand the key to another request after the lease: a different body is still a 422', async () => {
    const ref = unique('crash-other-body');
    const call = createCall(ref, unique('key'));
    await invoke('create-payment-link', call, diesBeforeCompleting());
    clock.advance(leaseOf('create-payment-link') + 1_000);
    const other = await invoke('create-payment-link', { ...call, body: createLinkBody({ order: { reference: ref }, amount: 1 }) });
    expect(other?.status).toBe(422);
    expect(await linksFor(ref)).toHaveLength(1);
  });
});

describe('cancel after a crash', () => {
  it('answers the cancelled link and writes nothing more', async () => {
    const link = (await invoke('create-payment-link', { resource: LINKS, path: LINKS, key: unique('key'), body: createLinkBody() }))!.body;
    const path = `${LINKS}/${String(link.id)}/cancel`;
    const call: Call = { resource: `${LINKS}/{id}/cancel`, path, key: unique('key'), pathParameters: { id: String(link.id) } };
    await invoke('cancel-payment-link', call, diesBeforeCompleting());
    const cancelled = await sb.deps.links.get(String(link.id));
    expect(cancelled).toMatchObject({ status: 'CANCELLED', version: 2 });

    await expectHeldForTheLease('cancel-payment-link', call);
    const retry = await invoke('cancel-payment-link', call);
    expect(retry).toMatchObject({ status: 200, body: { status: 'CANCELLED', version: 2 } });
    expect((await sb.deps.links.get(String(link.id)))?.version).toBe(2);
  });
});

describe('resend after a crash', () => {
  const phone = () => `+336${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;

  async function linkWithPhone(number: string) {
    const body = createLinkBody({ customer: { mobile_phone_number: number } });
    const r = await invoke('create-payment-link', { resource: LINKS, path: LINKS, key: unique('key'), body });
    expect(r?.status).toBe(201);
    return String(r!.body.id);
  }

  const resendCall = (id: string): Call => ({
    resource: `${LINKS}/{id}/notifications`,
    path: `${LINKS}/${id}/notifications`,
    key: unique('key'),
    body: { channel: 'SMS' },
    pathParameters: { id },
  });

  it('queued before the attempt died: the retry answers the same request, and one SMS goes', async () => {
    const number = phone();
    const id = await linkWithPhone(number);
    const call = resendCall(id);
    await invoke('resend-notification', call, diesBeforeCompleting());

    await expectHeldForTheLease('resend-notification', call);
    const retry = await invoke('resend-notification', call);
    expect(retry?.status).toBe(202);
    await sb.settle();
    expect(sb.sms.messages().filter((m) => m.phone_number === number)).toHaveLength(1);
    const link = await sb.deps.links.get(id);
    expect(link?.notifications?.map((x) => [x.id, x.kind])).toEqual([[retry?.body.id, 'RESEND']]);
    expect(link?.resend_requests).toHaveLength(1); // counted once towards the hourly limit
  });

  it('counted but not queued when the attempt died: the retry queues it, counts it once, one SMS goes', async () => {
    const number = phone();
    const id = await linkWithPhone(number);
    const call = resendCall(id);
    const { port, died } = dyingAt(deps.notificationQueue, 'enqueue', 'before');
    await invoke('resend-notification', call, { deps: { notificationQueue: port }, died });
    expect((await sb.deps.links.get(id))?.resend_requests).toHaveLength(1);

    await expectHeldForTheLease('resend-notification', call);
    expect((await invoke('resend-notification', call))?.status).toBe(202);
    await sb.settle();
    expect(sb.sms.messages().filter((m) => m.phone_number === number)).toHaveLength(1);
    expect((await sb.deps.links.get(id))?.resend_requests).toHaveLength(1);
  });
});

describe('webhook-secret rotation after a crash', () => {
  it('answers the secret the dead attempt made and ends no secret a second time', async () => {
    const path = '/payment/v2/webhook-secrets/rotate';
    const call: Call = { resource: path, path, key: unique('key'), merchant: 2 };
    const [deployed] = await sb.deps.webhookSecrets.signingSecrets('demo-entity-2', new Date());
    await invoke('rotate-webhook-secret', call, diesBeforeCompleting());
    const afterCrash = await sb.deps.webhookSecrets.signingSecrets('demo-entity-2', new Date());
    expect(afterCrash).toHaveLength(2);
    expect(afterCrash[1]).toBe(deployed);

    await expectHeldForTheLease('rotate-webhook-secret', call);
    const retry = await invoke('rotate-webhook-secret', call);
    expect(retry?.status).toBe(200);
    expect(retry?.body.secret).toBe(afterCrash[0]);
    // The secret the merchant still has deployed keeps signing: no second rotation ended it.
    expect(await sb.deps.webhookSecrets.signingSecrets('demo-entity-2', new Date())).toEqual(afterCrash);
  });
});
