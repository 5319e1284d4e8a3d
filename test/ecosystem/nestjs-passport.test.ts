import { Controller, Get, Inject, Injectable, Module, Post, Req, UnauthorizedException, UseGuards, type CanActivate, type ExecutionContext, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthGuard, PassportModule, PassportSerializer, PassportStrategy } from '@nestjs/passport';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Request } from 'express';
import passport from 'passport';
import { Strategy } from 'passport-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionkit } from '../../src/adapters/express.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { CookieJar, type TestServer } from '../helpers/http.js';
import { checkPassword, deserializeUser, serializeUser, type User } from './users.js';

/**
 * NestJS 12 on @nestjs/platform-express with @nestjs/passport, as Nest's passport recipe
 * sets up session logins: sessionkit's Express middleware with `app.use(...)` where the
 * recipe has express-session, `passport.session()`, a LocalStrategy through
 * PassportStrategy(Strategy), a PassportSerializer, a LocalAuthGuard extending
 * AuthGuard('local') whose canActivate calls `super.logIn(request)`, and an
 * AuthenticatedGuard checking `request.isAuthenticated()`.
 *
 * Nest's decorators are applied here as the functions they are, in the order TypeScript's
 * legacy decorator emit applies them (bottom-up, parameter decorators with their index).
 * The project compiles with standard decorators, which Nest does not support, and vitest's
 * esbuild cannot emit `design:paramtypes` metadata in any mode, so constructor injection
 * names its token with Inject() — a documented Nest API — instead of relying on that
 * metadata.
 */
const SECRET = 'nestjs-passport-test-secret-0123456789abcdef';
const quiet = { warn: () => {}, info: () => {} };

/** What `@decorator` on a method does: each decorator, last first, may replace the descriptor. */
function decorateMethod(target: Type, name: string, ...decorators: (MethodDecorator | ParameterDecorator)[]): void {
  const prototype = target.prototype as object;
  let descriptor = Object.getOwnPropertyDescriptor(prototype, name)!;
  for (const decorator of decorators.reverse()) {
    const result = (decorator as MethodDecorator)(prototype, name, descriptor);
    if (result) descriptor = result;
  }
  Object.defineProperty(prototype, name, descriptor);
}
/** What `@decorator` on a method's first parameter does. */
const firstParameter =
  (decorator: ParameterDecorator): MethodDecorator =>
  (target, name) => {
    decorator(target, name, 0);
  };

class AuthService {
  validateUser(username: string, password: string): User | null {
    return checkPassword(username, password) ?? null;
  }
}
Injectable()(AuthService);

class LocalStrategy extends PassportStrategy(Strategy) {
  constructor(private readonly authService: AuthService) {
    super();
  }

  validate(username: string, password: string): User {
    const user = this.authService.validateUser(username, password);
    if (!user) throw new UnauthorizedException();
    return user;
  }
}
Injectable()(LocalStrategy);
Inject(AuthService)(LocalStrategy, undefined, 0);

class SessionSerializer extends PassportSerializer {
  serializeUser(user: User, done: (error: unknown, id?: string) => void): void {
    serializeUser(user, done);
  }

  deserializeUser(id: string, done: (error: unknown, user?: User | false) => void): void {
    deserializeUser(id, done);
  }
}
Injectable()(SessionSerializer);

class LocalAuthGuard extends AuthGuard('local') {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const result = (await super.canActivate(context)) as boolean;
    const request = context.switchToHttp().getRequest<Request>();
    await super.logIn(request);
    return result;
  }
}
Injectable()(LocalAuthGuard);

class AuthenticatedGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest<Request>().isAuthenticated();
  }
}
Injectable()(AuthenticatedGuard);

class AuthController {
  login(request: Request) {
    return { user: (request.user as User).name };
  }

  cart(request: Request) {
    (request.session as unknown as Record<string, unknown>).cart = ['book'];
    return { id: request.session.id };
  }

  me(request: Request) {
    return { user: (request.user as User).name, id: request.session.id, cart: (request.session as unknown as Record<string, unknown>).cart ?? null };
  }

  async logout(request: Request) {
    const id = request.session.id;
    await new Promise<void>((resolve, reject) => {
      request.logout((error) => {
        if (error) reject(error instanceof Error ? error : new Error(String(error)));
        else resolve();
      });
    });
    return { loggedOut: id };
  }
}
Controller('auth')(AuthController);
decorateMethod(AuthController, 'login', UseGuards(LocalAuthGuard), Post('login'), firstParameter(Req()));
decorateMethod(AuthController, 'cart', Post('cart'), firstParameter(Req()));
decorateMethod(AuthController, 'me', UseGuards(AuthenticatedGuard), Get('me'), firstParameter(Req()));
decorateMethod(AuthController, 'logout', UseGuards(AuthenticatedGuard), Post('logout'), firstParameter(Req()));

