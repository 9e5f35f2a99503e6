/**
 * What a restarted sandbox gives an open link's workflow (sandbox/resume.ts; issue 9, item 10): the
 * schedule the link got at creation, an expiry passed meanwhile at once, and the latest reminder
 * that fell due during the downtime once, late, unless the link has expired or that reminder is
 * recorded as sent on every channel. Expected times are written out.
 */
import { describe, expect, it } from 'vitest';
import { resumedWorkflowInput } from '../../sandbox/resume.js';
import type { NotificationRecord } from '../../shared/domain/notifications/notifications.js';
import { storedLink } from '../support/fixtures.js';

// Created 2025-03-01T10:00Z, expires 2025-03-05T14:30Z, sent by email and SMS.
const link = storedLink({ reminder_schedule: ['PT48H', 'PT24H', 'PT1H'] });
const at = (iso: string) => new Date(iso);
const reminders = (input: { reminders: Array<{ at: string }> }) => input.reminders.map((r) => r.at);
const sent = (channel: 'EMAIL' | 'SMS', reminderAt: string): NotificationRecord => ({
  id: `${link.id}:${channel}:REMINDER:${reminderAt}`,
  channel,
  kind: 'REMINDER',
  status: 'SENT',
  at: reminderAt,
});

describe('the workflow of an open link after a restart', () => {
  it('keeps every reminder still to come, and the expiry', () => {
    expect(resumedWorkflowInput(link, undefined, at('2025-03-03T12:00:00.000Z'))).toEqual({
      payment_link_id: link.id,
      reminders: [{ at: '2025-03-03T14:30:00.000Z' }, { at: '2025-03-04T14:30:00.000Z' }, { at: '2025-03-05T13:30:00.000Z' }],
      expires_at: '2025-03-05T14:30:00.000Z',
      grace_seconds: 900,
    });
  });

  it('sends the latest reminder that fell due while the sandbox was down, once, before those to come; not the earlier ones', () => {
    expect(reminders(resumedWorkflowInput(link, undefined, at('2025-03-04T18:00:00.000Z')))).toEqual(['2025-03-04T14:30:00.000Z', '2025-03-05T13:30:00.000Z']);
  });

  it('does not send it when it is recorded as sent on every channel; does when one channel is missing', () => {
    const both = { ...link, notifications: [sent('EMAIL', '2025-03-04T14:30:00.000Z'), sent('SMS', '2025-03-04T14:30:00.000Z')] };
    expect(reminders(resumedWorkflowInput(both, undefined, at('2025-03-04T18:00:00.000Z')))).toEqual(['2025-03-05T13:30:00.000Z']);
    const emailOnly = { ...link, notifications: [sent('EMAIL', '2025-03-04T14:30:00.000Z')] };
    expect(reminders(resumedWorkflowInput(emailOnly, undefined, at('2025-03-04T18:00:00.000Z')))).toEqual(['2025-03-04T14:30:00.000Z', '2025-03-05T13:30:00.000Z']);
  });

  it('sends no reminder once the link is past its expiry, which then happens at once', () => {
    expect(resumedWorkflowInput(link, undefined, at('2025-03-05T15:00:00.000Z'))).toMatchObject({ reminders: [], expires_at: '2025-03-05T14:30:00.000Z' });
  });

  it('never sends a reminder whose time had passed when the link was created', () => {
    const late = { ...link, created_at: '2025-03-05T12:00:00.000Z' };
    expect(reminders(resumedWorkflowInput(late, undefined, at('2025-03-05T12:30:00.000Z')))).toEqual(['2025-03-05T13:30:00.000Z']);
    expect(reminders(resumedWorkflowInput(late, undefined, at('2025-03-05T14:00:00.000Z')))).toEqual(['2025-03-05T13:30:00.000Z']);
  });

  it("follows the merchant's default schedule when the link has none", () => {
    const plain = storedLink();
    expect(reminders(resumedWorkflowInput(plain, { before_expiry: ['PT24H'], min_lifetime: 'PT48H' }, at('2025-03-04T18:00:00.000Z')))).toEqual(['2025-03-04T14:30:00.000Z']);
  });
});
