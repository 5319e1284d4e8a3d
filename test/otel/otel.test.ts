import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type HistogramMetricData, type MetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import express from 'express';
import { createClient } from 'redis';
import { expect, it } from 'vitest';
import { sessionkit } from '../../src/adapters/express.js';
import { SessionEngine } from '../../src/engine/engine.js';
import { instrumentSessions } from '../../src/otel/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { CookieJar, listen } from '../helpers/http.js';
import { REDIS_REQUIRES, startRedis } from '../servers/redis.js';
import { describeWithServer } from '../servers/suite.js';

const quiet = { warn: () => {}, info: () => {} };

describeWithServer('sessionkit/otel: the OpenTelemetry SDK, a Redis store, over HTTP', { requires: REDIS_REQUIRES, start: () => startRedis() }, (redis) => {
  it('spans for load, commit and each store call, and the metrics, with semantic-convention attributes', async () => {
    const spans = new InMemorySpanExporter();
    const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }).getTracer('test');
    const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 60_000 });
    const meter = new MeterProvider({ readers: [reader] }).getMeter('test');

    const client = createClient({ url: redis().url, socket: { reconnectStrategy: false } });
    // The server is stopped below: the client's own error report is expected.
    client.on('error', () => {});
    await client.connect();
    const engine = new SessionEngine({ store: new RedisStore({ client }), secret: 'otel-test-secret-0123456789', logger: quiet });
    const stop = instrumentSessions(engine, { tracer, meter });
    const app = express();
    app.use(sessionkit(engine));
    app.get('/set', (req, res) => {
      (req.session as unknown as Record<string, unknown>).n = 1;
      res.send('ok');
    });
    app.get('/get', (req, res) => void res.send(JSON.stringify((req.session as unknown as Record<string, unknown>).n ?? 'not set')));
    const server = await listen(app);
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
    expect(names.filter((name) => name === 'sessionkit load')).toHaveLength(4);
    expect(names).toContain('sessionkit commit');
    const calls = spans.getFinishedSpans().filter((span) => span.attributes['db.system'] === 'redis');
    expect(calls.map((span) => span.attributes['db.operation'])).toContain('read');
    const failed = calls.find((span) => span.attributes['error.type'] !== undefined);
    expect(failed?.attributes['error.type']).toBe('StoreError');

    await reader.forceFlush();
    const metrics: MetricData[] = metricExporter.getMetrics().flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics));
    const metric = (name: string) => metrics.filter((data) => data.descriptor.name === name).at(-1);
    const total = (name: string, attributes: Record<string, unknown> = {}) =>
      (metric(name)?.dataPoints ?? [])
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
