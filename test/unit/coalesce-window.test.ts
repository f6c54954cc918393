import { describe, expect, it } from 'vitest';
import {
  absorb,
  closesAt,
  coalesceErrors,
  defaultMaxWait,
  isOpen,
  joinWindow,
  normalizeCoalesce,
  openWindow,
  windowDelivery,
  windowKey,
  type Joining,
} from '../../server/src/coalesce/window';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const change = (s: number, over: Partial<Joining> = {}): Joining => ({
  event: 'entry.update',
  uid: 'api::quotation.quotation',
  documentId: 'd1',
  locale: 'en',
  occurredAt: at(s),
  user: { id: 1 },
  doc: { title: `v${s}` },
  previous: { title: `before ${s}` },
  ...over,
});

describe('coalesce validation', () => {
  it.each([
    [null, []],
    [undefined, []],
    [{ by: 'document', windowSeconds: 1 }, []],
    [{ by: 'webhook', windowSeconds: 3600, maxWaitSeconds: 86400 }, []],
    [{ by: 'document', windowSeconds: 5, maxWaitSeconds: 5 }, []],
    [{ by: 'document', windowSeconds: 5, maxWaitSeconds: null }, []],
    ['10s', [['coalesce']]],
    [[], [['coalesce']]],
    [{ by: 'type', windowSeconds: 5 }, [['coalesce', 'by']]],
    [{ by: 'document' }, [['coalesce', 'windowSeconds']]],
    [{ by: 'document', windowSeconds: 0 }, [['coalesce', 'windowSeconds']]],
    [{ by: 'document', windowSeconds: 3601 }, [['coalesce', 'windowSeconds']]],
    [{ by: 'document', windowSeconds: 1.5 }, [['coalesce', 'windowSeconds']]],
    [{ by: 'document', windowSeconds: '5' }, [['coalesce', 'windowSeconds']]],
    [{ by: 'document', windowSeconds: 10, maxWaitSeconds: 9 }, [['coalesce', 'maxWaitSeconds']]],
    [
      { by: 'document', windowSeconds: 10, maxWaitSeconds: 86401 },
      [['coalesce', 'maxWaitSeconds']],
    ],
    [{ by: 'document', windowSeconds: 10, extra: 1 }, [['coalesce', 'extra']]],
  ])('%j → %j', (value, paths) => {
    const errors = coalesceErrors(value);
    expect(errors.map((e) => e.path)).toEqual(paths);
    for (const e of errors) expect(e.message).toMatch(/^coalesce/);
  });

  it.each([
    [1, 10],
    [60, 600],
    [3600, 36000],
    [9000, 86400],
  ])('maxWaitSeconds defaults to min(10 × %i, 86400) = %i', (w, max) => {
    expect(defaultMaxWait(w)).toBe(max);
    expect(normalizeCoalesce({ by: 'document', windowSeconds: w })).toEqual({
      by: 'document',
      windowSeconds: w,
      maxWaitSeconds: max,
    });
  });

  it('keeps an explicit maxWaitSeconds, and null stays off', () => {
    expect(normalizeCoalesce({ by: 'webhook', windowSeconds: 2, maxWaitSeconds: 3 })).toEqual({
      by: 'webhook',
      windowSeconds: 2,
      maxWaitSeconds: 3,
    });
    expect(normalizeCoalesce(null)).toBeNull();
  });
});

