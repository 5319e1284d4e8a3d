// The older majors are installed under aliases so both can be tested side by side.
declare module 'express4' {
  import express from 'express';
  export default express;
}
declare module 'koa2' {
  import Koa from 'koa';
  export default Koa;
}
declare module 'fastify4' {
  import fastify from 'fastify';
  export default fastify;
}
declare module 'fastify4-formbody' {
  import formbody from '@fastify/formbody';
  export default formbody;
}
// The oldest version of each optional peer's range, installed under an alias (package.json)
// so that the suites prove the range's lower bound beside the current version.
declare module 'hono-oldest' {
  export * from 'hono';
}
declare module 'hono-oldest/streaming' {
  export * from 'hono/streaming';
}
declare module 'ioredis-oldest' {
  // 5.0.0 has no named `Redis` export yet: its default export is the class.
  import { Redis } from 'ioredis';
  export default Redis;
}
declare module 'redis-oldest' {
  export * from 'redis';
}
declare module 'pg-oldest' {
  import pg from 'pg';
  export default pg;
}
declare module 'mysql2-oldest/promise' {
  import mysql from 'mysql2/promise';
  export default mysql;
}
declare module 'kysely-oldest' {
  export * from 'kysely';
}
declare module 'memcache-client-oldest' {
  export * from 'memcache-client';
}
declare module 'express-session-oldest' {
  import session from 'express-session';
  export default session;
}
declare module 'better-sqlite3-oldest' {
  import Database from 'better-sqlite3';
  export default Database;
}
