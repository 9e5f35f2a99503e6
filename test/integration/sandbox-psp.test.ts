/**
 * The sandbox PSP on its own: a bare node HTTP server mounting only the PSP, a local receiver for
 * its webhooks, and Paylink's SandboxProvider adapter talking to it. Tests act as the shopper
 * (form posts, `redirect: 'manual'`) and as Paylink (API calls, webhook verification).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandboxPsp, type SandboxPsp, type SandboxPspOptions } from '../../sandbox/psp/sandbox-psp.js';
import { newWebhookSecret } from '../../sandbox/psp/webhooks.js';
import { createLogger } from '../../shared/logger.js';
import type { ClientSessionRequest, ProviderEvent } from '../../shared/providers/payment-provider.js';
import { SandboxProvider, SandboxProviderHttpError } from '../../shared/providers/sandbox-provider.js';
import { FixedClock } from '../support/fakes.js';

const API_KEY = 'sandbox-psp-test-key';
const SECRET = newWebhookSecret();
// The PSP's clock; card expiry and webhook timestamps are judged against it.
const clock = new FixedClock(new Date('2026-01-15T10:00:00.000Z'));
const RETURN_URL = 'https://merchant.example/return?order=123&note=a%20b';
const RETRY_URL = 'https://pay.example/payment-links/pl-1?lang=en&x=1';

interface Received {
  headers: Record<string, string | undefined>;
  body: string;
}

async function listen(handler: RequestListener): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function stop(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Bounded poll: the only kind of waiting these tests do. */
async function waitFor<T>(probe: () => T | undefined | false, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A webhook endpoint that records every delivery; `failures` makes it answer 500 a number of
 * times for one payment link's webhooks first. */
async function startReceiver() {
  const received: Received[] = [];
  const failures = new Map<string, number>();
  const { server, url } = await listen((req, res) => {
    void readText(req).then((body) => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
      received.push({ headers, body });
      const linkId = (JSON.parse(body) as { data?: { payment?: { payment_link_id?: string } } }).data?.payment?.payment_link_id ?? '';
      const left = failures.get(linkId) ?? 0;
      if (left > 0) failures.set(linkId, left - 1);
      res.writeHead(left > 0 ? 500 : 204).end();
    });
  });
  return { received, failures, server, url };
}

async function startPsp(receiverUrl: string, overrides: Partial<SandboxPspOptions> = {}) {
  let base = '';
  const logs: string[] = [];
  const psp = createSandboxPsp({
    baseUrl: () => base,
    webhookUrl: () => `${receiverUrl}/webhooks/sandbox`,
    webhookSecret: SECRET,
    apiKey: API_KEY,
    pendingMs: 50,
    logger: createLogger({ level: 'warn', write: (line) => logs.push(line) }),
    clock: () => clock.now(),
    webhookRetry: { firstBackoffMs: 10 },
    ...overrides,
  });
  const { server, url } = await listen((req, res) => {
    void psp.handle(req, res).then((handled) => {
      if (!handled) res.writeHead(418).end('not the psp');
    });
  });
  base = url;
  return { psp, server, url, logs };
}

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let env: Awaited<ReturnType<typeof startPsp>>;
let psp: SandboxPsp;
let provider: SandboxProvider;

beforeAll(async () => {
  receiver = await startReceiver();
  env = await startPsp(receiver.url);
  psp = env.psp;
  provider = new SandboxProvider({ baseUrl: `${env.url}/sandbox-psp`, apiKey: API_KEY, webhookSecret: SECRET });
});

afterAll(async () => {
  psp.close();
  await stop(env.server);
  await stop(receiver.server);
});

function sessionRequest(overrides: Partial<ClientSessionRequest> = {}): ClientSessionRequest {
  return {
    payment_link_id: `pl-${randomUUID()}`,
    entity_id: 'demo-entity',
    amount: 12000,
    currency: 'EUR',
    capture_mode: 'AUTOMATIC',
    return_url: RETURN_URL,
    retry_url: RETRY_URL,
    locale: 'en-GB',
    merchant_display_name: 'Demo Shop',
    order_reference: 'order-123',
    ...overrides,
  };
}

