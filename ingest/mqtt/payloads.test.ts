import { describe, expect, it } from 'vitest';
import { Rejection } from '../observation.js';
import { validatePosition } from '../pipeline/validate.js';
import { decodePositionPayload } from './payloads.js';
import { parseDeviceTopic } from './topics.js';

const buf = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

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
    expect(validatePosition(at(now + 299_000), now, { maxFutureSkewMs: 300_000 }).timeMs).toBe(now + 299_000);
    const r = rejection(() => validatePosition(at(now + 301_000), now, { maxFutureSkewMs: 300_000 }));
    expect(r.reason).toBe('time_in_future');
    expect(r.message).toContain('301 s in the future');
  });
});

describe('device topics', () => {
  it('parses devices/{id}/position and nothing else', () => {
    expect(parseDeviceTopic('devices/veh-001/position')).toEqual({ deviceId: 'veh-001', kind: 'position' });
    expect(parseDeviceTopic('devices/veh-001/position/extra')).toBeNull();
    expect(parseDeviceTopic('devices/veh 001/position')).toBeNull();
    expect(parseDeviceTopic('devices/veh-001/unknown')).toBeNull();
    expect(parseDeviceTopic('other/veh-001/position')).toBeNull();
  });
});
