/**
 * A payment attempt on the sandbox PSP: the test card decides what the PSP answers now (authorized,
 * refused, a 3-D Secure challenge, or PENDING / UNCERTAIN), and for the last two what a later
 * webhook says once `pendingMs` has passed. The hosted page then shows the outcome; this module
 * only changes state.
 */
import type { AuthorizationStatus } from '../../shared/domain/link/status.js';
import { behaviourFor } from './cards.js';
import type { PspState, SandboxPspPayment, SandboxPspSession } from './state.js';

/** The session's one attempt, with a card number that passed form validation. */
export function attemptPayment(state: PspState, session: SandboxPspSession, cardNumber: string, pendingMs: number): SandboxPspPayment {
  const payment = state.newPayment(session);
  const behaviour = behaviourFor(cardNumber);
  switch (behaviour.kind) {
    case 'authorize':
      state.setStatus(payment, 'AUTHORIZED');
      break;
    case 'refuse':
      state.setStatus(payment, 'REFUSED', behaviour.reason);
      break;
    case 'challenge':
      state.setStatus(payment, 'CHALLENGE_REQUIRED');
      break;
    case 'deferred':
      state.setStatus(payment, behaviour.now);
      resolveLater(state, payment, behaviour.then, pendingMs);
      break;
  }
  return payment;
}

/** The shopper's answer to a CHALLENGE_REQUIRED payment's 3-D Secure challenge. */
export function answerChallenge(state: PspState, payment: SandboxPspPayment, result: 'success' | 'failure'): void {
  if (result === 'success') state.setStatus(payment, 'AUTHORIZED');
  else state.setStatus(payment, 'REFUSED', 'challenge_failed');
}

/** A PENDING or UNCERTAIN payment resolves after `ms`, unless something else resolved it first. */
function resolveLater(state: PspState, payment: SandboxPspPayment, to: Extract<AuthorizationStatus, 'AUTHORIZED' | 'REFUSED'>, ms: number): void {
  state.later(ms, () => {
    if (payment.authorization_status !== 'PENDING' && payment.authorization_status !== 'UNCERTAIN') return;
    state.setStatus(payment, to, to === 'REFUSED' ? 'not_confirmed' : undefined);
  });
}
