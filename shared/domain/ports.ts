/**
 * The ports domain code is given (STYLE.md §2). Adapters in shared/adapters implement them for
 * AWS; the sandbox and tests wire the same adapters to local stand-ins.
 */
import type { PaymentLink } from './payment-link.js';
import type { LinkStatus } from './link-status.js';
import type { ReminderPolicy } from './workflow.js';

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
  | { state: 'claimed' }
  | { state: 'in_progress'; request_hash: string }
  | { state: 'completed'; request_hash: string; response: StoredResponse };

export interface IdempotencyStore {
  /** Atomically claims `key` for a request, or returns what is already recorded under it. */
  claim(key: string, requestHash: string, expiresAt: Date): Promise<IdempotencyClaim>;
  complete(key: string, response: StoredResponse, expiresAt: Date): Promise<void>;
  /** Frees the key after a failure that the caller may retry (5xx). */
  release(key: string): Promise<void>;
}
