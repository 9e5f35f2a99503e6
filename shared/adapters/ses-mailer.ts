/**
 * Email through SES v2 SendEmail (Simple content: subject, HTML and text parts in UTF-8). The
 * configuration set is what publishes bounces and complaints (with the message tags) to SNS, so
 * production sends must name it. Tag values are encoded to the characters SES accepts.
 */
import { SendEmailCommand, type SESv2Client, type SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import { assertTagName, encodeTagValue } from '../domain/notifications/bounces.js';
import type { Mailer, OutgoingEmail } from '../domain/ports.js';

export interface SesMailerOptions {
  /** The verified sender, e.g. `Paylink <links@pay.example.com>`. */
  fromEmailAddress: string;
  /** The configuration set whose event destination publishes bounces and complaints. */
  configurationSetName?: string;
  replyToAddresses?: string[];
}

const UTF8 = 'UTF-8';

export function sendEmailInput(email: OutgoingEmail, options: SesMailerOptions): SendEmailCommandInput {
  const tags = Object.entries(email.tags).map(([name, value]) => {
    assertTagName(name);
    return { Name: name, Value: encodeTagValue(value) };
  });
  return {
    FromEmailAddress: options.fromEmailAddress,
    Destination: { ToAddresses: [email.to] },
    ...(options.replyToAddresses?.length ? { ReplyToAddresses: options.replyToAddresses } : {}),
    Content: {
      Simple: {
        Subject: { Data: email.subject, Charset: UTF8 },
        Body: {
          Html: { Data: email.html, Charset: UTF8 },
          Text: { Data: email.text, Charset: UTF8 },
        },
      },
    },
    ...(tags.length > 0 ? { EmailTags: tags } : {}),
    ...(options.configurationSetName ? { ConfigurationSetName: options.configurationSetName } : {}),
  };
}

export class SesMailer implements Mailer {
  constructor(
    private readonly client: SESv2Client,
    private readonly options: SesMailerOptions,
  ) {}

  async send(email: OutgoingEmail): Promise<{ message_id: string }> {
    const out = await this.client.send(new SendEmailCommand(sendEmailInput(email, this.options)));
    if (!out.MessageId) throw new Error('SES SendEmail returned no MessageId');
    return { message_id: out.MessageId };
  }
}
