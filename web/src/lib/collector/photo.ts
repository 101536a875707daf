// 现场照片 the photo a collector takes: a phone camera's picture (several MB) is scaled down to at most 1600 px on its
// long side and stored as JPEG before it is queued — enough to judge a manhole cover, small enough to send over a
// weak mobile connection and to keep a day's reports on the phone.

const MAX_SIDE_PX = 1600;
const QUALITY = 0.85;
/** The types the hub's media API accepts (it checks the bytes, not the name). */
const ACCEPTED = ['image/jpeg', 'image/png', 'image/webp'];

/** The photo as it will be uploaded; rejects with a message for the collector when the file is no usable image. */
export async function preparePhoto(file: File): Promise<Blob> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    // A format this browser cannot draw: send it as it is if the hub takes it.
    if (ACCEPTED.includes(file.type)) return file;
    throw new Error(`unsupported image type ${file.type || '(unknown)'}`);
  }
  try {
    const scale = Math.min(1, MAX_SIDE_PX / Math.max(bitmap.width, bitmap.height));
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext('2d');
    if (!context) return file;
    context.drawImage(bitmap, 0, 0, width, height);
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', QUALITY));
    return blob ?? file;
  } finally {
    bitmap.close();
  }
}
