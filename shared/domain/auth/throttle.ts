/**
 * Throttling of failed client authentications on /oauth/token: at most FAILED_ATTEMPTS_PER_WINDOW
 * failures per client id and source address in each fixed window of THROTTLE_WINDOW_SECONDS,
 * counted in the table (the ClientThrottle port), so it holds across Lambdas. Unknown client ids
 * are counted alike, under a hash of the id and the address (any length fits a table key, and the
 * answers do not tell which ids exist).
 *
 * Once a window's budget is spent, every request for that client id from that address is answered
 * 429 with Retry-After until the window ends, the right secret included: answering it would let a
 * guesser keep guessing and recognise the right one. So a lockout lasts at most one window, and
 * nothing counts beyond it. Counting by address as well means a guesser who knows a client id (ids
 * are not secret) locks out only their own addresses, never the merchant's servers; a guesser with
 * many addresses gets 10 guesses a minute from each, against a 256-bit secret.
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

/** The key a client id is counted under from an address: a hash, whatever the id's length or whether it exists. */
export function throttleKey(clientId: string, sourceIp: string): string {
  return createHash('sha256').update(`${sourceIp}\n${clientId}`, 'utf8').digest('hex');
}

/**
 * Runs one client authentication against the budget of its client id and source address: refused with 429 once the
 * window's budget is spent. `authenticate` answers what it authenticated, or undefined for wrong
 * credentials; only a wrong answer (or an exception) keeps the attempt counted.
 */
export async function withinAttemptBudget<T>(
  attempt: { clientId: string; sourceIp: string },
  authenticate: () => Promise<T | undefined>,
  deps: { clientThrottle: ClientThrottle; clock: Clock },
): Promise<T | undefined> {
  const now = deps.clock.now();
  const window = throttleWindowAt(now);
  const key = throttleKey(attempt.clientId, attempt.sourceIp);
  if (!(await deps.clientThrottle.take(key, window, FAILED_ATTEMPTS_PER_WINDOW))) {
    const retryAfter = Math.max(1, Math.ceil((window.end.getTime() - now.getTime()) / 1000));
    throw new OAuthError('too_many_attempts', `too many failed attempts for this client; retry in ${retryAfter} s`, retryAfter);
  }
  const authenticated = await authenticate();
  if (authenticated !== undefined) await deps.clientThrottle.giveBack(key, window);
  return authenticated;
}
