/**
 * The shopper-facing pages of the customer URL: plain, accessible HTML with no script, localised
 * by the link's customer.locale (then Accept-Language), English by default. A page shows only the
 * link it is about, and only what a shopper needs: merchant, amount, order reference.
 */
import { escapeHtml } from '../format/html.js';
import { resolveLocale, type Language } from '../format/locale.js';
import type { ApiResult } from './api.js';

export type PageLocale = Language;

const MESSAGES = {
  en: {
    notFoundTitle: 'Payment link not found',
    notFoundBody: 'This payment link does not exist. Check the address, or contact the merchant who sent it.',
    paidTitle: 'Already paid',
    paidBody: 'This payment link has already been paid. Thank you! There is nothing more to do.',
    inProgressTitle: 'Payment being confirmed',
    inProgressBody: 'A payment for this link is being confirmed by the bank. Please do not pay again; this page will update in a few seconds.',
    expiredTitle: 'Payment link expired',
    expiredBody: 'This payment link has expired and can no longer be paid. Contact the merchant for a new one.',
    cancelledTitle: 'Payment link cancelled',
    cancelledBody: 'This payment link was cancelled by the merchant and can no longer be paid.',
    errorTitle: 'Something went wrong',
    errorBody: 'We could not open the payment page. Please try again in a moment.',
    amount: 'Amount',
    merchant: 'Merchant',
    order: 'Order',
  },
  fr: {
    notFoundTitle: 'Lien de paiement introuvable',
    notFoundBody: "Ce lien de paiement n'existe pas. Vérifiez l'adresse ou contactez le marchand qui vous l'a envoyé.",
    paidTitle: 'Déjà payé',
    paidBody: 'Ce lien de paiement a déjà été payé. Merci ! Vous n’avez rien d’autre à faire.',
    inProgressTitle: 'Paiement en cours de confirmation',
    inProgressBody: 'Un paiement pour ce lien est en cours de confirmation par la banque. Merci de ne pas payer à nouveau ; cette page se mettra à jour dans quelques secondes.',
    expiredTitle: 'Lien de paiement expiré',
    expiredBody: 'Ce lien de paiement a expiré et ne peut plus être payé. Contactez le marchand pour en obtenir un nouveau.',
    cancelledTitle: 'Lien de paiement annulé',
    cancelledBody: 'Ce lien de paiement a été annulé par le marchand et ne peut plus être payé.',
    errorTitle: 'Une erreur est survenue',
    errorBody: "Nous n'avons pas pu ouvrir la page de paiement. Veuillez réessayer dans un instant.",
    amount: 'Montant',
    merchant: 'Marchand',
    order: 'Commande',
  },
} as const satisfies Record<PageLocale, Record<string, string>>;

export type PageKind = 'notFound' | 'paid' | 'inProgress' | 'expired' | 'cancelled' | 'error';

/** The page's language: the link's customer.locale, then Accept-Language (see shared/format/locale.ts). */
export function pageLocale(customerLocale: string | undefined, acceptLanguage: string | undefined): PageLocale {
  return resolveLocale(customerLocale, acceptLanguage).language;
}

export interface PageDetails {
  merchant: string;
  amount: string;
  order: string;
}

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export function renderPage(
  statusCode: number,
  kind: PageKind,
  locale: PageLocale,
  details?: PageDetails,
  options: { refreshSeconds?: number } = {},
): ApiResult {
  const m = MESSAGES[locale];
  const title = m[`${kind}Title`];
  const body = m[`${kind}Body`];
  const facts = details
    ? `<dl>
      <dt>${m.merchant}</dt><dd>${escapeHtml(details.merchant)}</dd>
      <dt>${m.amount}</dt><dd>${escapeHtml(details.amount)}</dd>
      <dt>${m.order}</dt><dd>${escapeHtml(details.order)}</dd>
    </dl>`
    : '';
  const refresh = options.refreshSeconds ? `<meta http-equiv="refresh" content="${options.refreshSeconds}">` : '';
  const html = `<!doctype html>
<html lang="${locale}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  ${refresh}
  <title>${escapeHtml(title)}</title>
  <style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}
  dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem}dt{font-weight:600}</style>
</head>
<body>
  <main>
    <h1>${escapeHtml(title)}</h1>
    <p role="status">${escapeHtml(body)}</p>
    ${facts}
  </main>
</body>
</html>
`;
  return { statusCode, headers: PAGE_HEADERS, body: html };
}

export function redirectResponse(location: string): ApiResult {
  return { statusCode: 303, headers: { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }, body: '' };
}
