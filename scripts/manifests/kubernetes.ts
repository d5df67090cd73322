/**
 * The files under `knative/`: the namespace, the settings, PostgreSQL and
 * NATS as StatefulSets, the migration Job, the scheduled events' CronJobs
 * (aggregation, webhook retries), the Broker, its outbox relay and one Trigger
 * per event function (./eventing.ts), and one Knative Service per function
 * (./knative-services.ts).
 *
 * @module
 */
import type { ICronJob } from 'kubernetes-models/batch/v1/CronJob';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService as ICoreService } from 'kubernetes-models/v1/Service';
import type { ISinkBinding } from '@kubernetes-models/knative/sources.knative.dev/v1/SinkBinding';
import { stringify } from 'yaml';
import { functionRegistry } from '../../functions/registry.js';
import type { FunctionEntry } from '../../shared/runtime/index.js';
import { cronSchedule, handlerOf, scheduledEvents, scheduledEventScript, type ScheduledEvent } from './schedules.js';
import {
  configMapName,
  containerPort,
  generatedNotice,
  imageFor,
  infrastructureImages,
  labelsFor,
  namespace,
  natsServer,
  placeholderPassword,
  postgresDatabase,
  postgresSecretName,
  postgresServer,
  prometheusScrape,
  restrictedContainer,
  secretName,
} from './facts.js';
import { brokerName, brokerRef, eventingDocuments, outboxRelayName } from './eventing.js';
import { knativeService } from './knative-services.js';
import { clusterSettings, placeholderSecrets } from './settings.js';

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
  const ready = [...postgresServer.readyCommand];
  return [
    headlessService('postgres', 'database', [{ name: 'postgres', port }]),
    singleReplicaStatefulSet('postgres', labels, {
      name: 'postgres',
      image: postgresServer.image,
      args: [...postgresServer.flags],
      ports: [{ name: 'postgres', containerPort: port }],
      env: [
        { name: 'POSTGRES_USER', value: user },
        { name: 'POSTGRES_DB', value: database },
        { name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: postgresSecretName, key: 'POSTGRES_PASSWORD' } } },
        // A subdirectory: a fresh volume's root may hold lost+found, which initdb refuses.
        { name: 'PGDATA', value: `${postgresServer.dataPath}/pgdata` },
      ],
      volumeMounts: [{ name: 'data', mountPath: postgresServer.dataPath }],
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
      { name: 'client', port: natsServer.clientPort },
      { name: 'monitor', port: natsServer.monitorPort },
    ]),
    singleReplicaStatefulSet('nats', labels, {
      name: 'nats',
      image: natsServer.image,
      args: [...natsServer.args],
      ports: [
        { name: 'client', containerPort: natsServer.clientPort },
        { name: 'monitor', containerPort: natsServer.monitorPort },
      ],
      volumeMounts: [{ name: 'data', mountPath: natsServer.dataPath }],
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

/**
 * The Job that applies every service's migrations; a Job cannot change, so
 * deploy.sh deletes it before applying it again. One retry covers a
 * transient failure (PostgreSQL restarting); a migration that fails twice is
 * a fault to read in its logs, which deploy.sh prints as soon as the Job
 * fails, not six retries and minutes of back-off later.
 */
function migrateJob(): IJob {
  const labels = labelsFor('migrate', 'migrations');
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'polaris-migrate', namespace, labels },
    spec: {
      backoffLimit: 1,
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

/**
 * On its schedule a curl Job posts the event to `K_SINK`, which the
 * SinkBinding injects into the CronJob's Jobs (selected by label) as the
 * Broker's address; the Trigger of the function that handles it delivers it.
 */
function scheduledEventCronJob(scheduled: ScheduledEvent): [ISinkBinding, ICronJob] {
  const labels = labelsFor(scheduled.name, 'scheduler');
  const script = [
    'set -eu',
    `: "\${K_SINK:?K_SINK is not set: the SinkBinding ${scheduled.name} has not bound this Job (kubectl get sinkbinding -n polaris)}"`,
    scheduledEventScript(scheduled, '"$K_SINK"', `/polaris/cronjob/${scheduled.label}`),
  ].join('\n');
  return [
    {
      apiVersion: 'sources.knative.dev/v1',
      kind: 'SinkBinding',
      metadata: { name: scheduled.name, namespace, labels },
      spec: {
        subject: { apiVersion: 'batch/v1', kind: 'Job', selector: { matchLabels: labels } },
        sink: { ref: brokerRef },
      },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: scheduled.name, namespace, labels },
      spec: {
        schedule: cronSchedule(scheduled.minutes),
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
                    name: scheduled.container,
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

function yamlFile(about: readonly string[], documents: readonly object[]): string {
  const header = [generatedNotice, ...about.map((line) => `# ${line}`)].join('\n');
  const body = documents.map((document) => stringify(document, { aliasDuplicateObjects: false, lineWidth: 0 })).join('---\n');
  return `${header}\n${body}`;
}

/** The files under `knative/`, path relative to the repository root → contents. */
export function kubernetesFiles(): Map<string, string> {
  const files = new Map<string, string>();
  files.set('knative/00-namespace.yaml', yamlFile(['The namespace of every Polaris object.'], [namespaceManifest()]));
  files.set(
    'knative/10-config.yaml',
    yamlFile(['Settings every function and the outbox relay read (envFrom); defaults from shared/config.ts.'], [configMap()]),
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
      yamlFile([`The ${entry.kind} function ${entry.name} (${entry.service}). Deploy: kn service apply ${entry.name} -n ${namespace} -f <this file>`], [knativeService(entry)]),
    );
  }
  for (const [index, scheduled] of scheduledEvents().entries()) {
    const every = scheduled.minutes === 1 ? 'Every minute' : `Every ${scheduled.minutes} minutes`;
    files.set(
      `knative/5${index}-${scheduled.name.replace(/-cron$/, '')}-cronjob.yaml`,
      yamlFile(
        [`${every}: ${scheduled.type} to the Broker ${brokerName} (K_SINK, injected by the SinkBinding), whose Trigger hands it to ${handlerOf(scheduled.type).name}, which ${scheduled.about}.`],
        scheduledEventCronJob(scheduled),
      ),
    );
  }
  const eventing = eventingDocuments();
  files.set(
    'knative/40-eventing-natss-config.yaml',
    yamlFile(['eventing-natss (namespace knative-eventing): the NATS its NatsJetStreamChannel dispatcher connects to, Polaris\'s own.'], eventing.natsConfig),
  );
  files.set(
    'knative/41-broker.yaml',
    yamlFile([`The Broker ${brokerName} (MTChannelBasedBroker) and its channel template: a NatsJetStreamChannel on Polaris's NATS.`], eventing.broker),
  );
  files.set(
    'knative/60-outbox-relay.yaml',
    yamlFile([`Relays the services' outboxes to the Broker ${brokerName} (K_SINK, from its SinkBinding), always on; the Triggers' dead-letter sink.`], eventing.outboxRelay),
  );
  files.set(
    'knative/70-triggers.yaml',
    yamlFile(
      [`One Trigger per event function of functions/registry.ts, on the Broker ${brokerName}: its types, retries, and dead letters to ${outboxRelayName}.`],
      eventing.triggers,
    ),
  );
  files.set('knative/functions.txt', `${functionRegistry.map((entry) => entry.name).join('\n')}\n`);
  return files;
}

