// Demo mode (演示模式), `npm run demo`: the hub as its own process plus simulated vehicles publishing to it over MQTT,
// so a newcomer sees a live map with no setup. Honours the hub's variables (MQTT_PORT, HTTP_PORT, DATABASE_URL…),
// passes them through, and talks to the hub only over its public protocols.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { startVehicleSimulator, type VehicleSimulator } from './simulator.js';

const log = pino({ base: { service: 'cityhub-demo' } });
const httpPort = Number(process.env.HTTP_PORT || 8080);
const mqttPort = Number(process.env.MQTT_PORT || 1883);
const vehicles = Number(process.env.SIM_VEHICLES || 12);
const intervalMs = Number(process.env.SIM_INTERVAL_MS || 2000);

const hubMain = fileURLToPath(new URL('../hub/main.js', import.meta.url));
const hub = spawn(process.execPath, [hubMain], { stdio: 'inherit', env: process.env });
let stopping = false;
let simulator: VehicleSimulator | undefined = undefined;
hub.on('exit', (code, signal) => {
  if (!stopping) {
    log.error({ code, signal }, 'the hub exited; stopping the demo');
    void simulator?.stop();
    process.exit(code ?? 1);
  }
});

// Installed before anything slow, so Ctrl-C during start-up also stops the hub instead of orphaning it.
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await simulator?.stop();
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

if (stopping) await new Promise(() => undefined);
simulator = startVehicleSimulator({
  mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
  count: vehicles,
  intervalMs,
  deviceIdPrefix: 'veh-',
  logger: log,
});
log.info({ vehicles, intervalMs }, `demo running: open http://localhost:${httpPort}`);
