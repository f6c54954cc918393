import { describe, expect, it } from 'vitest';
import { titleOf } from '../../server/src/services/delivery/titles';

describe('titleOf', () => {
  it.each([
    ['a string main field', { title: 'Hello' }, 'title', 'Hello'],
    ['trimmed', { title: '  Hello  ' }, 'title', 'Hello'],
    ['a number', { code: 42 }, 'code', '42'],
    ['empty → none', { title: '   ' }, 'title', null],
    ['missing → none', { other: 'x' }, 'title', null],
    ['an object (a relation) → none', { author: { name: 'x' } }, 'author', null],
    ['no main field configured → none', { title: 'Hello' }, null, null],
    ['no document → none', null, 'title', null],
  ])('%s', (_name, doc, field, expected) => {
    expect(titleOf(doc, field)).toBe(expected);
  });

  it('cuts titles to the column size (255)', () => {
    const t = titleOf({ title: 'x'.repeat(300) }, 'title')!;
    expect(t).toHaveLength(255);
    expect(t.endsWith('…')).toBe(true);
  });
});
