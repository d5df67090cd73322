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
import { BillingService, BillingStore, type PropertyFilter, type UsageReader } from './domain/index.js';
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
    const billing = new BillingService(new BillingStore(runtime.database()), {
      usage: usageOverGrpc(runtime.clients),
      requireOrganization: async (organizationId) => {
        await runtime.clients.call(IdentityService.getOrganization, { organizationId });
      },
      logger: runtime.logger,
      graceHours: runtime.config.invoiceGraceHours,
    });
    return { billing };
  },
  ready: ({ billing }) => billing.ready(),
});
