// 取证快照 evidence snapshots: a camera's JPEG with the boxes drawn, stored as media like a photo a handheld uploads
// (a file under the media directory and a row in `media`, here naming the camera), so a candidate's evidence and the
// report it becomes show it through the same /api/media/:id.
import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import type pg from 'pg';
import { mediaRelativePath, writeDurably } from '../storage/media-files.js';

export interface StoredSnapshot {
  id: string;
  bytes: number;
  sha256: string;
}

export class SnapshotStore {
  constructor(
    private readonly pool: pg.Pool,
    /** The media directory (DATA_DIR/media), the same one the media routes read. */
    private readonly mediaDir: string,
  ) {}

  /** Stores a JPEG taken at `atMs` by the camera; the file is durable before the row points at it. */
  async store(cameraId: string, jpeg: Uint8Array, atMs: number): Promise<StoredSnapshot> {
    const body = Buffer.from(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength);
    if (!(body.length > 3 && body[0] === 0xff && body[1] === 0xd8 && body[2] === 0xff)) {
      throw new Error(`the snapshot of camera ${cameraId} is not a JPEG`);
    }
    const id = randomUUID();
    const at = new Date(atMs);
    // The same layout as uploaded photos: year/month of the moment it shows.
    const relative = mediaRelativePath(id, 'jpg', at);
    const sha256 = createHash('sha256').update(body).digest('hex');
    await writeDurably(path.join(this.mediaDir, relative), body);
    await this.pool.query(
      `INSERT INTO media (id, camera_id, content_type, bytes, sha256, path, created_at)
       VALUES ($1, $2, 'image/jpeg', $3, $4, $5, $6)`,
      [id, cameraId, body.length, sha256, relative, at],
    );
    return { id, bytes: body.length, sha256 };
  }
}
