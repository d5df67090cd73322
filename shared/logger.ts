/**
 * Structured JSON logs (pino, as Fastify uses), labelled with the Knative
 * service and revision. Fields that could carry secrets are redacted.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths pino replaces with "[redacted]" wherever they appear in a log line. */
const redactPaths = [
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'headers["x-api-key"]',
  'headers.authorization',
  'apiKey',
  'api_key',
  'token',
  'password',
  'databaseUrl',
];

export function createLogger(options: { service: string; revision: string; level: string }): Logger {
  return pino({
    level: options.level,
    base: { service: options.service, revision: options.revision },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: redactPaths, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  });
}
