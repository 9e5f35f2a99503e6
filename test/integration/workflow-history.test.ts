/**
 * The sandbox keeps a bounded history of ended executions (issue 9, item 12: the sandbox grew with
 * every link and never gave the memory back; ended executions were kept whole forever). A name
 * stays taken after its record is dropped, as Step Functions keeps execution names.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { makeHandler as expireHandler } from '../../functions/workflow-expire/handler.js';
import { makeHandler as reminderHandler } from '../../functions/workflow-reminder/handler.js';
import { LocalWorkflowEngine } from '../../sandbox/workflow-runner.js';
import { systemClock } from '../../shared/app/ambient.js';
import { createPaymentLink } from '../../shared/domain/link/commands.js';
import type { CreatePaymentLinkInput } from '../../shared/domain/link/schemas.js';
import { createLogger } from '../../shared/logger.js';
import { FixedClock, MemoryLinkStore, demoMerchant, sequentialIds } from '../support/fakes.js';
import { createLinkBody } from '../support/fixtures.js';
import { MemoryNotificationQueue, recorded } from '../support/workflow-tasks.js';

const logger = createLogger({ level: 'error', write: () => undefined });
const links = new MemoryLinkStore();
const expire = recorded(expireHandler({ links, clock: systemClock, logger }));
const engine = new LocalWorkflowEngine({
  reminder: reminderHandler({ links, notificationQueue: new MemoryNotificationQueue(), clock: systemClock, logger }),
  expire: expire.handler,
  logger,
  keepEnded: 3,
});
afterAll(() => engine.close());

const ids = sequentialIds();
/** A link created an hour ago that expired a second ago: its execution expires it at once and ends. */
const expiredLink = () =>
  createPaymentLink(createLinkBody({ entity_id: demoMerchant.entity_id, expires_at: new Date(Date.now() - 1000).toISOString() }) as CreatePaymentLinkInput, demoMerchant, {
    links,
    clock: new FixedClock(new Date(Date.now() - 3600_000)),
    ids,
    urlPolicy: 'production',
  });
const start = (id: string, expiresAt: string) => engine.start({ payment_link_id: id, reminders: [], expires_at: expiresAt, grace_seconds: 900 });

describe('ended executions in the sandbox', () => {
  it('keeps the last `keepEnded` ended executions, and a dropped name stays taken', async () => {
    const created = [];
    for (let i = 0; i < 8; i++) {
      const link = await expiredLink();
      created.push(link);
      await start(link.id, link.expires_at);
      expect((await engine.settled(link.id))?.status).toBe('SUCCEEDED');
    }
    expect(engine.executions().map((e) => e.name)).toEqual(created.slice(-3).map((l) => l.id));
    expect(engine.execution(created[0]!.id)).toBeUndefined();

    const calls = expire.calls.length;
    await start(created[0]!.id, created[0]!.expires_at); // the name was used: a no-op
    expect(engine.execution(created[0]!.id)).toBeUndefined();
    expect(expire.calls.length).toBe(calls);
  });

  it('never drops a running execution', async () => {
    const link = await expiredLink();
    await start(link.id, new Date(Date.now() + 3600_000).toISOString()); // waits an hour
    for (let i = 0; i < 4; i++) {
      const other = await expiredLink();
      await start(other.id, other.expires_at);
      await engine.settled(other.id);
    }
    expect(engine.execution(link.id)?.status).toBe('RUNNING');
    expect(engine.executions().filter((e) => e.status !== 'RUNNING')).toHaveLength(3);
  });
});
