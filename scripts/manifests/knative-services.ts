/**
 * Each function of the registry as a Knative Service: its port, probes,
 * settings, how far and how fast it scales, and its share of PostgreSQL's
 * connections.
 *
 * @module
 */
import type { IResourceRequirements } from 'kubernetes-models/v1/ResourceRequirements';
import type { IService as IKnativeService } from '@kubernetes-models/knative/serving.knative.dev/v1/Service';
import type { FunctionEntry, FunctionKind } from '../../shared/runtime/index.js';
import {
  configMapName,
  containerPort,
  imageFor,
  isClusterLocal,
  labelsFor,
  namespace,
  postgresConnections,
  prometheusScrape,
  restrictedContainer,
  secretName,
} from './facts.js';

/** Knative concurrency and size of a function, by its kind. */
interface KindProfile {
  /** Hard limit of requests in one replica; 0 is unlimited. */
  containerConcurrency: number;
  /** Concurrent requests per replica the autoscaler aims for. */
  target: number;
  resources: IResourceRequirements;
}

const kinds: Record<FunctionKind, KindProfile> = {
  // RPCs are short and multiplexed on one HTTP/2 connection; the autoscaler's target alone spreads them.
  grpc: {
    containerConcurrency: 0,
    target: 100,
    resources: { requests: { cpu: '50m', memory: '96Mi' }, limits: { cpu: '1', memory: '256Mi' } },
  },
  http: {
    containerConcurrency: 0,
    target: 100,
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '384Mi' } },
  },
  // A handler holds a database transaction, so a connection of its pool, for its whole run (aggregation
  // runs take turns on a lock): a replica takes as many events at once as its pool has connections
  // (eventHandler below), and more wait in Knative's activator rather than in the process.
  event: {
    containerConcurrency: 5,
    target: 5,
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '384Mi' } },
  },
};

/**
 * How much traffic a function carries: that sets how many replicas it may
 * have and how many PostgreSQL connections each opens
 * (`POLARIS_DATABASE_POOL_SIZE`), whose product, summed over every
 * function, must fit PostgreSQL's `max_connections` ({@link connectionBudget}).
 */
export interface Capacity {
  /** Replicas at most (`autoscaling.knative.dev/max-scale`). */
  maxScale: number;
  /** Connections at most in one replica's pool. */
  databasePoolSize: number;
}

/** On the path of every ingested event or of every signed-in call: more replicas, a few connections each. */
const hotPath: Capacity = { maxScale: 6, databasePoolSize: 3 };
/** Every other RPC and HTTP function, mostly what a person or an operator asks through the gateway: one replica serves hundreds of such calls at once. */
const standard: Capacity = { maxScale: 1, databasePoolSize: 2 };
/** An event handler: two replicas, each running as many events at once as its pool has connections. */
const eventHandler: Capacity = { maxScale: 2, databasePoolSize: kinds.event.containerConcurrency };

/** Functions whose capacity is not their kind's. */
const capacityOf: Record<string, Capacity> = {
  // Ingest's group commit takes two of its connections, its reads the other two (functions/usage/domain/write-concurrency.ts).
  ingest: { ...hotPath, databasePoolSize: 4 },
  'record-usage': hotPath,
  // The API-key, organization and session checks behind every call; callers cache their answers.
  'validate-api-key': hotPath,
  'resolve-organization': hotPath,
  'validate-session': hotPath,
  'check-entitlement': hotPath,
  // The public front doors reach PostgreSQL only through the RPCs: a pool of one they never open.
  gateway: { maxScale: 10, databasePoolSize: 1 },
  dashboard: { maxScale: 3, databasePoolSize: 1 },
  // Runs take turns on the aggregation lock: a second replica would only wait for it.
  aggregate: { ...eventHandler, maxScale: 1 },
};

/** The replicas and the pool of one function. */
export function capacity(entry: FunctionEntry): Capacity {
  return capacityOf[entry.name] ?? (entry.kind === 'event' ? eventHandler : standard);
}

/**
 * Connections PostgreSQL keeps for what is not a function: the migration Job
 * (scripts/migrate.ts opens one), the always-on process that relays the
 * outboxes (functions/event-plane/process.ts opens three), and an operator's
 * psql sessions. Superusers also have `superuser_reserved_connections` of their own.
 */
export const connectionReserve = { migrations: 1, outboxRelay: 3, operators: 6 } as const;

