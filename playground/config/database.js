const path = require('path');

// SQLite by default; DATABASE_CLIENT=postgres|mysql for the other engines (tests set these).
module.exports = ({ env }) => {
  const client = env('DATABASE_CLIENT', 'sqlite');
  if (client === 'sqlite') {
    return {
      connection: {
        client: 'sqlite',
        connection: {
          filename: path.resolve(__dirname, '..', env('DATABASE_FILENAME', '.tmp/data.db')),
        },
        useNullAsDefault: true,
        // WAL + synchronous=NORMAL: a commit appends to the write-ahead log without the rollback
        // journal's several fsyncs (durable across a process crash; a power loss may lose the
        // last commits, never corrupt). docs/scaling.md. DATABASE_SQLITE_WAL=false: the default
        // rollback journal. `conn` is the better-sqlite3 Database (Strapi runs its own hook first).
        pool: env.bool('DATABASE_SQLITE_WAL', true)
          ? {
              afterCreate: (conn, done) => {
                try {
                  conn.pragma('journal_mode = WAL');
                  conn.pragma('synchronous = NORMAL');
                  done(null, conn);
                } catch (err) {
                  done(err, conn);
                }
              },
            }
          : undefined,
      },
    };
  }
  return {
    connection: {
      client,
      connection: {
        host: env('DATABASE_HOST', '127.0.0.1'),
        port: env.int('DATABASE_PORT', client === 'postgres' ? 5432 : 3306),
        database: env('DATABASE_NAME', 'strapi'),
        user: env('DATABASE_USERNAME', 'strapi'),
        password: env('DATABASE_PASSWORD', 'strapi'),
      },
      pool: { min: env.int('DATABASE_POOL_MIN', 2), max: env.int('DATABASE_POOL_MAX', 10) },
    },
  };
};
