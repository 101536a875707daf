import { describe, expect, it } from 'vitest';
import { decodeBody, decodeMessage, type Body } from './decode.js';
import { encodeFrame } from './encode.js';
import { FRAMES, fixtureBytes } from './fixtures/frames.js';
import { alarmWord, encodeLocation, statusWord, type Location } from './location.js';
import { decodeOne } from './fixtures/test-helpers.js';

function body(hex: string): Body {
  return decodeOne(Buffer.from(hex, 'hex')).body;
}
function location(hex: string): Location {
  const b = body(hex);
  if (!('location' in b)) throw new Error('not a 0x0200');
  return b.location;
}
function batch(hex: string) {
  const b = body(hex);
  if (!('locations' in b)) throw new Error('not a 0x0704');
  return b;
}
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

describe('0x0200 location report (captures)', () => {
  it('decodes the fix, GMT+8 time as UTC, flags and a vendor item', () => {
    const l = location(FRAMES.location.hex);
    expect(l).toMatchObject({ lat: 22.837943, lon: 114.426985, altitudeM: 59, speedKmh: 0, course: 0 });
    expect(iso(l.timeMs)).toBe('2025-04-02T08:36:26.000Z');
    expect(l.alarm).toBe(0);
    expect(l.status).toBe(24578);
    expect(l.flags).toEqual({
      accOn: false,
      positioned: true,
      southLatitude: false,
      westLongitude: false,
      gps: false,
      beidou: false,
      glonass: false,
      galileo: false,
    });
    expect(Object.values(l.alarms).some(Boolean)).toBe(false);
    expect(l.items).toEqual({ raw: [{ id: 0x06, hex: '3e' }] });
  });

  it('decodes the standard items 0x01 mileage, 0x02 fuel, 0x03 recorder speed', () => {
    const l = location(FRAMES.locationStandardItems.hex);
    expect(l).toMatchObject({ lat: 22.6426, lon: 114.032984, altitudeM: 128, course: 8, status: 0xc2 });
    expect(iso(l.timeMs)).toBe('2015-08-17T23:21:21.000Z');
    expect(l.items).toEqual({ mileageKm: 75.7, fuelL: 0, recorderSpeedKmh: 0, raw: [] });
  });

  it('decodes signal strength and satellites and keeps vendor items as raw hex', () => {
    const l = location(FRAMES.locationVendorItems.hex);
    expect(l.flags.gps && l.flags.beidou && l.flags.positioned).toBe(true);
    expect(l).toMatchObject({ lat: 0, lon: 0, altitudeM: 113, course: 326 });
    expect(iso(l.timeMs)).toBe('2026-06-15T02:57:25.000Z');
    expect(l.items).toEqual({
      mileageKm: 10,
      signalStrength: 31,
      satellites: 12,
      raw: [
        { id: 0xe1, hex: '0072' },
        { id: 0x2b, hex: 'ab560000' },
      ],
    });
  });

  it('decodes a 2019-layout report with alarm bits and a south latitude', () => {
    const m = decodeOne(fixtureBytes(FRAMES.location2019));
    expect(m.header).toMatchObject({ version: 2019, protocolVersion: 1, phone: '00000000013912344329' });
    if (!('location' in m.body)) throw new Error('not a 0x0200');
    const l = m.body.location;
    expect(l.alarm).toBe(111);
    expect(l.alarms).toEqual({
      sos: true,
      overspeed: true,
      fatigue: true,
      dangerWarning: true,
      gnssFault: false,
      antennaCut: true,
      antennaShort: true,
      lowPower: false,
      powerCut: false,
    });
    expect(l.flags.southLatitude).toBe(true);
    expect(l).toMatchObject({ lat: -31.234567, lon: 121.987654, altitudeM: 123, speedKmh: 6.6 });
    expect(iso(l.timeMs)).toBe('2025-01-29T14:33:44.000Z');
    expect(l.items).toEqual({ fuelL: 10, mileageKm: 1.2, raw: [] });
  });
});

