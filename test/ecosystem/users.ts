/**
 * The one user every Passport test logs in, and the three functions each Passport flavour
 * (passport, koa-passport, @fastify/passport, @nestjs/passport) is given: a local
 * strategy's verify, serialize and deserialize.
 */
export interface User {
  id: string;
  name: string;
}

const USERS: Record<string, User & { password: string }> = { ada: { id: 'u1', password: 'lovelace', name: 'Ada' } };

export const WRONG_PASSWORD = 'Wrong username or password.';

/** The user a username and password name, or undefined: what a LocalStrategy's verify decides. */
export function checkPassword(username: string, password: string): User | undefined {
  const user = USERS[username];
  return user && user.password === password ? { id: user.id, name: user.name } : undefined;
}

/** passport-local's verify callback. */
export function verify(username: string, password: string, done: (error: unknown, user?: User | false, info?: { message: string }) => void): void {
  const user = checkPassword(username, password);
  if (user) done(null, user);
  else done(null, false, { message: WRONG_PASSWORD });
}

export function serializeUser(user: unknown, done: (error: unknown, id?: string) => void): void {
  done(null, (user as User).id);
}

export function deserializeUser(id: string, done: (error: unknown, user?: User | false) => void): void {
  const user = Object.values(USERS).find((candidate) => candidate.id === id);
  done(null, user ? { id: user.id, name: user.name } : false);
}
