import type { ImageBlockParam } from '@anthropic-ai/sdk/resources/messages';
import type { Metadata } from 'sharp';
import { InvalidRequestError } from './errors.js';
import { loadSharp } from './optional-deps.js';

export type ImageMediaType = 'image/jpeg' | 'image/png' | 'image/gif' | 'image/webp';

export interface ImageInput {
  /** Raw bytes, or base64 (a `data:` URL works too). */
  data: Uint8Array | string;
  /** The claimed media type; checked against the bytes. */
  mediaType?: string;
}

export interface ImageOptions {
  /** Images with a longer edge are downscaled to it. Default 1568 (Anthropic's recommendation). */
  maxLongEdge?: number;
  /** Images beyond this many pixels on an edge are rejected outright. Default 8000 (the API's maximum). */
  maxDimension?: number;
  /** Largest encoded image sent. Default 5 MB (the API's limit per image). */
  maxBytes?: number;
  /** Largest input accepted for processing. Default 50 MB. */
  maxInputBytes?: number;
}

const FORMATS: Record<string, ImageMediaType> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
};

export class ImageRejectedError extends InvalidRequestError {
  constructor(message: string) {
    super(`image rejected: ${message}`);
    this.name = 'ImageRejectedError';
  }
}

function toBuffer(data: Uint8Array | string): { buf: Buffer; claimed: string | undefined } {
  if (typeof data !== 'string') return { buf: Buffer.from(data), claimed: undefined };
  const m = /^data:([^;,]+);base64,/.exec(data);
  const b64 = m ? data.slice(m[0].length) : data;
  if (!/^[A-Za-z0-9+/=\s]*$/.test(b64))
    throw new ImageRejectedError('the data is not valid base64');
  return { buf: Buffer.from(b64, 'base64'), claimed: m?.[1] };
}

export interface PreparedImage {
  block: ImageBlockParam;
  width: number;
  height: number;
  bytes: number;
  /** True when the image was resized or re-encoded. */
  transformed: boolean;
}

/**
 * Validates an image (media type, size, dimensions) and brings it within the API's limits:
 * downscales to `maxLongEdge`, re-encodes (JPEG, decreasing quality) when it is over `maxBytes`,
 * rejects what cannot be sent with an ImageRejectedError that says why.
 */
export async function processImage(
  input: ImageInput,
  options: ImageOptions = {},
): Promise<PreparedImage> {
  const maxLongEdge = options.maxLongEdge ?? 1568;
  const maxDimension = options.maxDimension ?? 8000;
  const maxBytes = options.maxBytes ?? 5 * 1024 * 1024;
  const maxInput = options.maxInputBytes ?? 50 * 1024 * 1024;
  const { buf, claimed: fromUrl } = toBuffer(input.data);
  const claimed = input.mediaType ?? fromUrl;
  if (buf.length === 0) throw new ImageRejectedError('the image is empty');
  if (buf.length > maxInput)
    throw new ImageRejectedError(`${buf.length} bytes is over the ${maxInput}-byte input limit`);
  const sharp = await loadSharp();
  let meta: Metadata;
  try {
    meta = await sharp(buf, { limitInputPixels: maxDimension * maxDimension }).metadata();
  } catch (e) {
    throw new ImageRejectedError(`the data is not a readable image (${(e as Error).message})`);
  }
  const format = meta.format ? FORMATS[meta.format] : undefined;
  if (!format)
    throw new ImageRejectedError(
      `format "${meta.format ?? 'unknown'}" is not supported (use JPEG, PNG, GIF or WebP)`,
    );
  if (claimed !== undefined && claimed !== format)
    throw new ImageRejectedError(`the media type says ${claimed} but the data is ${format}`);
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width <= 0 || height <= 0) throw new ImageRejectedError('the image has no dimensions');
  if (width > maxDimension || height > maxDimension)
    throw new ImageRejectedError(
      `${width}×${height} px exceeds the ${maxDimension} px maximum per edge`,
    );
  const longEdge = Math.max(width, height);
  if (longEdge <= maxLongEdge && buf.length <= maxBytes) {
    return {
      block: {
        type: 'image',
        source: { type: 'base64', media_type: format, data: buf.toString('base64') },
      },
      width,
      height,
      bytes: buf.length,
      transformed: false,
    };
  }
  const pipeline = () =>
    sharp(buf, { limitInputPixels: maxDimension * maxDimension, animated: false })
      .rotate()
      .resize({ width: maxLongEdge, height: maxLongEdge, fit: 'inside', withoutEnlargement: true });
  let out: Buffer;
  let media: ImageMediaType;
  // Keep the format when resizing is enough; otherwise JPEG at decreasing quality.
  const keep = format === 'image/png' ? 'png' : format === 'image/webp' ? 'webp' : 'jpeg';
  out =
    keep === 'png'
      ? await pipeline().png().toBuffer()
      : keep === 'webp'
        ? await pipeline().webp().toBuffer()
        : await pipeline().jpeg({ quality: 90 }).toBuffer();
  media = keep === 'png' ? 'image/png' : keep === 'webp' ? 'image/webp' : 'image/jpeg';
  for (const quality of [85, 70, 55, 40]) {
    if (out.length <= maxBytes) break;
    out = await pipeline().flatten({ background: '#ffffff' }).jpeg({ quality }).toBuffer();
    media = 'image/jpeg';
  }
  if (out.length > maxBytes)
    throw new ImageRejectedError(
      `still ${out.length} bytes after downscaling and re-encoding (limit ${maxBytes})`,
    );
  const m2 = await sharp(out).metadata();
  return {
    block: {
      type: 'image',
      source: { type: 'base64', media_type: media, data: out.toString('base64') },
    },
    width: m2.width ?? 0,
    height: m2.height ?? 0,
    bytes: out.length,
    transformed: true,
  };
}

/** The API content block of an image (see `processImage`). */
export async function prepareImage(
  input: ImageInput,
  options?: ImageOptions,
): Promise<ImageBlockParam> {
  return (await processImage(input, options)).block;
}
