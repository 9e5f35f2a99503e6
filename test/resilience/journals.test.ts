/**
 * The append-only journal under the sandbox's data dir (sandbox/journal.ts; issue 9, item 10): a line
 * cut short by a crash is skipped and never glued to the next entry, and a journal that grows while
 * little of it still matters is compacted, keeping the latest of each thing (here the PSP's store).
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Journal } from '../../sandbox/journal.js';
import { PspJournal } from '../../sandbox/psp/store.js';
import type { SandboxPspSession } from '../../sandbox/psp/state.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'paylink-journal-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean);

describe('Journal', () => {
  it('skips a last line cut short by a crash, and appends after it on a line of its own', () => {
    const path = join(dir, 'torn.jsonl');
    const first = Journal.open<{ n: number }>(path);
    first.journal.append({ n: 1 });
    first.journal.append({ n: 2 });
    first.journal.close();
    appendFileSync(path, '{"n":'); // the write the kill interrupted

    const second = Journal.open<{ n: number }>(path);
    expect(second).toMatchObject({ entries: [{ n: 1 }, { n: 2 }], torn: 1 });
    second.journal.append({ n: 3 });
    second.journal.close();
    expect(Journal.open<{ n: number }>(path)).toMatchObject({ entries: [{ n: 1 }, { n: 2 }, { n: 3 }], torn: 0 });
  });
});

describe("the sandbox PSP's store", () => {
  it('compacts a journal of many changes to few things, and reopens with the latest of each', () => {
    const path = join(dir, 'psp.jsonl');
    const { store } = PspJournal.open(path);
    const session: SandboxPspSession = {
      id: 'cs_1',
      request: {
        payment_link_id: 'pl_1',
        entity_id: 'demo-entity',
        amount: 100,
        currency: 'EUR',
        capture_mode: 'AUTOMATIC',
        return_url: 'http://localhost/r',
        retry_url: 'http://localhost/t',
        locale: 'en',
        merchant_display_name: 'Demo',
        order_reference: 'o',
      },
      status: 'CREATED',
      created_at: new Date(0).toISOString(),
      payment_ids: [],
    };
    for (let i = 0; i < 1500; i++) {
      session.payment_ids = [`pay_${i}`];
      store.saveSession(session);
    }
    store.close();
    // 1,500 saves of one session: rewritten to one line after 1,001 appends, then 499 more.
    expect(lines(path)).toHaveLength(500);

    const reopened = PspJournal.open(path);
    expect(reopened.sessions).toEqual([{ ...session, payment_ids: ['pay_1499'] }]);
    expect(reopened.payments).toEqual([]);
    reopened.store.close();
    expect(lines(path)).toHaveLength(1);
  });
});
