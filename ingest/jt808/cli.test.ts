// The field-engineer CLI (scripts/jt808.ts), run the way npm runs it.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { encodeFrame } from './encode.js';
import { FRAMES } from './fixtures/frames.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function run(...args: string[]): { code: number | null; lines: unknown[]; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/jt808.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
  });
  const lines = r.stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as unknown);
  return { code: r.status, lines, stderr: r.stderr };
}

describe('npm run jt808 -- decode', () => {
  it('prints the documented line for a 0x0200, byte for byte', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/jt808.ts', 'decode', FRAMES.location.hex], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      '{"msgId":"0x0200","version":2013,"phone":"012076463279","serial":64,"checksumOk":true,' +
        '"location":{"lat":22.837943,"lon":114.426985,"altitudeM":59,"speedKmh":0,"course":0,' +
        '"time":"2025-04-02T08:36:26Z","alarm":0,"status":24578}}\n',
    );
  });

  it('accepts spaces and 0x, several arguments, and prints locations for a 0x0704', () => {
    const spaced = (FRAMES.heartbeat.hex.match(/../g) ?? []).map((b) => `0x${b}`).join(' ');
    const r = run('decode', spaced, FRAMES.batch2019.hex);
    expect(r.code).toBe(0);
    expect(r.lines).toEqual([
      { msgId: '0x0002', version: 2013, phone: '043048325465', serial: 183, checksumOk: true, body: {} },
      {
        msgId: '0x0704',
        version: 2019,
        phone: '00000866496077582164',
        serial: 34845,
        checksumOk: true,
        batchType: 0,
        locations: [
          {
            lat: -27.263378,
            lon: 153.037383,
            altitudeM: 22,
            speedKmh: 0,
            course: 2,
            time: '2026-05-09T08:42:27Z',
            alarm: 0,
            status: 7,
          },
        ],
      },
    ]);
  });

  it('prints an error line and exits non-zero for a frame that cannot be decoded', () => {
    const r = run('decode', FRAMES.location.hex, FRAMES.badChecksum.hex, 'zz', '7e0002');
    expect(r.code).toBe(1);
    expect(r.lines).toHaveLength(4);
    expect(r.lines[0]).toMatchObject({ msgId: '0x0200', checksumOk: true });
    expect(r.lines[1]).toMatchObject({ error: 'bad_checksum', input: 1 });
    expect(r.lines[2]).toMatchObject({ error: 'bad_hex', input: 2 });
    expect(r.lines[3]).toMatchObject({ error: 'incomplete_frame', input: 3 });
  });

  it('joins sub-packages across arguments (frames built with the encoder)', () => {
    const to = { version: 2013 as const, phone: '013912344323' };
    const body = Buffer.from('007b810300', 'hex');
    const a = encodeFrame(to, 0x0001, 10, body.subarray(0, 2), { subpackage: { total: 2, index: 1 } });
    const b = encodeFrame(to, 0x0001, 11, body.subarray(2), { subpackage: { total: 2, index: 2 } });
    const r = run('decode', a.toString('hex'), b.toString('hex'));
    expect(r.code).toBe(0);
    expect(r.lines[0]).toMatchObject({ pending: true, subpackage: { total: 2, index: 1 } });
    expect(r.lines[1]).toMatchObject({
      msgId: '0x0001',
      serial: 10,
      body: { replySerial: 123, replyMsgId: 0x8103, result: 0 },
    });
  });

  it('prints usage and exits 2 without a command', () => {
    const r = run();
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/usage/);
  });
});
