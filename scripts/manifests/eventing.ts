/**
 * The cluster's event path, Knative-native: the services' outboxes relayed to
 * a Knative Broker (MTChannelBasedBroker) whose channel is a
 * NatsJetStreamChannel of eventing-natss on Polaris's NATS, and one Trigger
 * per event function, generated from the registry's `subscribes` (the same
 * routing table `npm start` delivers by, `subscriptionsFromRegistry`).
 *
 *   service ─▶ outbox ─▶ outbox-relay ─▶ Broker `default` (NatsJetStreamChannel)
 *                                          ─▶ Trigger per function ─▶ function
 *                                          └▶ dead letters ─▶ outbox-relay /dead-letters ─▶ <stream>_DEAD_LETTER
 *
 * @module
 */
import type { IService as ICoreService } from 'kubernetes-models/v1/Service';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IBroker } from '@kubernetes-models/knative/eventing.knative.dev/v1/Broker';
import type { ITrigger } from '@kubernetes-models/knative/eventing.knative.dev/v1/Trigger';
import type { ISinkBinding } from '@kubernetes-models/knative/sources.knative.dev/v1/SinkBinding';
import { stringify } from 'yaml';
import { deadLetterSinkUri, deliveryDefaults, subscriptionsFromRegistry, type EventSubscription } from '../../functions/event-plane/index.js';
import { eventStreamLimits } from '../../shared/events/index.js';
import { clusterHost, configMapName, containerPort, imageFor, labelsFor, namespace, natsServer, prometheusScrape, restrictedContainer, secretName } from './facts.js';

/** The Broker every event goes through; `default` is the name `kn trigger create` assumes. */
export const brokerName = 'default';

/** The ConfigMap holding the Broker's channel template. */
export const brokerChannelConfigName = 'polaris-broker-channel';

/** The namespace Knative Eventing and eventing-natss run in. */
export const eventingNamespace = 'knative-eventing';

/** The outbox relay's Deployment, Service and SinkBinding. */
export const outboxRelayName = 'outbox-relay';

/** Where the Broker answers inside the cluster: what the SinkBindings inject as K_SINK. */
export const brokerIngressUrl = `http://broker-ingress.${eventingNamespace}.svc.cluster.local/${namespace}/${brokerName}`;

/** A reference to the Broker, as sinks name it. */
export const brokerRef = { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', name: brokerName } as const;

/** Go durations as eventing-natss reads them (`time.ParseDuration`). */
const goDuration = (ms: number): string => (ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`);

/**
 * The NatsJetStreamChannel the Broker creates (spec fields of
 * messaging.knative.dev/v1alpha1 NatsJetStreamChannel): a file-backed stream
 * with limits retention that keeps events and remembers their ids as long as
 * Polaris's own event stream does. The channel publishes each event with its
 * CloudEvent id as `Nats-Msg-Id`, so an event the relay sends twice (a crash
 * between the Broker's 2xx and the relay's commit) is stored once.
 */
export function channelTemplate(): { apiVersion: string; kind: string; spec: object } {
  return {
    apiVersion: 'messaging.knative.dev/v1alpha1',
    kind: 'NatsJetStreamChannel',
    spec: {
      stream: {
        config: {
          retention: 'Limits',
          storage: 'File',
          maxAge: goDuration(eventStreamLimits.maxAgeMs),
          duplicateWindow: goDuration(eventStreamLimits.duplicateWindowMs),
        },
      },
      // Every event still on the stream for a new Trigger, as npm start's consumers (DeliverPolicy All).
      consumerConfigTemplate: { deliverPolicy: 'All' },
    },
  };
}

function brokerChannelConfig(): IConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: brokerChannelConfigName, namespace, labels: labelsFor(brokerChannelConfigName, 'events') },
    data: { 'channel-template-spec': stringify(channelTemplate(), { lineWidth: 0 }) },
  };
}

/**
 * eventing-natss's `config-nats` (its dispatcher mounts it): Polaris's NATS,
 * reconnecting for about two minutes before the dispatcher restarts.
 */
export function natsChannelConfig(): IConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'config-nats', namespace: eventingNamespace, labels: labelsFor('config-nats', 'events') },
    data: {
      'eventing-nats': stringify(
        {
          url: `nats://${clusterHost('nats')}:${natsServer.clientPort}`,
          connOpts: { retryOnFailedConnect: true, maxReconnects: 60, reconnectWaitMilliseconds: 2000, reconnectJitterMilliseconds: 100, reconnectJitterTLSMilliseconds: 1000 },
        },
        { lineWidth: 0 },
      ),
    },
  };
}

