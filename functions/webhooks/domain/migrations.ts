import type { SchemaMigrations } from '../../../shared/database.js';
import { outboxEventCountSql, outboxNotifySql, outboxTableSql } from '../../../shared/events/index.js';

/** Webhooks' schema. Forward-only: add a migration, never edit an applied one. */
export const webhooksMigrations: SchemaMigrations = {
  schema: 'webhooks',
  migrations: [
    {
      id: '0001_endpoints_messages_attempts',
      sql: `
        -- Where events go. org_id null: the operator's endpoint, every organization's events.
        create table endpoints (
          id uuid primary key,
          org_id uuid,
          url text not null,
          -- Exact types or the patterns dev.polaris.invoice.* and dev.polaris.usage.threshold.*.
          event_types text[] not null,
          description text not null default '',
          enabled boolean not null default true,
          -- The signing secret, AES-256-GCM under POLARIS_WEBHOOK_SECRET_KEY, bound to the endpoint's id.
          secret_sealed text not null,
          -- After a rotation the previous secret signs too, until previous_secret_until.
          previous_secret_sealed text,
          previous_secret_until timestamptz,
          -- The first failure since the last success; null while deliveries succeed.
          failing_since timestamptz,
          disabled_at timestamptz,
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now()
        );
        create index endpoints_org on endpoints (org_id);

        -- One event for one endpoint: its id is the webhook-id of every attempt.
        create table messages (
          id text primary key,
          endpoint_id uuid not null references endpoints (id) on delete cascade,
          event_id text not null,
          event_type text not null,
          -- The body sent, as signed: the CloudEvent in structured JSON.
          payload text not null,
          status text not null check (status in ('pending', 'delivered', 'failed')),
          -- Attempts made by the schedule (the first try and retries), which pick the next delay.
          attempts int not null default 0,
          -- When a pending message is tried next; while an attempt runs, when its lease ends.
          next_attempt_at timestamptz,
          created_at timestamptz not null default now(),
          delivered_at timestamptz,
          -- An event redelivered to the fan-out makes no second message.
          unique (endpoint_id, event_id)
        );
        create index messages_due on messages (next_attempt_at) where status = 'pending';
        create index messages_endpoint on messages (endpoint_id, created_at desc);

        create table attempts (
          id bigint generated always as identity primary key,
          message_id text not null references messages (id) on delete cascade,
          attempted_at timestamptz not null,
          status_code int,
          error text,
          latency_ms int not null,
          -- At most 256 bytes of the receiver's answer.
          response_excerpt text not null default '',
          trigger text not null check (trigger in ('event', 'retry', 'manual'))
        );
        create index attempts_message on attempts (message_id, id);

        ${outboxTableSql}
        ${outboxNotifySql}
      `,
    },
    {
      // How many events each outbox row holds, as a column (see outboxEventCountSql).
      id: '0002_outbox_event_count',
      sql: outboxEventCountSql,
    },
  ],
};
