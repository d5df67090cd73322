/**
 * The operator's command-line tool. Prints JSON. Speaks GraphQL to a running
 * Polaris (`npm start`, or the gateway's route in the cluster).
 *
 *   npm run polaris -- org create --name Acme
 *   npm run polaris -- org list
 *   npm run polaris -- org get --id <organization id>
 *   npm run polaris -- key create --org <organization id>
 *   npm run polaris -- key list --org <organization id>
 *   npm run polaris -- key revoke --id <api key id>
 *   npm run polaris -- plan set --org <id> --name "API calls" --metric api_calls --unit-price 0.002 --free-quota 1000
 *   npm run polaris -- plan list --org <organization id>
 *   npm run polaris -- invoice list --org <organization id>
 *   npm run polaris -- invoice generate --org <id> --from 2026-11-01 --to 2026-12-01
 *   npm run polaris -- invoice finalize --id <invoice id>
 *   npm run polaris -- aggregate [--org <organization id>]
 *
 * POLARIS_URL (default http://127.0.0.1:8080) says where; the admin token
 * comes from POLARIS_ADMIN_TOKEN or `.polaris/admin-token`.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

const invoiceFields = 'id status periodStart periodEnd amount currency totalAmount lineItems { metric quantity freeQuota billableQuantity unitPrice amount }';

interface Command {
  usage: string;
  options: Record<string, { type: 'string' }>;
  /** A GraphQL document, its variables, and the path of the answer to print. */
  request(values: Record<string, string | undefined>): { query: string; variables: object; pick: string };
}

const commands: Record<string, Command> = {
  'org create': {
    usage: 'org create --name <name>',
    options: { name: { type: 'string' } },
    request: ({ name }) => ({
      query: 'mutation($name: String!) { createOrganization(name: $name) { organization { id name createdAt } apiKey } }',
      variables: { name: name ?? '' },
      pick: 'createOrganization',
    }),
  },
  'org list': {
    usage: 'org list',
    options: {},
    request: () => ({ query: '{ organizations { id name createdAt } }', variables: {}, pick: 'organizations' }),
  },
  'org get': {
    usage: 'org get --id <organization id>',
    options: { id: { type: 'string' } },
    request: ({ id }) => ({
      query: 'query($id: ID!) { organization(id: $id) { id name createdAt plans { id name metric unitPrice freeQuota } apiKeys { id prefix createdAt revokedAt } } }',
      variables: { id: id ?? '' },
      pick: 'organization',
    }),
  },
  'key create': {
    usage: 'key create --org <organization id>',
    options: { org: { type: 'string' } },
    request: ({ org }) => ({ query: 'mutation($org: ID!) { createApiKey(organizationId: $org) { id apiKey } }', variables: { org: org ?? '' }, pick: 'createApiKey' }),
  },
  'key list': {
    usage: 'key list --org <organization id>',
    options: { org: { type: 'string' } },
    request: ({ org }) => ({
      query: 'query($org: ID!) { organization(id: $org) { apiKeys { id prefix createdAt revokedAt } } }',
      variables: { org: org ?? '' },
      pick: 'organization.apiKeys',
    }),
  },
  'key revoke': {
    usage: 'key revoke --id <api key id>',
    options: { id: { type: 'string' } },
    request: ({ id }) => ({ query: 'mutation($id: ID!) { revokeApiKey(id: $id) }', variables: { id: id ?? '' }, pick: 'revokeApiKey' }),
  },
  'plan set': {
    usage: 'plan set --org <organization id> --name <name> --metric <metric> --unit-price <decimal> --free-quota <decimal>',
    options: { org: { type: 'string' }, name: { type: 'string' }, metric: { type: 'string' }, 'unit-price': { type: 'string' }, 'free-quota': { type: 'string' } },
    request: (v) => ({
      query:
        'mutation($org: ID!, $name: String!, $metric: String!, $price: Decimal!, $quota: Decimal!) { setPlan(organizationId: $org, name: $name, metric: $metric, unitPrice: $price, freeQuota: $quota) { id name metric unitPrice freeQuota } }',
      variables: { org: v.org ?? '', name: v.name ?? '', metric: v.metric ?? '', price: v['unit-price'] ?? '', quota: v['free-quota'] ?? '0' },
      pick: 'setPlan',
    }),
  },
  'plan list': {
    usage: 'plan list --org <organization id>',
    options: { org: { type: 'string' } },
    request: ({ org }) => ({
      query: 'query($org: ID!) { organization(id: $org) { plans { id name metric unitPrice freeQuota } } }',
      variables: { org: org ?? '' },
      pick: 'organization.plans',
    }),
  },
  'invoice list': {
    usage: 'invoice list --org <organization id>',
    options: { org: { type: 'string' } },
    request: ({ org }) => ({ query: `query($org: ID!) { organization(id: $org) { invoices { ${invoiceFields} } } }`, variables: { org: org ?? '' }, pick: 'organization.invoices' }),
  },
  'invoice generate': {
    usage: 'invoice generate --org <organization id> --from <date> --to <date>',
    options: { org: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } },
    request: ({ org, from, to }) => ({
      query: `mutation($org: ID!, $from: String!, $to: String!) { generateInvoice(organizationId: $org, periodStart: $from, periodEnd: $to) { ${invoiceFields} } }`,
      variables: { org: org ?? '', from: from ?? '', to: to ?? '' },
      pick: 'generateInvoice',
    }),
  },
  'invoice finalize': {
    usage: 'invoice finalize --id <invoice id>',
    options: { id: { type: 'string' } },
    request: ({ id }) => ({ query: `mutation($id: ID!) { finalizeInvoice(id: $id) { ${invoiceFields} } }`, variables: { id: id ?? '' }, pick: 'finalizeInvoice' }),
  },
};

