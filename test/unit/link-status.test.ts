import { describe, expect, it } from 'vitest';
import { LINK_STATUSES, transition, type AuthorizationStatus, type LinkStatus } from '../../shared/domain/link/status.js';

const open = { type: 'OPEN' } as const;
const cancel = { type: 'CANCEL' } as const;
const expire = { type: 'EXPIRE' } as const;
const pay = (authorization_status: AuthorizationStatus) => ({ type: 'PAYMENT', authorization_status }) as const;

describe('link state machine (ARCHITECTURE.md table)', () => {
  it('opens a CREATED link once, with a link webhook', () => {
    expect(transition('CREATED', open)).toEqual({ outcome: 'changed', from: 'CREATED', to: 'OPENED', webhooks: ['link'] });
    for (const s of ['OPENED', 'PAYMENT_IN_PROGRESS', 'PAID', 'EXPIRED', 'CANCELLED'] as LinkStatus[]) {
      expect(transition(s, open)).toEqual({ outcome: 'unchanged', status: s });
    }
  });

  it.each(['PENDING', 'UNCERTAIN', 'CHALLENGE_REQUIRED'] as const)('%s moves OPENED to PAYMENT_IN_PROGRESS', (a) => {
    expect(transition('OPENED', pay(a))).toEqual({
      outcome: 'changed',
      from: 'OPENED',
      to: 'PAYMENT_IN_PROGRESS',
      webhooks: ['link', 'payment'],
    });
    // Already in progress: only the payment stream hears about it.
    expect(transition('PAYMENT_IN_PROGRESS', pay(a))).toMatchObject({ outcome: 'changed', to: 'PAYMENT_IN_PROGRESS', webhooks: ['payment'] });
  });

  it.each(['REFUSED', 'ABORTED'] as const)('%s returns PAYMENT_IN_PROGRESS or OPENED to OPENED', (a) => {
    expect(transition('PAYMENT_IN_PROGRESS', pay(a))).toEqual({
      outcome: 'changed',
      from: 'PAYMENT_IN_PROGRESS',
      to: 'OPENED',
      webhooks: ['link', 'payment'],
    });
    expect(transition('OPENED', pay(a))).toMatchObject({ outcome: 'changed', to: 'OPENED', webhooks: ['payment'] });
  });

  it.each(['CREATED', 'OPENED', 'PAYMENT_IN_PROGRESS'] as const)('AUTHORIZED makes %s PAID', (s) => {
    expect(transition(s, pay('AUTHORIZED'))).toEqual({ outcome: 'changed', from: s, to: 'PAID', webhooks: ['link', 'payment'] });
  });

  it.each(['PAID', 'EXPIRED', 'CANCELLED'] as const)('a late AUTHORIZED on %s leaves the link and is a late payment', (s) => {
    expect(transition(s, pay('AUTHORIZED'))).toEqual({ outcome: 'late_payment', status: s, webhooks: ['payment'] });
  });

  it('never reverts a terminal link on a reordered REFUSED, PENDING or ABORTED', () => {
    for (const s of ['PAID', 'EXPIRED', 'CANCELLED'] as const) {
      for (const a of ['REFUSED', 'PENDING', 'UNCERTAIN', 'ABORTED', 'CHALLENGE_REQUIRED'] as const) {
        expect(transition(s, pay(a))).toEqual({ outcome: 'unchanged', status: s });
      }
    }
  });

  it('expires CREATED and OPENED links', () => {
    expect(transition('CREATED', expire)).toEqual({ outcome: 'changed', from: 'CREATED', to: 'EXPIRED', webhooks: ['link'] });
    expect(transition('OPENED', expire)).toMatchObject({ outcome: 'changed', to: 'EXPIRED' });
  });

  it('defers expiry of a link with a payment in progress until the grace period is over', () => {
    expect(transition('PAYMENT_IN_PROGRESS', expire)).toEqual({ outcome: 'deferred', status: 'PAYMENT_IN_PROGRESS' });
    expect(transition('PAYMENT_IN_PROGRESS', { type: 'EXPIRE', grace_over: true })).toMatchObject({ outcome: 'changed', to: 'EXPIRED' });
  });

  it('does nothing when a terminal link expires', () => {
    for (const s of ['PAID', 'EXPIRED', 'CANCELLED'] as const) expect(transition(s, expire)).toEqual({ outcome: 'unchanged', status: s });
  });

  it.each(['CREATED', 'OPENED', 'PAYMENT_IN_PROGRESS'] as const)('cancels a %s link', (s) => {
    expect(transition(s, cancel)).toEqual({ outcome: 'changed', from: s, to: 'CANCELLED', webhooks: ['link'] });
  });

  it('treats cancelling a CANCELLED link as an idempotent success', () => {
    expect(transition('CANCELLED', cancel)).toEqual({ outcome: 'unchanged', status: 'CANCELLED' });
  });

  it.each(['PAID', 'EXPIRED'] as const)('refuses to cancel a %s link', (s) => {
    expect(transition(s, cancel)).toMatchObject({ outcome: 'rejected', status: s });
  });

  it('covers every status for every event kind without throwing', () => {
    const events = [open, cancel, expire, pay('AUTHORIZED'), pay('REFUSED'), pay('PENDING')];
    for (const s of LINK_STATUSES) for (const e of events) expect(transition(s, e).outcome).toBeTypeOf('string');
  });
});
