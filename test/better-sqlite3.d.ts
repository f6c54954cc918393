// better-sqlite3 ships no types and @types/better-sqlite3 is not a dependency: tests only open
// a database file to read rows back.
declare module 'better-sqlite3';
