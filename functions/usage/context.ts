/**
 * What Usage's functions share in one process: the service over one pool, the
 * outbox relay that publishes its events to JetStream, and the API-key cache.
 */
import { startOutboxRelay } from '../../shared/events/index.js';
import { ApiKeyAuthenticator } from '../../shared/grpc/api-key-authenticator.js';
import { rateLimiterFrom } from '../../shared/rate-limiter.js';
import { defineServiceContext } from '../../shared/runtime/function.js';
import { UsageService, UsageStore } from './domain/index.js';

export const usageContext = defineServiceContext({
  service: 'usage',
  create(runtime) {
    const { config } = runtime;
    const relay = startOutboxRelay(runtime, 'usage');
    const usage = new UsageService(new UsageStore(runtime.database()), {
      maxEventAgeDays: config.maxEventAgeDays,
      maxConcurrentWrites: Math.max(1, config.databasePoolSize - 2),
      metrics: runtime.metrics,
      onCommitted: () => relay.nudge(),
    });
    const authenticator = new ApiKeyAuthenticator(runtime.clients, {
      ttlSeconds: config.apiKeyCacheSeconds,
      negativeTtlSeconds: config.apiKeyNegativeCacheSeconds,
    });
    return { usage, authenticator, rateLimiter: rateLimiterFrom(config) };
  },
  ready: ({ usage }) => usage.ready(),
});
