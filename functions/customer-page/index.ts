/** Lambda entry point: the ports its manifest entry lists (shared/app/functions.ts), built once per cold start. */
import { live } from '../../shared/app/live.js';
import { urls } from '../../shared/app/live/config.js';
import { providers } from '../../shared/app/live/providers.js';
import { links, merchants } from '../../shared/app/live/table.js';
import { makeHandler } from './handler.js';

export const handler = makeHandler(await live('customer-page', { links, merchants, providers, urls }));
