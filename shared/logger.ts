/**
 * Structured JSON logs (pino, as Fastify uses), labelled with the Knative
 * service and revision. Fields that could carry secrets are redacted.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

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
  'secret',
];

/** `destination`: where the lines go; default standard output. */
export function createLogger(options: { service: string; revision: string; level: string; destination?: DestinationStream }): Logger {
  const settings = {
    level: options.level,
    base: { service: options.service, revision: options.revision },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: redactPaths, censor: '[redacted]' },
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}
