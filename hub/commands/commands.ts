// 下行指令 downlink commands: an operator asks a device to do something (report faster, send its position now,
// reboot); the command is recorded, delivered as soon as the device is listening, and its answer tracked. The same
// service serves every transport (MQTT now, JT/T 808 next), through the CommandTransport each one provides.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';

/** The commands a device can be sent, with their parameters' JSON schemas (also the API documentation). */
export const COMMAND_KINDS = {
  set_report_interval: {
    description: 'Change how often the device reports its position.',
    params: {
      type: 'object',
      required: ['intervalS'],
      additionalProperties: false,
      properties: { intervalS: { type: 'integer', minimum: 1, maximum: 3600 } },
    },
  },
  request_position: {
    description: 'Report the current position now.',
    params: { type: 'object', additionalProperties: false, properties: {} },
  },
  reboot: {
    description: 'Restart the device.',
    params: { type: 'object', additionalProperties: false, properties: {} },
  },
} as const;
export type CommandKind = keyof typeof COMMAND_KINDS;

export type CommandStatus = 'pending' | 'sent' | 'ok' | 'failed' | 'unsupported' | 'expired';

export interface Command {
  id: string;
  deviceId: string;
  kind: CommandKind;
  params: Record<string, unknown>;
  status: CommandStatus;
  createdAt: string;
  expiresAt: string;
  sentAt: string | null;
  ackedAt: string | null;
  ackMessage: string | null;
  ackResult: Record<string, unknown> | null;
}

/** What the device receives. */
export interface CommandMessage {
  commandId: string;
  kind: CommandKind;
  params: Record<string, unknown>;
  expiresAt: string;
}

export interface CommandTransport {
  /** Hands the command to the device's connection; false when the device is not listening now. */
  deliver(deviceId: string, message: CommandMessage): Promise<boolean>;
}

interface Row {
  id: string;
  device_id: string;
  kind: CommandKind;
  params: Record<string, unknown>;
  status: CommandStatus;
  created_at: Date;
  expires_at: Date;
  sent_at: Date | null;
  acked_at: Date | null;
  ack_message: string | null;
  ack_result: Record<string, unknown> | null;
}

// Expiry is derived when read, so no timer has to sweep the table.
const SELECT = `SELECT id, device_id, kind, params,
  CASE WHEN status IN ('pending', 'sent') AND expires_at < now() THEN 'expired' ELSE status END AS status,
  created_at, expires_at, sent_at, acked_at, ack_message, ack_result FROM device_commands`;

const toCommand = (r: Row): Command => ({
  id: r.id,
  deviceId: r.device_id,
  kind: r.kind,
  params: r.params,
  status: r.status,
  createdAt: r.created_at.toISOString(),
  expiresAt: r.expires_at.toISOString(),
  sentAt: r.sent_at?.toISOString() ?? null,
  ackedAt: r.acked_at?.toISOString() ?? null,
  ackMessage: r.ack_message,
  ackResult: r.ack_result,
});

const message = (c: Command): CommandMessage => ({
  commandId: c.id,
  kind: c.kind,
  params: c.params,
  expiresAt: c.expiresAt,
});

export class CommandService {
  constructor(
    private readonly pool: pg.Pool,
    private readonly transport: CommandTransport,
  ) {}

  /** Records the command and delivers it now if the device is listening (else when it next subscribes). */
  async create(deviceId: string, kind: CommandKind, params: Record<string, unknown>, ttlS: number): Promise<Command> {
    const { rows } = await this.pool.query<Row>(
      `INSERT INTO device_commands (id, device_id, kind, params, expires_at)
       VALUES ($1, $2, $3, $4, now() + $5::interval)
       RETURNING id, device_id, kind, params, status, created_at, expires_at, sent_at, acked_at, ack_message, ack_result`,
      [randomUUID(), deviceId, kind, JSON.stringify(params), `${ttlS} seconds`],
    );
    const command = toCommand(rows[0]!);
    return (await this.deliver(command)) ?? command;
  }

  async get(deviceId: string, id: string): Promise<Command | null> {
    const { rows } = await this.pool.query<Row>(`${SELECT} WHERE device_id = $1 AND id = $2`, [deviceId, id]);
    return rows[0] ? toCommand(rows[0]) : null;
  }

  async list(deviceId: string, limit: number): Promise<Command[]> {
    const { rows } = await this.pool.query<Row>(`${SELECT} WHERE device_id = $1 ORDER BY created_at DESC LIMIT $2`, [
      deviceId,
      limit,
    ]);
    return rows.map(toCommand);
  }

  /** A device started listening for commands: send what is still waiting for it, oldest first. */
  async deliverPending(deviceId: string): Promise<void> {
    const { rows } = await this.pool.query<Row>(
      `${SELECT} WHERE device_id = $1 AND status IN ('pending', 'sent') AND expires_at > now() ORDER BY created_at`,
      [deviceId],
    );
    for (const row of rows) await this.deliver(toCommand(row));
  }

  private async deliver(command: Command): Promise<Command | null> {
    if (!(await this.transport.deliver(command.deviceId, message(command)))) return null;
    const { rows } = await this.pool.query<Row>(
      `UPDATE device_commands SET status = 'sent', sent_at = now() WHERE id = $1 AND status IN ('pending', 'sent')
       RETURNING id, device_id, kind, params, status, created_at, expires_at, sent_at, acked_at, ack_message, ack_result`,
      [command.id],
    );
    return rows[0] ? toCommand(rows[0]) : null;
  }
}
