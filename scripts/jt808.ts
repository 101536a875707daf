// JT/T 808 frame inspector (808 报文解析工具) for field engineers: `npm run jt808 -- decode <hex> [<hex> …]` prints one
// JSON line per message found in the pasted bytes; exits non-zero if any frame could not be decoded.
import { parseHex } from '../ingest/jt808/bytes.js';
import { decodeBody, type Body } from '../ingest/jt808/decode.js';
import { Jt808Framer } from '../ingest/jt808/framer.js';
import { decodePacket, type Header } from '../ingest/jt808/header.js';
import type { Location } from '../ingest/jt808/location.js';
import { Reassembler } from '../ingest/jt808/reassembler.js';

const USAGE = 'usage: npm run jt808 -- decode <hex> [<hex> …]   (spaces and 0x prefixes allowed)';

function isoSeconds(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString().replace('.000Z', 'Z');
}

function locationJson(l: Location): Record<string, unknown> {
  return {
    lat: l.lat,
    lon: l.lon,
    altitudeM: l.altitudeM,
    speedKmh: l.speedKmh,
    course: l.course,
    time: isoSeconds(l.timeMs),
    alarm: l.alarm,
    status: l.status,
  };
}

function headerJson(h: Header, checksumOk: boolean): Record<string, unknown> {
  return {
    msgId: `0x${h.msgId.toString(16).padStart(4, '0')}`,
    version: h.version,
    phone: h.phone,
    serial: h.serial,
    checksumOk,
  };
}

function bodyJson(body: Body): Record<string, unknown> {
  if ('location' in body) return { location: locationJson(body.location) };
  if ('locations' in body) return { batchType: body.batchType, locations: body.locations.map(locationJson) };
  const { msgId: _msgId, ...rest } = body;
  return 'unsupported' in body ? rest : { body: rest };
}

function decodeArgs(args: string[]): { lines: string[]; failed: boolean } {
  const lines: string[] = [];
  let failed = false;
  const fail = (o: Record<string, unknown>): void => {
    failed = true;
    lines.push(JSON.stringify(o));
  };
  const reassembler = new Reassembler();
  args.forEach((arg, input) => {
    const bytes = parseHex(arg);
    if (!bytes) return fail({ error: 'bad_hex', input });
    const framer = new Jt808Framer();
    const frames = framer.push(bytes);
    for (const frame of frames) {
      if (!frame.ok) {
        const packet = frame.message ? decodePacket(frame.message) : null;
        const head = packet?.ok ? headerJson(packet.value.header, false) : {};
        fail({ error: frame.code, input, detail: frame.error.message, ...head });
        continue;
      }
      const packet = decodePacket(frame.message);
      if (!packet.ok) {
        fail({ error: packet.error.code, input, detail: packet.error.message });
        continue;
      }
      const { header } = packet.value;
      const assembled = reassembler.add(header, packet.value.body);
      if (assembled.status === 'pending' || assembled.status === 'duplicate') {
        const state = { [assembled.status]: true };
        lines.push(JSON.stringify({ ...headerJson(header, true), subpackage: header.subpackage, ...state }));
        continue;
      }
      if (assembled.status === 'rejected') {
        fail({ error: assembled.error.code, input, detail: assembled.error.message, ...headerJson(header, true) });
        continue;
      }
      const body = decodeBody(assembled.header.msgId, assembled.body, assembled.header.version);
      if (!body.ok) {
        fail({ error: body.error.code, input, detail: body.error.message, ...headerJson(assembled.header, true) });
        continue;
      }
      lines.push(JSON.stringify({ ...headerJson(assembled.header, true), ...bodyJson(body.value) }));
    }
    if (framer.bufferedBytes > 0) fail({ error: 'incomplete_frame', input, detail: 'no closing 0x7e' });
    else if (frames.length === 0) fail({ error: 'no_frame', input, detail: 'no 0x7e … 0x7e frame in the input' });
  });
  if (reassembler.pending > 0) fail({ error: 'incomplete_subpackages', pending: reassembler.pending });
  return { lines, failed };
}

const [command, ...args] = process.argv.slice(2);
if (command !== 'decode' || args.length === 0) {
  process.stderr.write(USAGE + '\n');
  process.exit(2);
}
const { lines, failed } = decodeArgs(args);
process.stdout.write(lines.map((l) => l + '\n').join(''));
process.exitCode = failed ? 1 : 0;
