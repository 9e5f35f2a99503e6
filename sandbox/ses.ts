/**
 * SES for the sandbox: aws-ses-v2-local in this process. It captures every SESv2 SendEmail and
 * shows it on its inbox page (`url`); `fetchEmails` reads the same store over HTTP.
 *
 * aws-ses-v2-local quirks (checked against 2.10.2):
 * - The store is module state: every server in one process shares it, and `clear()` empties it for all.
 * - It keeps every email: the sandbox trims it to the latest `keepEmails` (dist/store.js, whose
 *   array is the store itself).
 * - Message tags and the configuration set are accepted and dropped (not in the store).
 * - `at` is in epoch seconds, and `GET /store?since=` filters on it (whole seconds, inclusive).
 * - A port in use does not reject its start promise (express hands the error to the listen
 *   callback, which resolves): checked here.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { closeServer } from './close-server.js';

export interface SandboxSesOptions {
  /** Default SES_PORT, else 8005; 0 picks a free port. */
  port?: number;
  host?: string;
  region?: string;
  /** How many emails the inbox keeps (the latest; KEEP_EMAILS by default), trimmed every few seconds. */
  keepEmails?: number;
}

/** Emails kept in the inbox, like the SMS outbox's 1,000: a long-lived sandbox does not grow with every email. */
export const KEEP_EMAILS = 1000;
const TRIM_EVERY_MS = 5000;

/** An email as aws-ses-v2-local stores it. */
export interface CapturedEmail {
  messageId: string;
  from: string;
  replyTo?: string[];
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { html?: string; text?: string };
  /** Epoch seconds. */
  at: number;
}

export interface SandboxSes {
  /** The inbox page. */
  url: string;
  /** The SES API endpoint for SDK clients (same server). */
  endpoint: string;
  port: number;
  region: string;
  client: SESv2Client;
  /** Captured emails, oldest first; `since` keeps those captured in that second or later. */
  fetchEmails(since?: Date): Promise<CapturedEmail[]>;
  clear(): Promise<void>;
  /** Drops all but the latest `keepEmails` emails (the sandbox does it every few seconds). */
  trim(): void;
  close(): Promise<void>;
}

type StartServer = (config?: { host?: string; port?: number }) => Promise<Server>;

export const DEFAULT_SES_PORT = 8005;
const CREDENTIALS = { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' };

function configuredPort(): number {
  const raw = process.env.SES_PORT;
  if (raw === undefined || raw === '') return DEFAULT_SES_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`SES_PORT must be a port number, got ${JSON.stringify(raw)}`);
  return port;
}

export async function startSes(options: SandboxSesOptions = {}): Promise<SandboxSes> {
  const host = options.host ?? '127.0.0.1';
  const region = options.region ?? 'eu-west-1';
  const requested = options.port ?? configuredPort();
  // A CommonJS module with `exports.default`: Node's ESM interop puts it under default.default.
  const mod = (await import('aws-ses-v2-local')) as unknown as { default: StartServer | { default: StartServer } };
  const start: StartServer = typeof mod.default === 'function' ? mod.default : mod.default.default;

  const server = await start({ host, port: requested });
  if (!server.listening) {
    server.close();
    throw new Error(`aws-ses-v2-local could not listen on ${host}:${requested} (in use? set SES_PORT)`);
  }
  const port = (server.address() as AddressInfo).port;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const client = new SESv2Client({ endpoint: base, region, credentials: CREDENTIALS });
  // The store is the module's own array (no API trims it): drop the oldest in place.
  const storeModule = (await import('aws-ses-v2-local/dist/store.js')) as unknown as { getStoreReadonly?: () => { emails: unknown[] }; default?: { getStoreReadonly: () => { emails: unknown[] } } };
  const getStore = storeModule.getStoreReadonly ?? storeModule.default!.getStoreReadonly;
  const keep = options.keepEmails ?? KEEP_EMAILS;
  const trim = () => {
    const { emails } = getStore();
    if (emails.length > keep) emails.splice(0, emails.length - keep);
  };
  const trimmer = setInterval(trim, TRIM_EVERY_MS).unref();

  let closed: Promise<void> | undefined;
  return {
    url: `${base}/`,
    endpoint: base,
    port,
    region,
    client,
    async fetchEmails(since) {
      const query = since ? `?since=${Math.floor(since.getTime() / 1000)}` : '';
      const res = await fetch(`${base}/store${query}`);
      if (!res.ok) throw new Error(`aws-ses-v2-local GET /store answered ${res.status}`);
      const store = (await res.json()) as { emails?: CapturedEmail[] };
      return store.emails ?? [];
    },
    async clear() {
      const res = await fetch(`${base}/clear-store`, { method: 'POST' });
      if (!res.ok) throw new Error(`aws-ses-v2-local POST /clear-store answered ${res.status}`);
    },
    trim,
    close: () =>
      (closed ??= (async () => {
        clearInterval(trimmer);
        client.destroy();
        await closeServer(server);
      })()),
  };
}
