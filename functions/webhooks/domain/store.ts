/** Webhooks' SQL. Only this file touches the `webhooks` schema. */
import type { CloudEvent } from 'cloudevents';
import type { TransactionSql } from 'postgres';
import type { Sql } from '../../../shared/database.js';
import { enqueueEvents } from '../../../shared/events/index.js';
import { MessageStatus, type Scope } from './inputs.js';

type Queryable = Sql | TransactionSql;

/** An endpoint as its owners see it: never its secret. */
export interface Endpoint {
  id: string;
  /** Null: the operator's, for every organization's events. */
  orgId: string | null;
  url: string;
  eventTypes: string[];
  description: string;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
  failingSince: Date | null;
  disabledAt: Date | null;
}

/** What a delivery needs of its endpoint: where, and the sealed secrets to sign with. */
export interface DeliveryTarget {
  endpointId: string;
  orgId: string | null;
  url: string;
  secretSealed: string;
  previousSecretSealed: string | null;
  previousSecretUntil: Date | null;
}

/** A message about to be attempted. */
export interface PendingDelivery {
  messageId: string;
  eventId: string;
  payload: string;
  status: MessageStatus;
  /** Attempts the schedule made so far. */
  attempts: number;
  target: DeliveryTarget;
}

export interface Attempt {
  attemptedAt: Date;
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
  responseExcerpt: string;
  trigger: AttemptTrigger;
}

export type AttemptTrigger = 'event' | 'retry' | 'manual';

export interface Message {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  status: MessageStatus;
  payload: string;
  createdAt: Date;
  deliveredAt: Date | null;
  nextAttemptAt: Date | null;
  attempts: Attempt[];
}

/** A new message for one endpoint. */
export interface NewMessage {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  payload: string;
}

/** The endpoint as the health update left it. */
export interface EndpointHealth {
  id: string;
  orgId: string | null;
  url: string;
  enabled: boolean;
  failingSince: Date | null;
}

const endpointColumns = 'id, org_id, url, event_types, description, enabled, created_at, updated_at, failing_since, disabled_at';
const targetColumns = 'e.id as endpoint_id, e.org_id, e.url, e.secret_sealed, e.previous_secret_sealed, e.previous_secret_until';
const messageColumns = 'id, endpoint_id, event_id, event_type, status, payload, created_at, delivered_at, next_attempt_at';

type DeliveryRow = DeliveryTarget & { messageId: string; eventId: string; payload: string; status: MessageStatus; attempts: number };

const toDelivery = (row: DeliveryRow): PendingDelivery => ({
  messageId: row.messageId,
  eventId: row.eventId,
  payload: row.payload,
  status: row.status,
  attempts: row.attempts,
  target: {
    endpointId: row.endpointId,
    orgId: row.orgId,
    url: row.url,
    secretSealed: row.secretSealed,
    previousSecretSealed: row.previousSecretSealed,
    previousSecretUntil: row.previousSecretUntil,
  },
});

export class WebhookStore {
  constructor(private readonly sql: Sql) {}

  transaction<T>(work: (tx: TransactionSql) => Promise<T>): Promise<T> {
    return this.sql.begin(work) as Promise<T>;
  }

  async ping(): Promise<void> {
    await this.sql`select 1`;
  }

  async insertEndpoint(endpoint: { id: string; orgId: string | null; url: string; eventTypes: string[]; description: string; secretSealed: string; now: Date }): Promise<Endpoint> {
    const [row] = await this.sql<Endpoint[]>`
      insert into webhooks.endpoints (id, org_id, url, event_types, description, secret_sealed, created_at, updated_at)
      values (${endpoint.id}, ${endpoint.orgId}, ${endpoint.url}, ${endpoint.eventTypes}::text[], ${endpoint.description}, ${endpoint.secretSealed}, ${endpoint.now}, ${endpoint.now})
      returning ${this.sql.unsafe(endpointColumns)}`;
    return row!;
  }

  /** Every endpoint, or one organization's (not the operator's own: those belong to no organization). */
  async listEndpoints(scope: Scope): Promise<Endpoint[]> {
    return this.sql<Endpoint[]>`
      select ${this.sql.unsafe(endpointColumns)} from webhooks.endpoints
      where ${scope === undefined ? this.sql`true` : this.sql`org_id = ${scope}`}
      order by created_at, id`;
  }

