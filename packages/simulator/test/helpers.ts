import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'vitest';
import { type RunningSimulator, type SimulatorOptions, startSimulator } from '../src/index.js';

export const KEY = 'sk-sim-test';

export async function sim(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  return startSimulator({ port: 0, ...options });
}

export function client(
  s: RunningSimulator,
  opts: Partial<ConstructorParameters<typeof Anthropic>[0]> = {},
): Anthropic {
  return new Anthropic({ baseURL: s.url, apiKey: KEY, maxRetries: 0, ...opts });
}

/** A raw request with the headers the SDK would send. */
export async function raw(
  s: RunningSimulator,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string; json: () => unknown }> {
  const res = await fetch(`${s.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      'content-type': 'application/json',
      'x-api-key': KEY,
      'anthropic-version': '2023-06-01',
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}

/** Parses an SSE body into events. */
export function parseSse(text: string): { event: string; data: Record<string, unknown> }[] {
  return text
    .split('\n\n')
    .filter((b) => b.trim().length > 0)
    .map((b) => {
      const lines = b.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? '';
      const data = JSON.parse(lines.find((l) => l.startsWith('data: '))?.slice(6) ?? 'null');
      return { event, data };
    });
}

/** Asserts the Anthropic error body shape. */
export function expectError(body: unknown, type: string, message?: RegExp): void {
  expect(body).toEqual({
    type: 'error',
    error: { type, message: expect.any(String) },
    request_id: expect.stringMatching(/^req_/),
  });
  if (message) expect((body as { error: { message: string } }).error.message).toMatch(message);
}
