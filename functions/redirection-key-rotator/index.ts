/** Lambda entry point: the key ring in Secrets Manager, from the environment. */
import { liveRedirectionKeyRing, liveLogger } from '../../shared/adapters/compose.js';
import { makeHandler } from './handler.js';

export const handler = makeHandler({ ring: liveRedirectionKeyRing(), logger: liveLogger() });
