/**
 * Fault injection through the ports: a decorator put around a method of a real adapter (the very
 * instance the sandbox handed to every handler) that fails a fraction of its calls the way AWS
 * fails them: DynamoDB throttling before the call, a timeout after a write that did land, a crash
 * of the caller right after a call, SES/SNS/SQS throttling. Decisions come from a seeded PRNG (a
 * SHA-256 counter per seed, label, key and occurrence), so a seed replays the same fault plan.
 * Keys name links by their creation index (`alias`), not by their random ids.
 *
 * A given call (label + key) fails at most once: a retry of the same operation goes through, so
 * every fault is recoverable within the redrive limits, and what the test then checks is that the
 * recovery loses nothing and applies nothing twice.
 */
import { createHash } from 'node:crypto';
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { TooManyRequestsException } from '@aws-sdk/client-sesv2';
import { ThrottledException } from '@aws-sdk/client-sns';
import { RequestThrottled, type SQSClient } from '@aws-sdk/client-sqs';

/**
 * before: the call is not made (throttling, a refused connection);
 * after: the call is made, then the caller sees an error (a timeout after the write landed, or the
 * function crashing right after the call).
 */
export type FaultTiming = 'before' | 'after';

export const FAULTS = {
  throttle: () => new ProvisionedThroughputExceededException({ message: 'Throughput exceeds the current capacity of your table (injected)', $metadata: { httpStatusCode: 400 } }),
  timeout: () => Object.assign(new Error('Connection timed out after 1000 ms (injected)'), { name: 'TimeoutError' }),
  crash: () => Object.assign(new Error('Runtime exited with error: signal: killed (injected)'), { name: 'InjectedCrash' }),
  sesThrottle: () => new TooManyRequestsException({ message: 'Maximum sending rate exceeded (injected)', $metadata: { httpStatusCode: 429 } }),
  snsThrottle: () => new ThrottledException({ message: 'Rate exceeded (injected)', $metadata: { httpStatusCode: 400 } }),
  sqsThrottle: () => new RequestThrottled({ message: 'Request is throttled (injected)', $metadata: { httpStatusCode: 400 } }),
};

export interface FaultSpec<A extends unknown[]> {
  /** How the fault is counted and keyed, e.g. "links.update/timeout". */
  label: string;
  /** Probability that a call (not yet failed under its key) fails. */
  rate: number;
  timing: FaultTiming;
  error: () => Error;
  /** Which operation this call is (undefined: never fail this call). Raw ids are aliased. */
  key: (...args: A) => string | undefined;
  /** At most this many faults under the label (default: no limit). */
  budget?: number;
}

export class FaultInjector {
  readonly injected = new Map<string, number>();
  private readonly failedOnce = new Set<string>();
  private readonly occurrences = new Map<string, number>();
  private readonly aliases = new Map<string, string>();
  private readonly restores: Array<() => void> = [];
  enabled = true;

  constructor(readonly seed: number) {}

  /** Names `id` (a link id) by `name` in keys, so that a seed replays across runs. */
  alias(id: string, name: string): void {
    if (!this.aliases.has(id)) this.aliases.set(id, this.normalise(name));
  }

  /** The key with every known id replaced by its alias. */
  normalise(key: string): string {
    let out = key;
    for (const [id, name] of this.aliases) out = out.split(id).join(name);
    return out;
  }

  /** A deterministic draw in [0, 1) for the n-th occurrence of `key` under `label`. */
  draw(label: string, key: string, occurrence: number): number {
    return createHash('sha256').update(`${this.seed}|${label}|${key}|${occurrence}`).digest().readUInt32BE(0) / 2 ** 32;
  }

