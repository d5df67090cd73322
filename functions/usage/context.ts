/**
 * What Usage's functions share in one process: the service over one pool, and
 * the API-key cache. Its events reach JetStream through the outbox, relayed by
 * the always-on delivery process.
 */
import { ApiKeyAuthenticator } from '../../shared/grpc/index.js';
import { rateLimiterFrom } from '../../shared/rate-limiter.js';
import { defineServiceContext } from '../../shared/runtime/index.js';
import { UsageService, UsageStore } from './domain/index.js';

export const usageContext = defineServiceContext({
  service: 'usage',
  create(runtime) {
    const { config } = runtime;
    const usage = new UsageService(new UsageStore(runtime.database()), {
      maxEventAgeDays: config.maxEventAgeDays,
      maxConcurrentWrites: Math.max(1, config.databasePoolSize - 2),
      metrics: runtime.metrics,
    });
    const authenticator = new ApiKeyAuthenticator(runtime.clients, {
      ttlSeconds: config.apiKeyCacheSeconds,
      negativeTtlSeconds: config.apiKeyNegativeCacheSeconds,
    });
    return { usage, authenticator, rateLimiter: rateLimiterFrom(config) };
  },
  ready: ({ usage }) => usage.ready(),
});