  async findEndpoint(id: string, scope: Scope): Promise<Endpoint | undefined> {
    const [row] = await this.sql<Endpoint[]>`
      select ${this.sql.unsafe(endpointColumns)} from webhooks.endpoints where id = ${id} and ${inScope(this.sql, scope)}`;
    return row;
  }

  /**
   * Changes the fields given. A new URL, or enabling the endpoint, starts its
   * health afresh: it is no longer failing, and no longer disabled.
   */
  async updateEndpoint(
    id: string,
    scope: Scope,
    changes: { url?: string; eventTypes?: string[]; enabled?: boolean; description?: string },
    now: Date,
  ): Promise<Endpoint | undefined> {
    const fresh = changes.url !== undefined || changes.enabled === true;
    const [row] = await this.sql<Endpoint[]>`
      update webhooks.endpoints set
        url = coalesce(${changes.url ?? null}, url),
        event_types = coalesce(${changes.eventTypes ?? null}::text[], event_types),
        enabled = coalesce(${changes.enabled ?? null}::boolean, enabled),
        description = coalesce(${changes.description ?? null}, description),
        failing_since = case when ${fresh} then null else failing_since end,
        disabled_at = case when ${fresh} then null else disabled_at end,
        updated_at = ${now}
      where id = ${id} and ${inScope(this.sql, scope)}
      returning ${this.sql.unsafe(endpointColumns)}`;
    return row;
  }

  /** A new secret; the current one becomes the previous, signing beside it until `previousUntil`. */
  async rotateSecret(id: string, scope: Scope, secretSealed: (endpointId: string) => string, previousUntil: Date, now: Date): Promise<Endpoint | undefined> {
    const [row] = await this.sql<Endpoint[]>`
      update webhooks.endpoints set
        previous_secret_sealed = secret_sealed,
        previous_secret_until = ${previousUntil},
        secret_sealed = ${secretSealed(id)},
        updated_at = ${now}
      where id = ${id} and ${inScope(this.sql, scope)}
      returning ${this.sql.unsafe(endpointColumns)}`;
    return row;
  }

  async deleteEndpoint(id: string, scope: Scope): Promise<boolean> {
    const result = await this.sql`delete from webhooks.endpoints where id = ${id} and ${inScope(this.sql, scope)}`;
    return result.count > 0;
  }

  /**
   * Enabled endpoints of the organization (and the operator's) subscribed to
   * any of `subscriptions`, each saying whether it has a message of the event
   * already (an event delivered to the fan-out twice).
   */
  async matchingTargets(orgId: string | null, subscriptions: readonly string[], eventId: string): Promise<(DeliveryTarget & { seen: boolean })[]> {
    return this.sql<(DeliveryTarget & { seen: boolean })[]>`
      select ${this.sql.unsafe(targetColumns)},
        exists (select 1 from webhooks.messages m where m.endpoint_id = e.id and m.event_id = ${eventId}) as seen
      from webhooks.endpoints e
      where e.enabled
        and (e.org_id is null ${orgId === null ? this.sql`` : this.sql`or e.org_id = ${orgId}`})
        and e.event_types && ${subscriptions as string[]}::text[]`;
  }

  /**
   * Inserts the messages as pending, due at `dueAt`. A message for an
   * endpoint and event that exists is skipped.
   */
  async insertPendingMessages(messages: readonly NewMessage[], dueAt: Date, now: Date): Promise<void> {
    if (messages.length === 0) return;
    await this.sql`
      insert into webhooks.messages (id, endpoint_id, event_id, event_type, payload, status, next_attempt_at, created_at)
      select m.id, m.endpoint_id, m.event_id, m.event_type, m.payload, 'pending', ${dueAt}, ${now}
      from unnest(${messages.map((m) => m.id)}::text[], ${messages.map((m) => m.endpointId)}::uuid[], ${messages.map((m) => m.eventId)}::text[],
                  ${messages.map((m) => m.eventType)}::text[], ${messages.map((m) => m.payload)}::text[])
        as m (id, endpoint_id, event_id, event_type, payload)
      on conflict (endpoint_id, event_id) do nothing`;
  }

