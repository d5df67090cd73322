/**
 * Webhooks' logic: endpoints with sealed signing secrets, the fan-out of an
 * event into one message per subscribed endpoint, attempts signed per the
 * Standard Webhooks specification, retries on a schedule kept in PostgreSQL,
 * and endpoints disabled when they fail for too long.
 */
import { createHash } from 'node:crypto';
import type { CloudEvent } from 'cloudevents';
import { Webhook } from 'standardwebhooks';
import { encodeCloudEvent } from '../../../shared/events/index.js';
import type { Logger } from '../../../shared/logger.js';
import { uuidv7 } from '../../../shared/uuid.js';
import { isUuid } from '../../../shared/validation.js';
import { WebhookEndpointNotFoundError, WebhookMessageNotFoundError, WebhookSecretKeyMissingError } from './errors.js';
import { endpointDisabledEvent } from './events.js';
import { subscriptionsMatching } from './event-types.js';
import {
  MessageStatus,
  type CreateEndpointInput,
  type EndpointReference,
  type ListDeliveriesInput,
  type MessageReference,
  type Scope,
  type UpdateEndpointInput,
  type UrlPolicy,
} from './inputs.js';
import { defaultRetryDelaysMs, retryDelayMs } from './retry-schedule.js';
import { AttemptError, sendWebhook, type ResolveAll, type SendResult } from './sender.js';
import { generateSigningSecret, SecretBox } from './signing-secrets.js';
import type { Attempt, AttemptTrigger, DeliveryTarget, Endpoint, Message, NewMessage, PendingDelivery, WebhookStore } from './store.js';

export interface WebhookServiceOptions {
  /** POLARIS_WEBHOOK_SECRET_KEY; without it nothing is created, rotated or sent. */
  secretKey?: string;
  allowPrivate: boolean;
  /** Milliseconds a receiver has to answer. */
  timeoutMs: number;
  /** Hours an endpoint may fail without a success before it is disabled. */
  disableAfterHours: number;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Throws Identity's NotFoundError for an organization that does not exist. */
  requireOrganization?: (organizationId: string) => Promise<void>;
  /** Delays between attempts; default {@link defaultRetryDelaysMs}. */
  retryDelaysMs?: readonly number[];
  /** Name resolution for the SSRF guard; default the system's. */
  resolve?: ResolveAll;
  now?: () => Date;
  /** Endpoints attempted at once (each endpoint's messages one at a time in a due run). Default 8. */
  concurrency?: number;
  /** Messages a due run takes at a time. Default 100. */
  batchSize?: number;
  /** Milliseconds a due run goes on taking messages. Default 45 000, within the CronJob's minute. */
  runBudgetMs?: number;
}

/** An endpoint and its signing secret, shown this once. */
export interface EndpointWithSecret {
  endpoint: Endpoint;
  secret: string;
}

/** How long a rotated-out secret goes on signing beside the new one, for receivers to switch. */
const previousSecretMs = 24 * 60 * 60 * 1000;
/** Beyond the receiver's timeout, how long an attempt holds its message before another run may take it. */
const leaseMarginMs = 30_000;
const userAgent = 'Polaris-Webhooks/1.0';

export class WebhookService {
  private readonly now: () => Date;
  private readonly retryDelaysMs: readonly number[];
  private readonly secretBox?: SecretBox;

  constructor(
    private readonly store: WebhookStore,
    private readonly options: WebhookServiceOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.retryDelaysMs = options.retryDelaysMs ?? defaultRetryDelaysMs;
    this.secretBox = options.secretKey ? new SecretBox(options.secretKey) : undefined;
  }

  ready(): Promise<void> {
    return this.store.ping();
  }

  /** What the URL validators need of the configuration. */
  get urlPolicy(): UrlPolicy {
    return { allowPrivate: this.options.allowPrivate };
  }

  async createEndpoint(input: CreateEndpointInput): Promise<EndpointWithSecret> {
    const box = this.box();
    if (input.orgId) await this.options.requireOrganization?.(input.orgId);
    const id = uuidv7();
    const secret = generateSigningSecret();
    const endpoint = await this.store.insertEndpoint({ ...input, id, secretSealed: box.seal(secret, id), now: this.now() });
    return { endpoint, secret };
  }

  listEndpoints(scope: Scope): Promise<Endpoint[]> {
    return this.store.listEndpoints(scope);
  }

  async updateEndpoint(input: UpdateEndpointInput): Promise<Endpoint> {
    const { id, scope, ...changes } = input;
    const endpoint = await this.store.updateEndpoint(id, scope, changes, this.now());
    if (!endpoint) throw new WebhookEndpointNotFoundError(id);
    return endpoint;
  }

  async rotateSecret({ id, scope }: EndpointReference): Promise<EndpointWithSecret> {
    const box = this.box();
    const secret = generateSigningSecret();
    const now = this.now();
    const endpoint = await this.store.rotateSecret(id, scope, (endpointId) => box.seal(secret, endpointId), new Date(now.getTime() + previousSecretMs), now);
    if (!endpoint) throw new WebhookEndpointNotFoundError(id);
    return { endpoint, secret };
  }

