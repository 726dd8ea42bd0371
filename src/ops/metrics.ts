import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process's Prometheus metrics. Features increment these; /metrics (web) and the worker and poller
 * expose them. Names follow Prometheus conventions (`_total` counters, base units: seconds, bytes).
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'intake_process_' });

export const metrics = {
  messagesReceived: new Counter({
    name: 'intake_messages_received_total',
    help: 'Inbound messages stored (poller or ingest), by mailbox',
    labelNames: ['mailbox'] as const,
    registers: [registry],
  }),
  messagesProcessed: new Counter({
    name: 'intake_messages_processed_total',
    help: 'Inbound messages processed by the worker, by decision (new-case, reply, reopen, ignore) and classification',
    labelNames: ['action', 'classification'] as const,
    registers: [registry],
  }),
  casesCreated: new Counter({
    name: 'intake_cases_created_total',
    help: 'Cases created, by source',
    labelNames: ['source'] as const,
    registers: [registry],
  }),
  repliesThreaded: new Counter({
    name: 'intake_replies_threaded_total',
    help: 'Inbound replies added to an existing case, by the rule that matched',
    labelNames: ['rule'] as const,
    registers: [registry],
  }),
  reopens: new Counter({
    name: 'intake_case_reopens_total',
    help: 'Closed cases reopened by a customer reply',
    registers: [registry],
  }),
  suppressed: new Counter({
    name: 'intake_messages_suppressed_total',
    help: 'Auto-replies, bounces, lists and feedback reports stored without any automatic answer, by classification',
    labelNames: ['classification'] as const,
    registers: [registry],
  }),
  messagesFailed: new Counter({
    name: 'intake_messages_failed_total',
    help: 'Inbound messages kept as failed after their last attempt',
    registers: [registry],
  }),
  ingestLatency: new Histogram({
    name: 'intake_ingest_latency_seconds',
    help: 'From message stored by the poller to its case committed',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [registry],
  }),
  outboundSent: new Counter({
    name: 'intake_outbound_sent_total',
    help: 'Outbound mails accepted by the SMTP server, by kind',
    labelNames: ['kind'] as const,
    registers: [registry],
  }),
  outboundFailed: new Counter({
    name: 'intake_outbound_failed_total',
    help: 'Outbound send attempts that failed, by kind and whether the failure is final',
    labelNames: ['kind', 'final'] as const,
    registers: [registry],
  }),
  outboundSuppressed: new Counter({
    name: 'intake_outbound_suppressed_total',
    help: 'Automatic mails not sent (loop guard, rate limit, undeliverable address), by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  }),
  httpDuration: new Histogram({
    name: 'intake_http_request_duration_seconds',
    help: 'HTTP request latency by route, method and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  }),
  queueDepth: new Gauge({
    name: 'intake_queue_jobs',
    help: 'Jobs in each queue by state (waiting, active, delayed, failed)',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
  }),
  queueOldestAge: new Gauge({
    name: 'intake_queue_oldest_waiting_seconds',
    help: 'Age of the oldest waiting job in each queue',
    labelNames: ['queue'] as const,
    registers: [registry],
  }),
  liveStreams: new Gauge({
    name: 'intake_live_event_streams',
    help: 'Open /api/events streams (Server-Sent Events) of this web process',
    registers: [registry],
  }),
  inboundBacklog: new Gauge({
    name: 'intake_inbound_backlog_messages',
    help: 'Inbound messages stored but not yet processed (database status queued or processing), read at scrape time',
    registers: [registry],
  }),
  inboundBacklogOldest: new Gauge({
    name: 'intake_inbound_backlog_oldest_seconds',
    help: 'Age of the oldest stored but unprocessed inbound message (0 when none), read at scrape time',
    registers: [registry],
  }),
  dependencyUp: new Gauge({
    name: 'intake_dependency_up',
    help: '1 when the last readiness check of a dependency (database, redis, imap:<mailbox>) passed, else 0',
    labelNames: ['dependency'] as const,
    registers: [registry],
  }),
  redisPolicy: new Gauge({
    name: 'intake_redis_maxmemory_policy',
    help: "1 for Redis's maxmemory-policy as last read (at every (re)connect and readiness check); anything but noeviction may drop queued jobs",
    labelNames: ['policy'] as const,
    registers: [registry],
  }),
  mailboxUp: new Gauge({
    name: 'intake_mailbox_connected',
    help: '1 when the poller holding the mailbox is connected, else 0',
    labelNames: ['mailbox'] as const,
    registers: [registry],
  }),
};
