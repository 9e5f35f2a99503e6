/**
 * A merchant's webhook endpoint that misbehaves on purpose: `flaky` answers some attempts 500 and
 * holds others past Paylink's attempt timeout (then answers 200, as a slow server does: it did get
 * the webhook), by the fault injector's seeded decisions, at most once each per webhook; `gone`
 * answers 410 to everything. Records every request it receives.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FaultInjector } from './fault-injector.js';

export interface ReceivedWebhook {
  webhookId: string;
  body: string;
  /** What this attempt got: a status, or 'held' (answered after the sender gave up). */
  answer: number | 'held';
}

export class FlakyEndpoint {
  readonly received: ReceivedWebhook[] = [];
  url = '';
  private server?: Server;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly mode: 'flaky' | 'gone',
    private readonly injector: FaultInjector,
    private readonly options: { errorRate: number; holdRate: number; holdMs: number },
  ) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const webhookId = String(req.headers['webhook-id'] ?? '');
        const answer = this.answerFor(body);
        this.received.push({ webhookId, body, answer });
        if (answer !== 'held') return void res.writeHead(answer).end();
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          res.writeHead(200).end();
        }, this.options.holdMs);
        this.timers.add(timer);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
    return this;
  }

  /** Distinct webhook ids received, in order of first arrival. */
  ids(): string[] {
    return [...new Set(this.received.map((r) => r.webhookId))];
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private answerFor(body: string): number | 'held' {
    if (this.mode === 'gone') return 410;
    const { type, sequence, data } = JSON.parse(body) as { type: string; sequence: number; data: { id?: string; payment_link_id?: string } };
    const key = `${data.payment_link_id ?? data.id}:${type}:${sequence}`;
    if (this.injector.decide('endpoint/500', key, this.options.errorRate)) return 500;
    if (this.injector.decide('endpoint/timeout', key, this.options.holdRate)) return 'held';
    return 200;
  }
}
