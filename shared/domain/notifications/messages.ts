/**
 * What the customer reads: the payment link by email (subject, HTML and text parts) and by SMS,
 * in the customer's language (customer.locale: English and French, English otherwise). Amounts are
 * formatted with Intl for the currency's ISO 4217 exponent and the customer's locale; expiry times
 * are shown in UTC and say so, because we do not know the customer's time zone.
 *
 * SMS texts are kept to the GSM 03.38 alphabet where the copy allows it (one segment is 160 GSM-7
 * characters but only 70 in UCS-2): Intl's narrow no-break spaces, typographic punctuation and
 * accents outside that alphabet are replaced. The customer's name never appears in an SMS, which
 * anyone holding the phone can read.
 */
import { escapeHtml } from '../../format/html.js';
import { resolveLocale, type Language } from '../../format/locale.js';
import { formatAmount } from '../../format/money.js';
import type { MessageRenderer, RenderedEmail } from '../ports.js';
import type { NotificationKind } from './notifications.js';
import type { PaymentLink } from '../link/model.js';

interface Copy {
  subject(kind: NotificationKind, merchant: string): string;
  greeting(firstName: string | undefined): string;
  intro(kind: NotificationKind, merchant: string, amount: string): string;
  action(amount: string): string;
  expiry(date: string): string;
  reference(reference: string): string;
  fallback: string;
  footer(merchant: string): string;
  sms(kind: NotificationKind, merchant: string, amount: string, date: string, url: string): string;
}

/** French typography puts a no-break space before ':' (the SMS alphabet mapping turns it into a space). */
const NBSP = '\u00a0';

const COPY: Record<Language, Copy> = {
  en: {
    subject: (kind, m) =>
      kind === 'REMINDER'
        ? `Reminder: your payment link from ${m} expires soon`
        : kind === 'RESEND'
          ? `${m} has sent your payment link again`
          : `${m} has sent you a payment link`,
    greeting: (name) => (name ? `Hello ${name},` : 'Hello,'),
    intro: (kind, m, amount) =>
      kind === 'REMINDER'
        ? `Your link to pay ${amount} to ${m} expires soon. If you have not paid yet, there is still time.`
        : kind === 'RESEND'
          ? `Here again is your secure link to pay ${amount} to ${m}.`
          : `${m} has sent you a secure link to pay ${amount}.`,
    action: (amount) => `Pay ${amount}`,
    expiry: (date) => `This link expires on ${date} UTC.`,
    reference: (ref) => `Order reference: ${ref}`,
    fallback: 'If the button does not work, copy this address into your browser:',
    footer: (m) =>
      `You are receiving this email because ${m} asked us to send you this payment link. If you were not expecting it, you can ignore this email.`,
    sms: (kind, m, amount, date, url) =>
      kind === 'REMINDER'
        ? `Reminder: your ${m} link to pay ${amount} expires soon (${date} UTC): ${url}`
        : kind === 'RESEND'
          ? `${m} payment link (sent again): ${amount}, valid until ${date} UTC: ${url}`
          : `${m} payment link: ${amount}, valid until ${date} UTC: ${url}`,
  },
  fr: {
    subject: (kind, m) =>
      kind === 'REMINDER'
        ? `Rappel${NBSP}: le lien de paiement envoyé par ${m} expire bientôt`
        : kind === 'RESEND'
          ? `${m} vous renvoie votre lien de paiement`
          : `${m} vous a envoyé un lien de paiement`,
    greeting: (name) => (name ? `Bonjour ${name},` : 'Bonjour,'),
    intro: (kind, m, amount) =>
      kind === 'REMINDER'
        ? `Votre lien pour payer ${amount} à ${m} expire bientôt. Si vous n’avez pas encore payé, il est encore temps.`
        : kind === 'RESEND'
          ? `Voici de nouveau votre lien sécurisé pour payer ${amount} à ${m}.`
          : `${m} vous a envoyé un lien sécurisé pour payer ${amount}.`,
    action: (amount) => `Payer ${amount}`,
    expiry: (date) => `Ce lien expire le ${date} UTC.`,
    reference: (ref) => `Référence de commande${NBSP}: ${ref}`,
    fallback: `Si le bouton ne fonctionne pas, copiez cette adresse dans votre navigateur${NBSP}:`,
    footer: (m) =>
      `Vous recevez cet e-mail car ${m} nous a demandé de vous envoyer ce lien de paiement. Si vous ne l’attendiez pas, vous pouvez ignorer cet e-mail.`,
    // "sous peu" rather than "bientôt": ô is not in the GSM alphabet.
    sms: (kind, m, amount, date, url) =>
      kind === 'REMINDER'
        ? `Rappel : votre lien ${m} (${amount}) expire sous peu, le ${date} UTC : ${url}`
        : kind === 'RESEND'
          ? `Lien de paiement ${m} (renvoi) : ${amount}, valable jusqu'au ${date} UTC : ${url}`
          : `Lien de paiement ${m} : ${amount}, valable jusqu'au ${date} UTC : ${url}`,
  },
};

/** Date and time in UTC for the locale, without the zone (the copy adds "UTC"). */
export function formatExpiry(iso: string, locale: string, style: 'long' | 'short'): string {
  const options: Intl.DateTimeFormatOptions =
    style === 'long'
      ? { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }
      : { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZone: 'UTC' };
  return new Intl.DateTimeFormat(locale, options).format(new Date(iso));
}

