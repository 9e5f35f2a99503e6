/**
 * The merchant-webhook HTTP client against real local servers: statuses, Retry-After, redirects
 * not followed, timeouts, refused connections, and the production SSRF policy (nothing reaches a
 * loopback server; a host resolving to a private address is refused; the connection goes to the
 * vetted address, not to a second DNS answer).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  isPublicAddress,
  MAX_RESPONSE_BYTES,
  NodeWebhookHttp,
  pinnedLookup,
  sendRequest,
  vetHost,
  WebhookUrlRefusedError,
  type ResolvedAddress,
} from '../../shared/adapters/webhook-http.js';

interface Received {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingMessage['headers'];
  body: string;
}

const servers: Array<{ server: Server; sockets: Set<Socket> }> = [];

async function serve(respond: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; port: number; received: Received[] }> {
  const received: Received[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      respond(req, res);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push({ server, sockets });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port, received };
}

afterEach(async () => {
  for (const { server, sockets } of servers.splice(0)) {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

const sandbox = new NodeWebhookHttp({ urlPolicy: 'sandbox' });
const BODY = JSON.stringify({ id: 'msg_1', type: 'payment_link.status_changed', sequence: 3, data: {} });
const HEADERS = { 'content-type': 'application/json', 'webhook-id': 'msg_1', 'x-merchant': 'merchant-header-value' };

describe('NodeWebhookHttp (sandbox policy) against a local server', () => {
  it('POSTs the body and headers and reports a 200', async () => {
    const target = await serve((_req, res) => res.writeHead(200).end('ok'));
    const result = await sandbox.post(`${target.url}/hooks?x=1`, HEADERS, BODY, 5_000);
    expect(result).toMatchObject({ status_code: 200, error: null });
    expect(result.retry_after).toBeUndefined();
    expect(result.duration_ms).toBeGreaterThanOrEqual(0);
    expect(result.duration_ms).toBeLessThan(5_000);
    expect(target.received).toHaveLength(1);
    const [got] = target.received;
    expect(got).toMatchObject({ method: 'POST', url: '/hooks?x=1', body: BODY });
    expect(got!.headers['content-type']).toBe('application/json');
    expect(got!.headers['webhook-id']).toBe('msg_1');
    expect(got!.headers['x-merchant']).toBe('merchant-header-value');
    expect(got!.headers['content-length']).toBe(String(Buffer.byteLength(BODY)));
  });

  it('reports a 500 with its Retry-After', async () => {
    const target = await serve((_req, res) => res.writeHead(500, { 'retry-after': '120' }).end('busy'));
    const result = await sandbox.post(target.url, HEADERS, BODY, 5_000);
    expect(result).toMatchObject({ status_code: 500, retry_after: '120', error: null });
  });

  it('does not follow a redirect: the 302 is the result and its target never gets a request', async () => {
    const elsewhere = await serve((_req, res) => res.writeHead(200).end());
    const target = await serve((_req, res) => res.writeHead(302, { location: `${elsewhere.url}/stolen` }).end());
    const result = await sandbox.post(target.url, HEADERS, BODY, 5_000);
    expect(result).toMatchObject({ status_code: 302, error: 'redirect not followed' });
    expect(target.received).toHaveLength(1);
    expect(elsewhere.received).toHaveLength(0);
  });

  it('gives up at the timeout when the server never answers', async () => {
    const target = await serve(() => undefined);
    const result = await sandbox.post(target.url, HEADERS, BODY, 300);
    expect(result).toMatchObject({ status_code: null, error: 'timeout after 300 ms' });
    expect(result.duration_ms).toBeGreaterThanOrEqual(250);
    expect(result.duration_ms).toBeLessThan(3_000);
  });

  it('counts the status once it arrives, and stops reading an endless body at the cap', async () => {
    const target = await serve((_req, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(16 * 1024, 'x');
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const result = await sandbox.post(target.url, HEADERS, BODY, 10_000);
    expect(result).toMatchObject({ status_code: 200, error: null });
    expect(result.duration_ms).toBeLessThan(5_000);
    expect(MAX_RESPONSE_BYTES).toBe(64 * 1024);
  });

  it('reports a refused connection by its code, without header values', async () => {
    const target = await serve(() => undefined);
    const { server } = servers.pop()!;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const result = await sandbox.post(target.url, HEADERS, BODY, 5_000);
    expect(result).toMatchObject({ status_code: null, error: 'ECONNREFUSED' });
  });

  it('sets the framing headers itself, whatever the merchant asked for', async () => {
    const target = await serve((_req, res) => res.writeHead(204).end());
    const result = await sandbox.post(target.url, { ...HEADERS, host: 'evil.example', 'content-length': '1', 'transfer-encoding': 'chunked' }, BODY, 5_000);
    expect(result.status_code).toBe(204);
    const [got] = target.received;
    expect(got!.body).toBe(BODY);
    expect(got!.headers.host).toBe(`127.0.0.1:${target.port}`);
    expect(got!.headers['content-length']).toBe(String(Buffer.byteLength(BODY)));
    expect(got!.headers['transfer-encoding']).toBeUndefined();
  });

  it('turns a header Node refuses to send into a short error without its value', async () => {
    const target = await serve((_req, res) => res.writeHead(200).end());
    const result = await sandbox.post(target.url, { ...HEADERS, 'x-bad': 'secret-value\u0007' }, BODY, 5_000);
    expect(result.status_code).toBeNull();
    expect(result.error).toBe('ERR_INVALID_CHAR');
    expect(target.received).toHaveLength(0);
  });
});

describe('NodeWebhookHttp (production policy): SSRF', () => {
  const resolverTo = (...addresses: string[]) => {
    const calls: string[] = [];
    const resolve = async (hostname: string): Promise<ResolvedAddress[]> => {
      calls.push(hostname);
      return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    };
    return { resolve, calls };
  };

  it('refuses http and loopback URLs: no request reaches the server', async () => {
    const target = await serve((_req, res) => res.writeHead(200).end());
    const production = new NodeWebhookHttp({ urlPolicy: 'production' });
    for (const url of [target.url, `https://localhost:${target.port}/`, `https://127.0.0.1:${target.port}/`, `https://[::1]:${target.port}/`]) {
      const result = await production.post(url, HEADERS, BODY, 2_000);
      expect(result.status_code, url).toBeNull();
      expect(result.error, url).toMatch(/^refused: /);
    }
    expect(target.received).toHaveLength(0);
  });

  it('refuses a host name that resolves to a private address, even among public ones', async () => {
    for (const addresses of [['10.0.0.5'], ['93.184.215.14', '127.0.0.1'], ['169.254.169.254'], ['::ffff:192.168.1.1'], ['::7f00:1']]) {
      const { resolve, calls } = resolverTo(...addresses);
      const production = new NodeWebhookHttp({ urlPolicy: 'production', resolve });
      const result = await production.post('https://hooks.merchant.example/paylink', HEADERS, BODY, 2_000);
      expect(calls).toEqual(['hooks.merchant.example']);
      expect(result.status_code, addresses.join()).toBeNull();
      expect(result.error).toBe('refused: the host resolves to a private, loopback, link-local or reserved address');
    }
  });

  it('reports a resolver failure by its code', async () => {
    const production = new NodeWebhookHttp({
      urlPolicy: 'production',
      resolve: () => Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND hooks.merchant.example'), { code: 'ENOTFOUND' })),
    });
    const result = await production.post('https://hooks.merchant.example/', HEADERS, BODY, 2_000);
    expect(result).toMatchObject({ status_code: null, error: 'ENOTFOUND' });
  });

  it('counts a resolver that hangs against the timeout', async () => {
    const production = new NodeWebhookHttp({ urlPolicy: 'production', resolve: () => new Promise<ResolvedAddress[]>(() => undefined) });
    const result = await production.post('https://hooks.merchant.example/', HEADERS, BODY, 300);
    expect(result).toMatchObject({ status_code: null, error: 'timeout after 300 ms' });
  });

  it('vets every resolved address and accepts only all-public answers', async () => {
    await expect(vetHost('hooks.merchant.example', resolverTo('93.184.215.14', '2606:4700::1').resolve)).resolves.toHaveLength(2);
    await expect(vetHost('hooks.merchant.example', resolverTo('93.184.215.14', 'fd00::1').resolve)).rejects.toBeInstanceOf(WebhookUrlRefusedError);
    await expect(vetHost('hooks.merchant.example', resolverTo().resolve)).rejects.toBeInstanceOf(WebhookUrlRefusedError);
    // An IP literal is vetted without asking DNS.
    const literal = resolverTo('93.184.215.14');
    await expect(vetHost('[::1]', literal.resolve)).rejects.toBeInstanceOf(WebhookUrlRefusedError);
    expect(literal.calls).toEqual([]);
    for (const bad of ['127.0.0.1', '10.1.2.3', '100.64.0.1', '0.0.0.0', '::', '::1', 'fe80::1', '64:ff9b::a00:1', 'not-an-ip', '']) {
      expect(isPublicAddress(bad), bad).toBe(false);
    }
    expect(isPublicAddress('8.8.8.8')).toBe(true);
  });

  it('connects to the vetted address whatever the host name resolves to later (no rebinding), keeping the Host name', async () => {
    const target = await serve((_req, res) => res.writeHead(200).end());
    const controller = new AbortController();
    // merchant.invalid never resolves: the request can only arrive through the pinned lookup.
    const result = await sendRequest(new URL(`http://merchant.invalid:${target.port}/hooks`), HEADERS, BODY, {
      signal: controller.signal,
      timeoutMs: 5_000,
      lookup: pinnedLookup([{ address: '127.0.0.1', family: 4 }]),
    });
    expect(result).toMatchObject({ status_code: 200, error: null });
    expect(target.received).toHaveLength(1);
    expect(target.received[0]!.headers.host).toBe(`merchant.invalid:${target.port}`);
  });

  it('answers every kind of lookup with the vetted addresses only', async () => {
    const vetted = [
      { address: '93.184.215.14', family: 4 },
      { address: '2606:4700::1', family: 6 },
    ];
    const lookup = pinnedLookup(vetted);
    const ask = (options: Parameters<typeof lookup>[1]) =>
      new Promise<unknown[]>((resolve) => lookup('anything.example', options, (err, address, family) => resolve([err?.code ?? null, address, family])));
    expect(await ask({ all: true })).toEqual([null, vetted, undefined]);
    expect(await ask({})).toEqual([null, '93.184.215.14', 4]);
    expect(await ask({ family: 6 })).toEqual([null, '2606:4700::1', 6]);
    expect(await ask({ family: 4, all: true })).toEqual([null, [vetted[0]], undefined]);
    const v4only = pinnedLookup([vetted[0]!]);
    expect(await new Promise<unknown>((resolve) => v4only('anything.example', { family: 6 }, (err) => resolve(err?.code)))).toBe('ENOTFOUND');
  });
});
