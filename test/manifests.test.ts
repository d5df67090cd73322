/**
 * The manifests under knative/ and compose.yaml: what `npm run manifests`
 * generates, valid against the Kubernetes and Knative schemas with no field
 * those schemas lack (the API server would refuse or drop it), and
 * consistent with the registry and with every setting the code reads.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service as CoreService } from 'kubernetes-models/v1/Service';
import { Service as KnativeService } from '@kubernetes-models/knative/serving.knative.dev/v1/Service';
import { SinkBinding } from '@kubernetes-models/knative/sources.knative.dev/v1/SinkBinding';
import { Broker } from '@kubernetes-models/knative/eventing.knative.dev/v1/Broker';
import { Trigger } from '@kubernetes-models/knative/eventing.knative.dev/v1/Trigger';
import { functionRegistry } from '../functions/registry.js';
import { EventType } from '../shared/events/index.js';
import type { FunctionEntry } from '../shared/runtime/index.js';
import { bundlePath, distDir } from '../scripts/build.js';
import { staleManifests } from '../scripts/manifests.js';
import { configMapName, imageFor, secretName } from '../scripts/manifests/index.js';
import { connectionBudget, connectionReserve } from '../scripts/manifests/knative-services.js';
import { defaults } from '../shared/config.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const registry: readonly FunctionEntry[] = functionRegistry;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [field: string]: any };

/** A model class of kubernetes-models: built from a manifest, it checks it against the API's schema. */
interface ModelClass {
  new (data: never): { validate(): void };
  prototype: { validate(this: unknown): void };
}

/** The model of every kind the manifests may hold; any other kind fails the test. */
const models: Record<string, ModelClass> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': CoreService,
  'apps/v1/StatefulSet': StatefulSet,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'batch/v1/CronJob': CronJob,
  'serving.knative.dev/v1/Service': KnativeService,
  'sources.knative.dev/v1/SinkBinding': SinkBinding,
  'eventing.knative.dev/v1/Broker': Broker,
  'eventing.knative.dev/v1/Trigger': Trigger,
} as unknown as Record<string, ModelClass>;

function modelOf(manifest: Manifest): ModelClass {
  const model = models[`${manifest.apiVersion}/${manifest.kind}`];
  if (!model) throw new Error(`no model for ${manifest.apiVersion} ${manifest.kind}`);
  return model;
}

/** A small JSON schema: objects list every field they allow (no other is), strings may list their values. */
type StrictSchema =
  | { type: 'object'; properties: Record<string, StrictSchema>; required?: readonly string[] }
  | { type: 'array'; items: StrictSchema; minItems?: number }
  | { type: 'string'; enum?: readonly string[]; pattern?: RegExp }
  | { type: 'integer' | 'boolean' };