/** Control characters (line breaks included) out, whitespace collapsed: safe in a subject line. */
function singleLine(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim();
}

// ── SMS alphabet ──────────────────────────────────────────────────────────────────────────────

const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_EXTENSION = '^{}\\[~]|€\f';
const GSM7 = new Set([...GSM7_BASIC, ...GSM7_EXTENSION]);
const LOOKALIKES: Record<string, string> = {
  '\u00a0': ' ', '\u2007': ' ', '\u2009': ' ', '\u202f': ' ', '\u2018': "'", '\u2019': "'", '\u201c': '"', '\u201d': '"',
  '\u2013': '-', '\u2014': '-', '\u2026': '...', '\u00ab': '"', '\u00bb': '"',
};

/** Replaces what has a GSM 03.38 equivalent (spaces, quotes, dashes, accents); leaves the rest as it is. */
export function toGsm7(text: string): string {
  return [...text]
    .map((c) => {
      if (GSM7.has(c)) return c;
      if (LOOKALIKES[c] !== undefined) return LOOKALIKES[c];
      const bare = c.normalize('NFD').replace(/\p{M}/gu, '');
      return bare.length > 0 && [...bare].every((b) => GSM7.has(b)) ? bare : c;
    })
    .join('');
}

/** Length in GSM-7 septets (extension characters count twice), or undefined when the text needs UCS-2. */
export function gsm7Length(text: string): number | undefined {
  let length = 0;
  for (const c of text) {
    if (!GSM7.has(c)) return undefined;
    length += GSM7_EXTENSION.includes(c) ? 2 : 1;
  }
  return length;
}

/** One SMS segment in GSM-7. */
export const SMS_SEGMENT = 160;
/** A merchant name is never shortened below this, whatever the message's length. */
const SMS_MERCHANT_MIN = 12;

function shorten(name: string, length: number): string {
  const chars = [...name];
  return chars.length <= length ? name : `${chars.slice(0, Math.max(1, length - 3)).join('').trimEnd()}...`;
}

// ── The renderer ──────────────────────────────────────────────────────────────────────────────

interface Context {
  merchantName: string;
  customerUrl: string;
  kind: NotificationKind;
}

function email(link: PaymentLink, context: Context): RenderedEmail {
  const { language, locale } = resolveLocale(link.customer?.locale);
  const copy = COPY[language];
  const merchant = singleLine(context.merchantName);
  const amount = formatAmount(link.amount, link.currency, locale);
  const expiry = formatExpiry(link.expires_at, locale, 'long');
  const firstName = link.customer?.first_name ? singleLine(link.customer.first_name) : undefined;
  const reference = link.order.reference ? singleLine(link.order.reference) : undefined;
  const url = context.customerUrl;

  const subject = singleLine(copy.subject(context.kind, merchant));
  const greeting = copy.greeting(firstName);
  const intro = copy.intro(context.kind, merchant, amount);
  const action = copy.action(amount);
  const expires = copy.expiry(expiry);
  const footer = copy.footer(merchant);

  const text = [
    greeting,
    '',
    intro,
    ...(reference ? [copy.reference(reference)] : []),
    '',
    action,
    url,
    '',
    expires,
    '',
    '--',
    footer,
    '',
  ].join('\n');

  const e = escapeHtml;
  const html = `<!DOCTYPE html>
<html lang="${e(locale)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(subject)}</title>
</head>
<body style="margin:0;padding:24px;background:#ffffff;color:#1a1a1a;font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.5;">
<main style="max-width:560px;margin:0 auto;">
<p>${e(greeting)}</p>
<p>${e(intro)}</p>
${reference ? `<p>${e(copy.reference(reference))}</p>\n` : ''}<p style="margin:32px 0;"><a href="${e(url)}" style="display:inline-block;padding:12px 24px;background:#0b57d0;color:#ffffff;text-decoration:underline;border-radius:4px;font-weight:bold;">${e(action)}</a></p>
<p><strong>${e(expires)}</strong></p>
<p>${e(copy.fallback)}<br><a href="${e(url)}">${e(url)}</a></p>
<hr style="border:none;border-top:1px solid #cccccc;margin:32px 0 16px;">
<p style="font-size:14px;color:#555555;">${e(footer)}</p>
</main>
</body>
</html>
`;
  return { subject, html, text };
}

/** Long merchant names are shortened (not below SMS_MERCHANT_MIN characters) to fit one segment. */
function sms(link: PaymentLink, context: Context): string {
  const { language, locale } = resolveLocale(link.customer?.locale);
  const merchant = toGsm7(singleLine(context.merchantName));
  const amount = formatAmount(link.amount, link.currency, locale);
  const expiry = formatExpiry(link.expires_at, locale, 'short');
  const render = (name: string) => toGsm7(COPY[language].sms(context.kind, name, amount, expiry, context.customerUrl));
  const full = render(merchant);
  const excess = (gsm7Length(full) ?? [...full].length) - SMS_SEGMENT;
  const nameLength = [...merchant].length;
  if (excess <= 0 || nameLength <= SMS_MERCHANT_MIN) return full;
  return render(shorten(merchant, Math.max(SMS_MERCHANT_MIN, nameLength - excess)));
}

export const messageRenderer: MessageRenderer = { email, sms };