  /**
   * A new message after its first attempt, with that attempt, in one
   * statement: delivered (the endpoint then succeeds), or pending until
   * `nextAttemptAt`, or failed when there is none. Skipped, attempt and
   * all, when the endpoint has a message of the event already.
   */
  async insertAttemptedMessage(message: NewMessage, attempt: Attempt, nextAttemptAt: Date | undefined, now: Date, sql: Queryable = this.sql): Promise<void> {
    const delivered = attempt.error === null;
    const status = delivered ? 'delivered' : nextAttemptAt ? 'pending' : 'failed';
    await sql`
      with message as (
        insert into webhooks.messages (id, endpoint_id, event_id, event_type, payload, status, attempts, next_attempt_at, created_at, delivered_at)
        values (${message.id}, ${message.endpointId}, ${message.eventId}, ${message.eventType}, ${message.payload}, ${status}, 1,
                ${nextAttemptAt ?? null}, ${now}, ${delivered ? now : null})
        on conflict (endpoint_id, event_id) do nothing
        returning id
      ), attempt as (
        insert into webhooks.attempts (message_id, attempted_at, status_code, error, latency_ms, response_excerpt, trigger)
        select id, ${attempt.attemptedAt}, ${attempt.statusCode}, ${attempt.error}, ${attempt.latencyMs}, ${attempt.responseExcerpt}, ${attempt.trigger} from message
      )
      update webhooks.endpoints set failing_since = null
      where ${delivered} and id = ${message.endpointId} and failing_since is not null and exists (select 1 from message)`;
  }

  /** A stored message delivered by `attempt`, in one statement: the attempt, the message, the endpoint's health. */
  async recordDelivered(messageId: string, endpointId: string, attempt: Attempt, countsAsScheduled: boolean, now: Date): Promise<void> {
    await this.sql`
      with attempt as (
        insert into webhooks.attempts (message_id, attempted_at, status_code, error, latency_ms, response_excerpt, trigger)
        values (${messageId}, ${attempt.attemptedAt}, ${attempt.statusCode}, ${attempt.error}, ${attempt.latencyMs}, ${attempt.responseExcerpt}, ${attempt.trigger})
      ), message as (
        update webhooks.messages set status = 'delivered', delivered_at = coalesce(delivered_at, ${now}), next_attempt_at = null,
          attempts = attempts + ${countsAsScheduled ? 1 : 0}
        where id = ${messageId}
      )
      update webhooks.endpoints set failing_since = null where id = ${endpointId} and failing_since is not null`;
  }

  /**
   * Takes up to `limit` pending messages whose next attempt is due, of enabled
   * endpoints, and leases them until `leaseUntil`: concurrent runs skip the
   * rows one holds, and a run that dies leaves them due again when the lease ends.
   */
  async claimDue(now: Date, leaseUntil: Date, limit: number): Promise<PendingDelivery[]> {
    const rows = await this.sql<DeliveryRow[]>`
      with due as (
        select m.id from webhooks.messages m
        join webhooks.endpoints e on e.id = m.endpoint_id
        where m.status = 'pending' and m.next_attempt_at <= ${now} and e.enabled
        order by m.next_attempt_at
        limit ${limit}
        for update of m skip locked
      )
      update webhooks.messages m set next_attempt_at = ${leaseUntil}
      from due, webhooks.endpoints e
      where m.id = due.id and e.id = m.endpoint_id
      returning m.id as message_id, m.event_id, m.payload, m.status, m.attempts, ${this.sql.unsafe(targetColumns)}`;
    return rows.map(toDelivery);
  }

  /** Pending messages given back unattempted, to be taken again at `at`. */
  async postpone(messageIds: readonly string[], at: Date): Promise<void> {
    if (messageIds.length === 0) return;
    await this.sql`update webhooks.messages set next_attempt_at = ${at} where id = any(${messageIds as string[]}::text[]) and status = 'pending'`;
  }

  /** A message with its endpoint's delivery target, for a manual redelivery. */
  async findDelivery(messageId: string, scope: Scope): Promise<PendingDelivery | undefined> {
    const [row] = await this.sql<DeliveryRow[]>`
      select m.id as message_id, m.event_id, m.payload, m.status, m.attempts, ${this.sql.unsafe(targetColumns)}
      from webhooks.messages m join webhooks.endpoints e on e.id = m.endpoint_id
      where m.id = ${messageId} and ${inScope(this.sql, scope, 'e.org_id')}`;
    return row && toDelivery(row);
  }

