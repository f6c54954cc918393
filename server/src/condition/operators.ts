/** The binary operators of conditions: the same semantics as Jexl 2.3's default grammar. */

// `==` and `!=` are loose on purpose: Jexl's own semantics.
export const BINARY_OPS: Record<string, (l: any, r: any) => unknown> = Object.assign(
  Object.create(null),
  {
    '+': (l: any, r: any) => l + r,
    '-': (l: any, r: any) => l - r,
    '*': (l: any, r: any) => l * r,
    '/': (l: any, r: any) => l / r,
    '//': (l: any, r: any) => Math.floor(l / r),
    '%': (l: any, r: any) => l % r,
    '^': (l: any, r: any) => Math.pow(l, r),
    '==': (l: any, r: any) => l == r,
    '!=': (l: any, r: any) => l != r,
    '>': (l: any, r: any) => l > r,
    '>=': (l: any, r: any) => l >= r,
    '<': (l: any, r: any) => l < r,
    '<=': (l: any, r: any) => l <= r,
    in: (l: unknown, r: unknown) => {
      if (typeof r === 'string') return r.indexOf(l as string) !== -1;
      if (Array.isArray(r)) return r.some((elem) => elem === l);
      return false;
    },
  }
);
