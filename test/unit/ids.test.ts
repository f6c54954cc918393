import { describe, expect, it } from 'vitest';
import { MAX_ID, toId } from '../../server/src/ids';

describe('toId', () => {
  it('accepts canonical positive integers within the column range', () => {
    expect(toId('1')).toBe(1);
    expect(toId('42')).toBe(42);
    expect(toId(7)).toBe(7);
    expect(toId(String(MAX_ID))).toBe(MAX_ID);
  });

  it('refuses other spellings and out-of-range values', () => {
    for (const v of [
      '0',
      '-1',
      '1.5',
      '0x1',
      '1e0',
      ' 1',
      '1 ',
      '01',
      'abc',
      '',
      String(MAX_ID + 1),
      '99999999999999999999',
      0,
      -3,
      1.5,
      1e20,
      NaN,
      null,
      undefined,
      {},
    ]) {
      expect(toId(v), String(v)).toBeNull();
    }
  });
});
