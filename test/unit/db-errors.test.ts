import { describe, expect, it } from 'vitest';
import { createOutageLog, describeDbError, isConnectionError } from '../../server/src/db-errors';
import { stepRetryDelayMs, STEP_RETRY_MAX_MS } from '../../server/src/dispatch/backoff';
import { respond } from '../../server/src/controllers/respond';

const err = (message: string, props: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), props);

describe('isConnectionError', () => {
  const table: [string, unknown, boolean][] = [
    [
      'pg: admin shutdown (pg_ctl stop -m fast, pg_terminate_backend)',
      err(
        'select "t0".* from "articles" as "t0" - terminating connection due to administrator command',
        { code: '57P01' }
      ),
      true,
    ],
    [
      'pg: crash shutdown',
      err('terminating connection because of crash of another server process', { code: '57P02' }),
      true,
    ],
    [
      'pg: cannot connect now (starting up)',
      err('the database system is starting up', { code: '57P03' }),
      true,
    ],
    ['pg: connection exception class 08', err('connection failure', { code: '08006' }), true],
    ['pg: too many connections', err('sorry, too many clients already', { code: '53300' }), true],
    ['pg client: connection terminated', err('BEGIN; - Connection terminated unexpectedly'), true],
    ['knex pg: connection ended', err('Connection ended unexpectedly'), true],
    ['refused', err('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED' }), true],
    ['reset', err('read ECONNRESET', { code: 'ECONNRESET' }), true],
    [
      'knex pool acquire timeout',
      err(
        'Knex: Timeout acquiring a connection. The pool is probably full. Are you missing a .transacting(trx) call?',
        { name: 'KnexTimeoutError' }
      ),
      true,
    ],
    [
      'mysql: connection lost',
      err('Connection lost: The server closed the connection.', {
        code: 'PROTOCOL_CONNECTION_LOST',
      }),
      true,
    ],
    ['mysql2: fatal error', err('Connection lost', { fatal: true }), true],
    [
      'mysql: server shutdown',
      err('Server shutdown in progress', { code: 'ER_SERVER_SHUTDOWN' }),
      true,
    ],
    [
      'mysql2: closed connection',
      err("Can't add new command when connection is in closed state"),
      true,
    ],
    ['sqlite: busy', err('database is locked', { code: 'SQLITE_BUSY' }), true],
    ['wrapped in cause', err('claim failed', { cause: err('x', { code: '57P01' }) }), true],
    [
      'Strapi DatabaseError wrapping',
      err('db', { originalError: err('connect ECONNREFUSED', { code: 'ECONNREFUSED' }) }),
      true,
    ],
    [
      'pg: unique violation',
      err('duplicate key value violates unique constraint', { code: '23505' }),
      false,
    ],
    ['pg: syntax error', err('syntax error at or near "FROM"', { code: '42601' }), false],
    ['pg: serialization failure', err('could not serialize access', { code: '40001' }), false],
    [
      'mysql: deadlock',
      err('Deadlock found when trying to get lock', { code: 'ER_LOCK_DEADLOCK' }),
      false,
    ],
    [
      'sqlite: constraint',
      err('UNIQUE constraint failed', { code: 'SQLITE_CONSTRAINT_UNIQUE' }),
      false,
    ],
    [
      'knex query timeout (not the pool)',
      err('Defined query timeout of 1000ms exceeded', { name: 'KnexTimeoutError' }),
      false,
    ],
    ['plain error', err('webhook 3 not found'), false],
    ['not an error', 'ECONNREFUSED', false],
    ['null', null, false],
  ];
  it.each(table)('%s → %s', (_name, e, expected) => {
    expect(isConnectionError(e)).toBe(expected);
  });

  it('does not loop on a cyclic cause', () => {
    const a: any = err('a');
    a.cause = a;
    expect(isConnectionError(a)).toBe(false);
  });
});

describe('describeDbError', () => {
  it.each([
    [
      err('select * from "x" - terminating connection due to administrator command', {
        code: '57P01',
      }),
      '57P01: terminating connection due to administrator command',
    ],
    [
      err('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED' }),
      'connect ECONNREFUSED 127.0.0.1:5432',
    ],
    [err('Connection terminated unexpectedly'), 'Connection terminated unexpectedly'],
  ])('%s', (e, expected) => {
    expect(describeDbError(e)).toBe(expected);
  });
});

describe('createOutageLog', () => {
  it('logs one line when the database goes away and one when it is back, however many calls fail', () => {
    const lines: string[] = [];
    let t = 1000;
    const outage = createOutageLog(
      { warn: (m) => lines.push(`warn ${m}`), info: (m) => lines.push(`info ${m}`) },
      () => t
    );
    outage.succeeded();
    expect(lines).toEqual([]);
    for (let i = 0; i < 50; i++)
      outage.failed(err('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED' }));
    expect(outage.down).toBe(true);
    t = 9500;
    outage.succeeded();
    outage.succeeded();
    expect(outage.down).toBe(false);
    expect(lines).toEqual([
      'warn [document-webhooks] database unavailable (connect ECONNREFUSED 127.0.0.1:5432): deliveries paused, retrying with backoff',
      'info [document-webhooks] database available again after 8.5 s: deliveries resume',
    ]);
    // A second outage is reported again.
    outage.failed(err('x', { code: '57P01' }));
    expect(lines).toHaveLength(3);
  });
});

describe('stepRetryDelayMs', () => {
  it.each([
    // failures, random, expected
    [1, 0, 125],
    [1, 1, 250],
    [2, 0, 250],
    [2, 1, 500],
    [3, 0.5, 750],
    [5, 1, 4000],
    [6, 1, STEP_RETRY_MAX_MS],
    [6, 0, STEP_RETRY_MAX_MS / 2],
    [1000, 1, STEP_RETRY_MAX_MS],
    [0, 1, 250],
    [Number.NaN, 1, 250],
  ])('failures %s, random %s → %s ms', (failures, r, expected) => {
    expect(stepRetryDelayMs(failures, () => r)).toBe(expected);
  });
});

describe('respond (admin routes)', () => {
  const ctx = () => {
    const headers: Record<string, string> = {};
    return {
      status: 0,
      body: undefined as any,
      headers,
      set: (k: string, v: string) => (headers[k] = v),
    };
  };

  it('answers 503 in Strapi error shape while the database is away', async () => {
    const c = ctx();
    await respond(c, async () => {
      throw err(
        'select "t0".* from "document_webhooks_webhooks" as "t0" - terminating connection due to administrator command',
        { code: '57P01' }
      );
    });
    expect(c.status).toBe(503);
    expect(c.headers['Retry-After']).toBe('5');
    expect(c.body).toEqual({
      data: null,
      error: {
        status: 503,
        name: 'ServiceUnavailableError',
        message: 'The database is unavailable; try again shortly',
        details: { reason: '57P01: terminating connection due to administrator command' },
      },
    });
  });

  it('leaves other errors to Strapi (500)', async () => {
    const boom = err('a bug');
    await expect(respond(ctx(), async () => Promise.reject(boom))).rejects.toBe(boom);
  });
});
