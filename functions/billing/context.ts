/**
 * What Billing's functions share in one process: the service over one pool,
 * with Usage and Identity reached over gRPC. Its events reach JetStream
 * through the outbox, relayed by the always-on delivery process.
 */
import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { UsageService as UsageRpc, WindowSize } from '../../proto/gen/polaris/usage/v1/usage.js';
import { Decimal } from '../../shared/decimal.js';
import { defineServiceContext } from '../../shared/runtime/index.js';
import type { Period } from '../../shared/periods.js';
import {
  BillingService,
  BillingStore,
  CrossingStore,
  Entitlements,
  EntitlementStore,
  UsageAlerts,
  UsageAlertStore,
  type PropertyFilter,
  type UsageReader,
} from './domain/index.js';
import type { GrpcClients } from '../../shared/grpc/index.js';

/** Period values from Usage's GetUsageSummary RPC (one PERIOD window), each an exact decimal. */
function usageOverGrpc(clients: GrpcClients): UsageReader {
  const summary = async (orgId: string, metric: string, where: readonly PropertyFilter[], period: Period) => {
    const [from, to] = [nextQuarterHour(period.start), nextQuarterHour(period.end)];
    if (from >= to) return []; // no quarter hour starts in it
    const { aggregates } = await clients.call(UsageRpc.getUsageSummary, {
      organizationId: orgId,
      metric,
      from: from.toISOString(),
      to: to.toISOString(),
      windowSize: WindowSize.WINDOW_SIZE_PERIOD,
      timeZone: '',
      groupBy: [],
      where: where.map(({ key, values }) => ({ key, values })),
    });
    return aggregates.map(({ metric, total }) => ({ metric, total: Decimal.of(total) }));
  };
  return {
    periodValues: (orgId, period) => summary(orgId, '', [], period),
    // Usage's refusal of a filter its meter cannot apply arrives as its ValidationError.
    filteredValue: async (orgId, metric, where, period) => (await summary(orgId, metric, where, period))[0]?.total ?? Decimal.zero,
  };
}

const quarterHourMs = 15 * 60 * 1000;

/**
 * Usage answers windows on quarter hours (its finest buckets). A period given
 * between them starts at the next, as v1 counted only the days starting in it.
 */
function nextQuarterHour(at: Date): Date {
  return new Date(Math.ceil(at.getTime() / quarterHourMs) * quarterHourMs);
}

export const billingContext = defineServiceContext({
  service: 'billing',
  create(runtime) {
    const sql = runtime.database();
    const store = new BillingStore(sql);
    const usage = usageOverGrpc(runtime.clients);
    const requireOrganization = async (organizationId: string) => {
      await runtime.clients.call(IdentityService.getOrganization, { organizationId });
    };
    const crossings = new CrossingStore(sql);
    const alerts = new UsageAlerts(new UsageAlertStore(sql), crossings, { billing: store, usage, requireOrganization });
    const entitlements = new Entitlements(new EntitlementStore(sql), crossings, { billing: store, usage, requireOrganization });
    const billing = new BillingService(store, {
      usage,
      requireOrganization,
      logger: runtime.logger,
      graceHours: runtime.config.invoiceGraceHours,
      watchers: [alerts, entitlements],
    });
    return { billing, alerts, entitlements };
  },
  ready: ({ billing }) => billing.ready(),
});