async function openSession(overrides: Partial<ClientSessionRequest> = {}) {
  const request = sessionRequest(overrides);
  const session = await provider.createClientSession(request);
  return { ...session, request, linkId: request.payment_link_id };
}

const card = (number: string, extra: Record<string, string> = {}) => ({
  card_number: number,
  expiry_month: '12',
  expiry_year: '2030',
  cvc: '123',
  holder_name: 'Jane Doe',
  ...extra,
});

async function post(url: string, form: Record<string, string>) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
    redirect: 'manual',
  });
  return { status: res.status, headers: res.headers, html: await res.text() };
}

async function get(url: string) {
  const res = await fetch(url, { redirect: 'manual' });
  return { status: res.status, headers: res.headers, html: await res.text() };
}

/** Waits for `count` webhooks about one payment link, checks each one's signature with Paylink's
 * adapter, and returns them parsed, in arrival order. */
async function webhooksFor(linkId: string, count: number): Promise<ProviderEvent[]> {
  const mine = await waitFor(() => {
    const found = receiver.received.filter((r) => r.body.includes(`"payment_link_id":"${linkId}"`));
    return found.length >= count && found;
  }, `${count} webhook(s) for ${linkId}`);
  return mine.map((r) => {
    expect(provider.verifyWebhook(r.body, r.headers, clock.now())).toEqual({ ok: true });
    const event = provider.parseWebhook(r.body);
    expect(r.headers['webhook-id']).toBe(event.event_id);
    expect(r.headers['content-type']).toBe('application/json');
    return event;
  });
}

const statuses = (events: ProviderEvent[]) => events.map((e) => e.payment.authorization_status);
const expectedReturn = (sessionId: string) => `${RETURN_URL}&client_session_id=${sessionId}`;

describe('sandbox PSP API', () => {
  it('opens a client session and reports it through the adapter', async () => {
    const session = await openSession();
    expect(session.redirect_url).toBe(`${env.url}/sandbox-psp/pay/${session.id}`);
    expect(await provider.getClientSession(session.id)).toEqual({ id: session.id, payment_link_id: session.linkId, status: 'CREATED' });
    expect(psp.session(session.id)?.request).toEqual(session.request);
  });

  it('answers 201 with id, status and redirect_url', async () => {
    const res = await fetch(`${env.url}/sandbox-psp/v1/client-sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(sessionRequest()),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { id: string };
    expect(body).toEqual({ id: body.id, status: 'CREATED', redirect_url: `${env.url}/sandbox-psp/pay/${body.id}` });
  });

  it('answers 401 without the api key, or with another one', async () => {
    const body = JSON.stringify(sessionRequest());
    const headers = { 'content-type': 'application/json' };
    const without = await fetch(`${env.url}/sandbox-psp/v1/client-sessions`, { method: 'POST', headers, body });
    const wrong = await fetch(`${env.url}/sandbox-psp/v1/client-sessions`, { method: 'POST', headers: { ...headers, authorization: 'Bearer nope' }, body });
    const read = await fetch(`${env.url}/sandbox-psp/v1/payments/${randomUUID()}`, { headers: { authorization: API_KEY } });
    expect([without.status, wrong.status, read.status]).toEqual([401, 401, 401]);
    expect(without.headers.get('www-authenticate')).toBe('Bearer');
    expect(psp.sessions().filter((s) => s.request.payment_link_id === JSON.parse(body).payment_link_id)).toEqual([]);
  });

  it('refuses an invalid session request with 400 naming the fields', async () => {
    const res = await fetch(`${env.url}/sandbox-psp/v1/client-sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(sessionRequest({ amount: -1, return_url: 'javascript:alert(1)' })),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { fields: Array<{ path: string }> } };
    expect(body.error.fields.map((f) => f.path).sort()).toEqual(['amount', 'return_url']);
  });

  it('turns an error status into a thrown error that names the status and not the key', async () => {
    const error = await provider.voidPayment('no-such-payment').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SandboxProviderHttpError);
    expect((error as SandboxProviderHttpError).status).toBe(404);
    expect((error as Error).message).toMatch(/404/);
    expect((error as Error).message).not.toContain(API_KEY);
  });

  it('answers undefined for a payment the PSP does not know (a notification naming it is not the provider\'s)', async () => {
    expect(await provider.getPayment('no-such-payment')).toBeUndefined();
  });
});

