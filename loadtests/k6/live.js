/* global __ENV */
// k6 地图客户端场景 browsers with the map open: each VU is one socket.io client on the hub's /live namespace (socket.io
// v5 over a plain WebSocket, framed by lib/socketio.js), subscribing to the device layers and measuring, for every
// position in every delta, the time from the fix (the generator stamps its publish time into it) to its arrival.
// Run it beside a load on the broker (loadtests/fleet.ts, or mqtt.js), or the deltas will be few.
//
//   k6 run -e HUB_URL=http://127.0.0.1:8080 -e VUS=50 -e DURATION=60s -e ID_PREFIX=bench- loadtests/k6/live.js
//   docker compose --profile loadtest run --rm k6 run -e VUS=50 /scripts/live.js
import { Counter, Rate, Trend } from 'k6/metrics';
import { setTimeout } from 'k6/timers';
import { WebSocket } from 'k6/websockets';
import { durationSeconds, hubConfig } from './lib/config.js';
import { deltaLatencies } from './lib/payloads.js';
import { PONG, decodePacket, encodeConnect, encodeEvent } from './lib/socketio.js';
import { holdConnections, liveThresholds } from './lib/thresholds.js';

const config = hubConfig(__ENV, { rate: 1, vus: 50, duration: '30s' });
const holdS = durationSeconds(config.duration);
const layers = (__ENV.LAYERS || 'vehicles,collectors,sensors').split(',');

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: { mapClients: holdConnections('mapClient', config.vus, `${Math.ceil(holdS + 60)}s`) },
  thresholds: liveThresholds(),
};

const latency = new Trend('map_delta_latency', true);
const deltas = new Counter('map_deltas');
const positions = new Counter('map_positions');
const failed = new Rate('map_client_failed');

export function mapClient() {
  const ws = new WebSocket(config.wsUrl);
  let subscribed = false;
  ws.onmessage = (event) => {
    if (typeof event?.data !== 'string') return;
    const packet = decodePacket(event.data);
    if (packet.kind === 'ping') ws.send(PONG);
    else if (packet.kind === 'open') ws.send(encodeConnect('/live'));
    else if (packet.kind === 'connect') ws.send(encodeEvent('/live', 'subscribe', { layers }, 1));
    else if (packet.kind === 'ack' && packet.id === 1) {
      subscribed = !(/** @type {{ error?: string }} */ (packet.args[0])?.error);
      failed.add(!subscribed);
    } else if (packet.kind === 'connect_error') {
      failed.add(true);
      ws.close();
    } else if (packet.kind === 'event' && packet.name === 'positions') {
      const now = Date.now();
      deltas.add(1);
      for (const ms of deltaLatencies(packet.args[0], now, config.idPrefix)) {
        latency.add(ms);
        positions.add(1);
      }
    }
  };
  ws.onerror = () => failed.add(true);
  setTimeout(() => ws.close(), holdS * 1000);
}
