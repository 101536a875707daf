// socket.io 协议编解码 the socket.io v5 protocol over Engine.IO v4, as much as a map client needs: k6 speaks plain
// WebSocket, so the live scenario frames socket.io packets itself. Pure text in, text out; loadtests/k6/k6.test.ts
// drives it against the hub's real socket.io server (over Engine.IO's HTTP long-polling, which frames packets the
// same way).
//
// Engine.IO packet: one digit type (0 open, 1 close, 2 ping, 3 pong, 4 message, 5 upgrade, 6 noop) + data.
// socket.io packet (inside an Engine.IO message): one digit type (0 CONNECT, 1 DISCONNECT, 2 EVENT, 3 ACK,
// 4 CONNECT_ERROR), then `/nsp,` unless the namespace is `/`, then an ack id (digits), then JSON.

/** The answer to an Engine.IO ping (the server pings; a client that does not answer is dropped). */
export const PONG = '3';

/** @param {string} nsp */
const nspPart = (nsp) => (nsp === '/' ? '' : `${nsp},`);

/**
 * CONNECT to a namespace, optionally with an auth payload.
 * @param {string} nsp
 * @param {unknown} [auth]
 */
export function encodeConnect(nsp, auth) {
  return `40${nspPart(nsp)}${auth === undefined ? '' : JSON.stringify(auth)}`;
}

/**
 * An EVENT `name` with `data`; with `ackId`, the server answers with an ACK of that id.
 * @param {string} nsp
 * @param {string} name
 * @param {unknown} data
 * @param {number} [ackId]
 */
export function encodeEvent(nsp, name, data, ackId) {
  return `42${nspPart(nsp)}${ackId === undefined ? '' : ackId}${JSON.stringify([name, data])}`;
}

/**
 * @typedef {{ kind: 'open', data: { sid: string, pingInterval: number, pingTimeout: number } }
 *   | { kind: 'ping' } | { kind: 'pong' } | { kind: 'close' } | { kind: 'noop' }
 *   | { kind: 'connect', nsp: string, data: unknown }
 *   | { kind: 'disconnect', nsp: string }
 *   | { kind: 'event', nsp: string, name: string, args: unknown[], id?: number }
 *   | { kind: 'ack', nsp: string, id: number, args: unknown[] }
 *   | { kind: 'connect_error', nsp: string, data: unknown }
 *   | { kind: 'unknown', raw: string }} Packet
 */

/**
 * One Engine.IO packet (a WebSocket frame's text, or one record of a long-polling body).
 * @param {string} text
 * @returns {Packet}
 */
export function decodePacket(text) {
  switch (text[0]) {
    case '0':
      return { kind: 'open', data: JSON.parse(text.slice(1)) };
    case '1':
      return { kind: 'close' };
    case '2':
      return { kind: 'ping' };
    case '3':
      return { kind: 'pong' };
    case '6':
      return { kind: 'noop' };
    case '4':
      return decodeSocketPacket(text.slice(1));
    default:
      return { kind: 'unknown', raw: text };
  }
}

/**
 * @param {string} s  the socket.io packet (after the Engine.IO "4")
 * @returns {Packet}
 */
function decodeSocketPacket(s) {
  const type = s[0];
  let i = 1;
  let nsp = '/';
  if (s[i] === '/') {
    const comma = s.indexOf(',', i);
    const end = comma === -1 ? s.length : comma;
    nsp = s.slice(i, end);
    i = comma === -1 ? s.length : comma + 1;
  }
  let idText = '';
  for (let c = s[i]; c !== undefined && c >= '0' && c <= '9'; c = s[++i]) idText += c;
  const json = s.slice(i);
  /** @type {unknown} */
  const data = json ? JSON.parse(json) : undefined;
  const id = idText ? Number(idText) : undefined;
  switch (type) {
    case '0':
      return { kind: 'connect', nsp, data };
    case '1':
      return { kind: 'disconnect', nsp };
    case '2': {
      const [name, ...args] = Array.isArray(data) ? data : [];
      return { kind: 'event', nsp, name: String(name), args, ...(id !== undefined ? { id } : {}) };
    }
    case '3':
      return { kind: 'ack', nsp, id: id ?? -1, args: Array.isArray(data) ? data : [] };
    case '4':
      return { kind: 'connect_error', nsp, data };
    default:
      return { kind: 'unknown', raw: `4${s}` };
  }
}

/**
 * The records of an Engine.IO long-polling body (separated by the record separator, U+001E).
 * @param {string} body
 */
export function splitPollingBody(body) {
  return body.split('\x1e').filter((r) => r.length > 0);
}
