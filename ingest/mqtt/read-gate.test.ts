// The read gate over real TCP sockets, read the way aedes reads them: all there is (read()) on 'readable'.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/support/wait.js';
import { ReadGate } from './read-gate.js';

const sockets: net.Socket[] = [];
const servers: net.Server[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A connected pair: `device` writes, `hub` is behind the gate and read like aedes reads (all it has, on 'readable'). */
async function pair(gate: ReadGate) {
  const received: Buffer[] = [];
  let hub!: net.Socket;
  const server = net.createServer((socket) => {
    hub = socket;
    gate.wrap(socket);
    socket.on('readable', () => {
      const chunk = socket.read() as Buffer | null;
      if (chunk) received.push(chunk);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const device = net.connect(port, '127.0.0.1');
  sockets.push(device);
  await new Promise<void>((resolve) => device.once('connect', () => resolve()));
  await waitFor('the hub side of the connection', () => hub);
  sockets.push(hub);
  const text = () => Buffer.concat(received).toString();
  return { device, hub: () => hub, text };
}

describe('ReadGate', () => {
  it('passes reads while open', async () => {
    const gate = new ReadGate();
    const { device, text } = await pair(gate);
    device.write('one');
    await waitFor('"one" read', () => text() === 'one');
    expect(gate.parkedCount()).toBe(0);
  });

  it('reads nothing while closed, then everything sent meanwhile, in order, once opened', async () => {
    const gate = new ReadGate();
    const { device, text } = await pair(gate);
    device.write('before|');
    await waitFor('"before|" read', () => text() === 'before|');
    gate.close();
    device.write('during-1|');
    await waitFor('the connection parked', () => gate.parkedCount() === 1);
    device.write('during-2|');
    // The data reached the hub's socket but nobody got it.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(text()).toBe('before|');
    expect(gate.isClosed()).toBe(true);

    gate.open();
    await waitFor('what was sent while closed', () => text() === 'before|during-1|during-2|');
    expect(gate.parkedCount()).toBe(0);
    device.write('after');
    await waitFor('later data', () => text().endsWith('after'));
  });

  it('lets the socket fill its own buffer (read(0)) without parking it', async () => {
    const gate = new ReadGate();
    const { hub } = await pair(gate);
    gate.close();
    expect(hub().read(0)).toBeNull();
    expect(gate.parkedCount()).toBe(0);
  });

  it('forgets a parked connection that closes, and opening then touches nothing', async () => {
    const gate = new ReadGate();
    const { device, hub } = await pair(gate);
    gate.close();
    device.write('x');
    await waitFor('the connection parked', () => gate.parkedCount() === 1);
    hub().destroy();
    await waitFor('the parked connection forgotten', () => gate.parkedCount() === 0);
    gate.open();
    expect(gate.isClosed()).toBe(false);
  });
});
