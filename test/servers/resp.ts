/**
 * A minimal RESP2 client for the harness: one command per connection, no pipelining.
 * Enough for PING, INFO, CLUSTER INFO, SENTINEL ..., CONFIG RESETSTAT.
 */
import { exchange, type ExchangeOptions } from './socket.js';

/** An error reply ("-ERR ..."), as a value inside arrays or thrown for a top-level reply. */
export class RespError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RespError';
  }
}

export type RespValue = string | number | null | RespError | RespValue[];

export function encodeCommand(args: readonly (string | number)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.from(String(arg));
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Parses one reply at `offset`; undefined when `buf` does not hold a complete reply yet. */
export function parseReply(buf: Buffer, offset = 0): { value: RespValue; next: number } | undefined {
  const lineEnd = buf.indexOf('\r\n', offset);
  if (lineEnd < 0) return undefined;
  const line = buf.toString('utf8', offset + 1, lineEnd);
  const afterLine = lineEnd + 2;
  switch (String.fromCharCode(buf[offset]!)) {
    case '+':
      return { value: line, next: afterLine };
    case '-':
      return { value: new RespError(line), next: afterLine };
    case ':':
      return { value: Number(line), next: afterLine };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, next: afterLine };
      if (buf.length < afterLine + length + 2) return undefined;
      return { value: buf.toString('utf8', afterLine, afterLine + length), next: afterLine + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next: afterLine };
      const items: RespValue[] = [];
      let next = afterLine;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, next);
        if (!item) return undefined;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`not a RESP reply: ${JSON.stringify(buf.toString('utf8', offset, offset + 40))}`);
  }
}

/** Sends one command to 127.0.0.1:port; rejects with RespError on an error reply. */
export async function respCommand(
  port: number,
  args: readonly (string | number)[],
  options?: ExchangeOptions,
): Promise<RespValue> {
  const value = await exchange(port, encodeCommand(args), (buf) => parseReply(buf)?.value, options);
  if (value instanceof RespError) throw value;
  return value;
}

/** `key:value` lines of INFO / CLUSTER INFO replies as an object. */
export function parseInfo(text: RespValue): Record<string, string> {
  const result: Record<string, string> = {};
  for (const line of String(text).split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) result[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return result;
}
