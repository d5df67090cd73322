/**
 * The operator's command-line tool. Prints JSON. Talks gRPC to a running
 * Polaris (`npm start`, or a port-forward to the cluster).
 *
 *   npm run polaris -- org create --name Acme
 *   npm run polaris -- org list
 *   npm run polaris -- org get --id <organization id>
 *   npm run polaris -- key create --org <organization id>
 *   npm run polaris -- key list --org <organization id>
 *   npm run polaris -- key revoke --id <api key id>
 *
 * POLARIS_GRPC_ADDRESS (default 127.0.0.1:50051) says where; the admin token
 * comes from POLARIS_ADMIN_TOKEN or `.polaris/admin-token`.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Metadata, type MethodDefinition } from '@grpc/grpc-js';
import { IdentityService } from '../proto/gen/polaris/identity/v1/identity.js';
import { GrpcClients } from '../shared/grpc/clients.js';
import { PolarisError } from '../shared/errors.js';

interface Command {
  usage: string;
  options: Record<string, { type: 'string' }>;
  run(values: Record<string, string | undefined>): { method: MethodDefinition<any, any>; request: object };
}

const commands: Record<string, Command> = {
  'org create': {
    usage: 'org create --name <name>',
    options: { name: { type: 'string' } },
    run: ({ name }) => ({ method: IdentityService.createOrganization, request: { name: name ?? '' } }),
  },
  'org list': {
    usage: 'org list',
    options: {},
    run: () => ({ method: IdentityService.listOrganizations, request: {} }),
  },
  'org get': {
    usage: 'org get --id <organization id>',
    options: { id: { type: 'string' } },
    run: ({ id }) => ({ method: IdentityService.getOrganization, request: { organizationId: id ?? '' } }),
  },
  'key create': {
    usage: 'key create --org <organization id>',
    options: { org: { type: 'string' } },
    run: ({ org }) => ({ method: IdentityService.createApiKey, request: { organizationId: org ?? '' } }),
  },
  'key list': {
    usage: 'key list --org <organization id>',
    options: { org: { type: 'string' } },
    run: ({ org }) => ({ method: IdentityService.listApiKeys, request: { organizationId: org ?? '' } }),
  },
  'key revoke': {
    usage: 'key revoke --id <api key id>',
    options: { id: { type: 'string' } },
    run: ({ id }) => ({ method: IdentityService.revokeApiKey, request: { apiKeyId: id ?? '' } }),
  },
};

function usage(): string {
  return ['usage: npm run polaris -- <command>', ...Object.values(commands).map((c) => `  ${c.usage}`)].join('\n');
}

async function adminToken(): Promise<string | undefined> {
  if (process.env.POLARIS_ADMIN_TOKEN) return process.env.POLARIS_ADMIN_TOKEN;
  try {
    return (await readFile(`${process.env.POLARIS_STATE_DIR ?? '.polaris'}/admin-token`, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

async function main(argv: string[]): Promise<number> {
  const command = commands[argv.slice(0, 2).join(' ')];
  if (!command) {
    console.error(usage());
    return 2;
  }
  const { values } = parseArgs({ args: argv.slice(2), options: command.options, strict: true });
  const { method, request } = command.run(values as Record<string, string | undefined>);
  const clients = new GrpcClients({ address: process.env.POLARIS_GRPC_ADDRESS ?? '127.0.0.1:50051', addressTemplate: '{name}' });
  const metadata = new Metadata();
  const token = await adminToken();
  if (token) metadata.set('authorization', `Bearer ${token}`);
  try {
    const response = await clients.call(method, request, metadata);
    console.log(JSON.stringify(response, null, 2));
    return 0;
  } catch (err) {
    const error = err instanceof PolarisError ? { code: err.code, message: err.message } : { code: 'error', message: String(err) };
    console.error(JSON.stringify({ error }, null, 2));
    return 1;
  } finally {
    clients.close();
  }
}

process.exitCode = await main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`polaris: ${(err as Error).message}\n${usage()}`);
  return 2;
});
