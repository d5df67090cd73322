import { describe, expect, it } from 'vitest';
import { BillingService } from '../proto/gen/polaris/billing/v1/billing.js';
import { IdentityService } from '../proto/gen/polaris/identity/v1/identity.js';
import { PaymentsService } from '../proto/gen/polaris/payments/v1/payments.js';
import { UsageService } from '../proto/gen/polaris/usage/v1/usage.js';
import { WebhooksService } from '../proto/gen/polaris/webhooks/v1/webhooks.js';
import type { FunctionEntry } from '../shared/runtime/index.js';
import { functionNameForRpc } from '../shared/grpc/index.js';
import { loadFunction } from './load.js';
import { functionRegistry } from './registry.js';

const protoServices = { identity: IdentityService, usage: UsageService, billing: BillingService, payments: PaymentsService, webhooks: WebhooksService };

describe('the function registry', () => {
  it('names every function once, in kebab-case', () => {
    const names = functionRegistry.map((entry) => entry.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z][a-z0-9-]{0,62}$/);
  });

  it.each(functionRegistry.map((entry): [string, FunctionEntry] => [entry.name, entry]))('%s loads as the kind the registry says', async (_name, entry) => {
    const fn = await loadFunction(entry);
    expect(fn.kind).toBe(entry.kind);
    expect(fn.context.service).toBe(entry.service);
    if (fn.kind === 'grpc') expect(functionNameForRpc(fn.method.path)).toBe(entry.name);
    if (fn.kind === 'event') expect(entry.subscribes?.length).toBeGreaterThan(0);
  });

  it('serves every RPC of each service it hosts, each by exactly one function', async () => {
    for (const [service, definition] of Object.entries(protoServices)) {
      const entries = functionRegistry.filter((entry) => entry.service === service && entry.kind === 'grpc');
      if (entries.length === 0) continue; // a service not built yet
      const served = await Promise.all(entries.map(async (entry) => ((await loadFunction(entry)) as { method: { path: string } }).method.path));
      expect(served.sort()).toEqual(Object.values(definition).map((method) => method.path).sort());
    }
  });
});