  /**
   * Whether this call fails: at most once per label and key. The first call under a label always
   * fails, so that every kind of fault is exercised whatever the seed; then a `rate` fraction.
   */
  decide(label: string, rawKey: string, rate: number, budget = Infinity): boolean {
    if (!this.enabled || (this.injected.get(label) ?? 0) >= budget) return false;
    const key = this.normalise(rawKey);
    const id = `${label}|${key}`;
    if (this.failedOnce.has(id)) return false;
    const n = this.occurrences.get(id) ?? 0;
    this.occurrences.set(id, n + 1);
    if (this.injected.has(label) && this.draw(label, key, n) >= rate) return false;
    this.failedOnce.add(id);
    this.count(label);
    return true;
  }

  count(label: string): void {
    this.injected.set(label, (this.injected.get(label) ?? 0) + 1);
  }

  /** Decorates `target[method]` in place (every holder of the instance sees it) until `restore()`. */
  wrap<T extends object, K extends keyof T>(target: T, method: K, spec: T[K] extends (...args: infer A) => Promise<unknown> ? FaultSpec<A> : never): void {
    const original = target[method] as (...args: unknown[]) => Promise<unknown>;
    const hadOwn = Object.prototype.hasOwnProperty.call(target, method);
    const s = spec as FaultSpec<unknown[]>;
    const decorated = async (...args: unknown[]) => {
      const key = s.key(...args);
      const fail = key !== undefined && this.decide(s.label, key, s.rate, s.budget);
      if (fail && s.timing === 'before') throw s.error();
      const result = await original.apply(target, args);
      if (fail) throw s.error();
      return result;
    };
    (target as Record<K, unknown>)[method] = decorated;
    this.restores.push(() => {
      if (hadOwn) (target as Record<K, unknown>)[method] = original;
      else delete (target as Record<K, unknown>)[method];
    });
  }

  /** Something else to undo at `restore()` (a client middleware). */
  onRestore(undo: () => void): void {
    this.restores.push(undo);
  }

  restore(): void {
    for (const undo of this.restores.splice(0).reverse()) undo();
  }

  /** "label: n" lines, sorted. */
  summary(): string[] {
    return [...this.injected].sort(([a], [b]) => a.localeCompare(b)).map(([label, n]) => `${label}: ${n}`);
  }
}

/**
 * The consumer of `queueUrl` "crashes after its work and before acknowledging": a fraction of its
 * DeleteMessageBatch calls never reach SQS, so the batch is delivered again after the visibility
 * timeout. `key` names a received message (its body) for the decision; a message is never caught in
 * a second failed acknowledgement, so it reaches the DLQ only if its own processing fails.
 */
export function failAcknowledgements(injector: FaultInjector, client: SQSClient, queueUrl: string, options: { label: string; rate: number; key: (body: string) => string }): void {
  const received = new Map<string, { messageId: string; key: string }>();
  const caught = new Set<string>();
  const name = `inject-${options.label}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { QueueUrl?: string; Entries?: Array<{ ReceiptHandle?: string }> };
      if (input.QueueUrl !== queueUrl) return next(args);
      if (context.commandName === 'DeleteMessageBatchCommand') {
        const messages = (input.Entries ?? []).map((e) => received.get(e.ReceiptHandle ?? '')).filter((m) => m !== undefined);
        const eligible = messages.every((m) => !caught.has(m.messageId));
        if (eligible && messages.some((m) => injector.decide(options.label, m.key, options.rate))) {
          for (const m of messages) caught.add(m.messageId);
          throw FAULTS.crash();
        }
      }
      const out = await next(args);
      if (context.commandName === 'ReceiveMessageCommand') {
        const messages = (out.output as { Messages?: Array<{ MessageId?: string; ReceiptHandle?: string; Body?: string }> }).Messages ?? [];
        for (const m of messages) received.set(m.ReceiptHandle ?? '', { messageId: m.MessageId ?? '', key: options.key(m.Body ?? '') });
      }
      return out;
    },
    { step: 'initialize', name },
  );
  injector.onRestore(() => void client.middlewareStack.remove(name));
}
