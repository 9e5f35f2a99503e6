/** POST /payment/v2/payment-links/{id}/notifications {"channel": "EMAIL" | "SMS"} — send the link again (202). */
import { z } from 'zod';
import { CHANNELS, requestResend } from '../../shared/domain/notifications/notifications.js';
import { parseOrThrow } from '../../shared/domain/validate.js';
import type { PortsOf } from '../../shared/app/functions.js';
import type { DepsOf } from '../../shared/app/ports.js';
import { jsonResponse, merchantOf, pathParameter, readJsonBody } from '../../shared/http/api.js';
import { apiChain } from '../../shared/http/api-chain.js';
import { idempotentPost } from '../../shared/http/idempotent.js';

export const resendRequestSchema = z.strictObject({ channel: z.enum(CHANNELS) });

export const makeHandler = (deps: DepsOf<PortsOf<'resend-notification'>>) =>
  apiChain(deps, { authenticated: true }).handler(async (event, context) => {
    const merchant = merchantOf(context);
    return idempotentPost('resend-notification', event, merchant, deps, async (attempt) => {
      const { channel } = parseOrThrow(resendRequestSchema, readJsonBody(event));
      const request = await requestResend(pathParameter(event, 'id'), channel, merchant, deps, attempt);
      return jsonResponse(202, { id: request.id, channel: request.channel, kind: request.kind, status: 'QUEUED' });
    });
  });
