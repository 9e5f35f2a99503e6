/** A small HTTP client for tests that drive the sandbox as a merchant would. */
import { startSandbox, type Sandbox, type SandboxOptions } from '../../sandbox/sandbox.js';
import { createLogger } from '../../shared/logger.js';

export interface Reply<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export async function call<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; json?: unknown; body?: string } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + path, { method, headers, ...(body !== undefined ? { body } : {}), redirect: 'manual' });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

export interface MerchantSession {
  entity_id: string;
  headers: Record<string, string>;
  get<T = Record<string, unknown>>(path: string): Promise<Reply<T>>;
  post<T = Record<string, unknown>>(path: string, json?: unknown, headers?: Record<string, string>): Promise<Reply<T>>;
}

export async function tokenFor(base: string, clientId: string, secret: string): Promise<string> {
  const r = await call<{ access_token: string }>(base, 'POST', '/oauth/token', {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret }).toString(),
  });
  if (r.status !== 200) throw new Error(`token request failed: ${r.status} ${r.text}`);
  return r.body.access_token;
}

export async function merchantSession(base: string, n: 1 | 2 = 1): Promise<MerchantSession> {
  const suffix = n === 1 ? '' : '-2';
  const token = await tokenFor(base, `demo-client${suffix}`, `demo-secret${suffix}`);
  const headers = { 'x-api-key': `demo-api-key${suffix}`, authorization: `Bearer ${token}` };
  return {
    entity_id: `demo-entity${suffix}`,
    headers,
    get: (path) => call(base, 'GET', path, { headers }),
    post: (path, json, extra = {}) =>
      call(base, 'POST', path, { headers: { ...headers, ...extra }, ...(json !== undefined ? { json } : {}) }),
  };
}

export async function testSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  return startSandbox({ port: 0, sesPort: 0, ...options });
}

export interface SandboxWithMerchants {
  sb: Sandbox;
  m1: MerchantSession;
  m2: MerchantSession;
  /** Every log line the sandbox wrote, parsed (printed too when PAYLINK_TEST_LOGS=1). */
  logs: Array<Record<string, unknown>>;
}

/**
 * Starts an in-memory sandbox for the current test file and signs both demo merchants in. The
 * returned object is filled in by beforeAll; read its fields inside tests, not at module level.
 */
export function useSandboxWithMerchants(
  beforeAll: (fn: () => Promise<void>) => void,
  afterAll: (fn: () => Promise<void>) => void,
  options: SandboxOptions = {},
): SandboxWithMerchants {
  const ctx = { logs: [] } as unknown as SandboxWithMerchants;
  const logger = createLogger({
    level: 'info',
    write: (line) => {
      ctx.logs.push(JSON.parse(line) as Record<string, unknown>);
      if (process.env.PAYLINK_TEST_LOGS === '1') process.stdout.write(line + '\n');
    },
  });
  beforeAll(async () => {
    ctx.sb = await testSandbox({ logger, ...options });
    ctx.m1 = await merchantSession(ctx.sb.url, 1);
    ctx.m2 = await merchantSession(ctx.sb.url, 2);
  });
  afterAll(async () => {
    await ctx.sb?.stop();
  });
  return ctx;
}