function broker(): IBroker {
  return {
    apiVersion: 'eventing.knative.dev/v1',
    kind: 'Broker',
    metadata: {
      name: brokerName,
      namespace,
      labels: labelsFor(brokerName, 'events'),
      annotations: { 'eventing.knative.dev/broker.class': 'MTChannelBasedBroker' },
    },
    spec: { config: { apiVersion: 'v1', kind: 'ConfigMap', name: brokerChannelConfigName, namespace } },
  };
}

/**
 * How the channel retries a function: as many attempts as `npm start`'s
 * delivery makes (8), doubling from 1 s (2 s, 4 s, … about 4 minutes in all),
 * then the dead-letter sink, the outbox relay's `/dead-letters`, which stores
 * the event in the dead-letter stream as `npm start` does.
 */
function triggerDelivery(functionName: string): NonNullable<ITrigger['spec']>['delivery'] {
  return {
    retry: deliveryDefaults.maxDeliver - 1,
    backoffPolicy: 'exponential',
    backoffDelay: 'PT1S',
    deadLetterSink: {
      ref: { apiVersion: 'v1', kind: 'Service', name: outboxRelayName },
      uri: deadLetterSinkUri(functionName, deliveryDefaults.maxDeliver),
    },
  };
}

/**
 * One Trigger per event function. `spec.filters` (the CloudEvents
 * Subscriptions API filters, GA and on by default since Knative Eventing 1.15,
 * in the 1.22 Trigger CRD) matches several types with `any` of `exact`
 * filters, so a function subscribed to nine types is one Trigger with one
 * channel subscription, not nine. The Trigger's `filters` field is newer than
 * the `@kubernetes-models/knative` Trigger model: test/manifests.test.ts checks
 * it against a schema of its own.
 */
export function trigger(subscription: EventSubscription): ITrigger & { spec: { filters: object[] } } {
  const types = [...new Set(subscription.types)];
  const exact = (type: string) => ({ exact: { type } });
  return {
    apiVersion: 'eventing.knative.dev/v1',
    kind: 'Trigger',
    metadata: { name: subscription.name, namespace, labels: labelsFor(subscription.name, 'events') },
    spec: {
      broker: brokerName,
      filters: types.length === 1 ? [exact(types[0]!)] : [{ any: types.map(exact) }],
      subscriber: { ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: subscription.name } },
      delivery: triggerDelivery(subscription.name),
    },
  };
}

/** The Triggers of every event function the registry subscribes. */
export function triggers(): ReturnType<typeof trigger>[] {
  return subscriptionsFromRegistry().map(trigger);
}

/**
 * The outbox relay, always on: one replica relays the outboxes to the Broker
 * (K_SINK, from the SinkBinding) and answers the Triggers' dead letters on
 * its Service. Reads DATABASE_URL for the outboxes, NATS_URL for the
 * dead-letter stream.
 */
function outboxRelay(): [ICoreService, IDeployment, ISinkBinding] {
  const labels = labelsFor(outboxRelayName, 'events');
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: outboxRelayName, namespace, labels },
      spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: outboxRelayName, namespace, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels, annotations: prometheusScrape(containerPort) },
          spec: {
            containers: [
              {
                name: outboxRelayName,
                image: imageFor(outboxRelayName),
                imagePullPolicy: 'IfNotPresent',
                ports: [{ name: 'http', containerPort }],
                envFrom: [{ configMapRef: { name: configMapName } }],
                env: [{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: secretName, key: 'DATABASE_URL' } } }],
                readinessProbe: { httpGet: { path: '/health/readiness', port: 'http' }, periodSeconds: 5, timeoutSeconds: 2 },
                livenessProbe: { httpGet: { path: '/health/liveness', port: 'http' }, periodSeconds: 10, timeoutSeconds: 2 },
                resources: { requests: { cpu: '50m', memory: '96Mi' }, limits: { cpu: '1', memory: '256Mi' } },
                securityContext: restrictedContainer,
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'sources.knative.dev/v1',
      kind: 'SinkBinding',
      metadata: { name: outboxRelayName, namespace, labels },
      spec: {
        subject: { apiVersion: 'apps/v1', kind: 'Deployment', name: outboxRelayName },
        sink: { ref: brokerRef },
      },
    },
  ];
}

/** The eventing documents, by file (the generator adds headers). */
export function eventingDocuments(): { natsConfig: IConfigMap[]; broker: object[]; outboxRelay: object[]; triggers: object[] } {
  return {
    natsConfig: [natsChannelConfig()],
    broker: [brokerChannelConfig(), broker()],
    outboxRelay: outboxRelay(),
    triggers: triggers(),
  };
}
