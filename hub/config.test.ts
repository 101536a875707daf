import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, configTableMarkdown, loadConfig } from './config.js';

describe('configuration', () => {
  it('has working defaults: embedded database, standard ports, 400-day retention', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ httpPort: 8080, mqttPort: 1883, databaseUrl: undefined, retentionDays: 400 });
  });

  it('lists every bad value at once, without echoing a password', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({
        MQTT_PORT: '70000',
        LOG_LEVEL: 'loud',
        DATABASE_URL: 'http://u:secret@h/db',
        INGEST_BATCH_MAX_MS: '',
      });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems).toHaveLength(3);
    expect(error!.message).toContain('MQTT_PORT must be from 0 to 65535, got 70000');
    expect(error!.message).toContain('LOG_LEVEL must be one of');
    expect(error!.message).toContain('DATABASE_URL must start with postgres://');
    expect(error!.message).not.toContain('secret');
  });

  it('is documented in README by the table made from the same settings', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(configTableMarkdown());
  });
});
