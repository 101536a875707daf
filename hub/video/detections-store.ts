// 视频检测记录 the detections hypertable: what the camera detector saw in each frame it looked at, written in one
// multi-row insert per frame, and read back per camera over a time range (for the evidence view and the tests).
import type pg from 'pg';
import type { Box, DetectionRecord } from '../../ingest/video/types.js';

/** A stored detection with the size of the frame its box is measured in. */
export interface StoredDetection extends DetectionRecord {
  frameWidth: number | null;
  frameHeight: number | null;
}

export class DetectionStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Stores the detections of one frame (all of the same frame size); nothing when the list is empty. */
  async write(records: readonly DetectionRecord[], frame: { width: number; height: number }): Promise<number> {
    if (records.length === 0) return 0;
    const values: unknown[] = [];
    const rows: string[] = [];
    for (const r of records) {
      const row = [
        new Date(r.timeMs),
        r.cameraId,
        r.className,
        Math.min(1, Math.max(0, r.score)),
        r.box.x,
        r.box.y,
        Math.max(0, r.box.width),
        Math.max(0, r.box.height),
        frame.width,
        frame.height,
        r.zoneId,
        r.trackId,
      ];
      rows.push(`(${row.map((_, i) => `$${values.length + i + 1}`).join(', ')})`);
      values.push(...row);
    }
    await this.pool.query(
      `INSERT INTO detections (time, camera_id, class, score, box_x, box_y, box_width, box_height, frame_width,
         frame_height, zone_id, track_id) VALUES ${rows.join(', ')}`,
      values,
    );
    return records.length;
  }

  /** A camera's detections in [fromMs, toMs), oldest first. */
  async list(cameraId: string, fromMs: number, toMs: number, limit = 10_000): Promise<StoredDetection[]> {
    const { rows } = await this.pool.query<{
      time: Date;
      class: string;
      score: number;
      box_x: number;
      box_y: number;
      box_width: number;
      box_height: number;
      frame_width: number | null;
      frame_height: number | null;
      zone_id: string | null;
      track_id: string | null;
    }>(
      `SELECT time, class, score, box_x, box_y, box_width, box_height, frame_width, frame_height, zone_id, track_id
         FROM detections WHERE camera_id = $1 AND time >= $2 AND time < $3 ORDER BY time, track_id LIMIT $4`,
      [cameraId, new Date(fromMs), new Date(toMs), limit],
    );
    return rows.map((r) => {
      const box: Box = { x: r.box_x, y: r.box_y, width: r.box_width, height: r.box_height };
      return {
        cameraId,
        timeMs: r.time.getTime(),
        className: r.class,
        score: r.score,
        box,
        zoneId: r.zone_id,
        trackId: r.track_id,
        frameWidth: r.frame_width,
        frameHeight: r.frame_height,
      };
    });
  }
}