function usage(): string {
  return ['usage: npm run polaris -- <command>', ...Object.values(commands).map((c) => `  ${c.usage}`), '  aggregate [--org <organization id>]'].join('\n');
}

async function adminToken(): Promise<string | undefined> {
  if (process.env.POLARIS_ADMIN_TOKEN) return process.env.POLARIS_ADMIN_TOKEN;
  try {
    return (await readFile(`${process.env.POLARIS_STATE_DIR ?? '.polaris'}/admin-token`, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

const baseUrl = () => (process.env.POLARIS_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');

/** Sends `dev.polaris.aggregation.requested`, as the CronJob does. */
async function requestAggregation(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { org: { type: 'string' } }, strict: true });
  const response = await fetch(`${baseUrl()}/events`, {
    method: 'POST',
    headers: {
      'ce-specversion': '1.0',
      'ce-id': randomUUID(),
      'ce-source': '/polaris/cli',
      'ce-type': 'dev.polaris.aggregation.requested',
      'content-type': 'application/json',
    },
    body: JSON.stringify(values.org ? { orgId: values.org } : {}),
  });
  const text = await response.text();
  (response.ok ? console.log : console.error)(text);
  return response.ok ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'aggregate') return requestAggregation(argv.slice(1));
  const command = commands[argv.slice(0, 2).join(' ')];
  if (!command) {
    console.error(usage());
    return 2;
  }
  const { values } = parseArgs({ args: argv.slice(2), options: command.options, strict: true });
  const { query, variables, pick } = command.request(values as Record<string, string | undefined>);
  const token = await adminToken();
  const response = await fetch(`${baseUrl()}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ query, variables }),
  });
  const answer = (await response.json()) as { data?: Record<string, unknown> | null; errors?: unknown[] };
  if (answer.errors?.length) {
    console.error(JSON.stringify({ errors: answer.errors }, null, 2));
    return 1;
  }
  const picked = pick.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], answer.data);
  console.log(JSON.stringify(picked, null, 2));
  return 0;
}

process.exitCode = await main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`polaris: ${(err as Error).message}\n${usage()}`);
  return 2;
});