/** What is wrong with `value` for `schema`, as `<path>: <problem>`; empty when it fits. */
function strictProblems(value: unknown, schema: StrictSchema, path = ''): string[] {
  switch (schema.type) {
    case 'object': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return [`${path}: not an object`];
      const fields = value as Record<string, unknown>;
      return [
        ...(schema.required ?? []).filter((key) => !(key in fields)).map((key) => `${path}/${key}: missing`),
        ...Object.entries(fields).flatMap(([key, child]) =>
          schema.properties[key] ? strictProblems(child, schema.properties[key]!, `${path}/${key}`) : [`${path}/${key}: not in the schema`],
        ),
      ];
    }
    case 'array':
      if (!Array.isArray(value)) return [`${path}: not an array`];
      if (value.length < (schema.minItems ?? 0)) return [`${path}: fewer than ${schema.minItems} items`];
      return value.flatMap((item, index) => strictProblems(item, schema.items, `${path}/${index}`));
    case 'string':
      if (typeof value !== 'string') return [`${path}: not a string`];
      if (schema.enum && !schema.enum.includes(value)) return [`${path}: not one of ${schema.enum.join(', ')}`];
      return schema.pattern && !schema.pattern.test(value) ? [`${path}: does not match ${schema.pattern}`] : [];
    case 'integer':
      return Number.isInteger(value) ? [] : [`${path}: not an integer`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${path}: not a boolean`];
  }
}

/**
 * A Trigger's `spec.filters` as Polaris writes them: `exact` on `type`, or
 * `any` of those. The field (CloudEvents Subscriptions API filters, in the
 * Knative Eventing 1.22 Trigger CRD) is newer than the
 * `@kubernetes-models/knative` Trigger model, so it is checked here instead.
 */
const exactTypeFilter: StrictSchema = {
  type: 'object',
  required: ['exact'],
  properties: { exact: { type: 'object', required: ['type'], properties: { type: { type: 'string', pattern: /^[a-z0-9._-]+$/ } } } },
};
const triggerFiltersSchema: StrictSchema = {
  type: 'array',
  minItems: 1,
  items: { type: 'object', properties: { exact: exactTypeFilter.properties.exact!, any: { type: 'array', minItems: 2, items: exactTypeFilter } } },
};

/**
 * The NatsJetStreamChannel of the Broker's channel template, exactly the
 * fields Polaris sets, as eventing-natss's CRD (messaging.knative.dev/v1alpha1)
 * types them: there is no npm model of it.
 */
const goDuration = /^(\d+(h|m|s|ms))+$/;
const natsJetStreamChannelTemplateSchema: StrictSchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'spec'],
  properties: {
    apiVersion: { type: 'string', enum: ['messaging.knative.dev/v1alpha1'] },
    kind: { type: 'string', enum: ['NatsJetStreamChannel'] },
    spec: {
      type: 'object',
      properties: {
        stream: {
          type: 'object',
          properties: {
            config: {
              type: 'object',
              properties: {
                retention: { type: 'string', enum: ['Limits', 'Interest', 'Work'] },
                storage: { type: 'string', enum: ['File', 'Memory'] },
                maxAge: { type: 'string', pattern: goDuration },
                duplicateWindow: { type: 'string', pattern: goDuration },
              },
            },
          },
        },
        consumerConfigTemplate: {
          type: 'object',
          properties: { deliverPolicy: { type: 'string', enum: ['All', 'Last', 'New', 'ByStartSequence', 'ByStartTime'] } },
        },
      },
    },
  },
};

/** Does a Trigger's `spec.filters` (as {@link triggerFiltersSchema} allows) let an event of `type` through? All filters must match. */
function triggerPasses(trigger: Manifest, type: string): boolean {
  type Filter = { exact?: { type?: string }; any?: Filter[] };
  const passes = (filter: Filter): boolean => (filter.exact ? filter.exact.type === type : (filter.any ?? []).some(passes));
  return (trigger.spec.filters as Filter[]).every(passes);
}

/**
 * Paths of the fields in `manifest` its schema does not define. The models
 * accept unknown fields, as `kubectl apply` does not, so this runs the
 * model's compiled validator on a view of the manifest that records which
 * fields it reads: a field never read is one the schema lacks. An object
 * whose keys the validator enumerates is a map (labels, ConfigMap data), and
 * one it reads no field of has an open schema (a SinkBinding's matchLabels):
 * any key is allowed in both.
 */
function fieldsTheSchemaLacks(manifest: object, model: ModelClass): string[] {
  const readKeys = new Map<object, Set<string>>();
  const maps = new Set<object>();
  const views = new WeakMap<object, object>();
  const view = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    let proxy = views.get(value);
    if (!proxy) {
      proxy = new Proxy(value, {
        get(target, key, receiver) {
          if (typeof key === 'string') {
            const keys = readKeys.get(target) ?? new Set<string>();
            keys.add(key);
            readKeys.set(target, keys);
          }
          return view(Reflect.get(target, key, receiver));
        },
        ownKeys(target) {
          maps.add(target);
          return Reflect.ownKeys(target);
        },
      });
      views.set(value, proxy);
    }
    return proxy;
  };
  model.prototype.validate.call(view(manifest));

  const unknown: string[] = [];
  const walk = (value: unknown, path: string) => {
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) return value.forEach((item, index) => walk(item, `${path}/${index}`));
    const known = readKeys.get(value);
    // Read nothing of, yet reached: its schema is an open object (x-kubernetes-preserve-unknown-fields).
    if (!maps.has(value) && !known) return;
    for (const [key, child] of Object.entries(value)) {
      if (!maps.has(value) && !known?.has(key)) unknown.push(`${path}/${key}`);
      else walk(child, `${path}/${key}`);
    }
  };
  walk(manifest, '');
  return unknown;
}

/** Every YAML file under knative/, path → its documents. */
function manifestFiles(): Map<string, Manifest[]> {
  const files = new Map<string, Manifest[]>();
  for (const entry of readdirSync(join(root, 'knative'), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.yaml')) continue;
    const path = relative(root, join(entry.parentPath, entry.name));
    const documents = parseAllDocuments(read(path));
    if (!Array.isArray(documents)) throw new Error(`${path}: not YAML documents`);
    for (const document of documents) if (document.errors.length > 0) throw new Error(`${path}: ${document.errors[0]!.message}`);
    files.set(path, documents.map((document) => document.toJS() as Manifest));
  }
  return files;
}

const files = manifestFiles();
const all = [...files.values()].flat();
const find = (kind: string, name: string, apiVersion?: string): Manifest => {
  const found = all.filter((m) => m.kind === kind && m.metadata.name === name && (!apiVersion || m.apiVersion === apiVersion));
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0]!;
};
const knativeServices = all.filter((m) => m.apiVersion === 'serving.knative.dev/v1' && m.kind === 'Service');
const configData: Record<string, string> = find('ConfigMap', configMapName).data;
const secretData: Record<string, string> = find('Secret', secretName).stringData;

describe('manifests', () => {
  it('are what npm run manifests generates (run it after changing the registry or the settings)', () => {
    expect(staleManifests()).toEqual([]);
  });

  it('each start by saying they are generated', () => {
    for (const path of [...files.keys(), 'compose.yaml']) expect(read(path), path).toMatch(/^# Generated by `npm run manifests`/);
  });

  it('are every one valid for its kind, with no field the schema lacks', () => {
    expect(all.length).toBeGreaterThan(registry.length);
    for (const manifest of all) {
      const where = `${manifest.kind} ${manifest.metadata.name}`;
      const Model = modelOf(manifest);
      // A Trigger's filters are checked on their own (triggerFiltersSchema): the model predates them.
      const checked = manifest.kind === 'Trigger' ? { ...manifest, spec: { ...manifest.spec, filters: undefined } } : manifest;
      if (manifest.kind === 'Trigger') expect(strictProblems(manifest.spec.filters, triggerFiltersSchema, '/spec/filters'), where).toEqual([]);
      expect(() => new Model(checked as never).validate(), where).not.toThrow();
      expect(fieldsTheSchemaLacks(JSON.parse(JSON.stringify(checked)), Model), where).toEqual([]);
      // eventing-natss reads its NATS address from knative-eventing; everything else is Polaris's namespace.
      const expected = manifest.kind === 'ConfigMap' && manifest.metadata.name === 'config-nats' ? 'knative-eventing' : 'polaris';
      expect(manifest.metadata.namespace ?? 'polaris', where).toBe(expected);
    }
  });

  it('check the hand-written schemas: a misspelled filter or channel field, or a wrong value, is refused', () => {
    expect(strictProblems([{ any: [{ exact: { type: 'a.b' } }, { exact: { typ: 'a.c' } }] }], triggerFiltersSchema)).toEqual(['/0/any/1/exact/type: missing', '/0/any/1/exact/typ: not in the schema']);
    expect(strictProblems([{ prefix: { type: 'a.' } }], triggerFiltersSchema)).toEqual(['/0/prefix: not in the schema']);
    const template = { apiVersion: 'messaging.knative.dev/v1alpha1', kind: 'NatsJetStreamChannel', spec: { stream: { config: { retension: 'Limits', maxAge: '7d' } } } };
    expect(strictProblems(template, natsJetStreamChannelTemplateSchema)).toEqual(['/spec/stream/config/retension: not in the schema', `/spec/stream/config/maxAge: does not match ${goDuration}`]);
  });

  it('rejects a misspelled field that the models alone accept', () => {
    const ingest = structuredClone(find('Service', 'ingest', 'serving.knative.dev/v1'));
    ingest.spec.template.spec.containers[0].readinesProbe = { httpGet: { path: '/health/readiness' } };
    ingest.spec.template.spec.containres = structuredClone(ingest.spec.template.spec.containers);
    expect(() => new KnativeService(ingest as never).validate()).not.toThrow();
    expect(fieldsTheSchemaLacks(ingest, KnativeService as unknown as ModelClass)).toEqual([
      '/spec/template/spec/containers/0/readinesProbe',
      '/spec/template/spec/containres',
    ]);

    const relay = structuredClone(find('Deployment', 'outbox-relay'));
    relay.spec.template.spec.containers[0].resources.limit = { cpu: '1' };
    expect(fieldsTheSchemaLacks(relay, Deployment as unknown as ModelClass)).toEqual(['/spec/template/spec/containers/0/resources/limit']);
    const trigger = structuredClone(find('Trigger', 'aggregate'));
    trigger.spec.delivery.deadLetterSink.url = 'http://elsewhere';
    // The model predates spec.filters, the one field triggerFiltersSchema checks instead.
    expect(fieldsTheSchemaLacks(trigger, Trigger as unknown as ModelClass)).toEqual(['/spec/filters', '/spec/delivery/deadLetterSink/url']);
  });

  it('hold one Knative Service per registry function, and no other, one file each', () => {
    expect(knativeServices.map((s) => s.metadata.name).sort()).toEqual(registry.map((e) => e.name).sort());
    for (const entry of registry) expect(files.get(`knative/functions/${entry.name}.yaml`)?.map((m) => m.metadata.name)).toEqual([entry.name]);
    expect(read('knative/functions.txt').trim().split('\n')).toEqual(registry.map((e) => e.name));
  });

  it('run each function from its image, scaling to zero, probed on its health routes', () => {
    for (const entry of registry) {
      const service = find('Service', entry.name, 'serving.knative.dev/v1');
      const template = service.spec.template;
      const [container, ...others] = template.spec.containers;
      expect(others, entry.name).toEqual([]);
      expect(container.name).toBe('function');
      expect(container.image).toBe(imageFor(entry.name));
      expect(container.image).toMatch(/^kind\.local\//);
      expect(template.metadata.annotations['autoscaling.knative.dev/min-scale'], entry.name).toBe('0');
      // Deploying every function starts none of them (deploy.sh sets allow-zero-initial-scale).
      expect(template.metadata.annotations['autoscaling.knative.dev/initial-scale'], entry.name).toBe('0');
      // Where Prometheus finds the function's metrics: its one port answers GET /metrics (shared/runtime/ops.ts).
      expect(template.metadata.annotations, entry.name).toMatchObject({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(container.ports[0].containerPort),
        'prometheus.io/path': '/metrics',
      });
      expect(Number(template.metadata.annotations['autoscaling.knative.dev/target'])).toBeGreaterThan(0);
      expect(container.readinessProbe.httpGet.path).toBe('/health/readiness');
      expect(container.livenessProbe.httpGet.path).toBe('/health/liveness');
      expect(container.resources.requests).toBeDefined();
      expect(container.resources.limits).toBeDefined();
      expect(container.envFrom).toEqual([{ configMapRef: { name: configMapName } }, { secretRef: { name: secretName } }]);
      // Knative derives the port from the container's one declared port; h2c makes it route HTTP/2 end to end.
      expect(container.ports, entry.name).toEqual([{ name: entry.kind === 'grpc' ? 'h2c' : 'http1', containerPort: 8080 }]);
      const visibility = service.metadata.labels?.['networking.knative.dev/visibility'];
      expect(visibility, entry.name).toBe(entry.kind === 'http' ? undefined : 'cluster-local');
    }
    // High concurrency for RPCs and HTTP, lower for event handlers.
    const concurrency = (kind: string) => knativeServices.filter((s) => s.metadata.labels?.['polaris.dev/kind'] === kind).map((s) => s.spec.template.spec.containerConcurrency);
    expect(new Set([...concurrency('grpc'), ...concurrency('http')])).toEqual(new Set([0]));
    for (const limit of concurrency('event')) expect(limit).toBeGreaterThan(0);
  });

  it('fit every function at its most replicas, and what is kept for the rest, within PostgreSQL\'s max_connections', () => {
    const postgresArgs: string[] = find('StatefulSet', 'postgres').spec.template.spec.containers[0].args;
    const setting = (name: string) => {
      const flag = postgresArgs.find((arg) => arg.startsWith(`${name}=`));
      expect(flag, `postgres -c ${name}=…`).toBeDefined();
      return Number(flag!.split('=')[1]);
    };
    const maxConnections = setting('max_connections');
    const superuserReserved = setting('superuser_reserved_connections');
    let functions = 0;
    for (const service of knativeServices) {
      const where = service.metadata.name;
      const maxScale = Number(service.spec.template.metadata.annotations['autoscaling.knative.dev/max-scale']);
      expect(maxScale, where).toBeGreaterThan(0);
      // The Service's own pool size, else the ConfigMap's, else the code's default.
      const env: Array<{ name: string; value?: string }> = service.spec.template.spec.containers[0].env ?? [];
      const poolSize = Number(env.find((e) => e.name === 'POLARIS_DATABASE_POOL_SIZE')?.value ?? configData.POLARIS_DATABASE_POOL_SIZE ?? defaults.databasePoolSize);
      expect(poolSize, where).toBeGreaterThan(0);
      functions += maxScale * poolSize;
    }
    const reserve = Object.values(connectionReserve).reduce((sum, n) => sum + n, 0);
    expect(functions + reserve, `${functions} for the functions and ${reserve} kept of ${maxConnections - superuserReserved}`).toBeLessThanOrEqual(
      maxConnections - superuserReserved,
    );
    expect(connectionBudget(registry)).toEqual({ functions, reserve, available: maxConnections - superuserReserved });

    // The hot paths get more replicas than the rest; an event handler takes no more events at once than its pool has connections.
    const maxScaleOf = (name: string) => Number(find('Service', name, 'serving.knative.dev/v1').spec.template.metadata.annotations['autoscaling.knative.dev/max-scale']);
    for (const hot of ['ingest', 'validate-api-key', 'gateway']) expect(maxScaleOf(hot), hot).toBeGreaterThan(maxScaleOf('create-organization'));
    for (const service of knativeServices.filter((s) => s.metadata.labels?.['polaris.dev/kind'] === 'event')) {
      const { containerConcurrency, containers } = service.spec.template.spec;
      const poolSize = Number(containers[0].env.find((e: { name: string }) => e.name === 'POLARIS_DATABASE_POOL_SIZE').value);
      expect(containerConcurrency, service.metadata.name).toBeLessThanOrEqual(poolSize);
    }
  });

  it('give aggregate a warm replica between scheduled runs and a longer timeout than a request\'s default', () => {
    const aggregate = find('Service', 'aggregate', 'serving.knative.dev/v1').spec.template;
    expect(aggregate.metadata.annotations['autoscaling.knative.dev/scale-down-delay']).toBe('6m');
    expect(aggregate.metadata.annotations['autoscaling.knative.dev/target-burst-capacity']).toBe('-1');
    expect(aggregate.spec.timeoutSeconds).toBeGreaterThan(300);
    // Knative refuses more than max-revision-timeout-seconds, 600 unless config-defaults says otherwise.
    expect(aggregate.spec.timeoutSeconds).toBeLessThanOrEqual(600);
  });

  it("keep to the rules Knative's webhook adds to the schema", () => {
    const reservedPorts = [8008, 8012, 8013, 8022, 9090, 9091];
    const reservedEnv = ['PORT', 'K_SERVICE', 'K_CONFIGURATION', 'K_REVISION'];
    const securityFields = ['allowPrivilegeEscalation', 'capabilities', 'privileged', 'readOnlyRootFilesystem', 'runAsGroup', 'runAsNonRoot', 'runAsUser', 'seccompProfile'];
    for (const service of knativeServices) {
      const where = service.metadata.name;
      const { spec, metadata } = service.spec.template;
      expect(spec.containerConcurrency, where).toBeLessThanOrEqual(1000);
      const { 'autoscaling.knative.dev/min-scale': min, 'autoscaling.knative.dev/max-scale': max } = metadata.annotations;
      expect(Number(min), where).toBeLessThanOrEqual(Number(max));
      const container = spec.containers[0];
      expect(container.name, where).not.toBe('queue-proxy');
      expect(['', 'h2c', 'http1'], where).toContain(container.ports[0].name ?? '');
      expect(reservedPorts, where).not.toContain(container.ports[0].containerPort);
      for (const variable of container.env ?? []) expect(reservedEnv, where).not.toContain(variable.name);
      // With no periodSeconds, Knative probes readiness on its own schedule and refuses these.
      if (!container.readinessProbe.periodSeconds) {
        expect(container.readinessProbe.timeoutSeconds, where).toBeUndefined();
        expect(container.readinessProbe.failureThreshold, where).toBeUndefined();
      }
      for (const probe of [container.readinessProbe, container.livenessProbe]) expect([undefined, container.ports[0].name], where).toContain(probe.httpGet.port);
      for (const field of Object.keys(container.securityContext)) expect(securityFields, where).toContain(field);
      expect(container.securityContext.capabilities.add, where).toBeUndefined();
    }
  });

  it('provide every setting the code reads from the ConfigMap or the Secret, and only those', () => {
    const readByCode = settingsReadIn(clusterCodeFiles());
    expect([...readByCode]).toEqual(expect.arrayContaining(['DATABASE_URL', 'NATS_URL', 'POLARIS_DELIVERY_ADDRESS_TEMPLATE', 'K_SERVICE']));
    const provided = new Set([...Object.keys(configData), ...Object.keys(secretData)]);
    const missing = [...readByCode].filter((name) => !provided.has(name) && !(name in notFromConfig));
    expect(missing, 'settings the code reads that neither the ConfigMap nor the Secret provides').toEqual([]);
    const unread = [...provided].filter((name) => !readByCode.has(name));
    expect(unread, 'settings no code reads').toEqual([]);
    for (const name of Object.keys(notFromConfig)) expect(provided.has(name), name).toBe(false);

    const localOnly = [...settingsReadIn(['scripts/start/config.ts'])].filter((name) => !readByCode.has(name));
    expect(localOnly).toEqual(expect.arrayContaining(['POLARIS_HTTP_PORT', 'POLARIS_AGGREGATION_INTERVAL', 'POLARIS_WEBHOOK_RETRY_INTERVAL']));
    for (const name of localOnly) expect(provided.has(name), name).toBe(false);
  });

  it('find PostgreSQL and NATS where their Services and StatefulSets put them, on volumes of their own', () => {
    for (const name of ['postgres', 'nats']) {
      const set = find('StatefulSet', name);
      expect(set.spec.serviceName).toBe(name);
      expect(set.spec.volumeClaimTemplates).toHaveLength(1);
      const mounts = set.spec.template.spec.containers[0].volumeMounts;
      expect(mounts.map((m: { name: string }) => m.name)).toEqual([set.spec.volumeClaimTemplates[0].metadata.name]);
      const service = find('Service', name, 'v1');
      expect(service.spec.selector).toEqual(set.spec.selector.matchLabels);
    }
    expect(find('StatefulSet', 'nats').spec.template.spec.containers[0].args).toEqual(expect.arrayContaining(['-js', '-sd', '/data']));
    expect(new URL(configData.NATS_URL!).host).toBe(`nats.polaris.svc.cluster.local:${find('Service', 'nats', 'v1').spec.ports[0].port}`);
    const database = new URL(secretData.DATABASE_URL!);
    expect(database.host).toBe(`postgres.polaris.svc.cluster.local:${find('Service', 'postgres', 'v1').spec.ports[0].port}`);
    const postgresEnv = Object.fromEntries(find('StatefulSet', 'postgres').spec.template.spec.containers[0].env.map((e: { name: string; value?: string }) => [e.name, e.value]));
    expect([database.username, database.pathname.slice(1)]).toEqual([postgresEnv.POSTGRES_USER, postgresEnv.POSTGRES_DB]);
    expect(configData.POLARIS_FUNCTION_ADDRESS_TEMPLATE).toBe('{name}.polaris.svc.cluster.local:80');
    expect(configData.POLARIS_DELIVERY_ADDRESS_TEMPLATE).toBe('{name}.polaris.svc.cluster.local');
  });

  it('migrate with a Job and relay the outboxes with an always-on Deployment bound to the Broker, each from its own image', () => {
    const job = find('Job', 'polaris-migrate');
    const migrate = job.spec.template.spec.containers[0];
    expect(migrate.image).toBe(imageFor('migrate'));
    expect(migrate.env).toEqual([{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: secretName, key: 'DATABASE_URL' } } }]);
    const relay = find('Deployment', 'outbox-relay');
    expect(relay.spec.replicas).toBe(1);
    const container = relay.spec.template.spec.containers[0];
    expect(container.image).toBe(imageFor('outbox-relay'));
    expect(container.readinessProbe.httpGet.path).toBe('/health/readiness');
    expect(container.envFrom).toEqual([{ configMapRef: { name: configMapName } }]);
    expect(relay.spec.template.metadata.annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(container.ports[0].containerPort),
      'prometheus.io/path': '/metrics',
    });
    // One retry for a transient failure; deploy.sh prints the logs once the Job has failed.
    expect(job.spec.backoffLimit).toBe(1);
    expect(container.env).toEqual([{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: secretName, key: 'DATABASE_URL' } } }]);
    const binding = find('SinkBinding', 'outbox-relay');
    expect(binding.spec.subject).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'outbox-relay' });
    expect(binding.spec.sink).toEqual({ ref: { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', name: 'default' } });
    // The Triggers' dead-letter sink is its Service, which selects its pod.
    expect(find('Service', 'outbox-relay', 'v1').spec.selector).toEqual(relay.spec.selector.matchLabels);
    expect(files.has('knative/60-delivery.yaml')).toBe(false);
  });

  it('route events through a Broker whose channel is a NatsJetStreamChannel on Polaris\'s NATS', () => {
    const broker = find('Broker', 'default');
    expect(broker.metadata.annotations?.['eventing.knative.dev/broker.class']).toBe('MTChannelBasedBroker');
    const channelConfig = find('ConfigMap', broker.spec.config.name);
    expect(broker.spec.config).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', name: channelConfig.metadata.name, namespace: 'polaris' });
    const template = parse(channelConfig.data['channel-template-spec']) as object;
    expect(strictProblems(template, natsJetStreamChannelTemplateSchema)).toEqual([]);
    expect(template).toMatchObject({ spec: { stream: { config: { duplicateWindow: '10m', maxAge: '168h' } } } });
    const natsConfig = parse(find('ConfigMap', 'config-nats').data['eventing-nats']) as { url: string };
    expect(new URL(natsConfig.url).host).toBe(new URL(configData.NATS_URL!).host);
    expect(new URL(natsConfig.url).host).toBe('nats.polaris.svc.cluster.local:4222');
  });

  it('hold one Trigger per event function, on the Broker, to its Knative Service, with retries and the dead-letter sink', () => {
    const triggers = all.filter((m) => m.kind === 'Trigger');
    const subscribed = registry.filter((e) => (e.subscribes?.length ?? 0) > 0);
    expect(triggers.map((t) => t.metadata.name).sort()).toEqual(subscribed.map((e) => e.name).sort());
    for (const trigger of triggers) {
      const name = trigger.metadata.name;
      expect(trigger.spec.broker, name).toBe('default');
      expect(trigger.spec.subscriber, name).toEqual({ ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name } });
      expect(trigger.spec.delivery, name).toEqual({
        retry: 7,
        backoffPolicy: 'exponential',
        backoffDelay: 'PT1S',
        deadLetterSink: { ref: { apiVersion: 'v1', kind: 'Service', name: 'outbox-relay' }, uri: `/dead-letters?function=${name}&attempts=8` },
      });
    }
  });

  it('deliver every declared event type, through the Triggers, to exactly the functions the registry subscribes to it', () => {
    const triggers = all.filter((m) => m.kind === 'Trigger');
    const declared: string[] = Object.values(EventType);
    for (const type of declared) {
      const reached = triggers.filter((trigger) => triggerPasses(trigger, type)).map((trigger) => trigger.spec.subscriber.ref.name as string);
      const subscribed = registry.filter((e) => e.subscribes?.includes(type)).map((e) => e.name);
      expect(reached.sort(), type).toEqual(subscribed.sort());
    }
    // And no function waits for a type nobody declares (a typo in the registry).
    for (const entry of registry) for (const type of entry.subscribes ?? []) expect(declared, entry.name).toContain(type);
  });

  it('post the aggregation CloudEvent every 5 minutes to the Broker, through a SinkBinding, for the aggregation function\'s Trigger', () => {
    const [aggregate] = registry.filter((e) => e.subscribes?.includes(EventType.AggregationRequested));
    const cron = find('CronJob', 'aggregation-cron');
    const binding = find('SinkBinding', 'aggregation-cron');
    expect(cron.spec.schedule).toBe('*/5 * * * *');
    expect(binding.spec.sink.ref).toEqual({ apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', name: 'default' });
    expect(triggerPasses(find('Trigger', aggregate!.name), EventType.AggregationRequested)).toBe(true);
    expect(binding.spec.subject).toEqual({ apiVersion: 'batch/v1', kind: 'Job', selector: { matchLabels: cron.spec.jobTemplate.metadata.labels } });
    const script: string = cron.spec.jobTemplate.spec.template.spec.containers[0].command.join(' ');
    expect(script).toContain('"$K_SINK"');
    expect(script).toContain(`ce-type: ${EventType.AggregationRequested}`);
    expect(script).toContain('ce-specversion: 1.0');
    expect(script).toContain('ce-id: aggregation-$(cat /proc/sys/kernel/random/uuid)');
  });

  it('post the webhook delivery run every minute to the Broker, through a SinkBinding, for the Trigger of the function that retries due messages', () => {
    const [retrier] = registry.filter((e) => e.subscribes?.includes(EventType.WebhooksDeliveryDue));
    expect(retrier?.name).toBe('deliver-due-webhooks');
    const cron = find('CronJob', 'webhook-delivery-cron');
    const binding = find('SinkBinding', 'webhook-delivery-cron');
    expect(cron.spec.schedule).toBe('* * * * *');
    expect(cron.spec.concurrencyPolicy).toBe('Forbid');
    expect(binding.spec.sink.ref).toEqual({ apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', name: 'default' });
    expect(triggerPasses(find('Trigger', retrier!.name), EventType.WebhooksDeliveryDue)).toBe(true);
    expect(binding.spec.subject).toEqual({ apiVersion: 'batch/v1', kind: 'Job', selector: { matchLabels: cron.spec.jobTemplate.metadata.labels } });
    const script: string = cron.spec.jobTemplate.spec.template.spec.containers[0].command.join(' ');
    expect(script).toContain('"$K_SINK"');
    expect(script).toContain(`ce-type: ${EventType.WebhooksDeliveryDue}`);
    expect(script).toContain('ce-id: webhook-delivery-$(cat /proc/sys/kernel/random/uuid)');
  });
});

describe('compose.yaml', () => {
  const compose = parse(read('compose.yaml'), { merge: true }) as { services: Record<string, { build?: { args: { FUNCTION: string } }; environment?: Record<string, string> }> };

  it('builds every function, the migration and the delivery (compose has no Broker) from the Dockerfile, each by its name', () => {
    for (const name of [...registry.map((e) => e.name), 'migrate', 'delivery']) expect(compose.services[name]?.build?.args.FUNCTION, name).toBe(name);
  });

  it("fits every container's pool, one container each, within PostgreSQL's max_connections", () => {
    const command = (compose.services.postgres as unknown as { command: string[] }).command;
    const maxConnections = Number(command.find((arg) => arg.startsWith('max_connections='))!.split('=')[1]);
    const superuserReserved = Number(command.find((arg) => arg.startsWith('superuser_reserved_connections='))!.split('=')[1]);
    const pools = registry.reduce((sum, entry) => sum + Number(compose.services[entry.name]!.environment!.POLARIS_DATABASE_POOL_SIZE), 0);
    const reserve = Object.values(connectionReserve).reduce((sum, n) => sum + n, 0);
    expect(pools + reserve).toBeLessThanOrEqual(maxConnections - superuserReserved);
  });

  it('gives every function the settings the code reads, each function at {name}:8080', () => {
    const readByCode = [...settingsReadIn(clusterCodeFiles())].filter((name) => !(name in notFromConfig));
    for (const entry of registry) {
      const environment = compose.services[entry.name]!.environment!;
      expect(Object.keys(environment).sort(), entry.name).toEqual(readByCode.sort());
      expect(environment.POLARIS_FUNCTION_ADDRESS_TEMPLATE).toBe('{name}:8080');
    }
  });
});

describe('Dockerfile', () => {
  it('copies the bundle folders npm run build writes, and runs as the node user', () => {
    const dockerfile = read('Dockerfile');
    expect(relative(root, bundlePath('ingest'))).toBe('dist/functions/ingest/index.mjs');
    expect(relative(root, distDir)).toBe('dist');
    expect(dockerfile).toContain('from="dist/functions/${FUNCTION}"');
    expect(dockerfile).toContain('migrate|outbox-relay|delivery) from="dist/${FUNCTION}"');
    expect(dockerfile).toMatch(/^USER node$/m);
    // One Node image for both stages (the code cache the build writes is only good for the same V8), on a maintained LTS line.
    expect(dockerfile.match(/^FROM .*$/gm)).toEqual(['FROM ${NODE_IMAGE} AS build', 'FROM build AS bundle', 'FROM ${NODE_IMAGE}']);
    expect(Number(/^ARG NODE_IMAGE=node:(\d+)-bookworm-slim$/m.exec(dockerfile)?.[1])).toBeGreaterThanOrEqual(24);
    expect(dockerfile).toMatch(/^CMD \["node", "index.mjs"\]$/m);
  });
});

/**
 * Settings the code reads that the ConfigMap and the Secret must not hold:
 * Knative or a binding sets them, or they only make sense on one machine.
 */
const notFromConfig: Record<string, string> = {
  PORT: 'Knative sets it to the container port; the outbox relay listens on its default, the port it declares',
  K_SERVICE: 'Knative sets it on every revision; the outbox relay names itself',
  K_REVISION: 'Knative sets it on every revision',
  K_SINK: "the SinkBindings inject the Broker's address into the outbox relay and the scheduled Jobs (aggregation, webhook retries)",
  POLARIS_GRPC_ADDRESS: "the local host's one gRPC port; in the cluster each RPC goes to its own function",
  NODE_OPTIONS: "Node's own, for an operator's flags: a bundle's loader leaves V8's compilers and young generation to flags set there",
};

/** The TypeScript that runs in the cluster: the functions, the shared runtime, the event plane and the migration. */
function clusterCodeFiles(): string[] {
  const sources = (dir: string) =>
    readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
      .map((entry) => relative(root, join(entry.parentPath, entry.name)));
  return [...sources('shared'), ...sources('functions'), 'scripts/migrate.ts'];
}

/** Environment variables `files` read: `process.env.X`, and the SettingsReader's `read.string('X')` and `read.integer('subsystem', 'X', …)`. */
function settingsReadIn(paths: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const path of paths) {
    const source = read(path);
    for (const match of source.matchAll(/process\.env(?:\.([A-Z][A-Z0-9_]*)|\[['"]([A-Z][A-Z0-9_]*)['"]\])/g)) names.add((match[1] ?? match[2])!);
    for (const [, first, second] of source.matchAll(/\bread\.\w+\(\s*'([^']*)'(?:\s*,\s*'([^']*)')?/g)) {
      for (const literal of [first, second]) if (literal && /^[A-Z][A-Z0-9_]*$/.test(literal)) names.add(literal);
    }
  }
  return names;
}