  async deleteEndpoint({ id, scope }: EndpointReference): Promise<void> {
    if (!(await this.store.deleteEndpoint(id, scope))) throw new WebhookEndpointNotFoundError(id);
  }

  async listDeliveries(input: ListDeliveriesInput): Promise<Message[]> {
    if (!(await this.store.findEndpoint(input.endpointId, input.scope))) throw new WebhookEndpointNotFoundError(input.endpointId);
    return this.store.listMessages(input.endpointId, input.status, input.limit);
  }

  /** Sends a message again now, with its webhook-id, whatever its status; the answer holds the new attempt. */
  async redeliver({ messageId, scope }: MessageReference): Promise<Message> {
    this.box();
    const delivery = await this.store.findDelivery(messageId, scope);
    if (!delivery) throw new WebhookMessageNotFoundError(messageId);
    await this.attempt(delivery, 'manual');
    return (await this.store.findMessage(messageId))!;
  }

  /**
   * One message per enabled endpoint subscribed to the event (its
   * organization's and the operator's), each tried once at once and stored
   * with that attempt: one commit per delivery. An event seen before makes
   * no new message: its messages are the retries' to deliver. A message's id,
   * its webhook-id, is derived from the endpoint and the event, so should
   * this process stop between a send and its record, the event's redelivery
   * sends it again under the same webhook-id, which receivers deduplicate.
   *
   * @returns the messages made.
   */
  async fanOut(event: CloudEvent<unknown>): Promise<number> {
    const orgId = organizationOf(event);
    const targets = (await this.store.matchingTargets(orgId, subscriptionsMatching(event.type), event.id)).filter((target) => !target.seen);
    if (targets.length === 0) return 0;
    const payload = encodeCloudEvent(event).body;
    const messageOf = (target: DeliveryTarget): NewMessage => ({ id: messageIdFor(target.endpointId, event.id), endpointId: target.endpointId, eventId: event.id, eventType: event.type, payload });
    if (!this.secretBox) {
      // Kept for when the key is back; the due run reports the missing key as its failure.
      const now = this.now();
      await this.store.insertPendingMessages(targets.map(messageOf), now, now);
      this.options.logger.error({ event: event.id }, 'webhooks: POLARIS_WEBHOOK_SECRET_KEY is not set; messages wait unsent');
      return targets.length;
    }
    await forEachLimited(targets, this.options.concurrency ?? 8, async (target) => {
      const message = messageOf(target);
      await this.attempt({ messageId: message.id, eventId: event.id, payload, status: MessageStatus.Pending, attempts: 0, target }, 'event', message);
    });
    return targets.length;
  }

  /**
   * The scheduled run: takes the pending messages whose next attempt is due
   * and tries each again, each endpoint's messages one at a time. When one
   * of an endpoint's attempts fails, the rest of its messages in the batch
   * wait as long as the failed one, unattempted, so a receiver that is down
   * costs one timeout per run rather than one per message.
   */
  async deliverDue(): Promise<{ attempted: number; delivered: number }> {
    this.box();
    const started = Date.now();
    const budgetMs = this.options.runBudgetMs ?? 45_000;
    const batchSize = this.options.batchSize ?? 100;
    let attempted = 0;
    let delivered = 0;
    while (Date.now() - started < budgetMs) {
      const now = this.now();
      const claimed = await this.store.claimDue(now, this.leaseUntil(now), batchSize);
      const byEndpoint = new Map<string, PendingDelivery[]>();
      for (const delivery of claimed) byEndpoint.set(delivery.target.endpointId, [...(byEndpoint.get(delivery.target.endpointId) ?? []), delivery]);
      await forEachLimited([...byEndpoint.values()], this.options.concurrency ?? 8, async (deliveries) => {
        for (const [index, delivery] of deliveries.entries()) {
          const outcome = await this.attempt(delivery, 'retry');
          attempted += 1;
          if (outcome.ok) {
            delivered += 1;
            continue;
          }
          const rest = deliveries.slice(index + 1).map((waiting) => waiting.messageId);
          await this.store.postpone(rest, outcome.nextAttemptAt ?? new Date(this.now().getTime() + this.retryDelaysMs[0]!));
          break;
        }
      });
      if (claimed.length < batchSize) break;
    }
    return { attempted, delivered };
  }

