/**
 * The facts the Kubernetes manifests and compose.yaml are both generated
 * from: the namespace, object names, images, ports, and how PostgreSQL and
 * NATS are run. Each is stated once here; both generators read it.
 *
 * @module
 */
import type { ISecurityContext } from 'kubernetes-models/v1/SecurityContext';
import { defaults } from '../../shared/config.js';
import type { FunctionEntry } from '../../shared/runtime/index.js';

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

/** Images the cluster runs, built from the Dockerfile, that are not registry functions (`--build-arg FUNCTION=<name>`). */
export const processImageNames = ['migrate', 'outbox-relay'] as const;

/** compose's event process (no Knative there): relays the outboxes to JetStream and delivers from it, as `npm start` does. */
export const composeEventProcess = 'delivery';

/** The image of a function or process. */
export function imageFor(name: string, tag: string = defaultImageTag): string {
  return `${imageRegistry}/polaris-${name}:${tag}`;
}

/** Third-party images, pinned. */
export const infrastructureImages = {
  postgres: 'postgres:16',
  // A maintained release line of NATS (2.10 and later), pinned to its patch release.
  nats: 'nats:2.12.15',
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

/**
 * PostgreSQL's connection limits, set explicitly rather than left to the
 * image's defaults: every function's pool, at its most replicas, must fit
 * (the budget in ./knative-services.ts; test/manifests.test.ts checks it).
 * An idle connection costs the server a process of a few MiB, so this stays
 * a few hundred; past that, put a pooler in front.
 */
export const postgresConnections = {
  maxConnections: 400,
  /** Kept for superusers beyond everyone else's share: an operator's psql still gets in when the rest is taken. */
  superuserReserved: 3,
} as const;

/** How the PostgreSQL image is run, in the cluster and in compose. */
export const postgresServer = {
  image: infrastructureImages.postgres,
  /** Flags after the image's `postgres` command. */
  flags: [
    '-c',
    `max_connections=${postgresConnections.maxConnections}`,
    '-c',
    `superuser_reserved_connections=${postgresConnections.superuserReserved}`,
  ],
  /** Where the image keeps its data: the volume's mount point. */
  dataPath: '/var/lib/postgresql/data',
  /** The readiness check, run inside the container. */
  readyCommand: ['pg_isready', '-h', '127.0.0.1', '-U', postgresDatabase.user, '-d', postgresDatabase.database],
} as const;

const natsDataPath = '/data';
const natsMonitorPort = 8222;

/** How the NATS image is run, in the cluster and in compose. */
export const natsServer = {
  image: infrastructureImages.nats,
  /** Clients connect here. */
  clientPort: 4222,
  /** The HTTP monitoring port (`/healthz`). */
  monitorPort: natsMonitorPort,
  /** Where JetStream stores its streams: the volume's mount point. */
  dataPath: natsDataPath,
  /** nats-server's flags: JetStream stored under `dataPath`, monitoring on `monitorPort`. */
  args: ['-js', '-sd', natsDataPath, '-m', String(natsMonitorPort)],
} as const;

/**
 * Pod annotations that tell a Prometheus configured for them (the common
 * `kubernetes-pods` scrape job) where a process serves its metrics: every
 * function and the delivery answer `GET /metrics` on their one HTTP port
 * (shared/runtime/ops.ts), gRPC functions over HTTP/1.1 on the same port.
 */
export function prometheusScrape(port: number): Record<string, string> {
  return { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), 'prometheus.io/path': '/metrics' };
}

/** Labels every object carries; `name` is the function or component. */
export function labelsFor(name: string, component: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': 'polaris',
  };
}

/** No root, no privilege escalation, no capabilities; 1000 is the image's `node` user, numeric so the kubelet can check it is not root. */
export const restrictedContainer: ISecurityContext = {
  runAsNonRoot: true,
  runAsUser: 1000,
  runAsGroup: 1000,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

/** Where a Service of the namespace answers inside the cluster. */
export const clusterHost = (service: string): string => `${service}.${namespace}.svc.cluster.local`;

/** Replaced before production: the generated Secret values and compose.yaml's are public. */
export const placeholderPassword = 'replace-before-production';

/** Every function's container listens here (Knative passes it as PORT). */
export const containerPort = defaults.port;

/** Functions reached only from inside the cluster: every RPC and every event handler. */
export function isClusterLocal(entry: FunctionEntry): boolean {
  return entry.kind !== 'http';
}

/** The first line of every generated file. */
export const generatedNotice = '# Generated by `npm run manifests` (scripts/manifests.ts) from functions/registry.ts; do not edit.';
