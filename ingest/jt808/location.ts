// Location report body (位置信息汇报, 0x0200): alarm and status bits as named flags, the fix, the GMT+8 BCD time as a
// UTC instant, and the additional items (附加信息) — standard ones decoded, everything else kept as raw hex.
import { Reader } from './bytes.js';
import { Jt808Error } from './errors.js';

export interface AlarmFlags {
  sos: boolean;
  overspeed: boolean;
  fatigue: boolean;
  dangerWarning: boolean;
  gnssFault: boolean;
  antennaCut: boolean;
  antennaShort: boolean;
  lowPower: boolean;
  powerCut: boolean;
}

export interface StatusFlags {
  accOn: boolean;
  positioned: boolean;
  southLatitude: boolean;
  westLongitude: boolean;
  gps: boolean;
  beidou: boolean;
  glonass: boolean;
  galileo: boolean;
}

export interface RawItem {
  id: number;
  hex: string;
}

export interface AdditionalItems {
  mileageKm?: number;
  fuelL?: number;
  recorderSpeedKmh?: number;
  signalStrength?: number;
  satellites?: number;
  /** Vendor (0xE0–0xFF) and other items this codec does not interpret, in arrival order. */
  raw: RawItem[];
}

export interface Location {
  /** Raw alarm word (报警标志), kept because the named flags cover only the common bits. */
  alarm: number;
  status: number;
  alarms: AlarmFlags;
  flags: StatusFlags;
  /** Signed: negative for south / west. */
  lat: number;
  lon: number;
  altitudeM: number;
  speedKmh: number;
  course: number;
  /** UTC epoch ms; null when the terminal sent an all-zero time (no fix since power-on). */
  timeMs: number | null;
  items: AdditionalItems;
}

const ALARM_BITS: Record<keyof AlarmFlags, number> = {
  sos: 0,
  overspeed: 1,
  fatigue: 2,
  dangerWarning: 3,
  gnssFault: 4,
  antennaCut: 5,
  antennaShort: 6,
  lowPower: 7,
  powerCut: 8,
};

const STATUS_BITS: Record<keyof StatusFlags, number> = {
  accOn: 0,
  positioned: 1,
  southLatitude: 2,
  westLongitude: 3,
  gps: 18,
  beidou: 19,
  glonass: 20,
  galileo: 21,
};

function bits<K extends string>(word: number, table: Record<K, number>): Record<K, boolean> {
  const out = {} as Record<K, boolean>;
  for (const [name, bit] of Object.entries(table) as [K, number][]) out[name] = ((word >>> bit) & 1) === 1;
  return out;
}

/** Builds the words back from flags; used by the encoder and tests. */
export function alarmWord(flags: Partial<AlarmFlags>): number {
  return toWord(flags, ALARM_BITS);
}
export function statusWord(flags: Partial<StatusFlags>): number {
  return toWord(flags, STATUS_BITS);
}
function toWord<K extends string>(flags: Partial<Record<K, boolean>>, table: Record<K, number>): number {
  let w = 0;
  for (const [name, bit] of Object.entries(table) as [K, number][]) if (flags[name]) w |= 1 << bit;
  return w >>> 0;
}

const CHINA_OFFSET_MS = 8 * 3600_000;

/** BCD YYMMDDhhmmss in GMT+8 (北京时间) → UTC ms; all zeros → null; anything else not a real time → bad_time. */
export function bcdTimeToUtc(b: Buffer): number | null {
  if (b.every((x) => x === 0)) return null;
  const d = [...b].map((x) => (x >> 4) * 10 + (x & 0x0f));
  const bad = [...b].some((x) => x >> 4 > 9 || (x & 0x0f) > 9);
  const [yy = 0, mo = 0, dd = 0, hh = 0, mi = 0, ss = 0] = d;
  const local = Date.UTC(2000 + yy, mo - 1, dd, hh, mi, ss);
  const check = new Date(local);
  if (bad || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== dd || hh > 23 || mi > 59 || ss > 59) {
    throw new Jt808Error('bad_time', `not a time: ${b.toString('hex')}`);
  }
  return local - CHINA_OFFSET_MS;
}

