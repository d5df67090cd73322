/**
 * Generates the Kubernetes and Knative manifests under `knative/` and the
 * `compose.yaml` from the function registry and the configuration defaults,
 * so a function cannot be deployed differently from how it is bundled.
 *
 *   npm run manifests              rewrite knative/ and compose.yaml
 *   npm run manifests -- --check   exit 1 when they are stale
 *   npm run manifests -- --list    print the registry's function names
 *
 * `knative/functions/<name>.yaml` holds one Knative Service each, one
 * document per file, because `kn service create -f` reads only the first.
 */
import type { ICronJob } from 'kubernetes-models/batch/v1/CronJob';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import type { IResourceRequirements } from 'kubernetes-models/v1/ResourceRequirements';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { ISecurityContext } from 'kubernetes-models/v1/SecurityContext';
import type { IService as ICoreService } from 'kubernetes-models/v1/Service';
import type { IService as IKnativeService } from '@kubernetes-models/knative/serving.knative.dev/v1/Service';
import type { ISinkBinding } from '@kubernetes-models/knative/sources.knative.dev/v1/SinkBinding';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Document, isMap, stringify } from 'yaml';
import { functionRegistry } from '../functions/registry.js';
import { defaults } from '../shared/config.js';
import { deliveryDefaults, httpDelivererDefaults } from '../functions/event-plane/index.js';
import { EventType } from '../shared/events/types.js';
import type { FunctionEntry, FunctionKind } from '../shared/runtime/function.js';
import { localDefaults } from './local/config.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The namespace every Polaris object lives in. */
export const namespace = 'polaris';

/**
 * Images under this registry are used as tagged: Knative's
 * `registries-skipping-tag-resolving` lists `kind.local` by default, so it
 * never asks a registry for the digest of an image `kind load` put on the node.
 */
export const imageRegistry = 'kind.local';

/** The tag in the committed manifests; scripts/kind/deploy.sh deploys a tag derived from the sources instead. */
export const defaultImageTag = 'dev';

/** Images built from the Dockerfile that are not registry functions (`--build-arg FUNCTION=<name>`). */
export const processImageNames = ['migrate', 'delivery'] as const;

/** The image of a function or process. */
export function imageFor(name: string, tag: string = defaultImageTag): string {
  return `${imageRegistry}/polaris-${name}:${tag}`;
}

/** Third-party images, pinned. */
export const infrastructureImages = {
  postgres: 'postgres:16',
  nats: 'nats:2.9',
  curl: 'curlimages/curl:8.11.1',
} as const;

/** The ConfigMap of every setting but the secrets. */
export const configMapName = 'polaris-config';
/** The Secret of `DATABASE_URL`, `POLARIS_ADMIN_TOKEN` and `POLARIS_JWT_SECRET`. */
export const secretName = 'polaris-secrets';
/** The Secret of PostgreSQL's own password, which only its StatefulSet reads. */
export const postgresSecretName = 'polaris-postgres';

/** PostgreSQL's role and database (the password is in {@link postgresSecretName}). */
export const postgresDatabase = { user: 'polaris', database: 'polaris', port: 5432 } as const;
const natsPort = 4222;
const natsMonitorPort = 8222;

/** Where a Service of the namespace answers inside the cluster. */
export const clusterHost = (service: string): string => `${service}.${namespace}.svc.cluster.local`;

/** Replaced before production: the generated Secret values and compose.yaml's are public. */
const placeholderPassword = 'replace-before-production';

/** Every function's container listens here (Knative passes it as PORT). */
const containerPort = defaults.port;

/** Labels every object carries; `name` is the function or component. */
function labelsFor(name: string, component: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': 'polaris',
  };
}

