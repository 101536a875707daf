/* global __ENV, __VU, open */
// k6 MQTT 设备场景 devices publishing positions over MQTT with the k6 MQTT extension (xk6-mqtt: `k6/x/mqtt`, which
// k6 1.x resolves by itself, or a k6 built with `xk6 build --with github.com/grafana/xk6-mqtt`). Each VU is one device
// (client id = username = its id, password from CREDENTIALS, a JSON file {"<id>": "<password>"} as
// loadtests/bench-ingest.ts --provision writes), publishing QoS 1 fixes every INTERVAL_MS and timing each PUBACK —
// which the hub sends only after the fix is committed.
//
//   k6 run -e MQTT_URL=mqtt://127.0.0.1:1883 -e VUS=200 -e INTERVAL_MS=1000 -e DURATION=60s \
//       -e CREDENTIALS=/tmp/bench-credentials.json loadtests/k6/mqtt.js
import { Client } from 'k6/x/mqtt';
import { Rate, Trend } from 'k6/metrics';
import { setInterval, clearInterval, setTimeout } from 'k6/timers';
import { durationSeconds, hubConfig } from './lib/config.js';
import { createMover, deviceId, positionPayload } from './lib/payloads.js';
import { holdConnections, mqttThresholds } from './lib/thresholds.js';

const config = hubConfig(__ENV, { rate: 1, vus: 100, duration: '30s' });
const intervalMs = Math.max(10, Number(__ENV.INTERVAL_MS || 1000));
const holdS = durationSeconds(config.duration);
/** @type {Record<string, string>} */
const credentials = __ENV.CREDENTIALS ? JSON.parse(open(__ENV.CREDENTIALS)) : {};

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: { devices: holdConnections('device', config.vus, `${Math.ceil(holdS + 60)}s`) },
  thresholds: mqttThresholds(),
};

const ack = new Trend('position_ack', true);
const failed = new Rate('position_failed');

export function device() {
  const id = deviceId(config.idPrefix, __VU);
  const password = credentials[id];
  const client = new Client({ client_id: id, username: id, ...(password ? { password } : {}) });
  const next = createMover(__VU);
  client.on('connect', () => {
    const timer = setInterval(() => {
      const sentAt = Date.now();
      client.publishAsync(`devices/${id}/position`, positionPayload(next(sentAt)), { qos: 1 }).then(
        () => {
          ack.add(Date.now() - sentAt);
          failed.add(false);
        },
        () => failed.add(true),
      );
    }, intervalMs);
    setTimeout(() => {
      clearInterval(timer);
      client.end();
    }, holdS * 1000);
  });
  client.on('error', () => failed.add(true));
  // Stagger the logins over the first tenth of the run, as devices coming online do.
  setTimeout(() => client.connect(config.mqttUrl, { keepalive: 60 }), ((__VU - 1) % 100) * holdS);
}