function appModule(keepSessionInfo: boolean): Type {
  // A Nest module is an empty class that Module() describes.
  // eslint-disable-next-line @typescript-eslint/no-extraneous-class
  class AppModule {}
  Module({
    imports: [PassportModule.register({ session: true, keepSessionInfo })],
    controllers: [AuthController],
    providers: [AuthService, LocalStrategy, SessionSerializer],
  })(AppModule);
  return AppModule;
}

async function start(store: MemoryStore, keepSessionInfo: boolean): Promise<TestServer> {
  // Nest types its options bag as a class (NestApplicationOptions); its documentation passes a literal.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
  const app = await NestFactory.create<NestExpressApplication>(appModule(keepSessionInfo), { logger: false });
  app.use(sessionkit({ store, secret: SECRET, logger: quiet }));
  app.use(passport.session());
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { url, close: () => app.close() };
}

const json = (body: Record<string, string>) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const ADA = { username: 'ada', password: 'lovelace' };

describe('NestJS 12 + @nestjs/passport (session logins) on @nestjs/platform-express', () => {
  const store = new MemoryStore();
  const keepingStore = new MemoryStore();
  let server: TestServer;
  let keeping: TestServer;
  beforeAll(async () => {
    server = await start(store, false);
    keeping = await start(keepingStore, true);
  });
  afterAll(async () => {
    await Promise.all([server?.close(), keeping?.close()]);
  });

  it('LocalAuthGuard logs in with super.logIn(request): a later request is authenticated through the session alone', async () => {
    const jar = new CookieJar();
    expect((await jar.fetch(`${server.url}/auth/me`)).status).toBe(403);
    const { id: before } = (await (await jar.fetch(`${server.url}/auth/cart`, { method: 'POST' })).json()) as { id: string };
    const login = await jar.fetch(`${server.url}/auth/login`, json(ADA));
    expect(login.status).toBe(201);
    expect(await login.json()).toEqual({ user: 'Ada' });
    expect(login.headers.get('set-cookie')).toMatch(/^session=/);
    const me = await jar.fetch(`${server.url}/auth/me`);
    expect(me.status).toBe(200);
    const body = (await me.json()) as { user: string; id: string; cart: unknown };
    expect(body.user).toBe('Ada');
    // passport's login regenerates the session: a new id, the old record gone, the cart with it.
    expect(body.id).not.toBe(before);
    expect(body.cart).toBeNull();
    expect(await store.get(`session:${before}`)).toBeUndefined();
    expect(await store.get(`session:${body.id}`)).toBeDefined();
  });

  it('a wrong password is a 401 and leaves the client logged out', async () => {
    const jar = new CookieJar();
    const login = await jar.fetch(`${server.url}/auth/login`, json({ username: 'ada', password: 'wrong' }));
    expect(login.status).toBe(401);
    expect((await jar.fetch(`${server.url}/auth/me`)).status).toBe(403);
  });

  it('logout through request.logout(cb): the next request is refused, the logged-in record deleted', async () => {
    const jar = new CookieJar();
    await jar.fetch(`${server.url}/auth/login`, json(ADA));
    const oldCookie = jar.header()!;
    const logout = await jar.fetch(`${server.url}/auth/logout`, { method: 'POST' });
    expect(logout.status).toBe(201);
    const { loggedOut } = (await logout.json()) as { loggedOut: string };
    expect((await jar.fetch(`${server.url}/auth/me`)).status).toBe(403);
    expect((await fetch(`${server.url}/auth/me`, { headers: { cookie: oldCookie } })).status).toBe(403);
    expect(await store.get(`session:${loggedOut}`)).toBeUndefined();
  });

  it("PassportModule's keepSessionInfo: true reaches super.logIn: the fields from before login survive it, under a new id", async () => {
    const jar = new CookieJar();
    const { id: before } = (await (await jar.fetch(`${keeping.url}/auth/cart`, { method: 'POST' })).json()) as { id: string };
    expect((await jar.fetch(`${keeping.url}/auth/login`, json(ADA))).status).toBe(201);
    const body = (await (await jar.fetch(`${keeping.url}/auth/me`)).json()) as { user: string; id: string; cart: unknown };
    expect(body).toMatchObject({ user: 'Ada', cart: ['book'] });
    expect(body.id).not.toBe(before);
    expect(await keepingStore.get(`session:${before}`)).toBeUndefined();
  });
});
