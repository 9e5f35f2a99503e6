/**
 * The ports domain code is given (STYLE.md §2). Adapters in shared/adapters implement them for
 * AWS; the sandbox and tests wire the same adapters to local stand-ins.
 */
import type { PaymentLink } from './link/model.js';
import type { LinkStatus } from './link/status.js';
import type { ReminderPolicy } from './link/reminder-schedule.js';
import type { AttemptResult, WebhookDelivery } from './merchant-webhooks/delivery.js';
import type { NotificationKind, NotificationRequest } from './notifications/notifications.js';
import type { PublicJwk, RedirectionClaims } from './payments/redirection.js';
import type { WorkflowInput } from './workflow/workflow.js';

export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  newId(): string;
}

export interface LinkFilter {
  status?: LinkStatus;
  order_reference?: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface LinkStore {
  /** Inserts a new link; fails if the id exists. */
  create(link: PaymentLink): Promise<void>;
  get(id: string): Promise<PaymentLink | undefined>;
  /** Writes `link` only if the stored version is still `expectedVersion`; else VersionConflictError. */
  update(link: PaymentLink, expectedVersion: number): Promise<void>;
  /** Newest first, only `entityId`'s links. An unusable cursor is a ValidationError on /cursor. */
  list(entityId: string, filter: LinkFilter, limit: number, cursor?: string): Promise<Page<PaymentLink>>;
}

export interface Merchant {
  entity_id: string;
  display_name: string;
  /** Expiry applied when a link asks for none. */
  default_expiry_minutes: number;
  default_webhook_url?: string;
  /** Reminders for links that give no reminder_schedule. */
  reminder_policy?: ReminderPolicy;
  active: boolean;
}

export interface ClientCredential {
  client_id: string;
  entity_id: string;
  /** scrypt hash, see shared/domain/secret-hash.ts; never the secret itself. */
  secret_hash: string;
}

export interface MerchantDirectory {
  getMerchant(entityId: string): Promise<Merchant | undefined>;
  getClient(clientId: string): Promise<ClientCredential | undefined>;
  /** Looks an API key up by its SHA-256 digest; returns the owning entity id. */
  entityForApiKey(apiKeyDigest: string): Promise<string | undefined>;
}

export interface AccessTokenClaims {
  entity_id: string;
  client_id: string;
}

export interface AccessTokens {
  issue(claims: AccessTokenClaims, ttlSeconds: number): Promise<string>;
  /** Returns the claims of a valid token, or undefined for anything else (bad signature, expired…). */
  verify(token: string): Promise<AccessTokenClaims | undefined>;
}

/** A fixed window of time in which failed attempts are counted. */
export interface ThrottleWindow {
  start: Date;
  end: Date;
}

/**
 * Failed client authentications, counted per client (a key derived from its id) and fixed window
 * in the table, so every Lambda sees one count.
 */
export interface ClientThrottle {
  /** Counts one attempt in `window` unless `limit` are counted there already: false when the budget is spent. */
  take(key: string, window: ThrottleWindow, limit: number): Promise<boolean>;
  /** Un-counts an attempt that succeeded: only failures spend the budget. */
  giveBack(key: string, window: ThrottleWindow): Promise<void>;
}

export interface EventBus {
  publish(events: BusEvent[]): Promise<void>;
}

export interface BusEvent {
  /** Deterministic id (link id + version + kind) so a redelivered stream record is recognisable. */
  id: string;
  source: 'paylink';
  'detail-type': string;
  detail: Record<string, unknown>;
  time: string;
}

export interface StoredResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export type IdempotencyClaim =
  | {
      state: 'claimed';
      /** This attempt's hold on the key: it completes or releases the record only while it still holds it. */
      holder: string;
      /** Fixed when the key is first claimed and kept when a retry takes the claim over (see IdempotentAttempt). */
      request_id: string;
      /** Taken over from an attempt that died: its lease ran out with the request still in progress. */
      resumed: boolean;
    }
  | { state: 'in_progress'; request_hash: string }
  | { state: 'completed'; request_hash: string; response: StoredResponse };

export interface IdempotencyStore {
  /**
   * Atomically claims `key` for a request: a new key, an expired record, or a claim of the same
   * request left in progress past its lease (taken over, keeping its request_id). Otherwise
   * returns what is recorded under the key.
   */
  claim(key: string, requestHash: string, times: { leaseUntil: Date; expiresAt: Date }): Promise<IdempotencyClaim>;
  /** Records the response, if `holder` still holds the claim (a takeover after its lease ended it). */
  complete(key: string, holder: string, response: StoredResponse, expiresAt: Date): Promise<void>;
  /** Frees the key after a rejection or failure the caller may correct or retry, if `holder` still holds it. */
  release(key: string, holder: string): Promise<void>;
}

// ── Payments: provider notifications between the receiver and the consumer ────────────────────

/** A provider notification on its queue (SQS on AWS, local-aws-sqs locally). */
export interface ProviderEventMessage {
  provider: string;
  /** The body exactly as received: the consumer parses it, the receiver only verified it. */
  raw_body: string;
  received_at: string;
}

export interface ProviderEventQueue {
  enqueue(message: ProviderEventMessage): Promise<void>;
}

export interface RedirectionSigner {
  /** Signs the claims for `audience` (the merchant's entity id), with iat and exp. */
  sign(claims: RedirectionClaims, audience: string): Promise<string>;
  /** Every key that may have signed a live token: the current one first, the previous during rotation. */
  publicKeys(): Promise<PublicJwk[]>;
}

export interface KeyRing<K extends { kid: string }> {
  read(): Promise<K[]>;
  write(keys: K[]): Promise<void>;
  rotate(current: K[]): Promise<K[]>;
}

// ── Notifications ─────────────────────────────────────────────────────────────────────────────

export interface OutgoingEmail {
  to: string;
  subject: string;
  html: string;
  text: string;
  /** Message tags (SES EmailTags): how a bounce finds its merchant and link again. */
  tags: Record<string, string>;
}

export interface Mailer {
  send(email: OutgoingEmail): Promise<{ message_id: string }>;
}

export interface SmsSender {
  send(sms: { phone_number: string; message: string }): Promise<{ message_id: string }>;
}

export interface SuppressionList {
  isSuppressed(entityId: string, address: string): Promise<boolean>;
  suppress(entityId: string, address: string, reason: string, at: Date): Promise<void>;
}

export interface NotificationQueue {
  enqueue(request: NotificationRequest): Promise<void>;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

export interface MessageRenderer {
  email(link: PaymentLink, context: { merchantName: string; customerUrl: string; kind: NotificationKind }): RenderedEmail;
  sms(link: PaymentLink, context: { merchantName: string; customerUrl: string; kind: NotificationKind }): string;
}

// ── Merchant webhooks ─────────────────────────────────────────────────────────────────────────

export interface DeliveryStore {
  /** Creates the delivery unless one with its event id exists; returns the stored one either way. */
  createIfAbsent(delivery: WebhookDelivery): Promise<WebhookDelivery>;
  get(paymentLinkId: string, eventId: string): Promise<WebhookDelivery | undefined>;
  /** Oldest first. */
  listForLink(paymentLinkId: string): Promise<WebhookDelivery[]>;
  /** Conditional on `expectedVersion`; VersionConflictError otherwise. */
  update(delivery: WebhookDelivery, expectedVersion: number): Promise<void>;
}

/**
 * Endpoints that answered 410 Gone: no scheduled delivery is attempted to them until the merchant
 * replays an event there successfully (which clears the mark).
 */
export interface EndpointHealth {
  goneSince(entityId: string, url: string): Promise<string | undefined>;
  markGone(entityId: string, url: string, at: Date): Promise<void>;
  clear(entityId: string, url: string): Promise<void>;
}

/** Finds a delivery's link from its event id alone (the replay API is given only that). */
export interface DeliveryLocator {
  locate(eventId: string): Promise<{ payment_link_id: string; entity_id: string } | undefined>;
}

/** A message on the merchant-webhook queue: which delivery to attempt, and not before when. */
export interface DeliveryMessage {
  event_id: string;
  payment_link_id: string;
  not_before?: string;
  manual?: boolean;
}

export interface DeliveryQueue {
  /** SQS caps delays at 15 minutes; longer waits are chained by the sender. */
  enqueue(message: DeliveryMessage, delaySeconds?: number): Promise<void>;
}

export interface WebhookHttp {
  /** POSTs without following redirects, with a timeout; never throws for HTTP or network failures. */
  post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<AttemptResult>;
}

export interface MerchantSecret {
  secret: string;
  created_at: string;
  /** Set on the previous secret at rotation: it signs until then. */
  expires_at?: string;
  /** The rotation that made it (an Idempotency-Key attempt's id), so re-running that rotation changes nothing. */
  rotation_id?: string;
}

export interface MerchantSecretStore {
  /** Current secret first, then any previous one still in its grace period. */
  signingSecrets(entityId: string, now: Date): Promise<string[]>;
  /**
   * A new current secret; the old one signs for SECRET_ROTATION_GRACE_MS more. When the current
   * secret was made by `rotationId`, it is answered as it is and nothing rotates.
   */
  rotate(entityId: string, now: Date, rotationId?: string): Promise<{ secret: string; previous_expires_at: string | null }>;
}

// ── Workflow ──────────────────────────────────────────────────────────────────────────────────

export interface WorkflowEngine {
  /** Starts the link's execution (named after the link: a repeated start is a no-op). */
  start(input: WorkflowInput): Promise<void>;
  /** Stops it (the link was paid or cancelled); stopping a finished one is a no-op. */
  stop(paymentLinkId: string): Promise<void>;
}
