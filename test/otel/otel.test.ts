import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type HistogramMetricData, type MetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import express from 'express';
import { Hono } from 'hono';
import { createClient } from 'redis';
import { expect, it } from 'vitest';
import { sessionkit } from '../../src/adapters/express.js';
import { sessionkit as honoSessionkit, type SessionVariables } from '../../src/adapters/hono.js';
import { webSessions } from '../../src/adapters/web.js';
import type { SessionEvents } from '../../src/core/events.js';
import { SessionEngine, type SessionManager } from '../../src/engine/engine.js';
import type { SessionOptions } from '../../src/engine/options.js';
import { instrumentSessions } from '../../src/otel/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { CookieJar, listen, serveFetch, type TestServer } from '../helpers/http.js';
import { REDIS_REQUIRES, startRedis } from '../servers/redis.js';
import { describeWithServer } from '../servers/suite.js';

const quiet = { warn: () => {}, info: () => {} };

/** An app with `/set` (n = 1) and `/get` (n), and what `instrumentSessions` is given: the engine, or what the adapter's factory returned. */
interface Instrumented {
  readonly server: TestServer;
  readonly target: SessionEvents | SessionManager;
}

const data = (session: unknown) => session as Record<string, unknown>;

const APPS: Readonly<Record<string, (options: SessionOptions) => Promise<Instrumented>>> = {
  'an engine (Express)': async (options) => {
    const engine = new SessionEngine(options);
    const app = express();
    app.use(sessionkit(engine));
    app.get('/set', (req, res) => void res.send(String((data(req.session).n = 1))));
    app.get('/get', (req, res) => void res.send(JSON.stringify(data(req.session).n ?? 'not set')));
    return { server: await listen(app), target: engine };
  },
  "what Express's sessionkit() returns": async (options) => {
    const sessions = sessionkit(options);
    const app = express();
    app.use(sessions);
    app.get('/set', (req, res) => void res.send(String((data(req.session).n = 1))));
    app.get('/get', (req, res) => void res.send(JSON.stringify(data(req.session).n ?? 'not set')));
    return { server: await listen(app), target: sessions };
  },
  "what Hono's sessionkit() returns": async (options) => {
    const sessions = honoSessionkit(options);
    const app = new Hono<{ Variables: SessionVariables }>();
    app.use(sessions);
    // The store failure is the test's own: answered 500 without Hono's default report on stderr.
    app.onError((_, c) => c.text('store failure', 500));
    app.get('/set', (c) => c.text(String((data(c.get('session')).n = 1))));
    app.get('/get', (c) => c.text(JSON.stringify(data(c.get('session')).n ?? 'not set')));
    return { server: await serveFetch(app.fetch), target: sessions };
  },
  'what webSessions() returns': async (options) => {
    const sessions = webSessions(options);
    const handler = sessions.handle((request, session) => {
      if (new URL(request.url).pathname === '/set') return new Response(String((data(session).n = 1)));
      return new Response(JSON.stringify(data(session).n ?? 'not set'));
    });
    return { server: await serveFetch(handler), target: sessions };
  },
};

describeWithServer('sessionkit/otel: the OpenTelemetry SDK, a Redis store, over HTTP', { requires: REDIS_REQUIRES, start: () => startRedis() }, (redis) => {
  it.each(Object.keys(APPS))('spans for load, commit and each store call, and the metrics, with semantic-convention attributes: %s', async (name) => {
    const spans = new InMemorySpanExporter();
    const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }).getTracer('test');
    const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 60_000 });
    const meter = new MeterProvider({ readers: [reader] }).getMeter('test');

    // The case before stopped the server to see a store call fail.
    if (!redis().running) await redis().start();
    const client = createClient({ url: redis().url, socket: { reconnectStrategy: false } });
    // The server is stopped below: the client's own error report is expected.
    client.on('error', () => {});
    await client.connect();
    const { server, target } = await APPS[name]!({ store: new RedisStore({ client }), secret: 'otel-test-secret-0123456789', logger: quiet });
    const stop = instrumentSessions(target, { tracer, meter });
    try {
      const jar = new CookieJar();
      await jar.fetch(`${server.url}/set`);
      expect(await (await jar.fetch(`${server.url}/get`)).text()).toBe('1');
      await fetch(`${server.url}/get`, { headers: { cookie: 'session=forged.value' } });
      await redis().stop();
      expect((await jar.fetch(`${server.url}/get`)).status).toBe(500);
    } finally {
      stop();
      await server.close();
      client.destroy();
    }

    const names = spans.getFinishedSpans().map((span) => span.name);
    expect(names.filter((spanName) => spanName === 'sessionkit load')).toHaveLength(4);
    expect(names).toContain('sessionkit commit');
    const failedLoad = spans.getFinishedSpans().find((span) => span.name === 'sessionkit load' && span.attributes['error.type'] !== undefined);
    expect(failedLoad?.attributes['error.type']).toBe('StoreError');
    const calls = spans.getFinishedSpans().filter((span) => span.attributes['db.system'] === 'redis');
    expect(calls.map((span) => span.attributes['db.operation'])).toContain('read');
    const failed = calls.find((span) => span.attributes['error.type'] !== undefined);
    expect(failed?.attributes['error.type']).toBe('StoreError');

    await reader.forceFlush();
    const metrics: MetricData[] = metricExporter.getMetrics().flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics));
    const metric = (metricName: string) => metrics.filter((metricData) => metricData.descriptor.name === metricName).at(-1);
    const total = (metricName: string, attributes: Record<string, unknown> = {}) =>
      (metric(metricName)?.dataPoints ?? [])
        .filter((point) => Object.entries(attributes).every(([key, value]) => point.attributes[key] === value))
        .reduce((sum, point) => sum + (point.value as number), 0);
    expect(total('sessionkit.sessions.created')).toBe(1);
    expect(total('sessionkit.sessions.loaded')).toBe(1);
    expect(total('sessionkit.sessions.missed', { 'sessionkit.miss.reason': 'no-cookie' })).toBe(1);
    expect(total('sessionkit.sessions.missed', { 'sessionkit.miss.reason': 'malformed' })).toBe(1);
    const durations = metric('db.client.operation.duration') as HistogramMetricData | undefined;
    const reads = durations?.dataPoints.find((point) => point.attributes['db.operation'] === 'read' && point.attributes['error.type'] === undefined);
    expect(reads?.value.count).toBeGreaterThanOrEqual(1);
    expect(durations?.dataPoints.some((point) => point.attributes['error.type'] === 'StoreError')).toBe(true);
  }, 60_000);
});
