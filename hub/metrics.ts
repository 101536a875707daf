// Metrics (监控指标) in Prometheus format at GET /metrics: what came in, what was stored or refused and why, how
// batches and commits behave, the spool, connected devices, backed-up live map viewers, and the process itself
// (event-loop lag, memory).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type Metrics = ReturnType<typeof createMetrics>;

/** Adds a batch to a per-type counter with one increment per type, not one per observation (a batch holds 1,000). */
export function countByType(counter: Counter<'type'>, observations: readonly { type: string }[]): void {
  const counts = new Map<string, number>();
  for (const o of observations) counts.set(o.type, (counts.get(o.type) ?? 0) + 1);
  for (const [type, n] of counts) counter.inc({ type }, n);
}

/** The ingest pipeline's state, read when Prometheus scrapes. */
export interface IngestGauges {
  queued(): number;
  held(): number;
  readingPaused(): boolean;
}

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  let ingest: IngestGauges | null = null;
  return {
    registry,
    /** Where the queued, held and reading-paused gauges read from (the pipeline is made after the metrics). */
    observeIngest(source: IngestGauges): void {
      ingest = source;
    },
    messagesIn: new Counter({
      name: 'cityhub_observations_received_total',
      help: 'Observations accepted for storage, by type',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    stored: new Counter({
      name: 'cityhub_observations_stored_total',
      help: 'Observations committed to the database, by type (replays from the spool included)',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'cityhub_messages_rejected_total',
      help: 'Device messages refused, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    authFailures: new Counter({
      name: 'cityhub_mqtt_auth_failures_total',
      help: 'Refused MQTT logins, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    shed: new Counter({
      name: 'cityhub_qos0_shed_total',
      help: 'QoS 0 observations dropped because the hub was overloaded',
      registers: [registry],
    }),
    batchRows: new Histogram({
      name: 'cityhub_batch_rows',
      help: 'Observations per write batch',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000],
      registers: [registry],
    }),
    commitSeconds: new Histogram({
      name: 'cityhub_batch_commit_seconds',
      help: 'Time to make one batch durable (database commit or spool fsync)',
      labelNames: ['target'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    jt808BadFrames: new Counter({
      name: 'cityhub_jt808_bad_frames_total',
      help: 'JT/T 808 frames dropped (bad check code, bad escape, oversize…), by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    jt808Connections: new Gauge({
      name: 'cityhub_jt808_connections',
      help: 'Open JT/T 808 terminal connections, and how many of them are authenticated',
      labelNames: ['state'] as const,
      registers: [registry],
    }),
    spoolBytes: new Gauge({
      name: 'cityhub_spool_bytes',
      help: 'Bytes waiting in the local spool for the database',
      registers: [registry],
    }),
    spoolRecords: new Gauge({
      name: 'cityhub_spool_batches',
      help: 'Batches waiting in the local spool for the database',
      registers: [registry],
    }),
    queued: new Gauge({
      name: 'cityhub_ingest_queued',
      help: 'Observations accepted but not yet durable',
      registers: [registry],
      collect() {
        if (ingest) this.set(ingest.queued());
      },
    }),
    held: new Gauge({
      name: 'cityhub_ingest_held',
      help: 'QoS 1 messages held undecoded, their PUBACK waiting, because INGEST_MAX_QUEUED observations are queued',
      registers: [registry],
      collect() {
        if (ingest) this.set(ingest.held());
      },
    }),
    readingPaused: new Gauge({
      name: 'cityhub_ingest_reading_paused',
      help: '1 while the broker does not read device connections (INGEST_MAX_QUEUED queued and as many held)',
      registers: [registry],
      collect() {
        if (ingest) this.set(ingest.readingPaused() ? 1 : 0);
      },
    }),
    liveCoalesced: new Counter({
      name: 'cityhub_live_deltas_coalesced_total',
      help: 'Live map deltas never sent because a newer state of the same unit, case, candidate or camera replaced them while their viewer was backed up',
      registers: [registry],
    }),
    liveBackedUp: new Gauge({
      name: 'cityhub_live_viewers_backed_up',
      help: 'Live map viewers not reading their connection: sent nothing more, the newest state per unit held for them',
      registers: [registry],
    }),
    devicesConnected: new Gauge({
      name: 'cityhub_mqtt_connected',
      help: 'Connected MQTT clients, by device kind (and service)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
  };
}