/** The connections every function at its most replicas may open, and what PostgreSQL allows them. */
export function connectionBudget(entries: readonly FunctionEntry[]): { functions: number; reserve: number; available: number } {
  const functions = entries.reduce((sum, entry) => sum + capacity(entry).maxScale * capacity(entry).databasePoolSize, 0);
  const reserve = Object.values(connectionReserve).reduce((sum, connections) => sum + connections, 0);
  return { functions, reserve, available: postgresConnections.maxConnections - postgresConnections.superuserReserved };
}

/**
 * Annotations of one function's revisions beyond its kind's: where
 * `aggregate`'s long, scheduled runs need other than the defaults.
 */
function revisionAnnotations(entry: FunctionEntry): Record<string, string> {
  if (entry.name !== 'aggregate') return {};
  return {
    // The CronJob asks every 5 minutes: holding the replica a little longer than that keeps one warm
    // between runs (its pool and meter cache included) rather than cold-starting it for every run.
    'autoscaling.knative.dev/scale-down-delay': '6m',
    // With one replica taking five runs at once, Knative's activator stays in the path (as it does at
    // the default 200 for a capacity this small, but whatever config-autoscaler says): a burst of
    // requests (an operator asking for each organization) waits there instead of being refused by the
    // replica's own full queue.
    'autoscaling.knative.dev/target-burst-capacity': '-1',
  };
}

/**
 * How long one request may take: `aggregate` after a long pause has a
 * backlog to fold, longer than the 300 s Knative allows by default; 600 s is
 * the most it allows (`max-revision-timeout-seconds` in config-defaults).
 */
function timeoutSecondsOf(entry: FunctionEntry): number | undefined {
  return entry.name === 'aggregate' ? 600 : undefined;
}

/** Every setting, from the ConfigMap and the Secret. */
const envFromConfig = [{ configMapRef: { name: configMapName } }, { secretRef: { name: secretName } }];

/**
 * One function as a Knative Service: scales to zero, and starts at zero
 * (`initial-scale: "0"`, which Knative allows once `config-autoscaler` has
 * `allow-zero-initial-scale: "true"`, as scripts/kind/deploy.sh sets it), so
 * deploying every function does not start every function; gRPC functions
 * declare their port `h2c` so Knative routes HTTP/2 end to end.
 *
 * Probes name no port: Knative fills in the container's. kubelet sends the
 * liveness probe, and Knative's queue-proxy the readiness probe, as HTTP/1.1
 * GETs even on an h2c port, and that port hands HTTP/1.1 to the health
 * routes. (With Knative's `autodetect-http2` on, the queue-proxy tries h2c
 * first; gRPC answers it 415 and Knative 1.21 and later fall back to
 * HTTP/1.1.) Readiness has no `periodSeconds`, which keeps Knative's
 * sub-second probing during a cold start.
 */
export function knativeService(entry: FunctionEntry): IKnativeService {
  const profile = kinds[entry.kind];
  const { maxScale, databasePoolSize } = capacity(entry);
  const timeoutSeconds = timeoutSecondsOf(entry);
  const labels = { ...labelsFor(entry.name, entry.service), 'polaris.dev/kind': entry.kind };
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: {
      name: entry.name,
      namespace,
      labels: isClusterLocal(entry) ? { ...labels, 'networking.knative.dev/visibility': 'cluster-local' } : labels,
    },
    spec: {
      template: {
        metadata: {
          labels,
          annotations: {
            'autoscaling.knative.dev/initial-scale': '0',
            'autoscaling.knative.dev/min-scale': '0',
            'autoscaling.knative.dev/max-scale': String(maxScale),
            'autoscaling.knative.dev/target': String(profile.target),
            ...revisionAnnotations(entry),
            ...prometheusScrape(containerPort),
          },
        },
        spec: {
          containerConcurrency: profile.containerConcurrency,
          ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
          containers: [
            {
              name: 'function',
              image: imageFor(entry.name),
              imagePullPolicy: 'IfNotPresent',
              ports: [{ name: entry.kind === 'grpc' ? 'h2c' : 'http1', containerPort }],
              envFrom: envFromConfig,
              // Overrides the ConfigMap's default: this function's share of PostgreSQL's connections.
              env: [{ name: 'POLARIS_DATABASE_POOL_SIZE', value: String(databasePoolSize) }],
              // Knative refuses timeoutSeconds and failureThreshold here: with no periodSeconds it probes on its own schedule.
              readinessProbe: { httpGet: { path: '/health/readiness' } },
              livenessProbe: { httpGet: { path: '/health/liveness' }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
              resources: profile.resources,
              securityContext: restrictedContainer,
            },
          ],
        },
      },
    },
  };
}
