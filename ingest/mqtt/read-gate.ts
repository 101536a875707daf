// Read gate (读取闸门): while the ingest pipeline is full, the broker stops reading device connections, so what the
// devices keep sending waits in the socket buffers and on the devices themselves (TCP flow control closes their
// window) instead of piling up in the hub as parsed messages. Without it, what a full hub holds grows with the
// connections times each one's in-flight window (5,000 devices × 16 = 80,000 messages, ~1.4 KB of heap each) — and a
// device whose client has no window at all (mqtt.js's default) is bounded only by what one read returns.
//
// aedes reads a connection with `read(null)` when the packets of its previous read are done, and again whenever the
// socket says 'readable'. The gate answers that read with "nothing yet" while closed and remembers the connection;
// opening the gate says 'readable' on each remembered one, and aedes reads on as if the data had just arrived. Node's
// own read(0) (filling the socket's buffer, at most its high-water mark) is let through. A connection that stays parked
// longer than 1.5 × its keepalive is closed by aedes; the device reconnects and sends what was not acknowledged again.
import type { Duplex } from 'node:stream';

export class ReadGate {
  private closed = false;
  private readonly parked = new Set<Duplex>();

  /** Puts the broker's reads of this connection behind the gate; call before handing it to aedes. */
  wrap(connection: Duplex): void {
    const read = connection.read.bind(connection);
    connection.read = (size?: number) => {
      if (!this.closed || size === 0) return read(size);
      this.parked.add(connection);
      return null;
    };
    connection.once('close', () => this.parked.delete(connection));
  }

  isClosed(): boolean {
    return this.closed;
  }

  /** Connections with a read waiting for the gate. */
  parkedCount(): number {
    return this.parked.size;
  }

  close(): void {
    this.closed = true;
  }

  open(): void {
    if (!this.closed) return;
    this.closed = false;
    const parked = [...this.parked];
    this.parked.clear();
    for (const connection of parked) if (!connection.destroyed) connection.emit('readable');
  }
}