  /**
   * One signed POST of a message, and its record: the attempt, the
   * message's next step, the endpoint's health. `unsaved`: the message is
   * new, stored with its first attempt.
   */
  private async attempt(delivery: PendingDelivery, trigger: AttemptTrigger, unsaved?: NewMessage): Promise<{ ok: boolean; nextAttemptAt?: Date }> {
    const at = this.now();
    let headers: Record<string, string>;
    try {
      headers = this.headersFor(delivery, at);
    } catch (err) {
      // Recorded like any failure, so the schedule goes on and the endpoint's health shows it.
      this.options.logger.error({ err, endpoint: delivery.target.endpointId }, 'webhooks: the signing secret does not open under POLARIS_WEBHOOK_SECRET_KEY; rotate it');
      return this.record(delivery, { ok: false, error: AttemptError.SigningFailed, latencyMs: 0, responseExcerpt: '' }, trigger, at, unsaved);
    }
    const result = await sendWebhook(delivery.target.url, headers, delivery.payload, {
      timeoutMs: this.options.timeoutMs,
      allowPrivate: this.options.allowPrivate,
      resolve: this.options.resolve,
    });
    return this.record(delivery, result, trigger, at, unsaved);
  }

  private headersFor(delivery: PendingDelivery, at: Date): Record<string, string> {
    const box = this.box();
    const { target } = delivery;
    const secrets = [box.open(target.secretSealed, target.endpointId)];
    // A rotated-out secret signs too for a day, so a receiver still verifying with it keeps working
    // (unless it was sealed under an earlier POLARIS_WEBHOOK_SECRET_KEY: the rotation was the mend).
    if (target.previousSecretSealed && target.previousSecretUntil && target.previousSecretUntil > at) {
      const previous = openOrUndefined(box, target.previousSecretSealed, target.endpointId);
      if (previous) secrets.push(previous);
    }
    return {
      'content-type': 'application/cloudevents+json; charset=utf-8',
      'user-agent': userAgent,
      'webhook-id': delivery.messageId,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(delivery.messageId, at, delivery.payload)).join(' '),
    };
  }

  private async record(delivery: PendingDelivery, result: SendResult, trigger: AttemptTrigger, at: Date, unsaved?: NewMessage): Promise<{ ok: boolean; nextAttemptAt?: Date }> {
    const { messageId, target } = delivery;
    const finished = this.now();
    const scheduled = trigger !== 'manual';
    const attempt: Attempt = {
      attemptedAt: at,
      statusCode: result.statusCode ?? null,
      error: result.error ?? null,
      latencyMs: result.latencyMs,
      responseExcerpt: result.responseExcerpt,
      trigger,
    };
    // Delivered: one statement, one commit.
    if (result.ok) {
      if (unsaved) await this.store.insertAttemptedMessage(unsaved, attempt, undefined, finished);
      else await this.store.recordDelivered(messageId, target.endpointId, attempt, scheduled, finished);
      return { ok: true };
    }
    const delay = scheduled ? retryDelayMs(delivery.attempts + 1, this.retryDelaysMs) : undefined;
    const nextAttemptAt = delay === undefined ? undefined : new Date(finished.getTime() + delay);
    await this.store.transaction(async (tx) => {
      if (unsaved) {
        await this.store.insertAttemptedMessage(unsaved, attempt, nextAttemptAt, finished, tx);
      } else {
        await this.store.insertAttempt(tx, messageId, attempt);
        // A manual attempt that fails leaves the message's schedule as it was.
        if (scheduled) await this.store.markAttemptFailed(tx, messageId, nextAttemptAt);
      }
      const health = await this.store.endpointFailed(tx, target.endpointId, finished);
      const failingMs = health?.failingSince ? finished.getTime() - health.failingSince.getTime() : 0;
      if (health?.enabled && health.failingSince && failingMs >= this.options.disableAfterHours * 3_600_000) {
        const disabled = await this.store.disableEndpoint(tx, health.id, finished, endpointDisabledEvent({ ...health, failingSince: health.failingSince }));
        if (disabled) this.options.logger.warn({ endpoint: health.id, failingSince: health.failingSince }, 'webhooks: endpoint disabled after failing too long');
      }
    });
    return { ok: false, nextAttemptAt };
  }

  private leaseUntil(now: Date): Date {
    return new Date(now.getTime() + this.options.timeoutMs + leaseMarginMs);
  }

  private box(): SecretBox {
    if (!this.secretBox) throw new WebhookSecretKeyMissingError();
    return this.secretBox;
  }
}

/** `msg_` and 32 hex digits: the webhook-id of every attempt of one endpoint's message of one event. */
function messageIdFor(endpointId: string, eventId: string): string {
  return `msg_${createHash('sha256').update(`${endpointId}\n${eventId}`).digest('hex').slice(0, 32)}`;
}

/** The organization an event is about (`data.orgId`); null for events of no organization (the operator's own endpoints). */
function organizationOf(event: CloudEvent<unknown>): string | null {
  const orgId = (event.data as { orgId?: unknown } | undefined)?.orgId;
  return typeof orgId === 'string' && isUuid(orgId) ? orgId.toLowerCase() : null;
}

function openOrUndefined(box: SecretBox, sealed: string, endpointId: string): string | undefined {
  try {
    return box.open(sealed, endpointId);
  } catch {
    return undefined;
  }
}

/** Runs `work` on every item, at most `limit` at once. */
async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}
