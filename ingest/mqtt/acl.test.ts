import { describe, expect, it } from 'vitest';
import { canPublish, canSubscribe, type Principal } from './acl.js';
import { AuthThrottle } from './auth-throttle.js';

const vehicle: Principal = { type: 'device', id: 'veh-1', kind: 'vehicle' };
const collector: Principal = { type: 'device', id: 'col-1', kind: 'collector' };
const service: Principal = { type: 'service', name: 'rules' };
const commandId = '0b7e4a1e-3c55-4b4e-9a53-6c1f1b2d9e10';

describe('MQTT ACL', () => {
  it('lets a device publish only under its own prefix, and only the topics of its kind', () => {
    expect(canPublish(vehicle, 'devices/veh-1/position')).toBe(true);
    expect(canPublish(vehicle, 'devices/veh-1/telemetry')).toBe(true);
    expect(canPublish(vehicle, 'devices/veh-2/position')).toBe(false);
    expect(canPublish(vehicle, 'devices/veh-1/reports')).toBe(false);
    expect(canPublish(collector, 'devices/col-1/reports')).toBe(true);
    expect(canPublish(vehicle, 'devices/veh-1/commands/x')).toBe(false);
    expect(canPublish(vehicle, 'devices/veh-1/errors')).toBe(false);
    expect(canPublish(vehicle, 'other/topic')).toBe(false);
  });

  it('lets a device subscribe only to its own commands and errors', () => {
    expect(canSubscribe(vehicle, 'devices/veh-1/commands/#')).toBe(true);
    expect(canSubscribe(vehicle, 'devices/veh-1/commands/+')).toBe(true);
    expect(canSubscribe(vehicle, `devices/veh-1/commands/${commandId}`)).toBe(true);
    expect(canSubscribe(vehicle, 'devices/veh-1/errors')).toBe(true);
    expect(canSubscribe(vehicle, 'devices/veh-2/commands/#')).toBe(false);
    expect(canSubscribe(vehicle, 'devices/+/commands/#')).toBe(false);
    expect(canSubscribe(vehicle, 'devices/veh-1/#')).toBe(false);
    expect(canSubscribe(vehicle, '#')).toBe(false);
  });

  it('lets a service read all device topics and send commands, but not write device data', () => {
    expect(canSubscribe(service, 'devices/#')).toBe(true);
    expect(canSubscribe(service, '$share/g/devices/+/position')).toBe(true);
    expect(canSubscribe(service, '$SYS/#')).toBe(false);
    expect(canPublish(service, `devices/veh-1/commands/${commandId}`)).toBe(true);
    expect(canPublish(service, 'devices/veh-1/position')).toBe(false);
  });
});

describe('login back-off', () => {
  const options = { freeFailures: 2, baseDelayMs: 1000, maxDelayMs: 8000, forgetAfterMs: 60_000, maxEntries: 3 };

  it('makes an address wait twice as long after each failure past the free ones, and forgives on success', () => {
    const t = new AuthThrottle(options);
    t.failure('a', 0);
    t.failure('a', 0);
    expect(t.retryAfterMs('a', 0)).toBe(0);
    t.failure('a', 0);
    expect(t.retryAfterMs('a', 0)).toBe(1000);
    t.failure('a', 1000);
    expect(t.retryAfterMs('a', 1000)).toBe(2000);
    for (let i = 0; i < 10; i++) t.failure('a', 1000);
    expect(t.retryAfterMs('a', 1000)).toBe(8000);
    expect(t.retryAfterMs('b', 1000)).toBe(0);
    t.success('a');
    expect(t.retryAfterMs('a', 1000)).toBe(0);
  });

  it('stays bounded in size', () => {
    const t = new AuthThrottle(options);
    for (let i = 0; i < 10; i++) t.failure(`10.0.0.${i}`, i);
    expect(t.size).toBeLessThanOrEqual(3);
  });
});