describe('0x0704 batch upload (captures)', () => {
  it('decodes a blind-area re-send of 8 fixes in order', () => {
    const b = batch(FRAMES.batchBlind.hex);
    expect(b.batchType).toBe(1);
    expect(b.locations).toHaveLength(8);
    expect(b.locations[0]).toMatchObject({ lat: 22.639634, lon: 114.031952, altitudeM: 370, course: 1 });
    expect(iso(b.locations[0]?.timeMs ?? null)).toBe('2016-05-27T01:06:24.000Z');
    expect(b.locations[0]?.items).toEqual({ mileageKm: 2.9, recorderSpeedKmh: 0, raw: [] });
    expect(b.locations[7]).toMatchObject({ lat: 22.64055, lon: 114.032432, altitudeM: 264 });
  });

  it('decodes a 2019-layout batch', () => {
    const m = decodeOne(fixtureBytes(FRAMES.batch2019));
    expect(m.header).toMatchObject({ version: 2019, phone: '00000866496077582164', serial: 0x881d });
    const b = batch(FRAMES.batch2019.hex);
    expect(b.batchType).toBe(0);
    expect(b.locations).toHaveLength(1);
    expect(b.locations[0]).toMatchObject({ lat: -27.263378, lon: 153.037383, altitudeM: 22, course: 2 });
    expect(b.locations[0]?.flags).toMatchObject({ accOn: true, positioned: true, southLatitude: true });
    expect(b.locations[0]?.items).toEqual({ mileageKm: 960.2, signalStrength: 0, satellites: 14, raw: [] });
  });
});

describe('registration, authentication, heartbeat (captures)', () => {
  it('decodes a 2013 registration with a GBK plate', () => {
    expect(body(FRAMES.register.hex)).toEqual({
      msgId: 0x0100,
      provinceId: 44,
      cityId: 303,
      manufacturerId: '70111',
      model: 'BSJ-A6-BD',
      terminalId: '0567872',
      plateColor: 1,
      plate: '粤B88888',
    });
  });

  it('decodes a 2019 registration with the wider fields', () => {
    expect(body(FRAMES.register2019.hex)).toEqual({
      msgId: 0x0100,
      provinceId: 0,
      cityId: 0,
      manufacturerId: '',
      model: 'MD300',
      terminalId: '866496077582164',
      plateColor: 4,
      plate: '',
    });
  });

  it('decodes a 2013 authentication and a heartbeat', () => {
    expect(body(FRAMES.auth.hex)).toEqual({
      msgId: 0x0102,
      authCode: 'authentication',
      imei: null,
      softwareVersion: null,
    });
    const hb = decodeOne(fixtureBytes(FRAMES.heartbeat));
    expect(hb.body).toEqual({ msgId: 0x0002 });
    expect(hb.header).toMatchObject({ phone: '043048325465', serial: 183 });
  });

  it('decodes an unknown id as unsupported with the raw body, never an error', () => {
    expect(body(FRAMES.unsupported.hex)).toEqual({
      msgId: 0x0900,
      unsupported: true,
      bodyHex: '4000184754534c7c367c317c307c31303231383039347c317c0d0a',
    });
  });
});

