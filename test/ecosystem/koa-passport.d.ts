// koa-passport ships no types (and there is no @types package installed here): the part
// of its API the ecosystem test uses, as its README and lib/framework/koa.js define it.
declare module 'koa-passport' {
  import type { Middleware } from 'koa';
  import type { Strategy } from 'passport';

  type Done = (error: unknown, value?: unknown) => void;

  export class KoaPassport {
    use(strategy: Strategy): this;
    use(name: string, strategy: Strategy): this;
    // The application chooses the user and id types: `never` accepts a serializer of any.
    serializeUser(serializer: (user: never, done: Done) => void): void;
    deserializeUser(deserializer: (id: never, done: Done) => void): void;
    initialize(): Middleware;
    session(): Middleware;
    authenticate(strategy: string, options?: Record<string, unknown>): Middleware;
  }
  const passport: KoaPassport;
  export default passport;
}

