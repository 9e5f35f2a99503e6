/** Lambda entry point: the ports its manifest entry lists (shared/app/functions.ts), built once per cold start. */
import { live } from '../../shared/app/live.js';
import { webhookHttp } from '../../shared/app/live/config.js';
import { deliveryQueue } from '../../shared/app/live/queues.js';
import { deliveries, webhookSecrets, endpoints } from '../../shared/app/live/table.js';
import { makeHandler } from './handler.js';

export const handler = makeHandler(await live('merchant-webhook-sender', { deliveries, deliveryQueue, webhookSecrets, endpoints, webhookHttp }));