/** Settings of the whole system in the cluster: the `polaris-config` ConfigMap, sorted by name. */
export function clusterSettings(): Record<string, string> {
  const settings: Record<string, string> = {
    LOG_LEVEL: defaults.logLevel,
    NATS_URL: `nats://${clusterHost('nats')}:${natsPort}`,
    // Per replica, and every function scales out: PostgreSQL allows 200 connections in all.
    POLARIS_DATABASE_POOL_SIZE: '5',
    POLARIS_API_KEY_CACHE_SECONDS: String(defaults.apiKeyCacheSeconds),
    POLARIS_API_KEY_NEGATIVE_CACHE_SECONDS: String(defaults.apiKeyNegativeCacheSeconds),
    POLARIS_DELIVERY_ADDRESS_TEMPLATE: clusterHost('{name}'),
    POLARIS_DELIVERY_CONCURRENCY: String(deliveryDefaults.concurrency),
    POLARIS_DELIVERY_MAX_DELIVER: String(deliveryDefaults.maxDeliver),
    POLARIS_DELIVERY_TIMEOUT_MS: String(httpDelivererDefaults.timeoutMs),
    // Knative Services answer on port 80 of their cluster-local name.
    POLARIS_FUNCTION_ADDRESS_TEMPLATE: `${clusterHost('{name}')}:80`,
    // Sign-in through an identity provider: set its JWKS URL (and the iss and aud its tokens carry) to turn it on.
    POLARIS_JWT_AUDIENCE: '',
    POLARIS_JWT_ISSUER: '',
    POLARIS_JWT_JWKS_URL: '',
    POLARIS_JWT_ORGANIZATION_CLAIM: defaults.jwtOrganizationClaim,
    POLARIS_MAX_EVENT_AGE_DAYS: String(defaults.maxEventAgeDays),
    POLARIS_NATS_STREAM: defaults.natsStream,
    POLARIS_NATS_SUBJECT_PREFIX: defaults.natsSubjectPrefix,
    // On in the cluster (off by default locally): each instance allows a credential 100 requests a second, bursts of 200.
    POLARIS_RATE_LIMIT_BURST: '200',
    POLARIS_RATE_LIMIT_PER_SECOND: '100',
    POLARIS_SHUTDOWN_GRACE_MS: String(defaults.shutdownGraceMs),
  };
  return Object.fromEntries(Object.entries(settings).sort(([a], [b]) => a.localeCompare(b)));
}

/** The `polaris-secrets` keys with placeholder values, for people who apply the manifests by hand. */
export function placeholderSecrets(): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl(clusterHost('postgres'), placeholderPassword),
    POLARIS_ADMIN_TOKEN: `${placeholderPassword}-admin-token`,
    POLARIS_JWT_SECRET: `${placeholderPassword}-jwt-secret-0000000`,
  };
}

function databaseUrl(host: string, password: string): string {
  const { user, database, port } = postgresDatabase;
  return `postgres://${user}:${password}@${host}:${port}/${database}`;
}

/** Knative autoscaling and size of a function, by its kind. */
interface ScalingProfile {
  /** Hard limit of requests in one replica; 0 is unlimited. */
  containerConcurrency: number;
  /** Concurrent requests per replica the autoscaler aims for. */
  target: number;
  resources: IResourceRequirements;
}

const scaling: Record<FunctionKind, ScalingProfile> = {
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
  // A handler holds a database transaction for its whole run (aggregation runs take turns on a lock),
  // so more in flight per replica only queues in PostgreSQL; the delivery retries a 503 from a full queue.
  event: {
    containerConcurrency: 10,
    target: 5,
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '384Mi' } },
  },
};

/** Replicas a function may scale out to; bounds its share of PostgreSQL's connections. */
const maxScale = 5;

/** No root, no privilege escalation, no capabilities; 1000 is the image's `node` user, numeric so the kubelet can check it is not root. */
const restrictedContainer: ISecurityContext = {
  runAsNonRoot: true,
  runAsUser: 1000,
  runAsGroup: 1000,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

const envFromConfig = [{ configMapRef: { name: configMapName } }, { secretRef: { name: secretName } }];

/** Functions reached only from inside the cluster: every RPC and every event handler. */
export function isClusterLocal(entry: FunctionEntry): boolean {
  return entry.kind !== 'http';
}

/**
 * One function as a Knative Service: scales to zero; gRPC functions declare
 * their port `h2c` so Knative routes HTTP/2 end to end.
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
  const profile = scaling[entry.kind];
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
            'autoscaling.knative.dev/min-scale': '0',
            'autoscaling.knative.dev/max-scale': String(maxScale),
            'autoscaling.knative.dev/target': String(profile.target),
          },
        },
        spec: {
          containerConcurrency: profile.containerConcurrency,
          containers: [
            {
              name: 'function',
              image: imageFor(entry.name),
              imagePullPolicy: 'IfNotPresent',
              ports: [{ name: entry.kind === 'grpc' ? 'h2c' : 'http1', containerPort }],
              envFrom: envFromConfig,
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

function namespaceManifest(): INamespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: namespace,
      // SinkBindings apply here also where Knative Eventing selects namespaces by inclusion.
      labels: { 'app.kubernetes.io/part-of': 'polaris', 'bindings.knative.dev/include': 'true' },
    },
  };
}

function configMap(): IConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: configMapName, namespace, labels: labelsFor('config', 'config') },
    data: clusterSettings(),
  };
}

function secrets(): ISecret[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secretName, namespace, labels: labelsFor('secrets', 'config') },
      type: 'Opaque',
      stringData: placeholderSecrets(),
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: postgresSecretName, namespace, labels: labelsFor('postgres', 'database') },
      type: 'Opaque',
      stringData: { POSTGRES_PASSWORD: placeholderPassword },
    },
  ];
}

/** A headless Service: the StatefulSet's governing Service, whose name resolves to its one pod. */
function headlessService(name: string, component: string, ports: Array<{ name: string; port: number }>): ICoreService {
  const labels = labelsFor(name, component);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels },
    spec: { clusterIP: 'None', selector: labels, ports: ports.map(({ name, port }) => ({ name, port, targetPort: name })) },
  };
}

