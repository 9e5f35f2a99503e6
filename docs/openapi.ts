/**
 * The OpenAPI 3.1 document, built from the same zod schemas that validate requests, so the
 * document cannot drift from the code. `npm run openapi` writes docs/openapi.json; a test fails
 * when the committed file is out of date.
 */
import { z } from 'zod';
import { ROUTES, timeoutSecondsOf } from '../shared/app/functions.js';
import { FAILED_ATTEMPTS_PER_WINDOW, THROTTLE_WINDOW_SECONDS } from '../shared/domain/auth/throttle.js';
import { LEASE_MARGIN_MS, claimLeaseMs } from '../shared/domain/idempotency/idempotency.js';
import { createPaymentLinkSchema, listPaymentLinksQuerySchema, paymentLinkListSchema, paymentLinkResourceSchema, problemSchema, tokenResponseSchema } from '../shared/domain/link/schemas.js';

const schema = (s: z.ZodType, io: 'input' | 'output' = 'output') => {
  const json = z.toJSONSchema(s, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  return json;
};

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

/** The 409 of a POST route that honours Idempotency-Key, with its lease (from its function's timeout in the manifest). */
const inProgress = (path: string) => {
  const route = ROUTES.find((r) => r.method === 'POST' && r.path === path);
  if (!route) throw new Error(`the manifest has no POST ${path}`);
  return problem(`The first request with this Idempotency-Key is still in progress (one that died holds the key for its lease: ${claimLeaseMs(timeoutSecondsOf(route.fn)) / 1000} s)`);
};

const secured = [{ ApiKey: [], BearerToken: [] }];
const idempotencyKey = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Same key and body within 24 h returns the first response (Idempotent-Replayed: true); same key with another body is a 422; while the first is still running, a 409. Rejected requests (4xx) are not remembered. ' +
    `A request that died holds its key for a lease, the function's timeout plus ${LEASE_MARGIN_MS / 1000} s (each 409 says how long): after it a retry runs again and finishes the first attempt's work without repeating it.`,
  schema: { type: 'string', maxLength: 255 },
};
const linkId = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const link = { description: 'The payment link', content: { 'application/json': { schema: { $ref: '#/components/schemas/PaymentLink' } } } };
const authErrors = {
  '401': problem('Missing or invalid API key or access token'),
  '403': problem('API key and access token of different merchants'),
};

