import { describe, expect, it } from 'vitest';
import { FairQueue } from '../../server/src/render/fair-queue';

/** Pushes `jobs` (`key:name`), then takes until null with the running counts given. */
const order = (jobs: string[], running: Record<string, number>, perKey: number) => {
  const queue = new FairQueue<string>();
  for (const job of jobs) queue.push(job.split(':')[0], job);
  const taken: string[] = [];
  for (let job = queue.take((k) => running[k] ?? 0, perKey); job;) {
    taken.push(job);
    job = queue.take((k) => running[k] ?? 0, perKey);
  }
  return { taken, left: queue.size };
};

interface Case {
  what: string;
  jobs: string[];
  running: Record<string, number>;
  perKey: number;
  taken: string[];
  left: number;
}

describe('FairQueue', () => {
  it.each<Case>([
    {
      what: 'keys in turn, each key in its own order',
      jobs: ['A:1', 'A:2', 'A:3', 'B:1', 'B:2', 'C:1'],
      running: {},
      perKey: 1,
      taken: ['A:1', 'B:1', 'C:1', 'A:2', 'B:2', 'A:3'],
      left: 0,
    },
    {
      what: 'the key with the fewest running first',
      jobs: ['A:1', 'B:1', 'C:1'],
      running: { A: 1, B: 0, C: 2 },
      perKey: 3,
      taken: ['B:1', 'A:1', 'C:1'],
      left: 0,
    },
    {
      what: 'none of a key at its limit',
      jobs: ['A:1', 'A:2', 'B:1'],
      running: { A: 1 },
      perKey: 1,
      taken: ['B:1'],
      left: 2,
    },
    {
      what: 'nothing when every key is at its limit',
      jobs: ['A:1', 'B:1'],
      running: { A: 2, B: 2 },
      perKey: 2,
      taken: [],
      left: 2,
    },
  ])('$what', ({ jobs, running, perKey, taken, left }) => {
    expect(order(jobs, running, perKey)).toEqual({ taken, left });
  });

  it('drain empties the queue and returns every job', () => {
    const queue = new FairQueue<string>();
    queue.push('A', 'A:1');
    queue.push('B', 'B:1');
    queue.push('A', 'A:2');
    expect(queue.drain().sort()).toEqual(['A:1', 'A:2', 'B:1']);
    expect(queue.size).toBe(0);
    expect(queue.take(() => 0, 1)).toBeNull();
  });
});