  async insertAttempt(tx: Queryable, messageId: string, attempt: Attempt): Promise<void> {
    await tx`
      insert into webhooks.attempts (message_id, attempted_at, status_code, error, latency_ms, response_excerpt, trigger)
      values (${messageId}, ${attempt.attemptedAt}, ${attempt.statusCode}, ${attempt.error}, ${attempt.latencyMs}, ${attempt.responseExcerpt}, ${attempt.trigger})`;
  }

  /** A scheduled attempt failed: the next is due at `nextAttemptAt`, or the message has failed when there is none. */
  async markAttemptFailed(tx: Queryable, messageId: string, nextAttemptAt: Date | undefined): Promise<void> {
    await tx`
      update webhooks.messages set attempts = attempts + 1,
        status = ${nextAttemptAt ? 'pending' : 'failed'}, next_attempt_at = ${nextAttemptAt ?? null}
      where id = ${messageId} and status = 'pending'`;
  }

  /** Notes a failure: the endpoint is failing since now unless it already was. */
  async endpointFailed(tx: Queryable, endpointId: string, now: Date): Promise<EndpointHealth | undefined> {
    const [row] = await tx<EndpointHealth[]>`
      update webhooks.endpoints set failing_since = coalesce(failing_since, ${now}) where id = ${endpointId}
      returning id, org_id, url, enabled, failing_since`;
    return row;
  }

  /**
   * Disables an endpoint that failed too long, fails its pending messages,
   * and writes `event` to the outbox, all in the caller's transaction. False
   * when it was disabled already (another attempt got there first).
   */
  async disableEndpoint(tx: TransactionSql, endpointId: string, now: Date, event: CloudEvent<unknown>): Promise<boolean> {
    const disabled = await tx`update webhooks.endpoints set enabled = false, disabled_at = ${now}, updated_at = ${now} where id = ${endpointId} and enabled`;
    if (disabled.count === 0) return false;
    await tx`update webhooks.messages set status = 'failed', next_attempt_at = null where endpoint_id = ${endpointId} and status = 'pending'`;
    await enqueueEvents(tx, 'webhooks', [event]);
    return true;
  }

  /** An endpoint's messages, newest first, each with its attempts. */
  async listMessages(endpointId: string, status: MessageStatus | undefined, limit: number): Promise<Message[]> {
    const messages = await this.sql<Omit<Message, 'attempts'>[]>`
      select ${this.sql.unsafe(messageColumns)} from webhooks.messages
      where endpoint_id = ${endpointId} ${status ? this.sql`and status = ${status}` : this.sql``}
      order by created_at desc, id desc
      limit ${limit}`;
    return this.withAttempts(messages);
  }

  async findMessage(messageId: string): Promise<Message | undefined> {
    const [message] = await this.sql<Omit<Message, 'attempts'>[]>`select ${this.sql.unsafe(messageColumns)} from webhooks.messages where id = ${messageId}`;
    return message && (await this.withAttempts([message]))[0];
  }

  private async withAttempts(messages: Omit<Message, 'attempts'>[]): Promise<Message[]> {
    if (messages.length === 0) return [];
    const attempts = await this.sql<(Attempt & { messageId: string })[]>`
      select message_id, attempted_at, status_code, error, latency_ms, response_excerpt, trigger from webhooks.attempts
      where message_id = any(${messages.map((m) => m.id)}::text[])
      order by id`;
    const byMessage = new Map<string, Attempt[]>();
    for (const { messageId, ...attempt } of attempts) byMessage.set(messageId, [...(byMessage.get(messageId) ?? []), attempt]);
    return messages.map((message) => ({ ...message, attempts: byMessage.get(message.id) ?? [] }));
  }
}

/** An object of the scope's organization; any for the operator's (undefined) scope. */
function inScope(sql: Queryable, scope: Scope, column = 'org_id') {
  return scope === undefined ? sql`true` : sql`${sql(column)} = ${scope}`;
}

export { MessageStatus };
