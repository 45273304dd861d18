import { randomBytes } from 'node:crypto';
import type { RunningSimulator } from '@baton/simulator';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiBackend } from './api-backend.js';
import { processImage } from './images.js';
import { newSessionState } from './session.js';
import { KEY, sim } from './testing/sim.js';

const solid = (w: number, h: number) =>
  sharp({ create: { width: w, height: h, channels: 3, background: '#3366aa' } });

describe('images', () => {
  it('passes a small image through untouched', async () => {
    const png = await solid(200, 100).png().toBuffer();
    const r = await processImage({ data: png, mediaType: 'image/png' });
    expect(r).toMatchObject({ width: 200, height: 100, transformed: false });
    expect(r.block.source).toMatchObject({ type: 'base64', media_type: 'image/png' });
  });

  it('downscales a large image to a 1568 px long edge', async () => {
    const jpg = await solid(4000, 2000).jpeg().toBuffer();
    const r = await processImage({ data: jpg.toString('base64') });
    expect(r.transformed).toBe(true);
    expect(r.width).toBe(1568);
    expect(r.height).toBe(784);
  });

  it('re-encodes an image over 5 MB as JPEG', async () => {
    const noise = await sharp(randomBytes(1500 * 1500 * 3), {
      raw: { width: 1500, height: 1500, channels: 3 },
    })
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(noise.length).toBeGreaterThan(5 * 1024 * 1024);
    const r = await processImage({ data: noise });
    expect(r.block.source).toMatchObject({ media_type: 'image/jpeg' });
    expect(r.bytes).toBeLessThanOrEqual(5 * 1024 * 1024);
  });

  it('rejects what cannot be sent, saying why', async () => {
    await expect(processImage({ data: await solid(9000, 50).png().toBuffer() })).rejects.toThrow(
      /8000 px maximum/,
    );
    await expect(processImage({ data: await solid(10, 10).tiff().toBuffer() })).rejects.toThrow(
      /format "tiff" is not supported/,
    );
    await expect(
      processImage({ data: await solid(10, 10).png().toBuffer(), mediaType: 'image/jpeg' }),
    ).rejects.toThrow(/says image\/jpeg but the data is image\/png/);
    await expect(processImage({ data: Buffer.from('not an image') })).rejects.toMatchObject({
      code: 'InvalidRequest',
    });
  });

  describe('through the api backend', () => {
    let s: RunningSimulator;
    beforeAll(async () => {
      s = await sim();
    });
    afterAll(() => s.close());
    it('sends a prepared image the simulator accepts and counts', async () => {
      const api = createApiBackend({ baseURL: s.url, apiKey: KEY });
      const state = newSessionState({ conversationId: 'img', model: 'claude-haiku-4-5' });
      const big = await solid(3000, 3000).png().toBuffer();
      const r = await api.run(state, { prompt: 'Describe it.', images: [{ data: big }] }).result;
      expect(r.stopReason).toBe('end_turn');
      // 1568 × 1568 → capped at ~1.15 MP → about 1,533 tokens, plus the text.
      expect(r.inputTokens).toBeGreaterThan(1_400);
    });
  });
});