describe('hosted payment page', () => {
  it('is plain accessible HTML with the merchant, the amount and the card form, behind strict headers', async () => {
    const session = await openSession();
    const page = await get(session.redirect_url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    // Any http(s) target: the redirect chain after the post ends at the merchant's origin.
    expect(csp).toContain("form-action 'self' https: http:");
    expect(csp).not.toMatch(/script-src|unsafe-inline/);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('cache-control')).toBe('no-store');

    expect(page.html).toContain('<html lang="en">');
    expect(page.html).toContain('<main>');
    expect(page.html).not.toContain('<script');
    expect(page.html).toContain('Demo Shop');
    expect(page.html).toContain(new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'EUR' }).format(120));
    expect(page.html).toContain(`<form method="post" action="/sandbox-psp/pay/${session.id}"`);
    for (const name of ['card_number', 'expiry_month', 'expiry_year', 'cvc', 'holder_name']) {
      expect(page.html).toContain(`name="${name}"`);
      expect(page.html).toContain(`<label for="${name}">`);
      expect(page.html).toContain(`id="${name}"`);
    }
  });

  it('speaks French for a French locale, uses the currency\'s own decimals, and escapes the merchant name', async () => {
    const session = await openSession({ locale: 'fr-FR', currency: 'JPY', amount: 1500, merchant_display_name: '<b>Café & Co</b>' });
    const page = await get(session.redirect_url);
    expect(page.html).toContain('<html lang="fr">');
    expect(page.html).toContain('Numéro de carte');
    expect(page.html).toContain(new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'JPY' }).format(1500));
    expect(page.html).toContain('&#60;b&#62;Café &#38; Co&#60;/b&#62;');
    expect(page.html).not.toContain('<b>Café');
  });

  it('answers an unknown session with a 404 page', async () => {
    const page = await get(`${env.url}/sandbox-psp/pay/${randomUUID()}`);
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.html).toContain('<main>');
    expect(page.html).toContain('not found');
  });

  it('leaves other paths to the host server', async () => {
    expect((await get(`${env.url}/payment/v2/jwks`)).status).toBe(418);
  });
});

