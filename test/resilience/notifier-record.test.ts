/**
 * Found by fault injection: a notification whose record write failed once after SES had accepted
 * the email was sent again on redelivery. The notifier now retries recording the outcome for a few
 * seconds before giving the request back (SES and SNS take no idempotency key).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PaymentLinkResource } from '../../shared/domain/link/schemas.js';
import { useSandboxWithMerchants } from '../support/api-client.js';
import { createLinkBody } from '../support/fixtures.js';
import { waitFor } from '../support/wait.js';
import { FAULTS, FaultInjector } from './support/fault-injector.js';
import { countCalls } from './support/fault-scenario.js';

const ctx = useSandboxWithMerchants(beforeAll, afterAll, { sqsVisibilityTimeoutSeconds: 2 });

it('sends an email once when recording it is throttled once', async () => {
  const injector = new FaultInjector(1);
  const sent = countCalls(ctx.sb.deps.mailer, 'send', (email) => email.tags.notification_id ?? '');
  // The first write of the link after its creation is the notifier recording the email: throttled once.
  injector.wrap(ctx.sb.deps.links, 'update', { label: 'links.update/throttle', rate: 0, timing: 'before', error: FAULTS.throttle, key: (link) => link.id });
  try {
    const r = await ctx.m1.post<PaymentLinkResource>('/payment/v2/payment-links', createLinkBody({ customer: { email: 'jane@example.com' }, send_by_email: true }));
    expect(r.status).toBe(201);
    await waitFor(async () => ((await ctx.sb.deps.links.get(r.body.id))?.notifications ?? []).length === 1, 20_000);
    await ctx.sb.settle();
    expect(injector.injected.get('links.update/throttle')).toBe(1);
    expect(sent.get(`${r.body.id}:EMAIL:INITIAL`)).toBe(1);
  } finally {
    injector.restore();
  }
});
