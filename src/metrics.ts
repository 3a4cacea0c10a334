import client from 'prom-client';

/** Prometheus metrics, one registry per process, scraped at /metrics. */
export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry });

export const httpDuration = new client.Histogram({
  name: 'kasda_http_request_duration_seconds',
  help: 'HTTP request latency by route and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

export const bankCallDuration = new client.Histogram({
  name: 'kasda_bank_call_duration_seconds',
  help: 'Bank API call latency by channel, operation and bank status code',
  labelNames: ['channel', 'operation', 'status_code', 'outcome'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
  registers: [registry],
});

export const queueDepth = new client.Gauge({
  name: 'kasda_queue_jobs',
  help: 'Jobs per queue and state, read from Redis at scrape time',
  labelNames: ['queue', 'state'] as const,
  registers: [registry],
});