describe('test cards', () => {
  it('4242 4242 4242 4242 is AUTHORIZED and captured (AUTOMATIC): 303 to return_url with its query kept, and a signed webhook', async () => {
    const session = await openSession();
    const res = await post(session.redirect_url, card('4242 4242 4242 4242'));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(expectedReturn(session.id));

    const [event] = await webhooksFor(session.linkId, 1);
    expect(event!.provider).toBe('sandbox');
    expect(event!.payment).toMatchObject({
      client_session_id: session.id,
      payment_link_id: session.linkId,
      authorization_status: 'AUTHORIZED',
      amount: 12000,
      currency: 'EUR',
      captured: true,
    });
    expect(await provider.getPayment(event!.payment.id)).toEqual(event!.payment);
    expect(await provider.getClientSession(session.id)).toEqual({
      id: session.id,
      payment_link_id: session.linkId,
      status: 'SUBMITTED',
      payment: { id: event!.payment.id, authorization_status: 'AUTHORIZED' },
    });
  });

  it('a MANUAL capture session authorizes without capturing', async () => {
    const session = await openSession({ capture_mode: 'MANUAL' });
    expect((await post(session.redirect_url, card('4242424242424242'))).status).toBe(303);
    const [event] = await webhooksFor(session.linkId, 1);
    expect(event!.payment).toMatchObject({ authorization_status: 'AUTHORIZED', captured: false });
  });

  it('4000 0000 0000 0002 is REFUSED: a page that says so, linking back to retry_url', async () => {
    const session = await openSession();
    const res = await post(session.redirect_url, card('4000000000000002'));
    expect(res.status).toBe(200);
    expect(res.html).toContain('Payment refused');
    expect(res.html).toContain(`<a href="${RETRY_URL.replace('&', '&#38;')}">Try again</a>`);
    expect(statuses(await webhooksFor(session.linkId, 1))).toEqual(['REFUSED']);
  });

  it('any other valid card is REFUSED, and the page says it is not a test card', async () => {
    const session = await openSession();
    const res = await post(session.redirect_url, card('5555555555554444'));
    expect(res.status).toBe(200);
    expect(res.html).toContain('not a sandbox test card');
    expect(statuses(await webhooksFor(session.linkId, 1))).toEqual(['REFUSED']);
  });

  it('4000 0000 0000 3220 asks for a 3DS challenge; success AUTHORIZES, webhooks in order', async () => {
    const session = await openSession();
    const challenge = await post(session.redirect_url, card('4000000000003220'));
    expect(challenge.status).toBe(200);
    expect(challenge.html).toContain(`<form method="post" action="/sandbox-psp/pay/${session.id}/challenge">`);
    expect(challenge.html).toMatch(/name="challenge_result" value="success"/);
    expect(challenge.html).toMatch(/name="challenge_result" value="failure"/);
    expect(statuses(await webhooksFor(session.linkId, 1))).toEqual(['CHALLENGE_REQUIRED']);
    // Reloading the page shows the challenge again, not a second card form.
    expect((await get(session.redirect_url)).html).toContain('name="challenge_result"');

    const done = await post(`${session.redirect_url}/challenge`, { challenge_result: 'success' });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(expectedReturn(session.id));
    const events = await webhooksFor(session.linkId, 2);
    expect(statuses(events)).toEqual(['CHALLENGE_REQUIRED', 'AUTHORIZED']);
    expect(events[0]!.payment.id).toBe(events[1]!.payment.id);
    expect(events[0]!.event_id).not.toBe(events[1]!.event_id);
  });

  it('a failed 3DS challenge is REFUSED, and an empty answer asks again', async () => {
    const session = await openSession({ locale: 'fr-FR' });
    await post(session.redirect_url, card('4000000000003220'));
    const empty = await post(`${session.redirect_url}/challenge`, {});
    expect(empty.status).toBe(422);
    expect(empty.html).toContain('role="alert"');
    const refused = await post(`${session.redirect_url}/challenge`, { challenge_result: 'failure' });
    expect(refused.status).toBe(200);
    expect(refused.html).toContain('Paiement refusé');
    expect(refused.html).toContain('>Réessayer</a>');
    expect(statuses(await webhooksFor(session.linkId, 2))).toEqual(['CHALLENGE_REQUIRED', 'REFUSED']);
  });

  it('4000 0000 0000 0077 is PENDING, then AUTHORIZED by a later webhook', async () => {
    const session = await openSession();
    const res = await post(session.redirect_url, card('4000000000000077'));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(expectedReturn(session.id));
    const events = await webhooksFor(session.linkId, 2);
    expect(statuses(events)).toEqual(['PENDING', 'AUTHORIZED']);
    expect(events[1]!.payment.captured).toBe(true);
    expect((await provider.getPayment(events[0]!.payment.id))?.authorization_status).toBe('AUTHORIZED');
  });

  it('4000 0000 0000 0093 is UNCERTAIN, then REFUSED by a later webhook', async () => {
    const session = await openSession();
    expect((await post(session.redirect_url, card('4000000000000093'))).status).toBe(303);
    const events = await webhooksFor(session.linkId, 2);
    expect(statuses(events)).toEqual(['UNCERTAIN', 'REFUSED']);
    expect(events[1]!.payment.captured).toBe(false);
  });

  it('a session takes one attempt: a second post shows the outcome and creates nothing', async () => {
    const session = await openSession();
    await post(session.redirect_url, card('4242424242424242'));
    const again = await post(session.redirect_url, card('4242424242424242'));
    expect(again.status).toBe(409);
    expect(again.html).toContain('Payment authorized');
    expect(again.html).not.toContain('name="card_number"');
    expect(psp.session(session.id)?.payment_ids).toHaveLength(1);
    expect((await get(session.redirect_url)).html).toContain('Payment authorized');
  });
});

