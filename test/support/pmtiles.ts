// Test basemaps: single-colour PNG tiles, and a PMTiles v3 archive of them written the way the spec lays it out
// (https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md: header, root directory, metadata, tile data;
// nothing compressed), so the hub serves a real file and the browser's `pmtiles` reader decodes it.
import { deflateSync, crc32 } from 'node:zlib';
import { zxyToTileId } from 'pmtiles';

/** A 256×256 PNG of one colour. */
export function solidPng([r, g, b]: [number, number, number], size = 256): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour RGB
  const row = Buffer.alloc(1 + size * 3); // filter byte 0, then the pixels
  for (let x = 0; x < size; x++) row.set([r, g, b], 1 + x * 3);
  const raw = Buffer.concat(Array.from({ length: size }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Tile x, y of a WGS-84 point at zoom z (Web Mercator). */
export function tileOf(lon: number, lat: number, z: number): [number, number] {
  const n = 2 ** z;
  const x = Math.floor(((lon + 180) / 360) * n);
  const rad = (lat * Math.PI) / 180;
  const y = Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n);
  return [x, y];
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

export interface RasterArchiveOptions {
  bounds: [west: number, south: number, east: number, north: number];
  minZoom: number;
  maxZoom: number;
  /** The PNG for a tile. */
  tile(z: number, x: number, y: number): Buffer;
}

/** A raster PMTiles v3 archive covering `bounds` from minZoom to maxZoom. */
export function rasterPmtiles(options: RasterArchiveOptions): Buffer {
  const [west, south, east, north] = options.bounds;
  const tiles: { id: number; data: Buffer }[] = [];
  for (let z = options.minZoom; z <= options.maxZoom; z++) {
    const [x0, y0] = tileOf(west, north, z);
    const [x1, y1] = tileOf(east, south, z);
    for (let x = x0; x <= x1; x++) {
      for (let y = y0; y <= y1; y++) tiles.push({ id: zxyToTileId(z, x, y), data: options.tile(z, x, y) });
    }
  }
  tiles.sort((a, b) => a.id - b.id);
  let offset = 0;
  const entries = tiles.map((t) => {
    const e = { id: t.id, offset, length: t.data.length };
    offset += t.data.length;
    return e;
  });
  const dir: number[] = [...varint(entries.length)];
  let lastId = 0;
  for (const e of entries) {
    dir.push(...varint(e.id - lastId));
    lastId = e.id;
  }
  for (const _ of entries) dir.push(...varint(1)); // run lengths
  for (const e of entries) dir.push(...varint(e.length));
  entries.forEach((e, i) => {
    const prev = entries[i - 1];
    dir.push(...varint(prev && e.offset === prev.offset + prev.length ? 0 : e.offset + 1));
  });
  const directory = Buffer.from(dir);
  const metadata = Buffer.from(JSON.stringify({ name: 'cityhub test basemap', format: 'png' }));
  const tileData = Buffer.concat(tiles.map((t) => t.data));

  const header = Buffer.alloc(127);
  header.write('PMTiles', 0, 'latin1');
  header[7] = 3;
  const u64 = (at: number, n: number) => header.writeBigUInt64LE(BigInt(n), at);
  const rootOffset = 127;
  const metadataOffset = rootOffset + directory.length;
  const dataOffset = metadataOffset + metadata.length;
  u64(8, rootOffset);
  u64(16, directory.length);
  u64(24, metadataOffset);
  u64(32, metadata.length);
  u64(40, dataOffset); // no leaf directories
  u64(48, 0);
  u64(56, dataOffset);
  u64(64, tileData.length);
  u64(72, tiles.length);
  u64(80, tiles.length);
  u64(88, tiles.length);
  header[96] = 1; // clustered
  header[97] = 1; // internal compression: none
  header[98] = 1; // tile compression: none
  header[99] = 2; // png
  header[100] = options.minZoom;
  header[101] = options.maxZoom;
  const e7 = (at: number, deg: number) => header.writeInt32LE(Math.round(deg * 1e7), at);
  e7(102, west);
  e7(106, south);
  e7(110, east);
  e7(114, north);
  header[118] = options.minZoom;
  e7(119, (west + east) / 2);
  e7(123, (south + north) / 2);
  return Buffer.concat([header, directory, metadata, tileData]);
}
