// CONNECT handling (设备接入鉴权): username = device id, password = its credential; internal services log in as
// `svc:{name}`. Refusals are counted and logged with the client address, and each address that keeps failing waits
// longer before it may try again (counted in this process, or in Redis for all hub processes: auth-throttle.ts). MQTT 3.1.1 and 5 alike: we answer with a 3.1.1 return code and aedes sends an MQTT 5
// client the reason code it maps it to (reason-codes.ts lists both).
import type { AuthenticateError, Client } from 'aedes';
import type { Logger } from 'pino';
import type { Principal } from './acl.js';
import type { LoginBackoff } from './auth-throttle.js';
import { CONNACK_CODES } from './reason-codes.js';

export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: 'bad_credentials' | 'disabled' };

export type AuthFailure = 'bad_credentials' | 'disabled' | 'throttled' | 'client_id_mismatch' | 'no_username' | 'error';

export interface ConnectDeps {
  authenticate(username: string, password: string): Promise<AuthResult>;
  throttle: LoginBackoff;
  log: Logger;
  now: () => number;
  principals: WeakMap<Client, Principal>;
  onFailure?(reason: AuthFailure, address: string): void;
}

export const SERVICE_PREFIX = 'svc:';

function refusal(reason: AuthFailure, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode: CONNACK_CODES[reason].returnCode }) as AuthenticateError;
}

export function remoteAddress(client: Client): string {
  const conn = client.conn as { remoteAddress?: string };
  return conn.remoteAddress ?? 'unknown';
}

export function makeAuthenticate(deps: ConnectDeps) {
  return (
    client: Client,
    username: Readonly<string | undefined>,
    password: Readonly<Buffer | undefined>,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): void => {
    const address = remoteAddress(client);
    const refuse = (reason: AuthFailure, message: string) => {
      deps.onFailure?.(reason, address);
      // Counted without waiting for it (a shared count in Redis answers later; it logs its own trouble).
      if (reason !== 'throttled') void deps.throttle.failure(address, deps.now());
      deps.log.warn({ clientId: client.id, username, address, reason }, 'MQTT connection refused');
      done(refusal(reason, message), false);
    };
    const verify = (username: string) =>
      deps.authenticate(username, password?.toString('utf8') ?? '').then(
        (result) => {
          if (!result.ok) {
            return result.reason === 'disabled'
              ? refuse('disabled', 'device is disabled')
              : refuse('bad_credentials', 'bad username or password');
          }
          const p = result.principal;
          // Session take-over protection: aedes disconnects an existing client when another connects with its client
          // id, so a device may only use its own id, and services only ids of their own namespace.
          const idOk = p.type === 'device' ? client.id === p.id : client.id.startsWith(`${SERVICE_PREFIX}${p.name}`);
          if (!idOk) {
            return refuse(
              'client_id_mismatch',
              p.type === 'device'
                ? `client id must equal the device id "${p.id}"`
                : `client id must start with "${SERVICE_PREFIX}${p.name}"`,
            );
          }
          void deps.throttle.success(address);
          deps.principals.set(client, p);
          done(null, true);
        },
        (err: unknown) => {
          deps.log.error({ err, clientId: client.id, address }, 'authentication failed with an error');
          deps.onFailure?.('error', address);
          done(refusal('error', 'server unavailable'), false);
        },
      );
    const check = (waitMs: number) => {
      if (waitMs > 0) return refuse('throttled', `too many failed logins; retry in ${Math.ceil(waitMs / 1000)} s`);
      if (!username) return refuse('no_username', 'username (the device id) is required');
      void verify(username);
    };
    // In memory: answered at once, as a number. Shared in Redis: a promise that never rejects (it fails open).
    const waitMs = deps.throttle.retryAfterMs(address, deps.now());
    if (typeof waitMs === 'number') check(waitMs);
    else void waitMs.then(check);
  };
}