export function utcToBcdTime(timeMs: number): Buffer {
  const d = new Date(timeMs + CHINA_OFFSET_MS);
  const two = (n: number): string => String(n).padStart(2, '0');
  const s =
    two(d.getUTCFullYear() % 100) +
    two(d.getUTCMonth() + 1) +
    two(d.getUTCDate()) +
    two(d.getUTCHours()) +
    two(d.getUTCMinutes()) +
    two(d.getUTCSeconds());
  return Buffer.from(s, 'hex');
}

function decodeItem(items: AdditionalItems, id: number, v: Buffer): void {
  const known = (): boolean => {
    switch (id) {
      case 0x01:
        if (v.length !== 4) return false;
        items.mileageKm = v.readUInt32BE(0) / 10;
        return true;
      case 0x02:
        if (v.length !== 2) return false;
        items.fuelL = v.readUInt16BE(0) / 10;
        return true;
      case 0x03:
        if (v.length !== 2) return false;
        items.recorderSpeedKmh = v.readUInt16BE(0) / 10;
        return true;
      case 0x30:
        if (v.length !== 1) return false;
        items.signalStrength = v.readUInt8(0);
        return true;
      case 0x31:
        if (v.length !== 1) return false;
        items.satellites = v.readUInt8(0);
        return true;
      default:
        return false;
    }
  };
  // A standard id with a non-standard length is a vendor quirk: keep the bytes rather than guess.
  if (!known()) items.raw.push({ id, hex: v.toString('hex') });
}

export function decodeLocation(body: Buffer): Location {
  const r = new Reader(body);
  const alarm = r.u32('alarm flags');
  const status = r.u32('status');
  const flags = bits(status, STATUS_BITS);
  const latRaw = r.u32('latitude');
  const lonRaw = r.u32('longitude');
  const altitudeM = r.u16('altitude');
  const speed = r.u16('speed');
  const course = r.u16('direction');
  const timeMs = bcdTimeToUtc(r.bytes(6, 'time'));
  const items: AdditionalItems = { raw: [] };
  while (r.remaining >= 2) {
    const id = r.u8();
    const length = r.u8();
    if (length > r.remaining) {
      // Never fail a fix because of a vendor item: keep what is there and stop.
      items.raw.push({ id, hex: r.rest().toString('hex') });
      break;
    }
    decodeItem(items, id, r.bytes(length));
  }
  if (r.remaining > 0) items.raw.push({ id: -1, hex: r.rest().toString('hex') });
  return {
    alarm,
    status,
    alarms: bits(alarm, ALARM_BITS),
    flags,
    lat: (flags.southLatitude ? -latRaw : latRaw) / 1e6,
    lon: (flags.westLongitude ? -lonRaw : lonRaw) / 1e6,
    altitudeM,
    speedKmh: speed / 10,
    course,
    timeMs,
    items,
  };
}

export interface LocationInput {
  alarm?: number;
  status?: number;
  lat: number;
  lon: number;
  altitudeM?: number;
  speedKmh?: number;
  course?: number;
  timeMs: number;
  /** Additional items as id → value bytes. */
  items?: { id: number; value: Buffer }[];
}

/** Builds a 0x0200 body (what a terminal sends): for tests, fixtures and simulators; sets the south/west bits itself. */
export function encodeLocation(loc: LocationInput): Buffer {
  let status = loc.status ?? 0;
  status = loc.lat < 0 ? status | (1 << 2) : status & ~(1 << 2);
  status = loc.lon < 0 ? status | (1 << 3) : status & ~(1 << 3);
  const head = Buffer.alloc(28);
  head.writeUInt32BE((loc.alarm ?? 0) >>> 0, 0);
  head.writeUInt32BE(status >>> 0, 4);
  head.writeUInt32BE(Math.round(Math.abs(loc.lat) * 1e6), 8);
  head.writeUInt32BE(Math.round(Math.abs(loc.lon) * 1e6), 12);
  head.writeUInt16BE(loc.altitudeM ?? 0, 16);
  head.writeUInt16BE(Math.round((loc.speedKmh ?? 0) * 10), 18);
  head.writeUInt16BE(loc.course ?? 0, 20);
  utcToBcdTime(loc.timeMs).copy(head, 22);
  const parts: Buffer[] = [head];
  for (const item of loc.items ?? []) parts.push(Buffer.of(item.id, item.value.length), item.value);
  return Buffer.concat(parts);
}