describe('card form validation', () => {
  it('a number failing the Luhn check shows the form again with the error; no payment, no webhook', async () => {
    const session = await openSession();
    const res = await post(session.redirect_url, card('4242424242424241'));
    expect(res.status).toBe(422);
    expect(res.html).toContain('<a href="#card_number">');
    expect(res.html).toMatch(/id="card_number"[^>]*aria-invalid="true"/);
    expect(res.html).not.toContain('4242424242424241'); // the number is not echoed back
    expect(psp.session(session.id)).toMatchObject({ status: 'CREATED', payment_ids: [] });
    expect(psp.events().filter((e) => e.payment.payment_link_id === session.linkId)).toEqual([]);
  });

  it('an expired date (2- or 4-digit year) shows the form again with the error; no payment, no webhook', async () => {
    const session = await openSession();
    // The PSP's clock is 2026-01-15: December 2025 is over, January 2026 is not.
    for (const expiry of [{ expiry_month: '12', expiry_year: '25' }, { expiry_month: '12', expiry_year: '2025' }]) {
      const res = await post(session.redirect_url, card('4242424242424242', expiry));
      expect(res.status).toBe(422);
      expect(res.html).toContain('this card has expired');
      expect(res.html).toMatch(/id="expiry_year"[^>]*aria-invalid="true"/);
    }
    expect(psp.session(session.id)).toMatchObject({ status: 'CREATED', payment_ids: [] });
    expect(psp.events().filter((e) => e.payment.payment_link_id === session.linkId)).toEqual([]);
    // The current month is still valid.
    expect((await post(session.redirect_url, card('4242424242424242', { expiry_month: '01', expiry_year: '26' }))).status).toBe(303);
  });
});

describe('void and refund', () => {
  async function authorized(capture_mode: 'AUTOMATIC' | 'MANUAL') {
    const session = await openSession({ capture_mode });
    await post(session.redirect_url, card('4242424242424242'));
    const [event] = await webhooksFor(session.linkId, 1);
    return event!.payment.id;
  }

  it('voids an uncaptured payment, idempotently', async () => {
    const id = await authorized('MANUAL');
    await provider.voidPayment(id);
    await provider.voidPayment(id);
    expect(psp.payment(id)).toMatchObject({ voided: true, refunded_amount: 0 });
  });

  it('refuses to void a captured payment (409) and refunds it instead, idempotently', async () => {
    const id = await authorized('AUTOMATIC');
    const error = await provider.voidPayment(id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SandboxProviderHttpError);
    expect((error as SandboxProviderHttpError).status).toBe(409);
    await provider.refundPayment(id, 12000);
    await provider.refundPayment(id, 12000);
    expect(psp.payment(id)).toMatchObject({ voided: false, refunded_amount: 12000 });
  });

  it('refuses to refund a payment that was never captured', async () => {
    const id = await authorized('MANUAL');
    const error = await provider.refundPayment(id, 12000).catch((e: unknown) => e);
    expect((error as SandboxProviderHttpError).status).toBe(409);
    expect(psp.payment(id)?.refunded_amount).toBe(0);
  });
});

