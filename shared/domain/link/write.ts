/**
 * Optimistic concurrency for every change of a link: read, decide (a pure function of what was
 * read), write conditionally on the version read; on a lost race, read again and decide again.
 */
import { VersionConflictError } from '../errors.js';
import type { Clock, LinkStore } from '../ports.js';
import type { PaymentLink } from './model.js';
import { transition, type LinkEvent, type TransitionResult } from './status.js';

export interface ApplyResult {
  link: PaymentLink;
  result: TransitionResult;
}

/** Enough for a burst of concurrent writers on one link (each round, one of them wins). */
const MAX_WRITE_ATTEMPTS = 10;

/** The widest a retry window gets (with MAX_WRITE_ATTEMPTS, bounds the time a write may take). */
const MAX_BACKOFF_MS = 2_000;

/**
 * Full jitter over a window that doubles with each lost attempt, in units of how long the lost
 * attempt took: under contention an attempt takes longer (the other writers' reads and writes go
 * first), so a burst of writers on one link (50 concurrent notifications) spreads its retries wide
 * enough to thin out, on a fast store and a slow one alike, while a lone conflict on a fast store
 * retries at once. A fixed 50 ms window let most of such a burst exhaust its attempts on every
 * receive and end in the DLQ (test/resilience/races.test.ts).
 */
const backoff = (attempt: number, lostAfterMs: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(MAX_BACKOFF_MS, Math.max(1, lostAfterMs) * 2 ** attempt)));

/**
 * Optimistic concurrency for every change of a link: read, decide (a pure function of what was
 * read), write conditionally on the version read; on a lost race, read again and decide again.
 * `decide` returns the next link (its version is set here) or undefined for "nothing to write".
 */
export async function updateLink<T>(
  load: () => Promise<PaymentLink>,
  decide: (current: PaymentLink) => { next?: PaymentLink; value: T },
  deps: { links: LinkStore; clock: Clock },
): Promise<{ link: PaymentLink; value: T; written: boolean }> {
  for (let attempt = 1; ; attempt++) {
    const started = performance.now();
    const current = await load();
    const { next, value } = decide(current);
    if (!next) return { link: current, value, written: false };
    const written = { ...next, version: current.version + 1, updated_at: deps.clock.now().toISOString() };
    try {
      await deps.links.update(written, current.version);
      return { link: written, value, written: true };
    } catch (err) {
      if (!(err instanceof VersionConflictError) || attempt >= MAX_WRITE_ATTEMPTS) throw err;
      await backoff(attempt, performance.now() - started);
    }
  }
}

/** Applies a state-machine event; `mutate` may change more of the link in the same write. */
export async function applyLinkEvent(
  load: () => Promise<PaymentLink>,
  event: LinkEvent,
  deps: { links: LinkStore; clock: Clock },
  mutate: (link: PaymentLink, result: TransitionResult) => PaymentLink = (link) => link,
): Promise<ApplyResult> {
  const { link, value } = await updateLink<TransitionResult>(
    load,
    (current) => {
      const result = transition(current.status, event);
      return result.outcome === 'changed' ? { next: mutate({ ...current, status: result.to }, result), value: result } : { value: result };
    },
    deps,
  );
  return { link, result: value };
}
