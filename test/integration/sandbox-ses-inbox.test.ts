/**
 * The sandbox's SES inbox keeps the latest emails, like the SMS outbox keeps its latest 1,000
 * (issue 9, item 12: aws-ses-v2-local keeps every email of a long-lived sandbox in memory).
 */
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { SandboxSmsOutbox } from '../../sandbox/sms-outbox.js';
import { KEEP_EMAILS, startSes, type SandboxSes } from '../../sandbox/ses.js';

let ses: SandboxSes;
beforeAll(async () => {
  ses = await startSes({ port: 0, keepEmails: 2 });
});
afterAll(() => ses.close());

const send = (n: number) =>
  ses.client.send(
    new SendEmailCommand({
      FromEmailAddress: 'links@paylink.sandbox',
      Destination: { ToAddresses: [`shopper-${n}@example.org`] },
      Content: { Simple: { Subject: { Data: `email ${n}` }, Body: { Text: { Data: 'hello' } } } },
    }),
  );

describe('the sandbox SES inbox', () => {
  it('keeps 1,000 emails by default, and the SMS outbox 1,000 messages, as the README says', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    expect(readme).toContain('the latest 1,000 emails); SMS land in an outbox (the latest 1,000)');
    expect(KEEP_EMAILS).toBe(1000);
    const outbox = new SandboxSmsOutbox();
    for (let n = 0; n < 1001; n++) await outbox.send({ phone_number: '+33612345678', message: `sms ${n}` });
    expect(outbox.messages()).toHaveLength(1000);
  });

  it('keeps the latest `keepEmails` emails once trimmed (the sandbox trims every few seconds)', async () => {
    for (let n = 1; n <= 4; n++) await send(n);
    expect(await ses.fetchEmails()).toHaveLength(4);
    ses.trim();
    expect((await ses.fetchEmails()).map((e) => e.subject)).toEqual(['email 3', 'email 4']);
  });
});