describe('webhook delivery', () => {
  it('retries a failing receiver with the same event id and body until it answers 2xx', async () => {
    const session = sessionRequest();
    receiver.failures.set(session.payment_link_id, 2);
    const { redirect_url } = await provider.createClientSession(session);
    await post(redirect_url, card('4242424242424242'));
    const deliveries = await webhooksFor(session.payment_link_id, 3);
    expect(new Set(deliveries.map((d) => d.event_id)).size).toBe(1);
    const [event] = psp.events().filter((e) => e.payment.payment_link_id === session.payment_link_id);
    await waitFor(() => psp.events().find((e) => e.id === event!.id)?.delivery.delivered, 'delivery');
    expect(psp.events().find((e) => e.id === event!.id)?.delivery).toMatchObject({ attempts: 3, delivered: true, last_status: 204 });
  });

  it('gives up after 5 attempts and logs it', async () => {
    const session = sessionRequest();
    receiver.failures.set(session.payment_link_id, 99);
    const { redirect_url } = await provider.createClientSession(session);
    await post(redirect_url, card('4242424242424242'));
    const event = await waitFor(
      () => psp.events().find((e) => e.payment.payment_link_id === session.payment_link_id && e.delivery.gave_up),
      'the PSP to give up',
    );
    expect(event.delivery).toMatchObject({ attempts: 5, delivered: false, last_status: 500 });
    expect(env.logs.some((line) => line.includes('giving up') && line.includes(event.id))).toBe(true);
  });

  it('resends an earlier event with the same id and body (duplicates and reordering for tests)', async () => {
    const session = await openSession();
    await post(session.redirect_url, card('4000000000000077'));
    await webhooksFor(session.linkId, 2);
    const [pending] = psp.events().filter((e) => e.payment.payment_link_id === session.linkId);
    expect(await psp.resend(pending!.id)).toBe(204);
    const events = await webhooksFor(session.linkId, 3);
    expect(statuses(events)).toEqual(['PENDING', 'AUTHORIZED', 'PENDING']);
    expect(events[2]!.event_id).toBe(pending!.id);
    expect(receiver.received.filter((r) => r.headers['webhook-id'] === pending!.id).map((r) => r.body)).toEqual([pending!.body, pending!.body]);
  });

  it('signs any body for tests, with the body\'s id and an optional timestamp', () => {
    const body = JSON.stringify({ id: 'evt-custom', anything: true });
    const headers = psp.sign(body);
    expect(headers['webhook-id']).toBe('evt-custom');
    expect(provider.verifyWebhook(body, headers, clock.now())).toEqual({ ok: true });
    const stale = psp.sign(body, { timestamp: new Date(clock.now().getTime() - 10 * 60_000) });
    expect(provider.verifyWebhook(body, stale, clock.now()).ok).toBe(false);
  });

  it('holds webhooks when deliverWebhooks is false; they can be delivered in any order', async () => {
    const local = await startPsp(receiver.url, { deliverWebhooks: false });
    try {
      const localProvider = new SandboxProvider({ baseUrl: `${local.url}/sandbox-psp`, apiKey: API_KEY, webhookSecret: SECRET });
      const request = sessionRequest();
      const { redirect_url } = await localProvider.createClientSession(request);
      await post(redirect_url, card('4000000000000077'));
      const [pending, authorized] = await waitFor(() => {
        const events = local.psp.events();
        return events.length === 2 && events;
      }, 'the pending payment to resolve');
      expect(receiver.received.filter((r) => r.body.includes(request.payment_link_id))).toEqual([]);
      await local.psp.resend(authorized!.id);
      await local.psp.resend(pending!.id);
      expect(statuses(await webhooksFor(request.payment_link_id, 2))).toEqual(['AUTHORIZED', 'PENDING']);
    } finally {
      local.psp.close();
      await stop(local.server);
    }
  });

  it('close() clears pending-resolution and retry timers', async () => {
    const local = await startPsp(receiver.url, { pendingMs: 60_000, webhookRetry: { firstBackoffMs: 60_000 } });
    try {
      const request = sessionRequest();
      receiver.failures.set(request.payment_link_id, 99);
      const localProvider = new SandboxProvider({ baseUrl: `${local.url}/sandbox-psp`, apiKey: API_KEY, webhookSecret: SECRET });
      const { redirect_url } = await localProvider.createClientSession(request);
      await post(redirect_url, card('4000000000000077'));
      // The PENDING webhook failed once and now waits to retry; the resolution timer waits too.
      await waitFor(() => local.psp.events()[0]?.delivery.attempts === 1 && local.psp.events()[0]?.delivery.last_status === 500, 'a failed first delivery');
      const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      const before = timeouts();
      local.psp.close();
      expect(before - timeouts()).toBe(2);
      await local.psp.idle();
      expect(local.psp.events()).toHaveLength(1);
      expect(local.psp.events()[0]!.delivery).toMatchObject({ attempts: 1, delivered: false, gave_up: true });
    } finally {
      local.psp.close();
      await stop(local.server);
    }
  });
});
