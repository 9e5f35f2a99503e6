/**
 * SMS for the sandbox: nothing leaves the machine; each message is kept (newest last) for
 * `GET /sandbox/sms` → {"messages":[{"phone_number","message","sent_at"}]}. In memory, bounded.
 */
import { randomUUID } from 'node:crypto';
import type { SmsSender } from '../shared/domain/ports.js';
import type { Clock } from '../shared/domain/ports.js';
import { systemClock } from '../shared/app/ambient.js';

export interface OutboxSms {
  phone_number: string;
  message: string;
  sent_at: string;
}

export interface SandboxSmsOutboxOptions {
  clock?: Clock;
  /** Oldest messages are dropped past this many. Default 1000. */
  limit?: number;
}

export class SandboxSmsOutbox implements SmsSender {
  private readonly sent: OutboxSms[] = [];
  private readonly clock: Clock;
  private readonly limit: number;

  constructor(options: SandboxSmsOutboxOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.limit = options.limit ?? 1000;
  }

  async send(sms: { phone_number: string; message: string }): Promise<{ message_id: string }> {
    this.sent.push({ phone_number: sms.phone_number, message: sms.message, sent_at: this.clock.now().toISOString() });
    if (this.sent.length > this.limit) this.sent.splice(0, this.sent.length - this.limit);
    return { message_id: `sandbox-sms-${randomUUID()}` };
  }

  /** Copies, oldest first. */
  messages(): OutboxSms[] {
    return this.sent.map((m) => ({ ...m }));
  }

  /** The body of `GET /sandbox/sms`. */
  listing(): { messages: OutboxSms[] } {
    return { messages: this.messages() };
  }

  clear(): void {
    this.sent.length = 0;
  }
}
