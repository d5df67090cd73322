/**
 * Creates the `outbox` table in the current search_path: include it in a
 * service's migration (which runs with `set local search_path to "<schema>"`).
 * `payload` is the structured-mode CloudEvent. Kept apart from the relay so
 * the migrator does not carry the NATS client.
 */
export const outboxTableSql = `
  -- CloudEvents committed with their data, until the relay has them on JetStream.
  create table outbox (
    seq bigint generated always as identity primary key,
    event_id text not null unique,
    type text not null,
    payload jsonb not null,
    created_at timestamptz not null default now(),
    attempts int not null default 0,
    last_error text
  );
`;
