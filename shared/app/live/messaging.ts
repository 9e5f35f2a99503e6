/**
 * The live senders of customer messages: SES v2 for email (from the verified sender, through the
 * configuration set that reports bounces and complaints) and SNS for SMS.
 */
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { SesMailer } from '../../adapters/ses-mailer.js';
import { SnsSmsSender } from '../../adapters/sns-sms.js';
import { ENV, optionalEnv, requiredEnv } from '../env.js';

export const mailer = () => {
  const configurationSetName = optionalEnv(ENV.sesConfigurationSet);
  return new SesMailer(new SESv2Client({}), {
    fromEmailAddress: requiredEnv(ENV.notificationFromAddress),
    ...(configurationSetName ? { configurationSetName } : {}),
  });
};

export const sms = () => {
  const senderId = optionalEnv(ENV.smsSenderId);
  return new SnsSmsSender(new SNSClient({}), senderId ? { senderId } : {});
};
