/**
 * What Usage's functions share in one process: the service over one pool, the
 * outbox relay that publishes its events to JetStream, and the API-key cache.
 */
import { natsConnection, OutboxRelay } from '../../shared/events/index.js';
import { ApiKeyAuthenticator } from '../../shared/grpc/api-key-authenticator.js';
import { rateLimiterFrom } from '../../shared/rate-limiter.js';
import { defineServiceContext } from '../../shared/runtime/function.js';
import { UsageService, UsageStore } from './domain/index.js';

export const usageContext = defineServiceContext({
  service: 'usage',
  create(runtime) {
    const { config } = runtime;
    const sql = runtime.database();
    // Connect now, so shutdown stops the relay before it closes the connection.
    void natsConnection(runtime);
    const relay = new OutboxRelay({
      sql,
      schema: 'usage',
      nats: () => natsConnection(runtime),
      stream: { stream: config.natsStream, subjectPrefix: config.natsSubjectPrefix },
      logger: runtime.logger,
      metrics: runtime.metrics,
    });
    relay.start();
    runtime.onShutdown(() => relay.stop());
    const usage = new UsageService(new UsageStore(sql), {
      maxEventAgeDays: config.maxEventAgeDays,
      maxConcurrentWrites: Math.max(1, config.databasePoolSize - 2),
      metrics: runtime.metrics,
      onCommitted: () => relay.nudge(),
    });
    const authenticator = new ApiKeyAuthenticator(runtime.clients, {
      ttlSeconds: config.apiKeyCacheSeconds,
      negativeTtlSeconds: config.apiKeyNegativeCacheSeconds,
    });
    return { usage, authenticator, relay, rateLimiter: rateLimiterFrom(config) };
  },
  ready: ({ usage }) => usage.ready(),
});
