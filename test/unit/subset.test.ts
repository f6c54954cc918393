import { describe, expect, it } from 'vitest';
import { subsetDifferences } from '../helpers/subset';

/** The parity test's "core entry ⊆ ours" check (test/helpers/subset.ts) must be able to fail. */
describe('subsetDifferences', () => {
  it.each([
    ['equal scalars', { a: 1, b: 'x', c: null }, { a: 1, b: 'x', c: null }, []],
    ['extra keys in the superset', { a: 1 }, { a: 1, populated: { id: 2 } }, []],
    [
      'nested objects and arrays',
      { r: { id: 1 }, dz: [{ id: 3 }] },
      { r: { id: 1, name: 'n' }, dz: [{ id: 3, author: { id: 9 } }] },
      [],
    ],
    ['a missing key', { a: 1, gone: true }, { a: 1 }, ['$.gone: missing (true)']],
    ['a different value', { a: { b: 1 } }, { a: { b: 2 } }, ['$.a.b: 1 vs 2']],
    ['null vs object', { a: null }, { a: {} }, ['$.a: null vs {}']],
    ['arrays of different lengths', { a: [1, 2] }, { a: [1] }, ['$.a: 2 items vs 1']],
    ['array vs object', { a: [] }, { a: {} }, ['$.a: expected an array, got {}']],
    ['object vs scalar', { a: { b: 1 } }, { a: 'x' }, ['$.a: expected an object, got "x"']],
  ] as const)('%s', (_name, sub, sup, expected) => {
    expect(subsetDifferences(sub, sup)).toEqual(expected);
  });
});
