/** The link as the API shows it: the Purse payment-link resource (never the stored `webhook`). */
import { customerUrl, type PaymentLink, type PublicUrls } from './model.js';
import type { PaymentLinkResource } from './schemas.js';

export function toResource(link: PaymentLink, urls: PublicUrls): PaymentLinkResource {
  const self = `${urls.apiBaseUrl}/payment/v2/payment-links/${link.id}`;
  return {
    id: link.id,
    version: link.version,
    entity_id: link.entity_id,
    status: link.status,
    amount: link.amount,
    currency: link.currency,
    shopper_redirection_url: link.shopper_redirection_url,
    capture_mode: link.capture_mode,
    expires_at: link.expires_at,
    links: {
      self: { href: self, method: 'GET' },
      customer_url: { href: customerUrl(urls, link.id), method: 'GET' },
      cancel: { href: `${self}/cancel`, method: 'POST' },
    },
    ...(link.customer ? { customer: link.customer } : {}),
    order: link.order,
    allow_future_usage: link.allow_future_usage,
    payments: link.payments.map((p) => ({ id: p.id, authorization_status: p.authorization_status })),
    client_sessions: link.client_sessions.map((c) => ({ id: c.id, status: c.status })),
    created_at: link.created_at,
    updated_at: link.updated_at,
  };
}
