/** Image dimensions from the first bytes of PNG, GIF, WebP and JPEG data; undefined if unknown. */
export function imageDimensions(data: Buffer): { width: number; height: number } | undefined {
  if (
    data.length >= 24 &&
    data[0] === 0x89 &&
    data[1] === 0x50 &&
    data[2] === 0x4e &&
    data[3] === 0x47
  ) {
    return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
  }
  if (data.length >= 10 && data[0] === 0x47 && data[1] === 0x49 && data[2] === 0x46) {
    return { width: data.readUInt16LE(6), height: data.readUInt16LE(8) };
  }
  if (
    data.length >= 30 &&
    data.toString('latin1', 0, 4) === 'RIFF' &&
    data.toString('latin1', 8, 12) === 'WEBP'
  ) {
    const chunk = data.toString('latin1', 12, 16);
    if (chunk === 'VP8X') {
      return { width: 1 + data.readUIntLE(24, 3), height: 1 + data.readUIntLE(27, 3) };
    }
    if (chunk === 'VP8 ') {
      return { width: data.readUInt16LE(26) & 0x3fff, height: data.readUInt16LE(28) & 0x3fff };
    }
    if (chunk === 'VP8L' && data.length >= 25) {
      const b = data.readUInt32LE(21);
      return { width: (b & 0x3fff) + 1, height: ((b >> 14) & 0x3fff) + 1 };
    }
    return undefined;
  }
  if (data.length >= 4 && data[0] === 0xff && data[1] === 0xd8) {
    let i = 2;
    while (i + 9 < data.length) {
      if (data[i] !== 0xff) return undefined;
      const marker = data[i + 1] as number;
      if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
        i += 2;
        continue;
      }
      const len = data.readUInt16BE(i + 2);
      const isSof =
        marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
      if (isSof) return { width: data.readUInt16BE(i + 7), height: data.readUInt16BE(i + 5) };
      i += 2 + len;
    }
  }
  return undefined;
}

/** Bytes needed to find dimensions in a base64 image without decoding it all (JPEG may need more). */
const HEAD_CHARS = 64;

/** Dimensions of a base64-encoded image, decoding only what is needed. */
export function base64ImageDimensions(b64: string): { width: number; height: number } | undefined {
  const head = Buffer.from(b64.slice(0, HEAD_CHARS), 'base64');
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xd8) {
    return imageDimensions(Buffer.from(b64, 'base64'));
  }
  return imageDimensions(head);
}

/**
 * Tokens an image costs, as Anthropic documents it: images are scaled to fit 1568 px on the long
 * edge and about 1.15 megapixels, then cost width × height / 750 tokens.
 */
export function imageTokens(width: number, height: number): number {
  if (width <= 0 || height <= 0) return 0;
  let w = width;
  let h = height;
  const longEdge = Math.max(w, h);
  if (longEdge > 1568) {
    const s = 1568 / longEdge;
    w *= s;
    h *= s;
  }
  const maxPixels = 1_150_000;
  if (w * h > maxPixels) {
    const s = Math.sqrt(maxPixels / (w * h));
    w *= s;
    h *= s;
  }
  return Math.max(1, Math.ceil((Math.round(w) * Math.round(h)) / 750));
}
