import { describe, expect, it } from 'vitest';
import { base64ImageDimensions, imageDimensions, imageTokens } from './images.js';

describe('imageDimensions', () => {
  it('reads PNG, GIF, JPEG and WebP headers', () => {
    const png = Buffer.alloc(24);
    Buffer.from([0x89, 0x50, 0x4e, 0x47]).copy(png);
    png.writeUInt32BE(640, 16);
    png.writeUInt32BE(480, 20);
    expect(imageDimensions(png)).toEqual({ width: 640, height: 480 });

    const gif = Buffer.alloc(10);
    gif.write('GIF89a', 0, 'latin1');
    gif.writeUInt16LE(320, 6);
    gif.writeUInt16LE(200, 8);
    expect(imageDimensions(gif)).toEqual({ width: 320, height: 200 });

    // SOI, APP0 (len 16), SOF0 with height 300, width 400
    const jpeg = Buffer.from([
      0xff,
      0xd8,
      0xff,
      0xe0,
      0x00,
      0x10,
      ...new Array(14).fill(0),
      0xff,
      0xc0,
      0x00,
      0x11,
      0x08,
      0x01,
      0x2c,
      0x01,
      0x90,
      0x03,
      0,
      0,
      0,
      0,
    ]);
    expect(imageDimensions(jpeg)).toEqual({ width: 400, height: 300 });
    expect(base64ImageDimensions(jpeg.toString('base64'))).toEqual({ width: 400, height: 300 });

    const webp = Buffer.alloc(30);
    webp.write('RIFF', 0, 'latin1');
    webp.write('WEBP', 8, 'latin1');
    webp.write('VP8X', 12, 'latin1');
    webp.writeUIntLE(799, 24, 3);
    webp.writeUIntLE(599, 27, 3);
    expect(imageDimensions(webp)).toEqual({ width: 800, height: 600 });

    expect(imageDimensions(Buffer.from('not an image'))).toBeUndefined();
  });

  it('costs width × height / 750 after downscaling', () => {
    expect(imageTokens(200, 200)).toBe(54);
    expect(imageTokens(1000, 1000)).toBe(1334);
    // Large images are capped around 1.15 MP → ~1,534 tokens.
    expect(imageTokens(4000, 3000)).toBeLessThanOrEqual(1534);
    expect(imageTokens(4000, 3000)).toBeGreaterThan(1500);
  });
});
