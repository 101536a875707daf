import { describe, expect, it } from 'vitest';
import { Reader } from './bytes.js';
import {
  encodeGeneralReply,
  encodeQueryParameters,
  encodeRegistrationReply,
  encodeSetParameters,
  REGISTER_RESULT,
  REPLY_RESULT,
} from './encode.js';
import { FRAMES, fixtureBytes } from './fixtures/frames.js';
import { Jt808Framer } from './framer.js';
import { decodePacket, type Packet, type Terminal } from './header.js';
import { decodeOne } from './fixtures/test-helpers.js';

function packet(frame: Buffer): Packet {
  const [f] = new Jt808Framer().push(frame);
  if (!f?.ok) throw new Error(`bad frame: ${f?.error.message}`);
  const p = decodePacket(f.message);
  if (!p.ok) throw new Error(p.error.message);
  return p.value;
}

/** Replies go out in the layout and under the phone number the terminal used. */
function terminalOf(hex: string): Terminal {
  return decodeOne(Buffer.from(hex, 'hex')).header;
}

describe('platform messages', () => {
  it('0x8001 general reply echoes serial and id, in a 2013 header', () => {
    const to = terminalOf(FRAMES.location.hex);
    const p = packet(encodeGeneralReply(to, 1, { replySerial: 64, replyMsgId: 0x0200, result: REPLY_RESULT.ok }));
    expect(p.header).toMatchObject({ msgId: 0x8001, version: 2013, phone: '012076463279', serial: 1 });
    expect(p.body.toString('hex')).toBe('0040020000');
  });

  it('0x8001 to a 2019 terminal uses the 2019 layout, version byte and BCD[10] phone', () => {
    const to = terminalOf(FRAMES.register2019.hex);
    const p = packet(
      encodeGeneralReply(to, 2, { replySerial: 0x5218, replyMsgId: 0x0100, result: REPLY_RESULT.unsupported }),
    );
    expect(p.header).toMatchObject({
      msgId: 0x8001,
      version: 2019,
      protocolVersion: 1,
      phone: '00000866496077582164',
      serial: 2,
    });
    expect(p.body.toString('hex')).toBe('5218010003');
  });

  it('0x8100 registration reply carries the auth code only on success', () => {
    const to = terminalOf(FRAMES.register.hex);
    const ok = packet(encodeRegistrationReply(to, 3, { replySerial: 36, result: 0, authCode: 'AUTH-0567872' }));
    expect(ok.header.msgId).toBe(0x8100);
    const r = new Reader(ok.body);
    expect([r.u16(), r.u8(), r.rest().toString('latin1')]).toEqual([36, 0, 'AUTH-0567872']);
    const refused = packet(
      encodeRegistrationReply(to, 4, { replySerial: 36, result: REGISTER_RESULT.terminalUnknown, authCode: 'x' }),
    );
    expect(refused.body.toString('hex')).toBe('002404');
    expect(() => encodeRegistrationReply(to, 5, { replySerial: 1, result: 0, authCode: '鉴权' })).toThrow(RangeError);
  });

  it('0x8103 sets the default report interval (0x0029, u32) and raw-valued parameters', () => {
    const to = terminalOf(FRAMES.location.hex);
    const p = packet(
      encodeSetParameters(to, 6, [
        { id: 0x0029, value: 30 },
        { id: 0x0013, value: Buffer.from('hub.example', 'latin1') },
      ]),
    );
    expect(p.header.msgId).toBe(0x8103);
    expect(p.body.toString('hex')).toBe(
      '02' + '00000029' + '04' + '0000001e' + '00000013' + '0b' + Buffer.from('hub.example').toString('hex'),
    );
  });

  it('0x8104 query parameters has an empty body', () => {
    const to = terminalOf(FRAMES.batch2019.hex);
    const frame = encodeQueryParameters(to, 7);
    const p = packet(frame);
    expect(p.header).toMatchObject({ msgId: 0x8104, version: 2019, bodyLength: 0, serial: 7 });
    expect(p.body.length).toBe(0);
  });

  it('escapes serials that contain 0x7e / 0x7d', () => {
    const to = terminalOf(FRAMES.location.hex);
    const frame = encodeGeneralReply(to, 0x7e7e, { replySerial: 0x7d7d, replyMsgId: 0x0200, result: 0 });
    expect(frame.subarray(1, -1).includes(0x7e)).toBe(false);
    expect(packet(frame).header.serial).toBe(0x7e7e);
    expect(packet(frame).body.readUInt16BE(0)).toBe(0x7d7d);
  });

  it('reproduces a captured frame byte for byte from its decoded fields', () => {
    const hb = decodeOne(fixtureBytes(FRAMES.heartbeat)).header;
    const again = encodeQueryParameters(hb, hb.serial);
    // Same header bytes except the message id: 0x8104 vs 0x0002.
    expect(again.subarray(3, 13).toString('hex')).toBe(fixtureBytes(FRAMES.heartbeat).subarray(3, 13).toString('hex'));
  });
});
