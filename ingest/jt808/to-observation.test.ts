import { describe, expect, it } from 'vitest';
import { encodeLocation, decodeLocation } from './location.js';
import { FRAMES } from './fixtures/frames.js';
import { decodeOne } from './fixtures/test-helpers.js';
import { locationToPosition, toPositions } from './to-observation.js';

const RECEIVED = Date.parse('2026-11-25T08:00:00Z');

describe('to-observation', () => {
  it('maps a 0x0200 to one Position with flags and items in attributes', () => {
    const m = decodeOne(Buffer.from(FRAMES.locationVendorItems.hex, 'hex'));
    const [p, ...rest] = toPositions('jt808:000000000000', m.body, RECEIVED);
    expect(rest).toHaveLength(0);
    expect(p).toMatchObject({
      deviceId: 'jt808:000000000000',
      timeMs: Date.parse('2026-06-15T02:57:25Z'),
      lat: 0,
      lon: 0,
      speedKmh: 0,
      course: 326,
      altitudeM: 113,
      accuracyM: null,
      source: 'jt808',
    });
    expect(p?.attributes).toMatchObject({
      alarm: 0,
      status: 786434,
      statusFlags: { positioned: true, gps: true, beidou: true },
      alarms: { sos: false },
      mileageKm: 10,
      signalStrength: 31,
      satellites: 12,
      rawItems: [
        { id: 0xe1, hex: '0072' },
        { id: 0x2b, hex: 'ab560000' },
      ],
    });
    expect(p?.attributes).not.toHaveProperty('batchType');
  });

  it('maps a 0x0704 to one Position per fix, oldest first, tagged with the batch type', () => {
    const m = decodeOne(Buffer.from(FRAMES.batchBlind.hex, 'hex'));
    const ps = toPositions('dev-1', m.body, RECEIVED);
    expect(ps).toHaveLength(8);
    expect(ps.every((p) => p.attributes.batchType === 1 && p.deviceId === 'dev-1')).toBe(true);
    expect(ps.map((p) => p.timeMs)).toEqual([...ps.map((p) => p.timeMs)].sort((a, b) => a - b));
  });

  it('falls back to the receive time when the terminal sent no time, and says so', () => {
    const body = encodeLocation({ lat: 30, lon: 120, course: 360, timeMs: 0 });
    body.fill(0, 22, 28);
    const p = locationToPosition('d', decodeLocation(body), { receivedAtMs: RECEIVED });
    expect(p.timeMs).toBe(RECEIVED);
    expect(p.attributes.timeFromReceipt).toBe(true);
    expect(p.course).toBe(0);
  });

  it('returns nothing for messages without a location', () => {
    expect(toPositions('d', decodeOne(Buffer.from(FRAMES.heartbeat.hex, 'hex')).body, RECEIVED)).toEqual([]);
  });
});
