/**
 * What Usage's functions share in one process: the service over one pool, and
 * the API-key and organization caches. Its events reach JetStream through the
 * outbox, relayed by the always-on delivery process.
 */
import { ApiKeyAuthenticator, OrganizationResolver } from '../../shared/grpc/index.js';
import { organizationRateLimiterFrom } from '../../shared/rate-limits/index.js';
import { defineServiceContext } from '../../shared/runtime/index.js';
import { AggregationStore, concurrentWrites, EventPartitionStore, MeterStore, SummaryStore, UsageService, UsageStore } from './domain/index.js';

export const usageContext = defineServiceContext({
  service: 'usage',
  create(runtime) {
    const { config } = runtime;
    const sql = runtime.database();
    const stores = {
      events: new UsageStore(sql),
      aggregation: new AggregationStore(sql),
      summary: new SummaryStore(sql),
      meters: new MeterStore(sql),
      partitions: new EventPartitionStore(sql),
    };
    const usage = new UsageService(stores, {
      maxEventAgeDays: config.maxEventAgeDays,
      retentionMonths: config.usageRetentionMonths,
      propertyLimits: { maxKeys: config.maxEventProperties, maxValueLength: config.maxPropertyLength },
      maxGroupsPerDay: config.maxGroupsPerDay,
      meterCacheSeconds: config.meterCacheSeconds,
      maxConcurrentWrites: concurrentWrites(config.databasePoolSize),
      metrics: runtime.metrics,
    });
    const authenticator = new ApiKeyAuthenticator(runtime.clients, {
      ttlSeconds: config.apiKeyCacheSeconds,
      negativeTtlSeconds: config.apiKeyNegativeCacheSeconds,
    });
    // The organizations a service key's events name, cached as keys are.
    const organizations = new OrganizationResolver(runtime.clients, {
      ttlSeconds: config.apiKeyCacheSeconds,
      negativeTtlSeconds: config.apiKeyNegativeCacheSeconds,
    });
    const rateLimiter = organizationRateLimiterFrom(config, () => sql, { logger: runtime.logger, metrics: runtime.metrics });
    return { usage, authenticator, organizations, rateLimiter, logger: runtime.logger };
  },
  ready: ({ usage }) => usage.ready(),
});
