/**
 * Domain errors. Each carries a stable `code` and the HTTP status it maps to; the one error
 * middleware (shared/http/problem.ts) turns them into application/problem+json. Anything that is
 * not a DomainError is an unexpected failure and becomes a bare 500.
 */
export interface FieldError {
  /** JSON pointer to the offending field, e.g. `/amount` or `/order/reference`. */
  pointer: string;
  detail: string;
}

export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  abstract readonly title: string;
  /** Extra members for the problem document (RFC 9457 extension members). */
  readonly extensions: Record<string, unknown> = {};
}

export class ValidationError extends DomainError {
  readonly code = 'validation_error';
  readonly status = 400;
  readonly title = 'Invalid request';
  constructor(readonly errors: FieldError[], detail?: string) {
    super(detail ?? errors.map((e) => `${e.pointer}: ${e.detail}`).join('; '));
    this.extensions.errors = errors;
  }
  static field(pointer: string, detail: string): ValidationError {
    return new ValidationError([{ pointer, detail }]);
  }
}

export class MalformedRequestError extends DomainError {
  readonly code = 'malformed_request';
  readonly status = 400;
  readonly title = 'Malformed request';
}

export class UnsupportedMediaTypeError extends DomainError {
  readonly code = 'unsupported_media_type';
  readonly status = 415;
  readonly title = 'Unsupported media type';
}

export class PayloadTooLargeError extends DomainError {
  readonly code = 'payload_too_large';
  readonly status = 413;
  readonly title = 'Payload too large';
}

export class UnauthorizedError extends DomainError {
  readonly code = 'unauthorized';
  readonly status = 401;
  readonly title = 'Unauthorized';
}

export class ForbiddenError extends DomainError {
  readonly code = 'forbidden';
  readonly status = 403;
  readonly title = 'Forbidden';
}

export class NotFoundError extends DomainError {
  readonly code = 'not_found';
  readonly status = 404;
  readonly title = 'Not found';
}

export class MethodNotAllowedError extends DomainError {
  readonly code = 'method_not_allowed';
  readonly status = 405;
  readonly title = 'Method not allowed';
}

/** A transition the link's state machine does not allow (e.g. cancelling a PAID link). */
export class InvalidTransitionError extends DomainError {
  readonly code = 'invalid_transition';
  readonly status = 400;
  readonly title = 'Payment link cannot change this way';
}

/** A conditional write lost against a concurrent writer. Retried internally, rarely surfaced. */
export class VersionConflictError extends DomainError {
  readonly code = 'version_conflict';
  readonly status = 409;
  readonly title = 'Concurrent modification';
}

export class IdempotencyConflictError extends DomainError {
  readonly code = 'idempotency_conflict';
  readonly status = 409;
  readonly title = 'Idempotency key reused';
}

/** The same Idempotency-Key with another request: 422, as the IETF Idempotency-Key draft says. */
export class IdempotencyMismatchError extends DomainError {
  readonly code = 'idempotency_key_mismatch';
  readonly status = 422;
  readonly title = 'Idempotency key reused with another request';
}

/**
 * Raised by the OAuth endpoint; rendered as an RFC 6749 error body, not problem+json.
 * too_many_attempts (429, with Retry-After) is the client-id throttle's (shared/domain/auth/throttle.ts).
 */
export class OAuthError extends DomainError {
  readonly code: string;
  readonly status: number;
  readonly title = 'OAuth error';
  constructor(error: 'invalid_client' | 'unsupported_grant_type' | 'invalid_request' | 'too_many_attempts', detail: string, retryAfterSeconds?: number) {
    super(detail);
    this.code = error;
    this.status = error === 'invalid_client' ? 401 : error === 'too_many_attempts' ? 429 : 400;
    if (retryAfterSeconds !== undefined) this.extensions.retry_after_seconds = retryAfterSeconds;
  }
}
