import pino from 'pino';

/**
 * Structured JSON logs. Anything that looks like a credential is redacted by
 * path, so a logged config or request never leaks a key.
 */
export function createLogger(options: { level?: string; name?: string } = {}) {
  return pino({
    name: options.name ?? 'baton-worker',
    level: options.level ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        'apiKey',
        '*.apiKey',
        'ANTHROPIC_API_KEY',
        '*.ANTHROPIC_API_KEY',
        'headers["x-api-key"]',
        '*.headers["x-api-key"]',
        'headers.authorization',
        '*.headers.authorization',
        'databaseUrl',
        '*.databaseUrl',
        'password',
        '*.password',
      ],
      censor: '[redacted]',
    },
  });
}

export type Logger = ReturnType<typeof createLogger>;
