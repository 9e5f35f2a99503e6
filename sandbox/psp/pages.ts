/**
 * The sandbox PSP's hosted pages: plain, accessible HTML (no script), in English or French.
 * Every interpolated value goes through `esc`; the language and the amount's format are chosen
 * from the session's locale the way Paylink's own pages and emails choose them (shared/format).
 */
import { createHash } from 'node:crypto';
import { escapeHtml as esc } from '../../shared/format/html.js';
import { resolveLocale, type Language as Lang } from '../../shared/format/locale.js';
import { formatAmount } from '../../shared/format/money.js';
import type { CardField, CardFieldError } from './cards.js';

/** Why a payment was refused, for the page that says so. */
export type RefusalReason = 'declined' | 'unknown_card' | 'challenge_failed' | 'not_confirmed';

/** What a page needs to know about the session it belongs to. */
export interface PageContext {
  sessionId: string;
  locale: string;
  merchant: string;
  amount: number;
  currency: string;
  orderReference: string;
}

const MESSAGES = {
  en: {
    sandboxNote: 'Sandbox payment page: no real card is ever charged.',
    payTitle: (merchant: string) => `Pay ${merchant}`,
    amount: 'Amount',
    order: 'Order reference',
    labels: {
      card_number: 'Card number',
      expiry_month: 'Expiry month (MM)',
      expiry_year: 'Expiry year (YY or YYYY)',
      cvc: 'Security code (CVC)',
      holder_name: 'Name on card (optional)',
    } satisfies Record<CardField, string>,
    cardDetails: 'Card details',
    pay: (amount: string) => `Pay ${amount}`,
    errorSummary: 'There is a problem with the card details',
    fieldError: {
      required: (label: string) => `${label}: this field is required.`,
      invalid: (label: string) => `${label}: this value is not valid.`,
      luhn: () => 'Card number: this number is not valid (check the digits).',
      expired: () => 'Expiry date: this card has expired.',
    } satisfies Record<CardFieldError['code'], (label: string) => string>,
    testCards: 'Test cards (any future expiry date, any CVC)',
    testCardList: [
      ['4242 4242 4242 4242', 'authorized'],
      ['4000 0000 0000 0002', 'refused'],
      ['4000 0000 0000 3220', '3-D Secure challenge'],
      ['4000 0000 0000 0077', 'pending, then authorized'],
      ['4000 0000 0000 0093', 'uncertain, then refused'],
    ],
    challengeTitle: '3-D Secure verification',
    challengeText: (amount: string, merchant: string) => `Your bank asks you to confirm the payment of ${amount} to ${merchant}.`,
    challengeLegend: 'Verification result (sandbox)',
    challengeSuccess: 'Approve the payment (success)',
    challengeFailure: 'Reject the payment (failure)',
    challengeMissing: 'Choose a verification result.',
    continue: 'Continue',
    refusedTitle: 'Payment refused',
    refused: {
      declined: 'Your card issuer refused the payment. No money was taken.',
      unknown_card: 'This card is not a sandbox test card, so the payment was refused. No money was taken.',
      challenge_failed: 'The 3-D Secure verification failed, so the payment was refused. No money was taken.',
      not_confirmed: 'The payment could not be confirmed and was refused. No money was taken.',
    } satisfies Record<RefusalReason, string>,
    tryAgain: 'Try again',
    authorizedTitle: 'Payment authorized',
    authorizedText: 'Your payment was authorized. You do not need to pay again.',
    processingTitle: 'Payment being confirmed',
    processingText: 'Your payment is being confirmed. You do not need to pay again.',
    notFoundTitle: 'Payment page not found',
    notFoundText: 'This payment session does not exist.',
  },
  fr: {
    sandboxNote: 'Page de paiement de test : aucune vraie carte n’est jamais débitée.',
    payTitle: (merchant: string) => `Payer ${merchant}`,
    amount: 'Montant',
    order: 'Référence de commande',
    labels: {
      card_number: 'Numéro de carte',
      expiry_month: 'Mois d’expiration (MM)',
      expiry_year: 'Année d’expiration (AA ou AAAA)',
      cvc: 'Cryptogramme visuel (CVC)',
      holder_name: 'Nom sur la carte (facultatif)',
    } satisfies Record<CardField, string>,
    cardDetails: 'Informations de carte',
    pay: (amount: string) => `Payer ${amount}`,
    errorSummary: 'Les informations de carte comportent une erreur',
    fieldError: {
      required: (label: string) => `${label} : ce champ est obligatoire.`,
      invalid: (label: string) => `${label} : cette valeur n’est pas valide.`,
      luhn: () => 'Numéro de carte : ce numéro n’est pas valide (vérifiez les chiffres).',
      expired: () => 'Date d’expiration : cette carte a expiré.',
    } satisfies Record<CardFieldError['code'], (label: string) => string>,
    testCards: 'Cartes de test (toute date d’expiration future, tout CVC)',
    testCardList: [
      ['4242 4242 4242 4242', 'autorisé'],
      ['4000 0000 0000 0002', 'refusé'],
      ['4000 0000 0000 3220', 'authentification 3-D Secure'],
      ['4000 0000 0000 0077', 'en attente, puis autorisé'],
      ['4000 0000 0000 0093', 'incertain, puis refusé'],
    ],
    challengeTitle: 'Vérification 3-D Secure',
    challengeText: (amount: string, merchant: string) => `Votre banque vous demande de confirmer le paiement de ${amount} à ${merchant}.`,
    challengeLegend: 'Résultat de la vérification (test)',
    challengeSuccess: 'Approuver le paiement (succès)',
    challengeFailure: 'Rejeter le paiement (échec)',
    challengeMissing: 'Choisissez un résultat de vérification.',
    continue: 'Continuer',
    refusedTitle: 'Paiement refusé',
    refused: {
      declined: 'L’émetteur de votre carte a refusé le paiement. Aucun montant n’a été débité.',
      unknown_card: 'Cette carte n’est pas une carte de test, le paiement a donc été refusé. Aucun montant n’a été débité.',
      challenge_failed: 'La vérification 3-D Secure a échoué, le paiement a donc été refusé. Aucun montant n’a été débité.',
      not_confirmed: 'Le paiement n’a pas pu être confirmé et a été refusé. Aucun montant n’a été débité.',
    } satisfies Record<RefusalReason, string>,
    tryAgain: 'Réessayer',
    authorizedTitle: 'Paiement autorisé',
    authorizedText: 'Votre paiement a été autorisé. Vous n’avez pas besoin de payer à nouveau.',
    processingTitle: 'Paiement en cours de confirmation',
    processingText: 'Votre paiement est en cours de confirmation. Vous n’avez pas besoin de payer à nouveau.',
    notFoundTitle: 'Page de paiement introuvable',
    notFoundText: 'Cette session de paiement n’existe pas.',
  },
} as const;

