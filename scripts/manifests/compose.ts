/**
 * compose.yaml: Polaris in containers on one machine, from the same images,
 * facts and settings as the Kubernetes manifests.
 *
 * @module
 */
import { Document, isMap } from 'yaml';
import { functionRegistry } from '../../functions/registry.js';
import type { FunctionEntry } from '../../shared/runtime/index.js';
import { aggregationFunction, handlerOf, scheduledEvents, scheduledEventScript } from './schedules.js';
import {
  composeEventProcess,
  containerPort,
  defaultImageTag,
  generatedNotice,
  infrastructureImages,
  isClusterLocal,
  natsServer,
  placeholderPassword,
  postgresDatabase,
  postgresServer,
} from './facts.js';
import { clusterSettings, dashboardUpstreamSettings, databaseUrl, placeholderSecrets } from './settings.js';

/** compose.yaml: the same images on one machine, every function its own container. */
export function composeFile(): string {
  const { user, database } = postgresDatabase;
  const databaseUrlInCompose = databaseUrl('postgres', placeholderPassword);
  const build = (name: string) => ({ context: '.', args: { FUNCTION: name } });
  // What every Polaris container shares, merged into each (`<<`) below.
  const polarisContainer = {
    environment: {
      ...clusterSettings(),
      ...placeholderSecrets(),
      DATABASE_URL: databaseUrlInCompose,
      NATS_URL: `nats://nats:${natsServer.clientPort}`,
      POLARIS_DELIVERY_ADDRESS_TEMPLATE: `{name}:${containerPort}`,
      POLARIS_FUNCTION_ADDRESS_TEMPLATE: `{name}:${containerPort}`,
      ...dashboardUpstreamSettings((name) => `http://${name}:${containerPort}`),
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
      image: postgresServer.image,
      command: ['postgres', ...postgresServer.flags],
      environment: { POSTGRES_USER: user, POSTGRES_PASSWORD: placeholderPassword, POSTGRES_DB: database },
      volumes: [`postgres-data:${postgresServer.dataPath}`],
      healthcheck: { test: ['CMD', ...postgresServer.readyCommand], interval: '2s', timeout: '3s', retries: 30 },
    },
    nats: {
      image: natsServer.image,
      command: [...natsServer.args],
      volumes: [`nats-data:${natsServer.dataPath}`],
    },
    migrate: {
      build: build('migrate'),
      image: `polaris-migrate:${defaultImageTag}`,
      environment: { DATABASE_URL: databaseUrlInCompose },
      depends_on: { postgres: { condition: 'service_healthy' } },
    },
  };
  const polarisServices = [...functionRegistry.map((entry) => entry.name), composeEventProcess];
  for (const name of polarisServices) {
    const index = published.findIndex((entry) => entry.name === name);
    services[name] = {
      build: build(name),
      image: `polaris-${name}:${defaultImageTag}`,
      ...(index >= 0 ? { ports: [`127.0.0.1:${containerPort + index}:${containerPort}`] } : {}),
      // The delivery relays the outboxes, so it waits for the migrated database too.
      ...(name === composeEventProcess ? { depends_on: { nats: { condition: 'service_started' }, migrate: { condition: 'service_completed_successfully' } } } : {}),
    };
  }
  for (const scheduled of scheduledEvents()) {
    const handler = handlerOf(scheduled.type).name;
    const request = scheduledEventScript(scheduled, `http://${handler}:${containerPort}/`, `/polaris/compose/${scheduled.label}`);
    services[scheduled.name] = {
      image: infrastructureImages.curl,
      entrypoint: ['/bin/sh', '-c'],
      // $$ is compose's escape for a $ the shell expands.
      command: [`while sleep ${scheduled.minutes * 60}; do\n${request.replaceAll('$', '$$$$')} || echo '${scheduled.label} request failed'\ndone`],
      depends_on: { [handler]: { condition: 'service_started' } },
      restart: 'unless-stopped',
    };
  }

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

