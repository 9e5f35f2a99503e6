/**
 * What the sandbox PSP answers, before it is written to the socket: the API's JSON bodies and
 * errors and the hosted pages' HTML share this one shape, so handlers stay pure functions of the
 * request and the router alone touches the response.
 */
import { pageHeaders } from './pages.js';

/** Where the PSP is mounted on the sandbox's HTTP server. */
export const PREFIX = '/sandbox-psp/';

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export const json = (status: number, value: unknown, headers: Record<string, string> = {}): Reply => ({
  status,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
  body: JSON.stringify(value),
});

/** The API's error body: `{"error": {"code", "message", ...extra}}`. */
export const apiError = (status: number, code: string, message: string, extra: Record<string, unknown> = {}): Reply =>
  json(status, { error: { code, message, ...extra } });

export const page = (status: number, html: string): Reply => ({ status, headers: pageHeaders(), body: html });
