/**
 * GET /payment-links/{id}/return?client_session_id= — where the provider sends the shopper after an
 * attempt: Paylink applies the provider's answer to the link (as its webhook would), signs the
 * outcome and forwards to the merchant's shopper_redirection_url.
 */
import { NotFoundError } from '../../shared/domain/errors.js';
import { shopperReturn } from '../../shared/domain/payments/link-payments.js';
import type { PortsOf } from '../../shared/app/functions.js';
import type { DepsOf } from '../../shared/app/ports.js';
import { pathParameter } from '../../shared/http/api.js';
import { logPaymentMismatch } from '../../shared/lambda/metrics.js';
import { pageChain } from '../../shared/http/page-chain.js';
import { redirectResponse } from '../../shared/http/pages.js';

export const makeHandler = (deps: DepsOf<PortsOf<'shopper-return'>>) =>
  pageChain(deps).handler(async (event) => {
    const sessionId = event.queryStringParameters?.client_session_id;
    if (!sessionId) throw new NotFoundError('client_session_id is missing');
    const { location, applied, applyError } = await shopperReturn(pathParameter(event, 'id'), sessionId, deps);
    if (applied?.mismatch) logPaymentMismatch(deps.logger, applied.link, applied.mismatch, deps.clock.now());
    if (applyError) deps.logger.warn('return: the provider outcome was not applied; its webhook will', { error: applyError });
    return redirectResponse(location);
  });