// No public captures of these were found: the frames are built with this codec's own encoder, from the layouts in the
// standard, so they test the decoder against the encoder rather than against a real terminal.
describe('messages built with the encoder', () => {
  const t2013 = { version: 2013 as const, phone: '013912344323' };
  const t2019 = { version: 2019 as const, protocolVersion: 1, phone: '13912344323' };

  it('0x0001 terminal general reply and 0x0003 logout', () => {
    const reply = decodeOne(encodeFrame(t2013, 0x0001, 5, Buffer.from('007b8103' + '00', 'hex')));
    expect(reply.body).toEqual({ msgId: 0x0001, replySerial: 123, replyMsgId: 0x8103, result: 0 });
    expect(decodeOne(encodeFrame(t2013, 0x0003, 6, Buffer.alloc(0))).body).toEqual({ msgId: 0x0003 });
  });

  it('0x0104 parameter query reply: known numbers decoded, others kept as hex', () => {
    const params = Buffer.concat([
      Buffer.from('002a' + '03', 'hex'),
      Buffer.from('00000029' + '04' + '0000001e', 'hex'),
      Buffer.from('00000001' + '04' + '0000003c', 'hex'),
      Buffer.from('00000013' + '06', 'hex'),
      Buffer.from('1.2.3\0', 'latin1'),
    ]);
    expect(decodeOne(encodeFrame(t2013, 0x0104, 7, params)).body).toEqual({
      msgId: 0x0104,
      replySerial: 42,
      params: [
        { id: 0x0029, name: 'defaultReportIntervalS', value: 30, hex: '0000001e' },
        { id: 0x0001, name: 'heartbeatIntervalS', value: 60, hex: '0000003c' },
        { id: 0x0013, name: null, value: null, hex: '312e322e3300' },
      ],
    });
  });

  it('0x0102 authentication, 2019 layout: length-prefixed code, IMEI, software version', () => {
    const b = Buffer.concat([
      Buffer.of(6),
      Buffer.from('abc123', 'latin1'),
      Buffer.from('866496077582164', 'latin1'),
      Buffer.from('V1.0.0'.padEnd(20, '\0'), 'latin1'),
    ]);
    expect(decodeOne(encodeFrame(t2019, 0x0102, 8, b)).body).toEqual({
      msgId: 0x0102,
      authCode: 'abc123',
      imei: '866496077582164',
      softwareVersion: 'V1.0.0',
    });
  });

  it('0x0200 round trip: west/south signs, flags, speed, items', () => {
    const timeMs = Date.parse('2026-11-25T08:00:05Z');
    const input = {
      alarm: alarmWord({ sos: true, powerCut: true }),
      status: statusWord({ accOn: true, positioned: true, beidou: true }),
      lat: -33.868812,
      lon: -70.669265,
      altitudeM: 520,
      speedKmh: 42.5,
      course: 359,
      timeMs,
      items: [
        { id: 0x01, value: Buffer.from('000004d2', 'hex') },
        { id: 0x31, value: Buffer.of(9) },
        { id: 0xe5, value: Buffer.from('7e7d', 'hex') },
      ],
    };
    const m = decodeOne(encodeFrame(t2013, 0x0200, 9, encodeLocation(input)));
    if (!('location' in m.body)) throw new Error('not a 0x0200');
    const l = m.body.location;
    expect(l).toMatchObject({ lat: -33.868812, lon: -70.669265, altitudeM: 520, speedKmh: 42.5, course: 359, timeMs });
    expect(l.alarms).toMatchObject({ sos: true, powerCut: true, overspeed: false });
    expect(l.flags).toMatchObject({
      accOn: true,
      positioned: true,
      beidou: true,
      southLatitude: true,
      westLongitude: true,
    });
    expect(l.items).toEqual({ mileageKm: 123.4, satellites: 9, raw: [{ id: 0xe5, hex: '7e7d' }] });
  });

  it('keeps an additional item that runs past the body as raw, without failing the fix', () => {
    const loc = encodeLocation({ lat: 1, lon: 2, timeMs: Date.parse('2026-01-01T00:00:00Z') });
    const r = decodeBody(0x0200, Buffer.concat([loc, Buffer.from('01080000', 'hex')]), 2013);
    expect(r.ok && 'location' in r.value && r.value.location.items.raw).toEqual([{ id: 1, hex: '0000' }]);
  });

  it('returns typed errors for truncated bodies and impossible times, never throws', () => {
    const loc = encodeLocation({ lat: 1, lon: 2, timeMs: Date.parse('2026-01-01T00:00:00Z') });
    for (let n = 0; n < 28; n++) {
      const r = decodeBody(0x0200, loc.subarray(0, n), 2013);
      expect(!r.ok && r.error.code).toBe('truncated');
    }
    const badTime = Buffer.from(loc);
    badTime.writeUInt8(0x13, 23); // month 13
    const r = decodeBody(0x0200, badTime, 2013);
    expect(!r.ok && r.error.code).toBe('bad_time');
    const zeroTime = Buffer.from(loc);
    zeroTime.fill(0, 22, 28);
    const z = decodeBody(0x0200, zeroTime, 2013);
    expect(z.ok && 'location' in z.value && z.value.location.timeMs).toBeNull();
    const batch = decodeBody(0x0704, Buffer.from('000201001c', 'hex'), 2013);
    expect(!batch.ok && batch.error.code).toBe('truncated');
    expect(decodeBody(0x0100, Buffer.alloc(10), 2013).ok).toBe(false);
    expect(decodeBody(0x0001, Buffer.alloc(4), 2013).ok).toBe(false);
  });

  it('does not decode a sub-package fragment on its own', () => {
    const frag = encodeFrame(t2013, 0x0704, 1, Buffer.from('0002', 'hex'), { subpackage: { total: 2, index: 1 } });
    const m = decodeOne(frag);
    expect(m.body).toEqual({ msgId: 0x0704, unsupported: true, bodyHex: '0002' });
  });

  it('decodeMessage returns bad_length rather than throwing on a lying header', () => {
    const msg = Buffer.from('0200000501207646327900400000', 'hex');
    const r = decodeMessage(msg);
    expect(!r.ok && r.error.code).toBe('bad_length');
  });
});
