// Counting subscriber (计数订阅者) for the broker baseline: one MQTT client subscribed to the generator's topics,
// counting what the broker delivers. It runs as its own process (started by bench-ingest.ts) so its work does not
// slow the generator down, much as the hub's storage work happens outside the generator.
//
//   node --import tsx loadtests/counting-subscriber.ts --url mqtt://127.0.0.1:PORT [--topic devices/+/position]
//
// Prints JSON lines on stdout: {"type":"ready"} once subscribed, {"type":"second",…} every second (cumulative count),
// and {"type":"summary",…} when it gets SIGTERM/SIGINT or its --max-s runs out, then exits.
import { parseArgs } from 'node:util';
import { connect } from 'mqtt';
import { LatencyHistogram } from './histogram.js';
import { UsageError, assertLoopbackUrl } from './generator-core.js';

interface Args {
  url: string;
  topic: string;
  qos: 0 | 1;
  maxS: number;
}

function parse(argv: readonly string[]): Args {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      url: { type: 'string' },
      topic: { type: 'string' },
      qos: { type: 'string' },
      'max-s': { type: 'string' },
    },
  });
  const url = values.url ?? 'mqtt://127.0.0.1:1883';
  assertLoopbackUrl(url, '--url', ['mqtt:', 'tcp:']);
  const qos = values.qos === '0' ? 0 : 1;
  const maxS = Number(values['max-s'] ?? '3600');
  if (!Number.isFinite(maxS) || maxS <= 0 || maxS > 7200) throw new UsageError('--max-s must be from 1 to 7200');
  return { url, topic: values.topic ?? 'devices/+/position', qos, maxS };
}

const TIME_PREFIX = '{"time":"';

function main(): void {
  let args: Args;
  try {
    args = parse(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const out = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
  // Publish → delivery, from the fix time in the payload (the generator stamps "now" at ms resolution); approximate:
  // a device sending faster than 1/ms would be stamped slightly ahead.
  const delivery = new LatencyHistogram();
  let received = 0;
  let firstAtMs: number | undefined;
  let lastAtMs: number | undefined;
  let prev = 0;

  const client = connect(args.url, {
    clientId: `bench-subscriber-${process.pid}`,
    protocolVersion: 4,
    clean: true,
    keepalive: 60,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    log: () => undefined,
  });
  (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  client.on('connect', () => {
    client.subscribe(args.topic, { qos: args.qos }, (err) => {
      if (err) {
        process.stderr.write(`error: subscribe failed: ${err.message}\n`);
        process.exit(1);
      }
      out({ type: 'ready', atMs: Date.now() });
    });
  });
  client.on('error', (err) => process.stderr.write(`subscriber: ${err.message}\n`));
  client.on('message', (_topic, payload) => {
    const now = Date.now();
    received++;
    firstAtMs ??= now;
    lastAtMs = now;
    // Cheaper than JSON.parse: the generator always puts the time first.
    if (payload.length > 33 && payload.toString('latin1', 0, TIME_PREFIX.length) === TIME_PREFIX) {
      const sentMs = Date.parse(payload.toString('latin1', TIME_PREFIX.length, TIME_PREFIX.length + 24));
      if (Number.isFinite(sentMs)) delivery.recordMs(now - sentMs);
    }
  });

  const reporter = setInterval(() => {
    out({ type: 'second', atMs: Date.now(), received, perS: received - prev });
    prev = received;
  }, 1000);

  let done = false;
  const finish = (why: string) => {
    if (done) return;
    done = true;
    clearInterval(reporter);
    out({
      type: 'summary',
      why,
      atMs: Date.now(),
      received,
      firstAtMs: firstAtMs ?? null,
      lastAtMs: lastAtMs ?? null,
      deliveryLatency: delivery.summary(),
    });
    client.end(true, () => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', () => finish('SIGTERM'));
  process.on('SIGINT', () => finish('SIGINT'));
  client.on('close', () => finish('connection closed'));
  setTimeout(() => finish('--max-s elapsed'), args.maxS * 1000).unref();
}

main();
