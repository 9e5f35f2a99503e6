/**
 * POST /webhooks/{provider} — verifies the provider's signature over the raw body, queues the
 * notification and answers 202. Nothing is applied here: the consumer does that from the queue.
 */
import { NotFoundError, UnauthorizedError } from '../../shared/domain/errors.js';
import type { PortsOf } from '../../shared/app/functions.js';
import type { DepsOf } from '../../shared/app/ports.js';
import { checkBodySize, jsonResponse, pathParameter, rawBody } from '../../shared/http/api.js';
import { apiChain } from '../../shared/http/api-chain.js';

export const makeHandler = (deps: DepsOf<PortsOf<'provider-webhook-receiver'>>) =>
  apiChain(deps, { authenticated: false }).handler(async (event) => {
    const name = pathParameter(event, 'provider');
    const provider = deps.providers.get(name);
    if (!provider) throw new NotFoundError(`unknown payment provider ${name}`);
    checkBodySize(event);
    const body = rawBody(event);
    // Header names are lower-cased by the chain's header normaliser.
    const verdict = provider.verifyWebhook(body, event.headers ?? {}, deps.clock.now());
    if (!verdict.ok) {
      deps.logger.warn('provider webhook rejected', { provider: name, reason: verdict.reason });
      throw new UnauthorizedError('webhook signature verification failed');
    }
    await deps.providerEventQueue.enqueue({ provider: name, raw_body: body, received_at: deps.clock.now().toISOString() });
    return jsonResponse(202, { received: true });
  });
