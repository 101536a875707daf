// 进程内中枢 the hub started inside the test process (hub/hub.ts startHub), for tests that reach into its parts or
// need a fast start: every listener (HTTP, MQTT, JT/T 808) on a free 127.0.0.1 port, its log silent unless
// TEST_LOG_LEVEL says otherwise. The built hub as a child process is test-hub.ts.
import { pino } from 'pino';
import { loadConfig } from '../../hub/config.js';
import { startHub, type RunningHub } from '../../hub/hub.js';

/**
 * Starts the hub with `env` (DATABASE_URL, DATA_DIR, ADMIN_TOKEN and whatever the test is about) over listeners on
 * 127.0.0.1 port 0; the ports it got are on the returned hub (httpPort, mqttPort…).
 */
export function startInProcessHub(env: Record<string, string>): Promise<RunningHub> {
  const config = loadConfig({
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    MQTT_PORT: '0',
    MQTT_HOST: '127.0.0.1',
    JT808_PORT: '0',
    JT808_HOST: '127.0.0.1',
    ...env,
  });
  return startHub(config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
}
