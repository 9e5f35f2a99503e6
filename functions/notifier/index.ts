/** Lambda entry point: the ports its manifest entry lists (shared/app/functions.ts), built once per cold start. */
import { live } from '../../shared/app/live.js';
import { renderer, urls } from '../../shared/app/live/config.js';
import { mailer, sms } from '../../shared/app/live/messaging.js';
import { links, merchants, suppressions } from '../../shared/app/live/table.js';
import { makeHandler } from './handler.js';

export const handler = makeHandler(await live('notifier', { links, merchants, mailer, sms, suppressions, renderer, urls }));
