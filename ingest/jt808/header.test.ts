import { describe, expect, it } from 'vitest';
import { FRAMES, fixtureBytes } from './fixtures/frames.js';
import { Jt808Framer } from './framer.js';
import { decodePacket, encodeHeader, type HeaderFields } from './header.js';

function packetOf(hex: string) {
  const [frame] = new Jt808Framer().push(Buffer.from(hex, 'hex'));
  if (!frame?.ok) throw new Error('bad fixture');
  return decodePacket(frame.message);
}

describe('header', () => {
  it('decodes the 2013 layout (BCD[6] phone)', () => {
    const p = packetOf(FRAMES.location.hex);
    expect(p.ok && p.value.header).toEqual({
      msgId: 0x0200,
      version: 2013,
      protocolVersion: null,
      bodyLength: 31,
      encryption: 0,
      phone: '012076463279',
      serial: 64,
      subpackage: null,
    });
  });

  it('decodes the 2019 layout (version flag, version byte, BCD[10] phone)', () => {
    const p = packetOf(FRAMES.register2019.hex);
    expect(p.ok && p.value.header).toEqual({
      msgId: 0x0100,
      version: 2019,
      protocolVersion: 1,
      bodyLength: 92,
      encryption: 0,
      phone: '00000866496077582164',
      serial: 0x5218,
      subpackage: null,
    });
    expect(p.ok && p.value.body.length).toBe(92);
  });

  it('round-trips 2013 and 2019 headers, with and without sub-package fields', () => {
    const cases: HeaderFields[] = [
      { msgId: 0x0200, version: 2013, phone: '012076463279', serial: 65535, bodyLength: 0 },
      { msgId: 0x0704, version: 2019, protocolVersion: 1, phone: '00000866496077582164', serial: 7, bodyLength: 3 },
      {
        msgId: 0x0801,
        version: 2013,
        phone: '13800138000',
        serial: 9,
        bodyLength: 2,
        subpackage: { total: 5, index: 5 },
      },
      {
        msgId: 0x0801,
        version: 2019,
        protocolVersion: 2,
        phone: '13800138000',
        serial: 10,
        bodyLength: 1,
        subpackage: { total: 2, index: 1 },
      },
    ];
    for (const h of cases) {
      const bytes = Buffer.concat([encodeHeader(h), Buffer.alloc(h.bodyLength, 0xaa)]);
      const p = decodePacket(bytes);
      expect(p.ok).toBe(true);
      if (!p.ok) continue;
      expect(p.value.header).toMatchObject({
        msgId: h.msgId,
        version: h.version,
        protocolVersion: h.version === 2019 ? h.protocolVersion : null,
        phone: h.version === 2019 ? h.phone.padStart(20, '0') : h.phone.padStart(12, '0'),
        serial: h.serial,
        bodyLength: h.bodyLength,
        subpackage: h.subpackage ?? null,
      });
      expect(p.value.body.length).toBe(h.bodyLength);
    }
  });

  it('rejects a body length that disagrees with the frame, and impossible sub-package numbers', () => {
    const h = encodeHeader({ msgId: 0x0200, version: 2013, phone: '1', serial: 1, bodyLength: 5 });
    const short = decodePacket(Buffer.concat([h, Buffer.alloc(4)]));
    expect(!short.ok && short.error.code).toBe('bad_length');
    const zero = encodeHeader({
      msgId: 0x0200,
      version: 2013,
      phone: '1',
      serial: 1,
      bodyLength: 0,
      subpackage: { total: 2, index: 0 },
    });
    const r = decodePacket(zero);
    expect(!r.ok && r.error.code).toBe('bad_subpackage');
    const truncated = decodePacket(fixtureBytes(FRAMES.heartbeat).subarray(1, 8));
    expect(!truncated.ok && truncated.error.code).toBe('truncated');
  });
});
