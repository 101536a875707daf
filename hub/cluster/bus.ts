// 集群消息总线 the hub processes' own messages to one another over Redis pub/sub: a device arrived here, a cache
// changed, deliver this command. JSON on `cityhub:{channel}` channels, each message stamped with its sender; a process
// does not hear its own messages.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface BusMessage {
  /** The sending process (its instance id). */
  from: string;
  [key: string]: unknown;
}

export class ClusterBus {
  private readonly handlers = new Map<string, ((message: BusMessage) => void)[]>();

  constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    readonly instanceId: string,
    private readonly log: Logger,
  ) {
    sub.on('message', (channel: string, raw: string) => {
      let message: BusMessage;
      try {
        message = JSON.parse(raw) as BusMessage;
      } catch {
        this.log.warn({ channel }, 'cluster message that is not JSON ignored');
        return;
      }
      if (message.from === this.instanceId) return;
      for (const handler of this.handlers.get(channel) ?? []) {
        try {
          handler(message);
        } catch (err) {
          this.log.error({ err, channel }, 'a cluster message handler failed');
        }
      }
    });
  }

  /** Sends to every other process listening on the channel; resolves to how many processes received it. */
  publish(channel: string, body: Record<string, unknown>): Promise<number> {
    return this.pub.publish(`cityhub:${channel}`, JSON.stringify({ ...body, from: this.instanceId }));
  }

  /** Listens on a channel (resolves once Redis has confirmed the subscription). */
  async on(channel: string, handler: (message: BusMessage) => void): Promise<void> {
    const key = `cityhub:${channel}`;
    const list = this.handlers.get(key);
    if (list) {
      list.push(handler);
      return;
    }
    this.handlers.set(key, [handler]);
    await this.sub.subscribe(key);
  }
}
