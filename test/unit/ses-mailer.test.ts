import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SesMailer, sendEmailInput } from '../../shared/adapters/ses-mailer.js';
import { decodeTagValue } from '../../shared/domain/notifications/bounces.js';
import type { OutgoingEmail } from '../../shared/domain/ports.js';

const email: OutgoingEmail = {
  to: 'jane@example.com',
  subject: 'Demo Shop vous a envoyé un lien de paiement',
  html: '<p>Bonjour</p>',
  text: 'Bonjour',
  tags: { entity_id: 'demo-entity', payment_link_id: '5f0c6a5e-2a7b-4d8e-9c1f-0a1b2c3d4e5f', notification_id: '5f0c6a5e:EMAIL:INITIAL' },
};
/** What SES accepts in a tag name or value. */
const SES_TAG = /^[A-Za-z0-9_-]{1,256}$/;

describe('sendEmailInput', () => {
  it('is a Simple UTF-8 email with subject, HTML and text, from the configured sender, in the configuration set', () => {
    const input = sendEmailInput(email, { fromEmailAddress: 'Paylink <links@pay.example.com>', configurationSetName: 'paylink-feedback' });
    expect(input).toMatchObject({
      FromEmailAddress: 'Paylink <links@pay.example.com>',
      Destination: { ToAddresses: ['jane@example.com'] },
      ConfigurationSetName: 'paylink-feedback',
      Content: {
        Simple: {
          Subject: { Data: email.subject, Charset: 'UTF-8' },
          Body: { Html: { Data: email.html, Charset: 'UTF-8' }, Text: { Data: email.text, Charset: 'UTF-8' } },
        },
      },
    });
    expect(sendEmailInput(email, { fromEmailAddress: 'links@pay.example.com' })).not.toHaveProperty('ConfigurationSetName');
  });

  it('sends the tags with values SES accepts, and that decode back to the originals', () => {
    const tags = sendEmailInput(email, { fromEmailAddress: 'links@pay.example.com' }).EmailTags ?? [];
    expect(tags.map((t) => t.Name)).toEqual(['entity_id', 'payment_link_id', 'notification_id']);
    for (const t of tags) expect(t.Value).toMatch(SES_TAG);
    // Safe values go as they are; the notification id has ':' and is encoded.
    expect(tags[0]!.Value).toBe('demo-entity');
    expect(tags[2]!.Value).not.toBe(email.tags.notification_id);
    expect(Object.fromEntries(tags.map((t) => [t.Name, decodeTagValue(t.Value!)]))).toEqual(email.tags);
  });

  it('refuses a tag name SES would reject', () => {
    expect(() => sendEmailInput({ ...email, tags: { 'entity.id': 'x' } }, { fromEmailAddress: 'a@b.co' })).toThrow(/tag names/);
  });
});

describe('SesMailer', () => {
  const ses = mockClient(SESv2Client);
  afterEach(() => ses.reset());

  it('sends one SendEmail and returns its MessageId', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-1' });
    const options = { fromEmailAddress: 'links@pay.example.com', configurationSetName: 'cs' };
    const mailer = new SesMailer(new SESv2Client({ region: 'eu-west-1' }), options);
    await expect(mailer.send(email)).resolves.toEqual({ message_id: 'ses-1' });
    expect(ses.commandCalls(SendEmailCommand).map((c) => c.args[0].input)).toEqual([sendEmailInput(email, options)]);
  });
});