/** The only style on the pages; allowed by its hash in the CSP, so no 'unsafe-inline'. */
const STYLE =
  'body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;line-height:1.5}' +
  'label,legend{display:block;font-weight:600;margin-top:1rem}input[type=text]{font-size:1rem;padding:.4rem;width:100%;box-sizing:border-box}' +
  'button,.button{margin-top:1.5rem;font-size:1rem;padding:.6rem 1.2rem}' +
  '.error{color:#b00020}[aria-invalid=true]{border:2px solid #b00020}.note{color:#555;font-size:.9rem}';
const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

interface Localised {
  lang: Lang;
  amount: string;
}

/** The copy's language and the session's amount as the shopper reads it. */
function localised(ctx: PageContext): Localised {
  const { language, locale } = resolveLocale(ctx.locale);
  return { lang: language, amount: formatAmount(ctx.amount, ctx.currency, locale) };
}

/**
 * Headers for every hosted page. No script may run. Browsers apply form-action to every redirect
 * that follows a form post, and the post's redirect chain ends at the merchant's
 * shopper_redirection_url (PSP → Paylink's return URL → merchant), whose origin the PSP does not
 * know; so form-action allows any http(s) target and only keeps out other schemes. (Found by the
 * browser test: with the return URL's origin alone, Chromium stopped the shopper at the merchant.)
 */
export function pageHeaders(): Record<string, string> {
  const formAction = ["'self'", 'https:', 'http:'].join(' ');
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': `default-src 'none'; style-src ${STYLE_HASH}; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
  };
}

function layout(lang: Lang, title: string, main: string): string {
  return [
    '<!doctype html>',
    `<html lang="${lang}">`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="robots" content="noindex">',
    `<title>${esc(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<main>\n${main}\n</main>`,
    '</body>',
    '</html>',
  ].join('\n');
}

function summary(ctx: PageContext, { lang, amount }: Localised): string {
  const m = MESSAGES[lang];
  return [
    '<dl>',
    `<dt>${esc(m.amount)}</dt><dd>${esc(amount)}</dd>`,
    `<dt>${esc(m.order)}</dt><dd>${esc(ctx.orderReference)}</dd>`,
    '</dl>',
  ].join('\n');
}

function payPath(sessionId: string, suffix = ''): string {
  return `/sandbox-psp/pay/${encodeURIComponent(sessionId)}${suffix}`;
}

const FIELDS: ReadonlyArray<{ name: CardField; autocomplete: string; numeric: boolean; size?: number }> = [
  { name: 'card_number', autocomplete: 'cc-number', numeric: true },
  { name: 'expiry_month', autocomplete: 'cc-exp-month', numeric: true, size: 2 },
  { name: 'expiry_year', autocomplete: 'cc-exp-year', numeric: true, size: 4 },
  { name: 'cvc', autocomplete: 'cc-csc', numeric: true, size: 4 },
  { name: 'holder_name', autocomplete: 'cc-name', numeric: false },
];

/**
 * The card form. After a failed validation, `errors` are listed at the top (each linking to its
 * field) and next to each field; the card number and CVC are never echoed back.
 */
