// 媒体文件 where photos and snapshots live on disk: `DATA_DIR/media/YYYY/MM/<id>.<ext>`, each written durably (to a
// temporary name, fsynced, then renamed into place), so a crash never leaves a half file under a media id.
import { mkdir, open, rename } from 'node:fs/promises';
import path from 'node:path';

/** The path of a media file relative to the media folder: year and month (UTC) of `at`. */
export function mediaRelativePath(id: string, ext: string, at: Date): string {
  return path.join(String(at.getUTCFullYear()), String(at.getUTCMonth() + 1).padStart(2, '0'), `${id}.${ext}`);
}

/** Writes the file durably under a temporary name, then renames it into place. */
export async function writeDurably(file: string, data: Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.part`;
  const handle = await open(temp, 'w', 0o640);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
}
