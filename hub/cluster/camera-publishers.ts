// 视频推流归属 which hub process each publishing camera streams to: its media server's process, recorded in a Redis hash
// when the camera starts publishing and removed when it stops. The camera's online status (hub/cameras/registry.ts)
// is written by that process; when it dies without a word, the elected process finds here which cameras it held and
// marks them offline (presence.ts).
import type { Redis } from 'ioredis';

const KEY = 'cityhub:camera-publisher';

/** Removes KEYS[1]'s field ARGV[1] if it still names ARGV[2]; 1 if removed. */
const RELEASE = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0`;

export class CameraPublishers {
  constructor(
    private readonly redis: Redis,
    readonly instanceId: string,
  ) {}

  /** The camera started publishing to this process. */
  async started(cameraId: string): Promise<void> {
    await this.redis.hset(KEY, cameraId, this.instanceId);
  }

  /** The camera stopped publishing to this process (a later start elsewhere is left alone). */
  async ended(cameraId: string): Promise<void> {
    await this.release(cameraId, this.instanceId);
  }

  /** Every publishing camera and its process. */
  async all(): Promise<Map<string, string>> {
    return new Map(Object.entries(await this.redis.hgetall(KEY)));
  }

  async publisherOf(cameraId: string): Promise<string | null> {
    return this.redis.hget(KEY, cameraId);
  }

  /** Forgets that the camera publishes to `instanceId`, if it still does; true if it did. */
  async release(cameraId: string, instanceId: string): Promise<boolean> {
    return Number(await this.redis.eval(RELEASE, 1, KEY, cameraId, instanceId)) === 1;
  }
}