/** One replica with a 1 GiB volume `data`: the shape both infrastructure services share. */
function singleReplicaStatefulSet(name: string, labels: Record<string, string>, container: IContainer): IStatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace, labels },
    spec: {
      serviceName: name,
      replicas: 1,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [container] } },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data', labels },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        },
      ],
    },
  };
}

function postgres(): [ICoreService, IStatefulSet] {
  const labels = labelsFor('postgres', 'database');
  const { user, database, port } = postgresDatabase;
  const ready = ['pg_isready', '-h', '127.0.0.1', '-U', user, '-d', database];
  return [
    headlessService('postgres', 'database', [{ name: 'postgres', port }]),
    singleReplicaStatefulSet('postgres', labels, {
      name: 'postgres',
      image: infrastructureImages.postgres,
      args: ['-c', 'max_connections=200'],
      ports: [{ name: 'postgres', containerPort: port }],
      env: [
        { name: 'POSTGRES_USER', value: user },
        { name: 'POSTGRES_DB', value: database },
        { name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: postgresSecretName, key: 'POSTGRES_PASSWORD' } } },
        // A subdirectory: a fresh volume's root may hold lost+found, which initdb refuses.
        { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
      ],
      volumeMounts: [{ name: 'data', mountPath: '/var/lib/postgresql/data' }],
      readinessProbe: { exec: { command: ready }, periodSeconds: 5, timeoutSeconds: 3 },
      livenessProbe: { exec: { command: ready }, initialDelaySeconds: 30, periodSeconds: 10, timeoutSeconds: 5 },
      resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
    }),
  ];
}

function nats(): [ICoreService, IStatefulSet] {
  const labels = labelsFor('nats', 'messaging');
  return [
    headlessService('nats', 'messaging', [
      { name: 'client', port: natsPort },
      { name: 'monitor', port: natsMonitorPort },
    ]),
    singleReplicaStatefulSet('nats', labels, {
      name: 'nats',
      image: infrastructureImages.nats,
      args: ['-js', '-sd', '/data', '-m', String(natsMonitorPort)],
      ports: [
        { name: 'client', containerPort: natsPort },
        { name: 'monitor', containerPort: natsMonitorPort },
      ],
      volumeMounts: [{ name: 'data', mountPath: '/data' }],
      readinessProbe: { httpGet: { path: '/healthz', port: 'monitor' }, periodSeconds: 5 },
      livenessProbe: { tcpSocket: { port: 'client' }, initialDelaySeconds: 10, periodSeconds: 10 },
      resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '512Mi' } },
    }),
  ];
}

/** A container of one of Polaris's own images, restricted like the functions. */
function processContainer(name: string, extra: Partial<IContainer>): IContainer {
  return {
    name,
    image: imageFor(name),
    imagePullPolicy: 'IfNotPresent',
    ...extra,
    securityContext: restrictedContainer,
  };
}

/** The Job that applies every service's migrations; a Job cannot change, so deploy.sh deletes it before applying it again. */
function migrateJob(): IJob {
  const labels = labelsFor('migrate', 'migrations');
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'polaris-migrate', namespace, labels },
    spec: {
      backoffLimit: 6,
      activeDeadlineSeconds: 600,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          containers: [
            processContainer('migrate', {
              env: [{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: secretName, key: 'DATABASE_URL' } } }],
              resources: { requests: { cpu: '50m', memory: '96Mi' }, limits: { cpu: '1', memory: '256Mi' } },
            }),
          ],
        },
      },
    },
  };
}

