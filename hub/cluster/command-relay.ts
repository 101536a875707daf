// 指令转发 commands for a device connected to another hub process: the process where the command was posted asks the
// device's process (DeviceOwnership) over Redis to hand it to the device's connection, and waits for its answer. The
// command is recorded in the database first, so whichever way it goes its status and the device's acknowledgement
// (stored by the device's own process) are tracked there; a command nobody could deliver stays pending and goes out
// when the device next subscribes, wherever that is.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { CommandMessage, CommandTransport } from '../commands/commands.js';
import type { ClusterBus } from './bus.js';
import type { DeviceOwnership } from './ownership.js';

const ANSWER_WITHIN_MS = 5000;

export class CommandRelay implements CommandTransport {
  private readonly waiting = new Map<string, (delivered: boolean) => void>();

  constructor(
    private readonly bus: ClusterBus,
    private readonly ownership: DeviceOwnership,
    private readonly local: CommandTransport,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const me = this.bus.instanceId;
    await this.bus.on(`commands:${me}`, (m) => {
      const message = m.message as CommandMessage;
      const deviceId = String(m.deviceId);
      this.local.deliver(deviceId, message).then(
        (delivered) => void this.answer(m.from, String(m.requestId), delivered),
        (err: unknown) => {
          this.log.warn({ err, deviceId, commandId: message.commandId }, 'relayed command not delivered');
          void this.answer(m.from, String(m.requestId), false);
        },
      );
    });
    await this.bus.on(`command-answers:${me}`, (m) => {
      const settle = this.waiting.get(String(m.requestId));
      this.waiting.delete(String(m.requestId));
      settle?.(m.delivered === true);
    });
  }

  /** Here if the device is connected here; else through the process it is connected to. */
  async deliver(deviceId: string, message: CommandMessage): Promise<boolean> {
    if (await this.local.deliver(deviceId, message)) return true;
    const owner = this.ownership.ownerOf(deviceId);
    if (!owner || owner === this.bus.instanceId) return false;
    const requestId = randomUUID();
    const answer = new Promise<boolean>((resolve) => {
      this.waiting.set(requestId, resolve);
      setTimeout(() => {
        if (this.waiting.delete(requestId)) resolve(false);
      }, ANSWER_WITHIN_MS).unref();
    });
    // Nobody listening: that process is gone; the command waits for the device to come back.
    const receivers = await this.bus.publish(`commands:${owner}`, { requestId, deviceId, message });
    if (receivers === 0) {
      this.waiting.delete(requestId);
      return false;
    }
    return answer;
  }

  private async answer(to: string, requestId: string, delivered: boolean): Promise<void> {
    await this.bus.publish(`command-answers:${to}`, { requestId, delivered }).catch((err: Error) => {
      this.log.warn({ err: err.message, to }, 'relayed command answer not sent');
    });
  }
}
