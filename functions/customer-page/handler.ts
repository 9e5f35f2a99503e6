/**
 * GET /payment-links/{id} — the customer URL. Opens a client session at the provider and sends the
 * shopper to its hosted page (303), or says why the link cannot be paid.
 */
import { openForPayment } from '../../shared/domain/payments/link-payments.js';
import type { PaymentLink } from '../../shared/domain/link/model.js';
import type { PortsOf } from '../../shared/app/functions.js';
import type { DepsOf } from '../../shared/app/ports.js';
import { resolveLocale } from '../../shared/format/locale.js';
import { formatAmount } from '../../shared/format/money.js';
import { header, pathParameter } from '../../shared/http/api.js';
import { pageChain } from '../../shared/http/page-chain.js';
import { pageLocale, redirectResponse, renderPage } from '../../shared/http/pages.js';

const details = (link: PaymentLink, merchant: string, acceptLanguage: string | undefined) => ({
  merchant,
  amount: formatAmount(link.amount, link.currency, resolveLocale(link.customer?.locale, acceptLanguage).locale),
  order: link.order.reference,
});

export const makeHandler = (deps: DepsOf<PortsOf<'customer-page'>>) =>
  pageChain(deps).handler(async (event) => {
    const outcome = await openForPayment(pathParameter(event, 'id'), { ...deps, urls: deps.urls(event) });
    const acceptLanguage = header(event, 'accept-language');
    if (outcome.kind === 'not_found') return renderPage(404, 'notFound', pageLocale(undefined, acceptLanguage));
    if (outcome.kind === 'redirect') return redirectResponse(outcome.location);

    const { link } = outcome;
    const locale = pageLocale(link.customer?.locale, acceptLanguage);
    const merchant = (await deps.merchants.getMerchant(link.entity_id))?.display_name ?? link.entity_id;
    const facts = details(link, merchant, acceptLanguage);
    if (outcome.kind === 'paid') return renderPage(200, 'paid', locale, facts);
    if (outcome.kind === 'in_progress') return renderPage(200, 'inProgress', locale, facts, { refreshSeconds: 5 });
    return renderPage(410, link.status === 'CANCELLED' ? 'cancelled' : 'expired', locale, facts);
  });
