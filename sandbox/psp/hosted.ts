/**
 * The sandbox PSP's hosted payment page, where Paylink sends the shopper (HTML forms, no script):
 *
 *   GET|POST /sandbox-psp/pay/{sessionId}             the card form, and its submission
 *   POST     /sandbox-psp/pay/{sessionId}/challenge   the 3-D Secure challenge's answer
 *
 * A client session takes at most one payment attempt (a card form that fails validation is not an
 * attempt); reopening the page afterwards shows that attempt's state, never a second card form.
 * After a refusal the shopper goes back to `retry_url` for a new session.
 */
import { answerChallenge, attemptPayment } from './attempts.js';
import { validateCardForm, type CardField } from './cards.js';
import { challengePage, notFoundPage, outcomePage, paymentFormPage, refusedPage, type PageContext } from './pages.js';
import { PREFIX, page, type Reply } from './reply.js';
import type { PspState, SandboxPspPayment, SandboxPspSession } from './state.js';

export interface HostedPagesOptions {
  state: PspState;
  clock: () => Date;
  /** How long a PENDING or UNCERTAIN attempt waits before it resolves. */
  pendingMs: number;
}

/** Answers a request under /sandbox-psp/pay/{sessionId}[/{action}]. */
export type HostedPages = (method: string, sessionId: string, action: string | undefined, body: Buffer) => Reply;

/** The shopper is sent to `return_url` with the session id appended, its own query kept verbatim. */
export function returnUrlFor(returnUrl: string, sessionId: string): string {
  const url = new URL(returnUrl);
  const param = `client_session_id=${encodeURIComponent(sessionId)}`;
  url.search = url.search.length > 1 ? `${url.search}&${param}` : `?${param}`;
  return url.toString();
}

const contextOf = (session: SandboxPspSession): PageContext => ({
  sessionId: session.id,
  locale: session.request.locale,
  merchant: session.request.merchant_display_name,
  amount: session.request.amount,
  currency: session.request.currency,
  orderReference: session.request.order_reference,
});

const toReturnUrl = (session: SandboxPspSession): Reply => ({
  status: 303,
  headers: { location: returnUrlFor(session.request.return_url, session.id), 'cache-control': 'no-store' },
  body: '',
});

const refused = (session: SandboxPspSession, payment: SandboxPspPayment, status: number): Reply =>
  page(status, refusedPage(contextOf(session), payment.refusal_reason ?? 'declined', session.request.retry_url));

/** What the shopper sees for a session that already has an attempt: never a second card form. */
function currentState(session: SandboxPspSession, payment: SandboxPspPayment, status: number): Reply {
  const ctx = contextOf(session);
  const continueUrl = returnUrlFor(session.request.return_url, session.id);
  switch (payment.authorization_status) {
    case 'CHALLENGE_REQUIRED':
      return page(status, challengePage(ctx));
    case 'AUTHORIZED':
      return page(status, outcomePage(ctx, 'authorized', continueUrl));
    case 'PENDING':
    case 'UNCERTAIN':
      return page(status, outcomePage(ctx, 'processing', continueUrl));
    case 'REFUSED':
    case 'ABORTED':
      return refused(session, payment, status);
  }
}

/** Right after an attempt or a challenge answer: back to Paylink unless refused or challenged. */
function afterAttempt(session: SandboxPspSession, payment: SandboxPspPayment): Reply {
  switch (payment.authorization_status) {
    case 'AUTHORIZED':
    case 'PENDING':
    case 'UNCERTAIN':
      return toReturnUrl(session);
    case 'CHALLENGE_REQUIRED':
      return page(200, challengePage(contextOf(session)));
    case 'REFUSED':
    case 'ABORTED':
      return refused(session, payment, 200);
  }
}

export function createHostedPages({ state, clock, pendingMs }: HostedPagesOptions): HostedPages {
  function submitCard(session: SandboxPspSession, form: Record<string, string>): Reply {
    const result = validateCardForm(form as Partial<Record<CardField, string>>, clock());
    if (!result.ok) return page(422, paymentFormPage(contextOf(session), result.errors, form));
    return afterAttempt(session, attemptPayment(state, session, result.card.card_number, pendingMs));
  }

  function submitChallenge(session: SandboxPspSession, payment: SandboxPspPayment, result: string | undefined): Reply {
    if (result !== 'success' && result !== 'failure') return page(422, challengePage(contextOf(session), true));
    answerChallenge(state, payment, result);
    return afterAttempt(session, payment);
  }

  return (method, sessionId, action, body) => {
    const session = state.session(sessionId);
    if (!session) return page(404, notFoundPage());
    const payment = state.latestPayment(session);
    const form = Object.fromEntries(new URLSearchParams(body.toString('utf8')));

    if (action === undefined && method === 'GET') {
      return payment ? currentState(session, payment, 200) : page(200, paymentFormPage(contextOf(session)));
    }
    if (action === undefined && method === 'POST') {
      if (payment) return currentState(session, payment, 409);
      return submitCard(session, form);
    }
    if (action === 'challenge' && method === 'POST') {
      if (!payment || payment.authorization_status !== 'CHALLENGE_REQUIRED') {
        return payment ? currentState(session, payment, 409) : page(409, paymentFormPage(contextOf(session)));
      }
      return submitChallenge(session, payment, form.challenge_result);
    }
    if (action === 'challenge' && method === 'GET') return { status: 303, headers: { location: `${PREFIX}pay/${session.id}` }, body: '' };
    return { status: 405, headers: { allow: 'GET, POST', 'content-type': 'text/plain; charset=utf-8' }, body: 'Method not allowed' };
  };
}