export function buildOpenApi(): Record<string, unknown> {
  const query = schema(listPaymentLinksQuerySchema, 'input') as { properties: Record<string, Record<string, unknown>> };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Paylink API',
      version: '2.0.0',
      description:
        'Pay-by-Link: create, read, list and cancel payment links. Shapes follow the Purse payment-links API (snake_case, amounts in minor units); IXOPAY options (expiration_in_minutes, explicit send_by_email, idempotent cancel) are folded in. Errors are application/problem+json (RFC 9457) with field errors named by JSON pointer.',
    },
    servers: [{ url: 'http://localhost:3000', description: 'Local sandbox (npm start)' }],
    components: {
      securitySchemes: {
        ApiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        BearerToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        ClientCredentials: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: '/oauth/token', scopes: {} } } },
      },
      schemas: {
        CreatePaymentLinkRequest: schema(createPaymentLinkSchema, 'input'),
        PaymentLink: schema(paymentLinkResourceSchema),
        PaymentLinkList: schema(paymentLinkListSchema),
        TokenResponse: schema(tokenResponseSchema),
        Problem: schema(problemSchema),
      },
    },
    paths: {
      '/oauth/token': {
        post: {
          summary: 'OAuth2 client credentials token (RFC 6749 §4.4)',
          description:
            'client_id / client_secret in the form body or with HTTP Basic. ' +
            `Failed attempts are counted per client_id in fixed ${THROTTLE_WINDOW_SECONDS}-second windows: after ${FAILED_ATTEMPTS_PER_WINDOW}, every request for that client_id (the right secret included) is a 429 until the window ends.`,
          requestBody: {
            required: true,
            content: {
              'application/x-www-form-urlencoded': {
                schema: {
                  type: 'object',
                  required: ['grant_type'],
                  properties: {
                    grant_type: { const: 'client_credentials' },
                    client_id: { type: 'string' },
                    client_secret: { type: 'string' },
                  },
                },
              },
            },
          },
          responses: {
            '200': { description: 'Token', content: { 'application/json': { schema: { $ref: '#/components/schemas/TokenResponse' } } } },
            '400': { description: '`unsupported_grant_type` or `invalid_request`' },
            '401': { description: '`invalid_client`' },
            '429': {
              description: `\`too_many_attempts\`: ${FAILED_ATTEMPTS_PER_WINDOW} failed attempts for this client_id from this address in the current ${THROTTLE_WINDOW_SECONDS}-second window`,
              headers: { 'Retry-After': { description: 'Seconds until the window ends', schema: { type: 'integer', minimum: 1 } } },
            },
          },
        },
      },
      '/payment/v2/payment-links': {
        post: {
          summary: 'Create a payment link',
          security: secured,
          parameters: [idempotencyKey],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/CreatePaymentLinkRequest' } } } },
          responses: {
            '201': link,
            '400': problem('Validation error; `errors` names each field by JSON pointer'),
            ...authErrors,
            '409': inProgress('/payment/v2/payment-links'),
            '422': problem('Idempotency-Key reused with another request'),
            '413': problem('Body over 256 KB'),
            '415': problem('Body is not application/json'),
          },
        },
        get: {
          summary: "List the caller's payment links, newest first",
          security: secured,
          parameters: Object.entries(query.properties).map(([name, s]) => ({ name, in: 'query', required: false, schema: s })),
          responses: {
            '200': { description: 'A page', content: { 'application/json': { schema: { $ref: '#/components/schemas/PaymentLinkList' } } } },
            '400': problem('Invalid filter, limit or cursor'),
            ...authErrors,
          },
        },
      },
      '/payment/v2/payment-links/{id}': {
        get: {
          summary: 'Get a payment link',
          security: secured,
          parameters: [linkId],
          responses: { '200': link, ...authErrors, '404': problem("Unknown id, or another merchant's link") },
        },
      },
      '/payment/v2/payment-links/{id}/webhook-deliveries': {
        get: {
          summary: 'Delivery log of a link’s webhooks',
          description: 'Every webhook event of the link (oldest first) with its state (pending, delivered, failed) and attempts (at, status_code, duration_ms, error).',
          security: secured,
          parameters: [linkId],
          responses: {
            '200': {
              description: 'The deliveries',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['items'],
                    properties: {
                      items: {
                        type: 'array',
                        items: {
                          type: 'object',
                          required: ['event_id', 'type', 'sequence', 'url', 'state', 'attempts', 'created_at', 'next_attempt_at'],
                          properties: {
                            event_id: { type: 'string' },
                            type: { enum: ['payment_link.status_changed', 'payment.status_changed'] },
                            sequence: { type: 'integer' },
                            url: { type: 'string' },
                            state: { enum: ['pending', 'delivered', 'failed'] },
                            created_at: { type: 'string', format: 'date-time' },
                            next_attempt_at: { type: ['string', 'null'], format: 'date-time' },
                            failure_reason: { type: 'string' },
                            attempts: {
                              type: 'array',
                              items: {
                                type: 'object',
                                properties: {
                                  at: { type: 'string', format: 'date-time' },
                                  status_code: { type: ['integer', 'null'] },
                                  duration_ms: { type: 'integer' },
                                  error: { type: ['string', 'null'] },
                                  manual: { type: 'boolean' },
                                },
                              },
                            },
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
            ...authErrors,
            '404': problem("Unknown id, or another merchant's link"),
          },
        },
      },
      '/payment/v2/webhook-deliveries/{event_id}/retry': {
        post: {
          summary: 'Send a webhook event again now',
          description: 'Same webhook-id and body as the original; a new webhook-timestamp and signature. Works on pending, delivered and failed events.',
          security: secured,
          parameters: [{ name: 'event_id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '202': { description: 'Queued; the delivery as it was before the new attempt' }, ...authErrors, '404': problem("Unknown event, or another merchant's") },
        },
      },
      '/payment/v2/webhook-secrets/rotate': {
        post: {
          summary: 'Rotate the webhook signing secret',
          description:
            'Returns the new whsec_ secret (shown once). The previous secret keeps signing, next to the new one, for 24 hours. Send an Idempotency-Key: a retried rotation then returns the same secret instead of rotating again.',
          security: secured,
          parameters: [idempotencyKey],
          responses: {
            '200': {
              description: 'The new secret',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['secret', 'previous_secret_expires_at'],
                    properties: { secret: { type: 'string', pattern: '^whsec_' }, previous_secret_expires_at: { type: ['string', 'null'], format: 'date-time' } },
                  },
                },
              },
            },
            ...authErrors,
            '409': inProgress('/payment/v2/webhook-secrets/rotate'),
            '422': problem('Idempotency-Key reused with another request'),
          },
        },
      },
      '/payment/v2/payment-links/{id}/notifications': {
        post: {
          summary: 'Send the link to the customer again',
          description:
            'By email (customer.email) or SMS (customer.mobile_phone_number, else order.billing_address.mobile_phone_number). 400 on a PAID, EXPIRED or CANCELLED link or without an address; at most 5 per link per rolling hour (429). Suppressed addresses (after a bounce or complaint) are skipped and recorded as such.',
          security: secured,
          parameters: [linkId, idempotencyKey],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { type: 'object', required: ['channel'], additionalProperties: false, properties: { channel: { enum: ['EMAIL', 'SMS'] } } } } },
          },
          responses: {
            '202': {
              description: 'Queued',
              content: {
                'application/json': {
                  schema: { type: 'object', properties: { id: { type: 'string' }, channel: { enum: ['EMAIL', 'SMS'] }, kind: { const: 'RESEND' }, status: { const: 'QUEUED' } } },
                },
              },
            },
            '400': problem('Terminal link, no address for the channel, or an invalid channel'),
            ...authErrors,
            '409': inProgress('/payment/v2/payment-links/{id}/notifications'),
            '422': problem('Idempotency-Key reused with another request'),
            '404': problem("Unknown id, or another merchant's link"),
            '429': problem('More than 5 resends for this link in the last hour; retry_after_seconds says when'),
          },
        },
      },
      '/payment/v2/jwks': {
        get: {
          summary: 'Public keys that verify purse-redirection-data tokens (JWKS)',
          description: 'ES256 keys with kid, alg and use: "sig". During a rotation two keys are published: the new one and the previous one.',
          responses: {
            '200': {
              description: 'A JSON Web Key Set',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['keys'],
                    properties: {
                      keys: {
                        type: 'array',
                        items: {
                          type: 'object',
                          required: ['kty', 'kid', 'alg', 'use'],
                          properties: { kty: { const: 'EC' }, crv: { const: 'P-256' }, x: { type: 'string' }, y: { type: 'string' }, kid: { type: 'string' }, alg: { const: 'ES256' }, use: { const: 'sig' } },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
      '/payment-links/{id}': {
        get: {
          summary: 'Customer URL (shopper-facing HTML)',
          description:
            'CREATED or OPENED: opens a client session at the payment provider (CREATED → OPENED) and answers 303 to its hosted page. PAYMENT_IN_PROGRESS: 200 page saying the payment is being confirmed. PAID: 200 page. EXPIRED or CANCELLED: 410 page. Unknown: 404 page. Localised by customer.locale (en, fr).',
          parameters: [linkId],
          responses: { '200': { description: 'HTML page' }, '303': { description: "To the provider's hosted page" }, '404': { description: 'HTML page' }, '410': { description: 'HTML page' } },
        },
      },
      '/payment-links/{id}/return': {
        get: {
          summary: 'Return from the provider (shopper-facing)',
          description: 'Answers 303 to the link’s shopper_redirection_url with a purse-redirection-data query parameter added (its existing query kept): a compact JWS (ES256, kid in the header) with payment_link_id, client_session_id, payment_id, authorization_status, client_session_status, iat, exp.',
          parameters: [linkId, { name: 'client_session_id', in: 'query', required: true, schema: { type: 'string' } }],
          responses: { '303': { description: 'To the merchant' }, '404': { description: 'Unknown link or session' } },
        },
      },
      '/webhooks/{provider}': {
        post: {
          summary: 'Payment provider notifications',
          description: 'Verified over the raw body with the provider’s signature (sandbox: Standard Webhooks headers, HMAC-SHA256, ±5 min), then queued. Applied at most once per provider event id, in any order.',
          parameters: [{ name: 'provider', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '202': { description: 'Queued' }, '401': problem('Bad, missing or stale signature; nothing queued'), '404': problem('Unknown provider') },
        },
      },
      '/payment/v2/payment-links/{id}/cancel': {
        post: {
          summary: 'Cancel a payment link (idempotent)',
          description: 'CREATED, OPENED or PAYMENT_IN_PROGRESS → CANCELLED. Cancelling a CANCELLED link answers 200 and changes nothing.',
          security: secured,
          parameters: [linkId, idempotencyKey],
          responses: {
            '200': link,
            '400': problem('The link is PAID or EXPIRED; nothing changed'),
            ...authErrors,
            '404': problem("Unknown id, or another merchant's link"),
            '409': inProgress('/payment/v2/payment-links/{id}/cancel'),
            '422': problem('Idempotency-Key reused with another request'),
          },
        },
      },
    },
  };
}
