/**
 * Throttling of failed client authentications on /oauth/token: at most FAILED_ATTEMPTS_PER_WINDOW
 * failures per client id in each fixed window of THROTTLE_WINDOW_SECONDS, counted in the table (the
 * ClientThrottle port), so it holds across Lambdas. Unknown client ids are counted alike, under a
 * hash of the id (any length fits a table key, and the answers do not tell which ids exist).
 *
 * Once a window's budget is spent, every request for that client id is answered 429 with
 * Retry-After until the window ends, the right secret included: answering it would let a guesser
 * keep guessing and recognise the right one. So a lockout lasts at most one window, and nothing
 * counts beyond it: an attacker can keep one client id throttled only by failing for it in every
 * window, never lock it out for good.
 */
import { createHash } from 'node:crypto';
import { OAuthError } from '../errors.js';
import type { ClientThrottle, Clock, ThrottleWindow } from '../ports.js';

export const FAILED_ATTEMPTS_PER_WINDOW = 10;
export const THROTTLE_WINDOW_SECONDS = 60;

/** The fixed window `now` falls in (windows start on multiples of the window length since the epoch). */
export function throttleWindowAt(now: Date): ThrottleWindow {
  const length = THROTTLE_WINDOW_SECONDS * 1000;
  const start = Math.floor(now.getTime() / length) * length;
  return { start: new Date(start), end: new Date(start + length) };
}

/** The key a client id is counted under: a hash, whatever the id's length or whether it exists. */
export function throttleKey(clientId: string): string {
  return createHash('sha256').update(clientId, 'utf8').digest('hex');
}

/**
 * Runs one client authentication against the client id's budget: refused with 429 once the
 * window's budget is spent. `authenticate` answers what it authenticated, or undefined for wrong
 * credentials; only a wrong answer (or an exception) keeps the attempt counted.
 */
export async function withinAttemptBudget<T>(
  clientId: string,
  authenticate: () => Promise<T | undefined>,
  deps: { clientThrottle: ClientThrottle; clock: Clock },
): Promise<T | undefined> {
  const now = deps.clock.now();
  const window = throttleWindowAt(now);
  const key = throttleKey(clientId);
  if (!(await deps.clientThrottle.take(key, window, FAILED_ATTEMPTS_PER_WINDOW))) {
    const retryAfter = Math.max(1, Math.ceil((window.end.getTime() - now.getTime()) / 1000));
    throw new OAuthError('too_many_attempts', `too many failed attempts for this client; retry in ${retryAfter} s`, retryAfter);
  }
  const authenticated = await authenticate();
  if (authenticated !== undefined) await deps.clientThrottle.giveBack(key, window);
  return authenticated;
}
