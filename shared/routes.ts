/**
 * The REST API's routes, in one place: the CDK stack creates API Gateway methods from this list and
 * the sandbox's HTTP server routes requests with it, so the two cannot drift apart.
 */
export interface Route {
  method: 'GET' | 'POST';
  /** API Gateway resource path, with {param} segments. */
  path: string;
  /** Folder under functions/ holding handler.ts (makeHandler) and index.ts (the Lambda entry). */
  fn: string;
  /** Whether API Gateway requires the x-api-key (usage plans); the handler checks it as well. */
  apiKeyRequired: boolean;
}

export const ROUTES: readonly Route[] = [
  { method: 'POST', path: '/oauth/token', fn: 'oauth-token', apiKeyRequired: false },
  { method: 'POST', path: '/payment/v2/payment-links', fn: 'create-payment-link', apiKeyRequired: true },
  { method: 'GET', path: '/payment/v2/payment-links', fn: 'list-payment-links', apiKeyRequired: true },
  { method: 'GET', path: '/payment/v2/payment-links/{id}', fn: 'get-payment-link', apiKeyRequired: true },
  { method: 'POST', path: '/payment/v2/payment-links/{id}/cancel', fn: 'cancel-payment-link', apiKeyRequired: true },
  { method: 'GET', path: '/payment/v2/payment-links/{id}/webhook-deliveries', fn: 'list-webhook-deliveries', apiKeyRequired: true },
  { method: 'POST', path: '/payment/v2/webhook-deliveries/{event_id}/retry', fn: 'retry-webhook-delivery', apiKeyRequired: true },
  { method: 'POST', path: '/payment/v2/webhook-secrets/rotate', fn: 'rotate-webhook-secret', apiKeyRequired: true },
  { method: 'POST', path: '/payment/v2/payment-links/{id}/notifications', fn: 'resend-notification', apiKeyRequired: true },
  // Public: merchants verify redirection tokens with these keys.
  { method: 'GET', path: '/payment/v2/jwks', fn: 'jwks', apiKeyRequired: false },
  // Public, shopper-facing: the customer URL and the return from the provider's hosted page.
  { method: 'GET', path: '/payment-links/{id}', fn: 'customer-page', apiKeyRequired: false },
  { method: 'GET', path: '/payment-links/{id}/return', fn: 'shopper-return', apiKeyRequired: false },
  // Public, provider-facing: authenticated by the provider's signature over the body.
  { method: 'POST', path: '/webhooks/{provider}', fn: 'provider-webhook-receiver', apiKeyRequired: false },
];

/** Matches a concrete path against a route path; returns the path parameters or undefined. */
export function matchPath(routePath: string, actual: string): Record<string, string> | undefined {
  const want = routePath.split('/');
  const got = actual.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith('{') && w.endsWith('}')) {
      if (g === '') return undefined;
      try {
        params[w.slice(1, -1)] = decodeURIComponent(g);
      } catch {
        return undefined;
      }
    } else if (w !== g) return undefined;
  }
  return params;
}