describe('when a window closes', () => {
  const settings = { by: 'document' as const, windowSeconds: 2, maxWaitSeconds: 10 };
  it.each([
    ['one change: the quiet period after it', [0], 2],
    ['changes 1 s apart: the quiet period after the last', [0, 1, 2, 3], 5],
    ['a continuous stream: the maximum wait after the first', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 10],
    ['quiet period and maximum wait equal', [0, 8], 10],
  ])('%s', (_name, seconds, closeAt) => {
    const state = openWindow(
      settings,
      seconds.map((s) => change(s))
    );
    expect(closesAt(state).toISOString()).toBe(at(closeAt));
    expect(isOpen(state, new Date(Date.parse(at(closeAt)) - 1))).toBe(true);
    expect(isOpen(state, new Date(at(closeAt)))).toBe(false);
  });

  it('joining later moves the quiet period, never past the maximum wait', () => {
    let state = openWindow(settings, [change(0)]);
    state = joinWindow(state, [change(1)]);
    expect(closesAt(state).toISOString()).toBe(at(3));
    state = joinWindow(state, [change(9)]);
    expect(closesAt(state).toISOString()).toBe(at(10));
  });
});

describe('what a closed window delivers', () => {
  it('by document: last event and doc, first previous, every change in order', () => {
    const state = joinWindow(
      openWindow({ by: 'document', windowSeconds: 2, maxWaitSeconds: 20 }, [
        change(0, { event: 'entry.create', previous: null }),
      ]),
      [change(1), change(2, { event: 'entry.publish', user: { id: 2 } })]
    );
    expect(windowDelivery(state)).toEqual({
      event: 'entry.publish',
      uid: 'api::quotation.quotation',
      documentId: 'd1',
      locale: 'en',
      doc: { title: 'v2' },
      previous: null,
      user: { id: 2 },
      createdAt: at(2),
      changes: [
        { event: 'entry.create', occurredAt: at(0), user: { id: 1 } },
        { event: 'entry.update', occurredAt: at(1), user: { id: 1 } },
        { event: 'entry.publish', occurredAt: at(2), user: { id: 2 } },
      ],
    });
  });

  it('by webhook: a batch without doc or previous, each change with its document', () => {
    const state = openWindow({ by: 'webhook', windowSeconds: 2, maxWaitSeconds: 20 }, [
      change(0, { documentId: 'a' }),
      change(0, { documentId: 'b', locale: null, event: 'entry.publish' }),
    ]);
    const d = windowDelivery(state);
    expect(d).toMatchObject({
      event: 'batch',
      doc: null,
      previous: null,
      documentId: null,
      locale: null,
    });
    expect(d.changes).toEqual([
      {
        event: 'entry.update',
        uid: 'api::quotation.quotation',
        documentId: 'a',
        locale: 'en',
        occurredAt: at(0),
        user: { id: 1 },
      },
      {
        event: 'entry.publish',
        uid: 'api::quotation.quotation',
        documentId: 'b',
        locale: null,
        occurredAt: at(0),
        user: { id: 1 },
      },
    ]);
    expect(state.doc).toBeNull();
  });

  it.each([
    ['document', { documentId: 'd1', locale: 'en' }, 'document:api::quotation.quotation:d1:en'],
    ['document', { documentId: 'd1', locale: null }, 'document:api::quotation.quotation:d1:'],
    ['webhook', { documentId: 'd1', locale: 'en' }, 'webhook'],
  ] as const)('window key by %s of %j', (by, c, key) => {
    expect(windowKey(by, { uid: 'api::quotation.quotation', ...c })).toBe(key);
  });
});

describe('absorb: which changes join an open window', () => {
  const settings = { by: 'document' as const, windowSeconds: 2, maxWaitSeconds: 5 };
  it.each([
    ['all inside the quiet periods', [1, 2, 3], 3, 5],
    ['one past the quiet period: it and the rest start a new window', [1, 4, 5], 1, 3],
    ['the maximum wait cuts a continuous stream', [1, 2, 3, 4, 5, 6], 4, 5],
    ['nothing to join', [], 0, 2],
  ])('%s', (_name, seconds, taken, closeAt) => {
    const { state, taken: n } = absorb(
      openWindow(settings, [change(0)]),
      seconds.map((s) => change(s))
    );
    expect(n).toBe(taken);
    expect(state.changes).toHaveLength(1 + taken);
    expect(closesAt(state).toISOString()).toBe(at(closeAt));
  });
});