export function paymentFormPage(ctx: PageContext, errors: CardFieldError[] = [], values: Partial<Record<CardField, string>> = {}): string {
  const view = localised(ctx);
  const m = MESSAGES[view.lang];
  const errorText = (e: CardFieldError) => m.fieldError[e.code](m.labels[e.field]);
  const byField = new Map(errors.map((e) => [e.field, e]));
  const keep = new Set<CardField>(['expiry_month', 'expiry_year', 'holder_name']);

  const parts: string[] = [`<h1>${esc(m.payTitle(ctx.merchant))}</h1>`, `<p class="note">${esc(m.sandboxNote)}</p>`, summary(ctx, view)];
  if (errors.length > 0) {
    parts.push(
      '<div role="alert" aria-labelledby="error-summary-title">',
      `<h2 id="error-summary-title" class="error">${esc(m.errorSummary)}</h2>`,
      '<ul>',
      ...errors.map((e) => `<li><a href="#${e.field}">${esc(errorText(e))}</a></li>`),
      '</ul>',
      '</div>',
    );
  }
  parts.push(`<form method="post" action="${payPath(ctx.sessionId)}" novalidate>`, '<fieldset>', `<legend>${esc(m.cardDetails)}</legend>`);
  for (const field of FIELDS) {
    const error = byField.get(field.name);
    const value = keep.has(field.name) ? (values[field.name] ?? '') : '';
    const attributes = [
      'type="text"',
      `id="${field.name}"`,
      `name="${field.name}"`,
      `autocomplete="${field.autocomplete}"`,
      field.numeric ? 'inputmode="numeric"' : '',
      field.size ? `maxlength="${field.size}"` : '',
      field.name === 'holder_name' ? '' : 'required',
      value ? `value="${esc(value)}"` : '',
      error ? `aria-invalid="true" aria-describedby="${field.name}-error"` : '',
    ].filter(Boolean);
    parts.push(`<label for="${field.name}">${esc(m.labels[field.name])}</label>`);
    if (error) parts.push(`<p id="${field.name}-error" class="error">${esc(errorText(error))}</p>`);
    parts.push(`<input ${attributes.join(' ')}>`);
  }
  parts.push(
    '</fieldset>',
    `<button type="submit">${esc(m.pay(view.amount))}</button>`,
    '</form>',
    `<h2>${esc(m.testCards)}</h2>`,
    '<ul class="note">',
    ...m.testCardList.map(([card, outcome]) => `<li><code>${card}</code>: ${esc(outcome)}</li>`),
    '</ul>',
  );
  return layout(view.lang, m.payTitle(ctx.merchant), parts.join('\n'));
}

export function challengePage(ctx: PageContext, missingChoice = false): string {
  const view = localised(ctx);
  const m = MESSAGES[view.lang];
  const parts = [
    `<h1>${esc(m.challengeTitle)}</h1>`,
    `<p>${esc(m.challengeText(view.amount, ctx.merchant))}</p>`,
    summary(ctx, view),
  ];
  if (missingChoice) parts.push(`<p role="alert" id="challenge-error" class="error">${esc(m.challengeMissing)}</p>`);
  parts.push(
    `<form method="post" action="${payPath(ctx.sessionId, '/challenge')}">`,
    `<fieldset${missingChoice ? ' aria-describedby="challenge-error"' : ''}>`,
    `<legend>${esc(m.challengeLegend)}</legend>`,
    `<input type="radio" id="challenge_success" name="challenge_result" value="success" required>`,
    `<label for="challenge_success">${esc(m.challengeSuccess)}</label>`,
    `<input type="radio" id="challenge_failure" name="challenge_result" value="failure">`,
    `<label for="challenge_failure">${esc(m.challengeFailure)}</label>`,
    '</fieldset>',
    `<button type="submit">${esc(m.continue)}</button>`,
    '</form>',
  );
  return layout(view.lang, m.challengeTitle, parts.join('\n'));
}

export function refusedPage(ctx: PageContext, reason: RefusalReason, retryUrl: string): string {
  const view = localised(ctx);
  const m = MESSAGES[view.lang];
  const main = [
    `<h1>${esc(m.refusedTitle)}</h1>`,
    `<p role="status">${esc(m.refused[reason])}</p>`,
    summary(ctx, view),
    `<p><a href="${esc(retryUrl)}">${esc(m.tryAgain)}</a></p>`,
  ].join('\n');
  return layout(view.lang, m.refusedTitle, main);
}

/** Shown when a session that already has an authorized or in-progress attempt is opened again. */
export function outcomePage(ctx: PageContext, outcome: 'authorized' | 'processing', continueUrl: string): string {
  const view = localised(ctx);
  const m = MESSAGES[view.lang];
  const title = outcome === 'authorized' ? m.authorizedTitle : m.processingTitle;
  const text = outcome === 'authorized' ? m.authorizedText : m.processingText;
  const main = [`<h1>${esc(title)}</h1>`, `<p role="status">${esc(text)}</p>`, summary(ctx, view), `<p><a href="${esc(continueUrl)}">${esc(m.continue)}</a></p>`].join('\n');
  return layout(view.lang, title, main);
}

export function notFoundPage(): string {
  const m = MESSAGES.en;
  return layout('en', m.notFoundTitle, `<h1>${esc(m.notFoundTitle)}</h1>\n<p>${esc(m.notFoundText)}</p>`);
}