/** The one function that handles the aggregation request (the registry says which). */
export function aggregationFunction(): FunctionEntry {
  const handlers = functionRegistry.filter((entry: FunctionEntry) => entry.subscribes?.includes(EventType.AggregationRequested));
  if (handlers.length !== 1) throw new Error(`expected one function subscribed to ${EventType.AggregationRequested}, found ${handlers.length}`);
  return handlers[0]!;
}

/** Minutes between aggregation runs: the local host's interval, so both schedule alike. */
function aggregationMinutes(): number {
  const minutes = localDefaults.aggregationIntervalSeconds / 60;
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 59) throw new Error('the aggregation interval must be whole minutes, under an hour');
  return minutes;
}

/** The CronJob's schedule. */
export function aggregationSchedule(): string {
  return `*/${aggregationMinutes()} * * * *`;
}

/**
 * A shell script that POSTs `dev.polaris.aggregation.requested` in binary
 * mode to `target` (a shell word), with an id of its own on every run.
 */
export function aggregationRequestScript(target: string, source: string): string {
  return [
    `curl -fsS --max-time 300 --retry 3 --retry-all-errors -X POST ${target} \\`,
    `  -H 'ce-specversion: 1.0' \\`,
    `  -H "ce-id: aggregation-$(cat /proc/sys/kernel/random/uuid)" \\`,
    `  -H 'ce-source: ${source}' \\`,
    `  -H 'ce-type: ${EventType.AggregationRequested}' \\`,
    `  -H "ce-time: $(date -u +%Y-%m-%dT%H:%M:%SZ)" \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d '{}'`,
  ].join('\n');
}

/**
 * Every few minutes a curl Job posts the aggregation CloudEvent to `K_SINK`,
 * which the SinkBinding injects into the CronJob's Jobs (selected by label)
 * as the aggregation function's address.
 */
function aggregationCronJob(): [ISinkBinding, ICronJob] {
  const target = aggregationFunction();
  const labels = labelsFor('aggregation-cron', 'scheduler');
  const script = [
    'set -eu',
    ': "${K_SINK:?K_SINK is not set: the SinkBinding aggregation-cron has not bound this Job (kubectl get sinkbinding -n polaris)}"',
    aggregationRequestScript('"$K_SINK"', '/polaris/cronjob/aggregation'),
  ].join('\n');
  return [
    {
      apiVersion: 'sources.knative.dev/v1',
      kind: 'SinkBinding',
      metadata: { name: 'aggregation-cron', namespace, labels },
      spec: {
        subject: { apiVersion: 'batch/v1', kind: 'Job', selector: { matchLabels: labels } },
        sink: { ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: target.name } },
      },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'aggregation-cron', namespace, labels },
      spec: {
        schedule: aggregationSchedule(),
        // Runs take turns in PostgreSQL anyway; a late run only repeats the next one's work.
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 120,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels },
          spec: {
            backoffLimit: 2,
            activeDeadlineSeconds: 600,
            template: {
              metadata: { labels },
              spec: {
                restartPolicy: 'Never',
                containers: [
                  {
                    name: 'request-aggregation',
                    image: infrastructureImages.curl,
                    command: ['/bin/sh', '-c', script],
                    resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
                    // The image's user is a name; a number lets the kubelet check it is not root.
                    securityContext: { ...restrictedContainer, runAsUser: 65534, runAsGroup: 65534 },
                  },
                ],
              },
            },
          },
        },
      },
    },
  ];
}

/**
 * The delivery process, always on: a Deployment, not a ContainerSource,
 * because it posts each event to every subscribed function by name
 * (POLARIS_DELIVERY_ADDRESS_TEMPLATE), not to a single sink. It also relays
 * the services' outboxes to JetStream, so it reads DATABASE_URL.
 */
function delivery(): IDeployment {
  const labels = labelsFor('delivery', 'events');
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'polaris-delivery', namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            processContainer('delivery', {
              ports: [{ name: 'http', containerPort }],
              envFrom: [{ configMapRef: { name: configMapName } }],
              env: [{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: secretName, key: 'DATABASE_URL' } } }],
              readinessProbe: { httpGet: { path: '/health/readiness', port: 'http' }, periodSeconds: 5, timeoutSeconds: 2 },
              livenessProbe: { httpGet: { path: '/health/liveness', port: 'http' }, periodSeconds: 10, timeoutSeconds: 2 },
              resources: { requests: { cpu: '50m', memory: '96Mi' }, limits: { cpu: '1', memory: '256Mi' } },
            }),
          ],
        },
      },
    },
  };
}

