// JT/T 808 终端注册与鉴权 terminal registration and authentication: a terminal registers with its phone number (the
// device must be registered with `attributes.jt808Phone`), gets an auth code, and logs in with it on every connection.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type pg from 'pg';
import type { RegisterRefusal, RegistrationInfo } from '../../ingest/jt808/gateway.js';

const digest = (code: string) => createHash('sha256').update(code).digest('hex');

export interface TerminalDevice {
  deviceId: string;
  kind: string;
}

export interface TerminalRegistryOptions {
  /**
   * Register unknown terminals as new vehicle devices (`jt808-<phone>`) instead of refusing them — for a fleet being
   * rolled out; off by default so only devices an operator registered can report.
   */
  autoProvision: boolean;
}

export class TerminalRegistry {
  constructor(
    private readonly pool: pg.Pool,
    private readonly options: TerminalRegistryOptions = { autoProvision: false },
  ) {}

  /** 0x0100: a known (or, when enabled, auto-provisioned) enabled device gets a fresh auth code; else refused. */
  async register(
    phone: string,
    info: RegistrationInfo,
  ): Promise<{ ok: true; authCode: string; device: TerminalDevice } | { ok: false; result: RegisterRefusal }> {
    const { rows } = await this.pool.query<{ id: string; kind: string; enabled: boolean }>(
      `SELECT id, kind, enabled FROM devices WHERE attributes ->> 'jt808Phone' = $1`,
      [phone],
    );
    let device = rows[0];
    if (!device && this.options.autoProvision) device = await this.provision(phone, info);
    if (!device || !device.enabled) return { ok: false, result: 'no_terminal' };
    // Printable ASCII: terminals store it as a string and send it back in 0x0102.
    const authCode = randomBytes(12).toString('hex');
    await this.pool.query(
      `INSERT INTO jt808_terminals (phone, device_id, auth_code_sha256, plate, terminal_id, maker, model)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (phone) DO UPDATE SET device_id = excluded.device_id, auth_code_sha256 = excluded.auth_code_sha256,
         plate = excluded.plate, terminal_id = excluded.terminal_id, maker = excluded.maker, model = excluded.model,
         registered_at = now()`,
      [
        phone,
        device.id,
        digest(authCode),
        info.plate ?? null,
        info.terminalId ?? null,
        info.maker ?? null,
        info.model ?? null,
      ],
    );
    return { ok: true, authCode, device: { deviceId: device.id, kind: device.kind } };
  }

  private async provision(
    phone: string,
    info: RegistrationInfo,
  ): Promise<{ id: string; kind: string; enabled: boolean } | undefined> {
    // No credential: such a device reports over JT/T 808 only. The hash is of random bytes nobody keeps, so an MQTT
    // login with this id can never succeed until an operator rotates the credential.
    const unusable = `unusable$${randomBytes(32).toString('hex')}`;
    const { rows } = await this.pool.query<{ id: string; kind: string; enabled: boolean }>(
      `INSERT INTO devices (id, kind, name, plate, attributes, credential_hash)
       VALUES ($1, 'vehicle', $2, $3, jsonb_build_object('jt808Phone', $4::text, 'autoProvisioned', true), $5)
       ON CONFLICT DO NOTHING
       RETURNING id, kind, enabled`,
      [
        `jt808-${phone}`,
        info.plate ? `车载终端 ${info.plate}` : `车载终端 ${phone}`,
        info.plate ?? null,
        phone,
        unusable,
      ],
    );
    return rows[0];
  }

  /** 0x0102: the device a terminal files its data under, when its auth code is right and the device enabled. */
  async authenticate(phone: string, authCode: string): Promise<TerminalDevice | null> {
    const { rows } = await this.pool.query<{ device_id: string; kind: string; auth_code_sha256: string }>(
      `SELECT t.device_id, d.kind, t.auth_code_sha256 FROM jt808_terminals t JOIN devices d ON d.id = t.device_id
       WHERE t.phone = $1 AND d.enabled AND d.attributes ->> 'jt808Phone' = t.phone`,
      [phone],
    );
    const row = rows[0];
    if (!row) return null;
    const ok = timingSafeEqual(Buffer.from(row.auth_code_sha256, 'hex'), Buffer.from(digest(authCode), 'hex'));
    return ok ? { deviceId: row.device_id, kind: row.kind } : null;
  }
}
