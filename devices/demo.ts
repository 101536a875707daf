// Demo mode (演示模式), `npm run demo`: the hub as its own process plus simulated vehicles publishing to it over MQTT,
// so a newcomer sees a live map with no setup. Honours the hub's variables (MQTT_PORT, HTTP_PORT, DATABASE_URL…),
// passes them through, and talks to the hub only over its public protocols.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { setUpDemoCity } from './demo-city.js';
import { startJt808Terminals, terminalPhone, type Jt808Terminals } from './jt808-terminal.js';
import { startVehicleSimulator, vehicleDeviceId, type VehicleSimulator } from './simulator.js';

const log = pino({ base: { service: 'cityhub-demo' } });
const httpPort = Number(process.env.HTTP_PORT || 8080);
const mqttPort = Number(process.env.MQTT_PORT || 1883);
const vehicles = Number(process.env.SIM_VEHICLES || 12);
const intervalMs = Number(process.env.SIM_INTERVAL_MS || 2000);
const jt808Port = Number(process.env.JT808_PORT || 6808);
const jt808Vehicles = Number(process.env.SIM_JT808_VEHICLES ?? 4);
const JT808_PHONE_PREFIX = '0139';

// The demo registers its vehicles through the admin API like an operator would, so it needs the admin token: the
// one given, or one made up for this run.
const adminToken = process.env.ADMIN_TOKEN || randomBytes(24).toString('base64url');
const hubMain = fileURLToPath(new URL('../hub/main.js', import.meta.url));
// The hub gets the heap cap `npm run demo` gave this process (HUB_HEAP_MB), like `npm start` gives it.
const hub = spawn(process.execPath, [...process.execArgv, hubMain], {
  stdio: 'inherit',
  env: { ...process.env, ADMIN_TOKEN: adminToken },
});
let stopping = false;
let simulator: VehicleSimulator | undefined = undefined;
let trucks: Jt808Terminals | undefined = undefined;
hub.on('exit', (code, signal) => {
  if (!stopping) {
    log.error({ code, signal }, 'the hub exited; stopping the demo');
    void simulator?.stop();
    void trucks?.stop();
    process.exit(code ?? 1);
  }
});

// Installed before anything slow, so Ctrl-C during start-up also stops the hub instead of orphaning it.
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await Promise.all([simulator?.stop(), trucks?.stop()]);
  if (hub.exitCode !== null || hub.signalCode !== null) process.exit(0);
  hub.once('exit', () => process.exit(0));
  hub.kill('SIGTERM');
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop());

async function waitForHealthy(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the hub did not become healthy on HTTP_PORT ${httpPort} within ${timeoutMs / 1000} s`);
}

try {
  // First start initialises the embedded database: allow for it.
  await waitForHealthy(120_000);
} catch (err) {
  if (stopping) await new Promise(() => undefined); // a signal arrived meanwhile: stop() is finishing the exit
  log.error({ err: (err as Error).message }, 'demo failed to start');
  stopping = true;
  hub.kill('SIGTERM');
  process.exit(1);
}

/**
 * Registers the simulated vehicles (or, when a previous run did, issues them new credentials): MQTT vehicles, and
 * muck trucks with JT/T 808 terminals, known to the hub by their terminal phone numbers.
 */
async function provisionVehicles(): Promise<Record<string, string>> {
  const api = `http://127.0.0.1:${httpPort}/api/devices`;
  const headers = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
  const credentials: Record<string, string> = {};
  for (let n = 1; n <= jt808Vehicles; n++) {
    const id = `truck-${String(n).padStart(3, '0')}`;
    const res = await fetch(api, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        id,
        kind: 'vehicle',
        name: `演示渣土车 ${id}`,
        attributes: { jt808Phone: terminalPhone(JT808_PHONE_PREFIX, n) },
        expectedIntervalS: Math.ceil((intervalMs * 3) / 1000),
      }),
    });
    if (!res.ok && res.status !== 409) throw new Error(`registering ${id}: ${res.status} ${await res.text()}`);
  }
  for (let i = 0; i < vehicles; i++) {
    const id = vehicleDeviceId('veh-', i);
    let res = await fetch(api, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        id,
        kind: 'vehicle',
        name: `演示车辆 ${id}`,
        expectedIntervalS: Math.ceil((intervalMs * 3) / 1000),
      }),
    });
    if (res.status === 409)
      res = await fetch(`${api}/${id}/credential`, {
        method: 'POST',
        headers: { authorization: headers.authorization },
      });
    if (!res.ok) throw new Error(`registering ${id}: ${res.status} ${await res.text()}`);
    credentials[id] = ((await res.json()) as { credential: string }).credential;
  }
  return credentials;
}

if (stopping) await new Promise(() => undefined);
let credentials: Record<string, string>;
try {
  credentials = await provisionVehicles();
  // One password for every demo user, new each run (printed in the log): the demo's data directory outlives the run.
  await setUpDemoCity(`http://127.0.0.1:${httpPort}`, adminToken, `demo-${randomBytes(6).toString('hex')}`, log);
} catch (err) {
  log.error({ err: (err as Error).message }, 'could not set up the demo');
  await stop();
  throw err;
}
simulator = startVehicleSimulator({
  credentials,
  mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
  count: vehicles,
  intervalMs,
  deviceIdPrefix: 'veh-',
  logger: log,
});
if (jt808Vehicles > 0) {
  trucks = startJt808Terminals({
    host: '127.0.0.1',
    port: jt808Port,
    count: jt808Vehicles,
    intervalMs,
    phonePrefix: JT808_PHONE_PREFIX,
    logger: log,
    seed: 808,
  });
}
log.info(
  // A token made up for this run is shown so the admin API can be tried; one given in ADMIN_TOKEN is not echoed.
  { vehicles, jt808Vehicles, intervalMs, adminToken: process.env.ADMIN_TOKEN ? '(from ADMIN_TOKEN)' : adminToken },
  `demo running: open http://localhost:${httpPort}`,
);
