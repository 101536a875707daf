// 目标检测 object detector: COCO CenterNet on TensorFlow.js in the calling thread — RGB frame → model input →
// boxes in frame pixels, filtered by score, per-class NMS. The worker pool (pool.ts) runs one of these per worker.
import * as tf from '@tensorflow/tfjs';
import type { Detection, Detector, Frame } from '../ingest/video/types.js';
import { assertFrame, decodeDetections } from './decode.js';
import { loadModel, manifest, type BackendInfo, type LoadedModel, type ModelManifest } from './loader.js';

export interface DetectorOptions {
  /** Minimum score kept (default: the manifest's scoreThreshold). */
  scoreThreshold?: number;
  /** Boxes of one class overlapping more than this IoU are duplicates (default: the manifest's nmsIou). */
  nmsIou?: number;
  /** Keep only these COCO class names (default: all 80). */
  classes?: string[];
}

/** The CenterNet detector in this thread. Inference is synchronous CPU work: in the hub, use DetectorPool instead. */
export class CenterNetDetector implements Detector {
  readonly backend: BackendInfo;
  readonly loadMs: number;
  private readonly model: tf.GraphModel;
  private readonly m: ModelManifest;
  private readonly scoreThreshold: number;
  private readonly nmsIou: number;
  private readonly keep: ReadonlySet<string> | undefined;
  private closed = false;

  private constructor(loaded: LoadedModel, options: DetectorOptions) {
    this.model = loaded.model;
    this.m = loaded.manifest;
    this.backend = loaded.backend;
    this.loadMs = loaded.loadMs;
    this.scoreThreshold = options.scoreThreshold ?? loaded.manifest.scoreThreshold;
    this.nmsIou = options.nmsIou ?? loaded.manifest.nmsIou;
    const unknown = options.classes?.filter((c) => !loaded.manifest.classes.includes(c)) ?? [];
    if (unknown.length > 0) throw new RangeError(`not COCO classes of this model: ${unknown.join(', ')}`);
    this.keep = options.classes ? new Set(options.classes) : undefined;
  }

  static async create(options: DetectorOptions = {}, m: ModelManifest = manifest): Promise<CenterNetDetector> {
    return new CenterNetDetector(await loadModel(m), options);
  }

  async detect(frame: Frame): Promise<Detection[]> {
    if (this.closed) throw new Error('detector is closed');
    assertFrame(frame);
    const { width: inW, height: inH } = this.m.input;
    const output = tf.tidy(() => {
      // The graph takes float RGB in 0–255 and normalises inside; the whole frame is stretched, not letterboxed, as the
      // model was fed in @vladmandic/human, so boxes scale back per axis.
      const image = tf.tensor3d(frame.rgb, [frame.height, frame.width, 3], 'int32');
      const input = tf.image.resizeBilinear(tf.expandDims(tf.cast(image, 'float32'), 0) as tf.Tensor4D, [inH, inW]);
      return this.model.execute(input, this.m.output.name) as tf.Tensor;
    });
    try {
      const rows = await output.data();
      return decodeDetections(rows, {
        inputWidth: inW,
        inputHeight: inH,
        frameWidth: frame.width,
        frameHeight: frame.height,
        classes: this.m.classes,
        scoreThreshold: this.scoreThreshold,
        nmsIou: this.nmsIou,
        keep: this.keep,
      });
    } finally {
      output.dispose();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.model.dispose();
  }
}
