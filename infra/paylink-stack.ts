/**
 * The Paylink stack, read top to bottom as the design document (see ../shared/design/ARCHITECTURE.md
 * in the handbook): one table holds every link and is the only thing an API call or a provider
 * webhook writes; the table's stream drives every effect that follows a change; an EventBridge bus
 * carries those changes to subscribers and a queue carries signed webhooks to merchants; provider
 * webhooks are verified, queued and applied from the queue; customers get their link by email (SES)
 * and SMS (SNS) through a notifications queue, bounces and complaints come back to a suppression
 * list, and a Step Functions workflow per link sends its reminders and expires it; a REST API in
 * front, keyed per merchant, with a few public routes for shoppers and providers.
 *
 * Each concern (infra/constructs/) owns its resources and its functions; every function comes from
 * the manifest (shared/app/functions.ts) and is told and allowed what its ports use
 * (function-access.ts). Names shared with the code (key attributes, routes, queues, environment
 * variables, event source and detail types) are imported from shared/, never retyped here, so the
 * stack and the handlers cannot drift apart.
 */
import { CfnOutput, Stack, type CfnElement, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { FunctionName } from '../shared/app/functions.js';
import { Alarms } from './constructs/alarms.js';
import { Api } from './constructs/api.js';
import { logicalIdWithoutConcerns } from './constructs/concern.js';
import { Data } from './constructs/data.js';
import { Dispatch } from './constructs/dispatch.js';
import { LinkEvents } from './constructs/event-bus.js';
import { FunctionAccess } from './constructs/function-access.js';
import { KeyRotation } from './constructs/key-rotation.js';
import { MerchantWebhooks } from './constructs/merchant-webhooks.js';
import { Notifications } from './constructs/notifications.js';
import { ProviderWebhooks } from './constructs/provider-webhooks.js';
import { Workflow } from './constructs/workflow.js';
import type { PaylinkFunction } from './paylink-function.js';

export interface PaylinkStackProps extends StackProps {
  /** Entity ids of the merchants that get an API key and a usage plan (context `merchants`). */
  merchants?: readonly string[];
  /** Public base URL of the API when a custom domain fronts it (context `publicApiBaseUrl`). */
  publicApiBaseUrl?: string;
  /**
   * The From of notification emails, `address` or `Display Name <address>` (context
   * `notificationFromAddress`). Its address must be one you own: SES verifies it before it sends.
   */
  notificationFromAddress?: string;
  /**
   * A domain to verify in SES instead of the single address (context `notificationDomain`): Easy
   * DKIM, records in the outputs; the From address must be in it.
   */
  notificationDomain?: string;
  /** Alphanumeric SMS sender id, where the destination country allows one (context `smsSenderId`). */
  smsSenderId?: string;
}

/** The stack; its readonly properties are the resources tests and tools refer to. */
export class PaylinkStack extends Stack {
  readonly table: Data['table'];
  readonly tokenSigningKeys: Data['tokenSigningKeys'];
  readonly redirectionSigningKeys: Data['redirectionSigningKeys'];
  readonly providerConfig: Data['providerConfig'];
  readonly bus: LinkEvents['bus'];
  readonly providerWebhooks: ProviderWebhooks['queue'];
  readonly providerWebhookDeadLetters: ProviderWebhooks['deadLetters'];
  readonly merchantWebhooks: MerchantWebhooks['queue'];
  readonly merchantWebhookDeadLetters: MerchantWebhooks['deadLetters'];
  readonly notifications: Notifications['queue'];
  readonly notificationDeadLetters: Notifications['deadLetters'];
  readonly sesFeedback: Notifications['feedback'];
  readonly sesFeedbackDeadLetters: Notifications['feedbackDeadLetters'];
  readonly streamFailures: Dispatch['streamFailures'];
  /** The From of notification emails, as the notifier is told it. */
  readonly notificationFromAddress: string;
  /** The SES identity that authorises that From: the address itself, or its domain. */
  readonly senderIdentity: Notifications['senderIdentity'];
  readonly sesConfigurationSet: Notifications['configurationSet'];
  readonly sesFeedbackKey: Notifications['feedbackKey'];
  readonly sesFeedbackTopic: Notifications['feedbackTopic'];
  readonly api: Api['restApi'];
  /** The route functions, keyed by their manifest names. */
  readonly apiFunctions: ReadonlyMap<string, PaylinkFunction>;
  readonly linkWorkflow: Workflow['linkWorkflow'];
  /** Every Paylink function, keyed by its name in the manifest (its folder under functions/). */
  readonly functions: ReadonlyMap<string, PaylinkFunction>;

  constructor(scope: Construct, id: string, props: PaylinkStackProps = {}) {
    super(scope, id, props);
    const access = new FunctionAccess({ publicApiBaseUrl: props.publicApiBaseUrl, smsSenderId: props.smsSenderId });

    // The table (key schema, stream, indexes) and the secrets the functions read.
    const data = new Data(this, 'Data', { access });
    // The bus every link change is published on, its archive, and an example subscriber.
    const linkEvents = new LinkEvents(this, 'Events', { access });
    // Provider notifications: received by a route, queued, applied by the consumer.
    const providerWebhooks = new ProviderWebhooks(this, 'ProviderWebhooks', { access });
    // Merchant webhooks: queued by the dispatcher and the replay route, attempted by the sender.
    const merchantWebhooks = new MerchantWebhooks(this, 'MerchantWebhooks', { access });
    // Email and SMS to customers through a queue and the notifier; bounces back to suppression lists.
    const { notificationFromAddress, notificationDomain } = props;
    const notifications = new Notifications(this, 'Notifications', { access, notificationFromAddress, notificationDomain });
    // One execution per link: its reminders, then its expiry.
    const workflow = new Workflow(this, 'Workflow', { access });
    // The REST API: one method per route, each with its function.
    const api = new Api(this, 'Api', { access, merchants: props.merchants ?? [] });
    // The table's stream turned into events, webhooks, notifications and workflows.
    const dispatch = new Dispatch(this, 'Dispatch', { access, table: data.table });
    // The redirection signing keys, created at deployment and rotated on a schedule.
    const keyRotation = new KeyRotation(this, 'KeyRotation', { access, keys: data.redirectionSigningKeys });
    // Work that failed every retry, waiting for a person.
    new Alarms(this, 'Alarms', {
      deadLetters: {
        providerEvents: providerWebhooks.deadLetters,
        webhookDeliveries: merchantWebhooks.deadLetters,
        notifications: notifications.deadLetters,
        sesFeedback: notifications.feedbackDeadLetters,
      },
      streamFailures: dispatch.streamFailures,
    });
    access.checkAllCreated();

    this.table = data.table;
    this.tokenSigningKeys = data.tokenSigningKeys;
    this.redirectionSigningKeys = data.redirectionSigningKeys;
    this.providerConfig = data.providerConfig;
    this.bus = linkEvents.bus;
    this.providerWebhooks = providerWebhooks.queue;
    this.providerWebhookDeadLetters = providerWebhooks.deadLetters;
    this.merchantWebhooks = merchantWebhooks.queue;
    this.merchantWebhookDeadLetters = merchantWebhooks.deadLetters;
    this.notifications = notifications.queue;
    this.notificationDeadLetters = notifications.deadLetters;
    this.sesFeedback = notifications.feedback;
    this.sesFeedbackDeadLetters = notifications.feedbackDeadLetters;
    this.streamFailures = dispatch.streamFailures;
    this.notificationFromAddress = notifications.fromAddress;
    this.senderIdentity = notifications.senderIdentity;
    this.sesConfigurationSet = notifications.configurationSet;
    this.sesFeedbackKey = notifications.feedbackKey;
    this.sesFeedbackTopic = notifications.feedbackTopic;
    this.api = api.restApi;
    this.apiFunctions = api.functions;
    this.linkWorkflow = workflow.linkWorkflow;
    this.functions = access.functions;

    const output = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    output('ApiUrl', this.api.url, 'Base URL of the Paylink API (stage v1)');
    output('EventBusName', this.bus.eventBusName, 'EventBridge bus with Paylink events');
    output('TableName', this.table.tableName, 'The Paylink table (merchant registration)');
    output('ProviderConfigSecretArn', this.providerConfig.secretArn, 'Put the payment providers here');
    output('RedirectionKeyRotatorName', keyRotation.rotator.fn.functionName, 'Invoke with {"action":"rotate"} to rotate now');
    output('NotificationSenderIdentity', this.senderIdentity.emailIdentityName, 'SES identity to verify before any email goes out (docs/runbook.md)');
    output('SesConfigurationSetName', this.sesConfigurationSet.configurationSetName, 'Sends through it report bounces and complaints');
    output('LinkWorkflowStateMachineArn', this.linkWorkflow.stateMachine.stateMachineArn, 'One execution per link, named after the link id');
  }

  /** A manifest function; fails when the stack has none of that name. */
  fn(name: FunctionName): PaylinkFunction {
    const fn = this.functions.get(name);
    if (!fn) throw new Error(`no function ${name} in the stack`);
    return fn;
  }

  /** Concerns group resources without renaming them: a deployed resource keeps its logical id (concern.ts). */
  protected override allocateLogicalId(element: CfnElement): string {
    return logicalIdWithoutConcerns(element) ?? super.allocateLogicalId(element);
  }
}
