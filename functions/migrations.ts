/** Every service's schema migrations, in the order `npm run migrate` applies them. */
import { auditMigrations } from '../shared/audit/index.js';
import { rateLimitMigrations } from '../shared/rate-limits/index.js';
import type { SchemaMigrations } from '../shared/database.js';
import { identityMigrations } from './identity/domain/index.js';
import { usageMigrations } from './usage/domain/index.js';
import { billingMigrations } from './billing/domain/index.js';
import { paymentsMigrations } from './payments/domain/index.js';
import { webhooksMigrations } from './webhooks/domain/index.js';

export const allMigrations: readonly SchemaMigrations[] = [identityMigrations, usageMigrations, billingMigrations, paymentsMigrations, webhooksMigrations, auditMigrations, rateLimitMigrations];

/** The schemas with an `outbox` table: their events reach JetStream through the relays. */
export const outboxSchemas = ['usage', 'billing', 'webhooks'] as const;