const generatedNotice = '# Generated by `npm run manifests` (scripts/manifests.ts) from functions/registry.ts; do not edit.';

function yamlFile(about: readonly string[], documents: readonly object[]): string {
  const header = [generatedNotice, ...about.map((line) => `# ${line}`)].join('\n');
  const body = documents.map((document) => stringify(document, { aliasDuplicateObjects: false, lineWidth: 0 })).join('---\n');
  return `${header}\n${body}`;
}

/** compose.yaml: the same images on one machine, every function its own container. */
function composeFile(): string {
  const { user, database } = postgresDatabase;
  const databaseUrlInCompose = databaseUrl('postgres', placeholderPassword);
  const build = (name: string) => ({ context: '.', args: { FUNCTION: name } });
  // What every Polaris container shares, merged into each (`<<`) below.
  const polarisContainer = {
    environment: {
      ...clusterSettings(),
      ...placeholderSecrets(),
      DATABASE_URL: databaseUrlInCompose,
      NATS_URL: `nats://nats:${natsPort}`,
      POLARIS_DELIVERY_ADDRESS_TEMPLATE: `{name}:${containerPort}`,
      POLARIS_FUNCTION_ADDRESS_TEMPLATE: `{name}:${containerPort}`,
    },
    depends_on: { migrate: { condition: 'service_completed_successfully' }, nats: { condition: 'service_started' } },
    healthcheck: {
      test: ['CMD', 'node', '-e', `fetch('http://127.0.0.1:${containerPort}/health/readiness').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
      interval: '10s',
      timeout: '3s',
      retries: 6,
      start_period: '10s',
    },
    restart: 'unless-stopped',
  };
  // Public functions, then the aggregation function (to post it a CloudEvent), on the host from 8080 up.
  const published = [...functionRegistry.filter((entry: FunctionEntry) => !isClusterLocal(entry)), aggregationFunction()];
  const services: Record<string, object> = {
    postgres: {
      image: infrastructureImages.postgres,
      command: ['postgres', '-c', 'max_connections=200'],
      environment: { POSTGRES_USER: user, POSTGRES_PASSWORD: placeholderPassword, POSTGRES_DB: database },
      volumes: ['postgres-data:/var/lib/postgresql/data'],
      healthcheck: { test: ['CMD', 'pg_isready', '-h', '127.0.0.1', '-U', user, '-d', database], interval: '2s', timeout: '3s', retries: 30 },
    },
    nats: {
      image: infrastructureImages.nats,
      command: ['-js', '-sd', '/data', '-m', String(natsMonitorPort)],
      volumes: ['nats-data:/data'],
    },
    migrate: {
      build: build('migrate'),
      image: `polaris-migrate:${defaultImageTag}`,
      environment: { DATABASE_URL: databaseUrlInCompose },
      depends_on: { postgres: { condition: 'service_healthy' } },
    },
  };
  const polarisServices = [...functionRegistry.map((entry) => entry.name), 'delivery'];
  for (const name of polarisServices) {
    const index = published.findIndex((entry) => entry.name === name);
    services[name] = {
      build: build(name),
      image: `polaris-${name}:${defaultImageTag}`,
      ...(index >= 0 ? { ports: [`127.0.0.1:${containerPort + index}:${containerPort}`] } : {}),
      // The delivery relays the outboxes, so it waits for the migrated database too.
      ...(name === 'delivery' ? { depends_on: { nats: { condition: 'service_started' }, migrate: { condition: 'service_completed_successfully' } } } : {}),
    };
  }
  const aggregate = aggregationFunction().name;
  const request = aggregationRequestScript(`http://${aggregate}:${containerPort}/`, '/polaris/compose/aggregation');
  services['aggregation-cron'] = {
    image: infrastructureImages.curl,
    entrypoint: ['/bin/sh', '-c'],
    // $$ is compose's escape for a $ the shell expands.
    command: [`while sleep ${localDefaults.aggregationIntervalSeconds}; do\n${request.replaceAll('$', '$$$$')} || echo 'aggregation request failed'\ndone`],
    depends_on: { [aggregate]: { condition: 'service_started' } },
    restart: 'unless-stopped',
  };

  const document = new Document(
    { name: 'polaris', 'x-polaris-container': polarisContainer, services, volumes: { 'postgres-data': {}, 'nats-data': {} } },
    { aliasDuplicateObjects: false },
  );
  const shared = document.get('x-polaris-container', true);
  const servicesNode = document.get('services', true);
  if (!isMap(shared) || !isMap(servicesNode)) throw new Error('compose.yaml: expected maps');
  shared.anchor = 'polaris-container';
  for (const name of polarisServices) {
    const service = servicesNode.get(name, true);
    if (!isMap(service)) throw new Error(`compose.yaml: service ${name} must be a map`);
    service.items.unshift(document.createPair('<<', document.createAlias(shared)));
  }
  const header = [
    generatedNotice,
    '# Polaris in containers on one machine: `docker compose up --build`. Every function is its own',
    `# container on port ${containerPort}, as in Knative; gRPC clients find each one at {name}:${containerPort}.`,
    `# On the host: ${published.map((entry, index) => `${entry.name} 127.0.0.1:${containerPort + index}`).join(', ')}.`,
    '# The secrets below are placeholders: replace them before production.',
  ].join('\n');
  return `${header}\n${document.toString({ lineWidth: 0 })}`;
}

/** Every generated file, path relative to the repository root → contents. */
export function generateManifests(): Map<string, string> {
  const files = new Map<string, string>();
  files.set('knative/00-namespace.yaml', yamlFile(['The namespace of every Polaris object.'], [namespaceManifest()]));
  files.set(
    'knative/10-config.yaml',
    yamlFile(['Settings every function and the delivery read (envFrom); defaults from shared/config.ts.'], [configMap()]),
  );
  files.set(
    'knative/11-secrets.yaml',
    yamlFile(
      [
        'PLACEHOLDER secrets: replace every value before production. scripts/kind/deploy.sh does not apply',
        'this file: it creates both Secrets with random values once and keeps them on later runs.',
      ],
      secrets(),
    ),
  );
  files.set('knative/20-postgres.yaml', yamlFile(['PostgreSQL: one replica with its own volume.'], postgres()));
  files.set('knative/21-nats.yaml', yamlFile(['NATS with JetStream stored on its own volume.'], nats()));
  files.set(
    'knative/30-migrate-job.yaml',
    yamlFile(['Applies every migration before the functions start; a Job cannot change, so delete it before applying it again.'], [migrateJob()]),
  );
  for (const entry of functionRegistry as readonly FunctionEntry[]) {
    files.set(
      `knative/functions/${entry.name}.yaml`,
      yamlFile([`The ${entry.kind} function ${entry.name} (${entry.service}). Deploy: kn service create ${entry.name} -n ${namespace} -f <this file> --force`], [knativeService(entry)]),
    );
  }
  files.set(
    'knative/50-aggregation-cronjob.yaml',
    yamlFile(
      [`Every ${aggregationMinutes()} minutes: ${EventType.AggregationRequested} to ${aggregationFunction().name}, the address injected by the SinkBinding as K_SINK.`],
      aggregationCronJob(),
    ),
  );
  files.set('knative/60-delivery.yaml', yamlFile(['Carries events from JetStream to the subscribed functions, always on.'], [delivery()]));
  files.set('knative/functions.txt', `${functionRegistry.map((entry) => entry.name).join('\n')}\n`);
  files.set('compose.yaml', composeFile());
  return files;
}

/** Files generation owns: everything it writes, and any file left in knative/functions/ by a function since removed. */
function ownedFiles(): string[] {
  const functionsDir = join(root, 'knative/functions');
  let leftovers: string[] = [];
  try {
    leftovers = readdirSync(functionsDir).map((file) => `knative/functions/${file}`);
  } catch {
    // not generated yet
  }
  return [...new Set([...generateManifests().keys(), ...leftovers])];
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(join(root, path), 'utf8');
  } catch {
    return undefined;
  }
}

/** Paths of generated files that differ from a fresh generation, are missing, or should not exist. */
export function staleManifests(): string[] {
  const fresh = generateManifests();
  return ownedFiles()
    .filter((path) => fresh.get(path) !== readOrUndefined(path))
    .sort();
}

/** Writes every generated file and removes the ones no function needs any more. */
export function writeManifests(): void {
  const fresh = generateManifests();
  for (const path of ownedFiles()) {
    const contents = fresh.get(path);
    if (contents === undefined) {
      rmSync(join(root, path));
      continue;
    }
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), contents);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--list')) {
    for (const entry of functionRegistry) console.log(entry.name);
  } else if (process.argv.includes('--check')) {
    const stale = staleManifests();
    if (stale.length > 0) {
      console.error(`manifests are stale (${stale.join(', ')}): run npm run manifests`);
      process.exit(1);
    }
  } else {
    writeManifests();
  }
}
