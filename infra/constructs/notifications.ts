/**
 * Customer notifications. Initial sends (the dispatcher, when a link is created), reminders (the
 * workflow) and resends (the API) are requests on the notifications queue; the notifier sends each
 * through SES or SNS and records it on the link. The queue keeps SES and SNS off the API's and the
 * stream's path, and gives a send that fails (throttling, an outage) its retries: a request carries
 * a deterministic id that the notifier records in the same conditional write as the outcome, so a
 * retry or a redelivered request never sends twice what was recorded as sent. Requests still failing
 * after the queue's maxReceives receives (three minutes apart: six times the notifier's timeout, not
 * a tight loop against a throttling SES) wait in the DLQ for an operator.
 *
 * Email: the notifier sends from one verified identity, always through the configuration set (also
 * made the identity's default, so no send escapes it), whose event destination publishes bounces and
 * complaints to an SNS topic. The topic feeds a queue, and the feedback handler puts the addresses on
 * the merchant's suppression list, read before every later send.
 */
import { Annotations, ArnFormat, CfnOutput, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { PaylinkFunction } from '../paylink-function.js';
import { Concern } from './concern.js';
import type { FunctionAccess } from './function-access.js';
import { addQueueConsumer, queueWithDeadLetters } from './queues.js';

/**
 * Sender used when the context names none. example.com is reserved (RFC 2606): nobody can verify
 * it, so SES never sends from it. Set `notificationFromAddress` to an address (or domain) you own.
 */
export const DEFAULT_NOTIFICATION_FROM_ADDRESS = 'no-reply@example.com';
/** The SES event types that feed the suppression lists. */
export const SES_FEEDBACK_EVENTS = [ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT] as const;

/** The address of a From header value: `a@b.example` or `Display Name <a@b.example>`. */
export function senderAddress(from: string): string {
  const match = /^(?:[^<>]*<([^<>\s]+)>|([^<>\s]+))$/.exec(from.trim());
  const address = match?.[1] ?? match?.[2];
  if (!address || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) throw new Error(`not an email address or "Name <address>": ${JSON.stringify(from)}`);
  return address;
}

export interface NotificationsProps {
  access: FunctionAccess;
  /** The From of notification emails, `address` or `Display Name <address>`; SES verifies it. */
  notificationFromAddress?: string;
  /** A domain to verify in SES (Easy DKIM) instead of the single address; the From must be in it. */
  notificationDomain?: string;
}

export class Notifications extends Concern {
  readonly queue: sqs.Queue;
  readonly deadLetters: sqs.Queue;
  /** The From of notification emails, as the notifier is told it. */
  readonly fromAddress: string;
  /** The SES identity that authorises that From: the address itself, or its domain. */
  readonly senderIdentity: ses.EmailIdentity;
  readonly configurationSet: ses.ConfigurationSet;
  readonly feedbackKey: kms.Key;
  readonly feedbackTopic: sns.Topic;
  readonly feedback: sqs.Queue;
  readonly feedbackDeadLetters: sqs.Queue;
  readonly notifier: PaylinkFunction;
  readonly feedbackHandler: PaylinkFunction;

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { access, notificationDomain } = props;

    ({ queue: this.queue, deadLetters: this.deadLetters } = queueWithDeadLetters(this, 'notifications', {
      queue: 'Notifications',
      deadLetters: 'NotificationDeadLetters',
    }));
    access.provideQueue('notifications', this.queue);

    // ── The SES sender ───────────────────────────────────────────────────────────────────────
    this.fromAddress = props.notificationFromAddress ?? DEFAULT_NOTIFICATION_FROM_ADDRESS;
    const fromAddress = senderAddress(this.fromAddress);
    if (notificationDomain && !fromAddress.toLowerCase().endsWith(`@${notificationDomain.toLowerCase()}`)) {
      throw new Error(`notificationFromAddress ${fromAddress} is not in notificationDomain ${notificationDomain}`);
    }
    if (!props.notificationFromAddress) {
      Annotations.of(this).addWarningV2(
        'paylink:default-notification-sender',
        `Notification emails would be sent from ${DEFAULT_NOTIFICATION_FROM_ADDRESS}, which nobody can verify: set the context notificationFromAddress (docs/runbook.md).`,
      );
    }
    // Named after the stack (as the bus is), so a second stack in the account gets its own.
    this.configurationSet = new ses.ConfigurationSet(this, 'SesConfigurationSet', {
      configurationSetName: stack.stackName.toLowerCase(),
      reputationMetrics: true,
      sendingEnabled: true,
    });
    // Creating the identity makes SES send a verification link to the address (or expect the
    // domain's DKIM records, see the outputs); nothing is sent before it is verified.
    this.senderIdentity = new ses.EmailIdentity(this, notificationDomain ? 'SenderDomainIdentity' : 'SenderIdentity', {
      identity: notificationDomain ? ses.Identity.domain(notificationDomain) : ses.Identity.email(fromAddress),
      configurationSet: this.configurationSet,
    });
    // IAM authorises a send against the identity SES resolves the From to; with a domain identity
    // that may be the domain or, where the address itself is verified too, the address. Both ARNs
    // name this sender only.
    const senderIdentityArns = notificationDomain
      ? [this.senderIdentity.emailIdentityArn, stack.formatArn({ service: 'ses', resource: 'identity', resourceName: fromAddress })]
      : [this.senderIdentity.emailIdentityArn];
    const configurationSetArn = stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: this.configurationSet.configurationSetName });
    access.provide({
      emailSender: {
        fromAddress: this.fromAddress,
        configurationSetName: this.configurationSet.configurationSetName,
        sendEmailResources: [...senderIdentityArns, configurationSetArn],
      },
    });

    // ── Bounces and complaints coming back ──────────────────────────────────────────────────
    // SNS topics encrypted with the AWS managed key cannot take messages from SES (its policy
    // cannot name SES), hence a key of our own. It only protects messages in transit through the
    // topic (the queue behind it has its own encryption), so nothing is lost when it is deleted.
    // The topic's name is fixed so the key policy can name the topic without a dependency cycle.
    const feedbackTopicName = `${stack.stackName.toLowerCase()}-ses-feedback`;
    this.feedbackKey = new kms.Key(this, 'SesFeedbackKey', {
      description: 'Paylink: encrypts SES bounce and complaint events in their SNS topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.feedbackKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'SesPublishesFeedbackToItsTopic',
        principals: [new iam.ServicePrincipal('ses.amazonaws.com')],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
        conditions: {
          StringEquals: {
            'aws:SourceAccount': stack.account,
            'kms:EncryptionContext:aws:sns:topicArn': stack.formatArn({ service: 'sns', resource: feedbackTopicName, arnFormat: ArnFormat.NO_RESOURCE_NAME }),
          },
        },
      }),
    );
    this.feedbackTopic = new sns.Topic(this, 'SesFeedbackTopic', {
      topicName: feedbackTopicName,
      displayName: 'Paylink SES bounces and complaints',
      masterKey: this.feedbackKey,
      enforceSSL: true,
    });
    // Adds the topic policy statement that lets SES publish, for this account and configuration set only.
    this.configurationSet.addEventDestination('BouncesAndComplaints', {
      destination: ses.EventDestination.snsTopic(this.feedbackTopic),
      events: [...SES_FEEDBACK_EVENTS],
    });
    ({ queue: this.feedback, deadLetters: this.feedbackDeadLetters } = queueWithDeadLetters(this, 'sesFeedback', {
      queue: 'SesFeedback',
      deadLetters: 'SesFeedbackDeadLetters',
    }));
    // Raw delivery off: each message is the SNS envelope, whose Message is SES's event JSON; the
    // handler reads that envelope (parseSesFeedback). The subscription adds the queue policy
    // statement that lets this topic, and only it, send.
    this.feedbackTopic.addSubscription(new SqsSubscription(this.feedback, { rawMessageDelivery: false }));

    // ── The notifier and the feedback handler ───────────────────────────────────────────────
    // The notifier: the link read, skipped if already sent (the id on the link) or no longer
    // wanted, the address checked against the merchant's suppression list, the email (from the
    // verified identity, through the configuration set) or SMS sent, and the outcome written on the
    // link: its table access is the link read and written back with the send recorded on it, the
    // merchant (display name) and the address's suppression item read. The customer URL in the
    // message is built from the public base URL.
    this.notifier = addQueueConsumer(this, access, 'notifications', this.queue);
    // The feedback handler: a permanent bounce or a complaint puts each address on the merchant's
    // suppression list (the merchant comes from the email's tags), one idempotent UpdateItem
    // (if_not_exists keeps the first date), never a read; transient bounces change nothing.
    this.feedbackHandler = addQueueConsumer(this, access, 'sesFeedback', this.feedback);

    if (notificationDomain) {
      // Easy DKIM: publish these three CNAME records in the domain's DNS; SES verifies the domain once they resolve.
      const identity = this.senderIdentity;
      for (const [n, name, value] of [
        [1, identity.dkimDnsTokenName1, identity.dkimDnsTokenValue1],
        [2, identity.dkimDnsTokenName2, identity.dkimDnsTokenValue2],
        [3, identity.dkimDnsTokenName3, identity.dkimDnsTokenValue3],
      ] as const) {
        new CfnOutput(this, `SenderDkimRecord${n}`, { value: `${name} CNAME ${value}`, description: `DKIM record ${n} of ${notificationDomain}` });
      }
    }
  }
}
