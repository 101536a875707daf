import { describe, expect, it } from 'vitest';
import { Rejection } from '../observation.js';
import { validatePosition } from '../pipeline/validate.js';
import { decodeDevicePayload } from './payloads.js';
import { parseDeviceTopic } from './topics.js';

const buf = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
const NOW = Date.UTC(2026, 10, 25, 8);
const LIMITS = { maxFutureSkewMs: 300_000, maxAgeMs: 400 * 86_400_000 };
const decodePositionPayload = (deviceId: string, payload: Buffer) => {
  const [o] = decodeDevicePayload(deviceId, 'position', payload, NOW);
  if (o?.type !== 'position') throw new Error('expected one position');
  return o;
};

function rejection(fn: () => unknown): Rejection {
  try {
    fn();
  } catch (err) {
    if (err instanceof Rejection) return err;
    throw err;
  }
  throw new Error('expected a Rejection');
}

describe('position payload', () => {
  it('decodes ISO and epoch-millisecond times to the same instant', () => {
    const a = decodePositionPayload('v1', buf({ time: '2026-11-25T16:00:00+08:00', lat: 36.66, lon: 117.02 }));
    const b = decodePositionPayload('v1', buf({ time: Date.UTC(2026, 10, 25, 8), lat: 36.66, lon: 117.02 }));
    expect(a.timeMs).toBe(Date.UTC(2026, 10, 25, 8));
    expect(b.timeMs).toBe(a.timeMs);
    expect(a).toMatchObject({ deviceId: 'v1', speedKmh: null, course: null, source: 'mqtt', attributes: {} });
  });

  it.each([
    ['{', 'malformed_json'],
    [{ lat: 1, lon: 2 }, 'schema'],
    [{ time: 'yesterday', lat: 1, lon: 2 }, 'schema'],
    [{ time: '2026-11-25T08:00:00', lat: 1, lon: 2 }, 'schema'],
    [{ time: 0, lat: 90.5, lon: 2 }, 'out_of_range'],
    [{ time: 0, lat: 1, lon: 2, course: 360 }, 'out_of_range'],
    [{ time: 0, lat: 1, lon: 2, speedKmh: -1 }, 'out_of_range'],
    [{ time: 0, lat: 1, lon: 2, extra: true }, 'schema'],
    [[1, 2], 'schema'],
  ])('rejects %j as %s', (payload, reason) => {
    expect(rejection(() => decodePositionPayload('v1', buf(payload))).reason).toBe(reason);
  });

  it('rejects a fix from the future beyond the allowed skew, accepts one within it', () => {
    const now = Date.UTC(2026, 10, 25, 8);
    const at = (ms: number) => decodePositionPayload('v1', buf({ time: ms, lat: 36.6, lon: 117 }));
    expect(validatePosition(at(now + 299_000), now, LIMITS).timeMs).toBe(now + 299_000);
    const r = rejection(() => validatePosition(at(now + 301_000), now, LIMITS));
    expect(r.reason).toBe('time_in_future');
    expect(r.message).toContain('301 s in the future');
  });
});

describe('other payload kinds', () => {
  it('decodes a store-and-forward batch into positions, refusing it whole for one bad entry', () => {
    const good = { time: NOW - 60_000, lat: 36.6, lon: 117 };
    const batch = decodeDevicePayload(
      'v1',
      'positions',
      buf({ positions: [good, { ...good, time: NOW - 30_000 }] }),
      NOW,
    );
    expect(batch.map((o) => o.type)).toEqual(['position', 'position']);
    expect(rejection(() => decodeDevicePayload('v1', 'positions', buf({ positions: [] }), NOW)).reason).toBe('schema');
    const r = rejection(() =>
      decodeDevicePayload('v1', 'positions', buf({ positions: [good, { ...good, lat: 95 }] }), NOW),
    );
    expect(r.reason).toBe('out_of_range');
    expect(r.message).toContain('positions.1.lat');
  });

  it('decodes telemetry, status, a collector report and a command ack', () => {
    const [t] = decodeDevicePayload('s1', 'telemetry', buf({ time: NOW, metrics: { fillPct: 83, tiltDeg: 2.5 } }), NOW);
    expect(t).toMatchObject({ type: 'telemetry', deviceId: 's1', metrics: { fillPct: 83, tiltDeg: 2.5 } });
    const bad = rejection(() =>
      decodeDevicePayload('s1', 'telemetry', buf({ time: NOW, metrics: { 'Fill%': 1 } }), NOW),
    );
    expect(bad.message).toContain('is not a valid name');
    const [s] = decodeDevicePayload('s1', 'status', buf({ time: NOW, state: 'fault', batteryPct: 12 }), NOW);
    expect(s).toMatchObject({ type: 'status', state: 'fault', batteryPct: 12, signalDbm: null });
    const report = {
      reportId: 'r-0001-abcd',
      time: NOW,
      lat: 36.66,
      lon: 117.02,
      categoryCode: '0101',
      description: '井盖缺失',
      photoIds: ['0b7e4a1e-3c55-4b4e-9a53-6c1f1b2d9e10'],
    };
    const [r] = decodeDevicePayload('c1', 'reports', buf(report), NOW);
    expect(r).toMatchObject({ type: 'report', reportId: 'r-0001-abcd', categoryCode: '0101', address: null });
    expect(
      rejection(() => decodeDevicePayload('c1', 'reports', buf({ ...report, categoryCode: '1' }), NOW)).reason,
    ).toBe('schema');
    const commandId = '0b7e4a1e-3c55-4b4e-9a53-6c1f1b2d9e10';
    const [a] = decodeDevicePayload('v1', 'acks', buf({ commandId, status: 'ok' }), NOW);
    expect(a).toMatchObject({ type: 'ack', commandId, status: 'ok', timeMs: NOW });
  });

  it('refuses a payload over the per-kind size limit before parsing it', () => {
    const big = Buffer.alloc(20 * 1024, 0x20);
    expect(rejection(() => decodeDevicePayload('v1', 'status', big, NOW)).reason).toBe('payload_too_large');
  });

  it('refuses a time older than the retention window', () => {
    const old = decodePositionPayload('v1', buf({ time: NOW - 401 * 86_400_000, lat: 36.6, lon: 117 }));
    expect(rejection(() => validatePosition(old, NOW, LIMITS)).reason).toBe('time_too_old');
  });
});

describe('device topics', () => {
  it('parses devices/{id}/position and nothing else', () => {
    expect(parseDeviceTopic('devices/veh-001/position')).toEqual({ deviceId: 'veh-001', kind: 'position' });
    expect(parseDeviceTopic('devices/veh-001/position/extra')).toBeNull();
    expect(parseDeviceTopic('devices/veh 001/position')).toBeNull();
    expect(parseDeviceTopic('devices/veh-001/unknown')).toBeNull();
    expect(parseDeviceTopic('devices/veh-001/positions')).toEqual({ deviceId: 'veh-001', kind: 'positions' });
    expect(parseDeviceTopic('other/veh-001/position')).toBeNull();
  });
});
