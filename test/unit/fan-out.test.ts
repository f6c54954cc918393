import { describe, expect, it } from 'vitest';
import { splitReady, type BatchRecord } from '../../server/src/dispatch/fan-out';

const rec = (id: number, document: string, webhookIds: number[]): BatchRecord => ({
  id,
  document,
  webhookIds,
});

describe('splitReady', () => {
  const cases: Array<
    [
      string,
      BatchRecord[],
      Array<[number, number]>,
      Record<number, { ready: number[]; remaining: number[] }>,
    ]
  > = [
    [
      'everything done: all ready',
      [rec(1, 'd1', [10, 20]), rec(2, 'd2', [10])],
      [
        [1, 10],
        [1, 20],
        [2, 10],
      ],
      { 1: { ready: [10, 20], remaining: [] }, 2: { ready: [10], remaining: [] } },
    ],
    [
      'a slow webhook stays behind, the other goes',
      [rec(1, 'd1', [10, 20])],
      [[1, 20]],
      { 1: { ready: [20], remaining: [10] } },
    ],
    [
      'a later record of the same document waits for the earlier one, for that webhook only',
      [rec(1, 'd1', [10, 20]), rec(2, 'd1', [10, 20])],
      [
        [1, 20],
        [2, 10],
        [2, 20],
      ],
      { 1: { ready: [20], remaining: [10] }, 2: { ready: [20], remaining: [10] } },
    ],
    [
      'other documents are not held back',
      [rec(1, 'd1', [10]), rec(2, 'd2', [10])],
      [[2, 10]],
      { 1: { ready: [], remaining: [10] }, 2: { ready: [10], remaining: [] } },
    ],
    [
      'capture order is the id, whatever the input order',
      [rec(5, 'd1', [10]), rec(3, 'd1', [10])],
      [[5, 10]],
      { 3: { ready: [], remaining: [10] }, 5: { ready: [], remaining: [10] } },
    ],
    [
      'a record with no webhooks left is complete',
      [rec(1, 'd1', [])],
      [],
      { 1: { ready: [], remaining: [] } },
    ],
  ];

  it.each(cases)('%s', (_name, records, donePairs, expected) => {
    const done = new Set(donePairs.map(([r, w]) => `${r}:${w}`));
    const split = splitReady(records, (r, w) => done.has(`${r}:${w}`));
    expect(Object.fromEntries(split)).toEqual(expected);
  });
});
