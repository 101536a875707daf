// 视频监控 the contract of the video path (Frigate's discipline: sample → motion gate → detect → track → zones → events):
// what each stage takes and gives. Pure types; the stages live one per file beside this one, the detector in models/.
import type { CandidateDraft } from '../rules/types.js';

/** One sampled frame: packed RGB, 3 bytes per pixel, row-major. */
export interface Frame {
  cameraId: string;
  /** Capture time, UTC epoch ms. */
  timeMs: number;
  width: number;
  height: number;
  rgb: Uint8Array;
}

/** A box in pixels of the frame it was found in. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One object the detector saw (COCO classes: person, car, truck, bus, motorcycle, bicycle, …). */
export interface Detection {
  className: string;
  score: number;
  box: Box;
}

/** Detects objects in a frame; implemented by models/ (TensorFlow.js), in a worker pool. */
export interface Detector {
  detect(frame: Frame): Promise<Detection[]>;
  close(): Promise<void>;
}

/** A polygon in normalised image coordinates (0–1, x right, y down): independent of the stream's resolution. */
export type ImagePolygon = Array<[x: number, y: number]>;

/** What a zone watches for, and so which candidate it makes. */
export type VideoZoneKind =
  /** 禁停: a vehicle standing in the zone longer than `maxStationaryS`. */
  | 'noParking'
  /** 人群聚集: more than `maxPersons` people in the zone for `minDurationS`. */
  | 'crowd'
  /** 限时禁入: a vehicle or person (per `classes`) in the zone during the local `hours`. */
  | 'restricted';

export interface VideoZone {
  id: string;
  name: string;
  kind: VideoZoneKind;
  polygon: ImagePolygon;
  /** The class of the candidate it makes, `event:0406` style. */
  classRef: string;
  standardId?: number | null;
  /** COCO class names that count (default: vehicles for noParking/restricted, person for crowd). */
  classes?: string[];
  maxStationaryS?: number;
  maxPersons?: number;
  minDurationS?: number;
  /** Local windows when `restricted` applies, e.g. [{ from: '22:00', to: '06:00' }]. */
  hours?: Array<{ from: string; to: string }>;
  /** Minimum detector score for objects in this zone (default 0.4). */
  minScore?: number;
}

/** What the pipeline needs to know of a camera. */
export interface CameraSpec {
  id: string;
  name: string;
  /** Where the camera stands (WGS-84): the candidate's place. */
  lon: number;
  lat: number;
  sampleIntervalMs: number;
  zones: VideoZone[];
}

/** An object followed across samples (IoU association). */
export interface Track {
  id: string;
  cameraId: string;
  className: string;
  box: Box;
  score: number;
  firstSeenMs: number;
  lastSeenMs: number;
  /** Where the box centre was when first seen, to tell standing from moving. */
  firstBox: Box;
  hits: number;
}

/** A stored detection row (the `detections` hypertable). */
export interface DetectionRecord {
  cameraId: string;
  timeMs: number;
  className: string;
  score: number;
  box: Box;
  zoneId: string | null;
  trackId: string | null;
}

/** A video rule's output: a candidate draft plus the frame that proves it (drawn into a JPEG snapshot). */
export interface VideoDraft {
  draft: CandidateDraft;
  frame: Frame;
  /** Boxes to draw on the snapshot, with labels. */
  boxes: Array<{ box: Box; label: string }>;
}
