/** A shopper's browser, reduced to what the flows need: GET, form POSTs, and manual redirects. */
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';

export interface Page {
  status: number;
  location: string | null;
  html: string;
}

export async function get(url: string, headers: Record<string, string> = {}): Promise<Page> {
  const res = await fetch(url, { redirect: 'manual', headers });
  return { status: res.status, location: res.headers.get('location'), html: await res.text() };
}

export async function postForm(url: string, fields: Record<string, string>): Promise<Page> {
  const res = await fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, location: res.headers.get('location'), html: await res.text() };
}

export const card = (card_number: string) => ({
  card_number,
  expiry_month: '12',
  expiry_year: String(new Date().getUTCFullYear() + 2),
  cvc: '123',
  holder_name: 'Jane Doe',
});

export const CARDS = {
  authorized: '4242424242424242',
  refused: '4000000000000002',
  threeDs: '4000000000003220',
  pending: '4000000000000077',
  uncertain: '4000000000000093',
} as const;

/** Opens the customer URL and follows the 303 to the provider's hosted page; returns its URL. */
export async function openHostedPage(customerUrl: string): Promise<string> {
  const open = await get(customerUrl);
  if (open.status !== 303 || !open.location) throw new Error(`customer URL answered ${open.status}: ${open.html.slice(0, 200)}`);
  return open.location;
}

/** Follows the provider's 303 to Paylink's return URL, and that one's 303 to the merchant. */
export async function followReturn(afterPayment: Page): Promise<URL> {
  if (afterPayment.status !== 303 || !afterPayment.location) throw new Error(`expected a redirect, got ${afterPayment.status}`);
  const back = await get(afterPayment.location);
  if (back.status !== 303 || !back.location) throw new Error(`return URL answered ${back.status}: ${back.html.slice(0, 200)}`);
  return new URL(back.location);
}

export async function verifyRedirection(base: string, merchantUrl: URL, audience: string): Promise<JWTPayload & Record<string, unknown>> {
  const token = merchantUrl.searchParams.get('purse-redirection-data');
  if (!token) throw new Error('no purse-redirection-data');
  const jwks = createRemoteJWKSet(new URL(`${base}/payment/v2/jwks`));
  const { payload } = await jwtVerify(token, jwks, { issuer: 'paylink', audience, algorithms: ['ES256'] });
  return payload as JWTPayload & Record<string, unknown>;
}
