/**
 * The operator's command-line tool. Prints JSON. Speaks GraphQL to a running
 * Polaris (`npm start`, or the gateway's route in the cluster).
 *
 *   npm run polaris -- org create --name Acme [--external-id cus_8812]
 *   npm run polaris -- org list
 *   npm run polaris -- org get --id <organization id>
 *   npm run polaris -- key create --org <organization id>
 *   npm run polaris -- key create --org <id> --name Backend --scope INGEST --scope READ --expires 2027-01-01T00:00:00Z
 *   npm run polaris -- key list --org <organization id>
 *   npm run polaris -- key revoke --id <api key id>
 *   npm run polaris -- service-key create --name "Billing backend"
 *   npm run polaris -- user invite --org <organization id> --email ana@example.com --role ADMIN
 *   npm run polaris -- user reset-password --email ana@example.com
 *   npm run polaris -- member list --org <organization id>
 *   npm run polaris -- member set-role --org <organization id> --user <user id> --role VIEWER
 *   npm run polaris -- member remove --org <organization id> --user <user id>
 *   npm run polaris -- invitation list --org <organization id>
 *   npm run polaris -- invitation revoke --id <invitation id>
 *   npm run polaris -- audit list [--org <organization id>] [--action api_key.create] [--from 2026-11-01T00:00:00Z] [--to …] [--limit 100]
 *   npm run polaris -- plan set --org <id> --name "API calls" --metric api_calls --unit-price 0.002 --free-quota 1000
 *   npm run polaris -- plan set --org <id> --name Calls --metric api_calls --model graduated --tier 1000:0 --tier '*:0.001' --effective-from 2027-01-01
 *   npm run polaris -- plan set --org <id> --name "GPT-4 tokens" --metric tokens --unit-price 0.00003 --where model=gpt-4,gpt-4o
 *   npm run polaris -- plan list --org <organization id>
 *   npm run polaris -- plan history --org <organization id>
 *   npm run polaris -- terms get --org <organization id>
 *   npm run polaris -- terms set --org <id> --time-zone Europe/Berlin --fee 49 --fee-name Platform --minimum 100 --currency EUR
 *   npm run polaris -- invoice list --org <organization id>
 *   npm run polaris -- invoice generate --org <id> --from 2026-11-01 --to 2026-12-01
 *   npm run polaris -- invoice finalize --id <invoice id>
 *   npm run polaris -- invoice void --id <invoice id> --reason "Billed twice"
 *   npm run polaris -- invoice close
 *   npm run polaris -- meter create --metric seats --name Seats --aggregation UNIQUE_COUNT --value-property user_id --group-by region
 *   npm run polaris -- meter list
 *   npm run polaris -- usage get --org <id> --metric api_calls --window HOUR --time-zone Asia/Kathmandu --group-by region --where region=eu,us
 *   npm run polaris -- alert create --org <id> --metric api_calls --budget 100000 --percent 50 --percent 80 --percent 100
 *   npm run polaris -- alert create --org <id> --budget 500   (the draft invoice's amount, at 80% and 100%)
 *   npm run polaris -- alert list --org <organization id>
 *   npm run polaris -- alert delete --id <alert id>
 *   npm run polaris -- entitlement set --org <id> --feature sso
 *   npm run polaris -- entitlement set --org <id> --feature api_calls --limit 100000 [--metric api_calls] [--soft true]
 *   npm run polaris -- entitlement list --org <organization id>
 *   npm run polaris -- entitlement check --org <id> --feature api_calls
 *   npm run polaris -- entitlement delete --org <id> --feature sso
 *   npm run polaris -- webhook create --url https://example.com/hooks --event 'dev.polaris.invoice.*' [--org <organization id>]
 *   npm run polaris -- webhook list [--org <organization id>]
 *   npm run polaris -- webhook deliveries --id <endpoint id> [--status FAILED]
 *   npm run polaris -- webhook redeliver --message <msg_…>
 *   npm run polaris -- webhook rotate-secret --id <endpoint id>
 *   npm run polaris -- webhook disable|enable|delete --id <endpoint id>
 *   npm run polaris -- aggregate [--org <organization id>]
 *
 * POLARIS_URL (default http://127.0.0.1:8080) says where; the admin token
 * comes from POLARIS_ADMIN_TOKEN or `.polaris/admin-token`.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { requestAggregationRun } from './polaris/aggregation-request.js';
import { commands } from './polaris/commands.js';

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

/** Asks for an aggregation run, as the CronJob does, and prints its answer once the run is over. */
async function requestAggregation(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { org: { type: 'string' } }, strict: true });
  const { status, text } = await requestAggregationRun(baseUrl(), { source: '/polaris/cli', orgId: values.org });
  const ok = status >= 200 && status < 300;
  (ok ? console.log : console.error)(text);
  return ok ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'aggregate') return requestAggregation(argv.slice(1));
  const command = commands[argv.slice(0, 2).join(' ')];
  if (!command) {
    console.error(usage());
    return 2;
  }
  const { values } = parseArgs({ args: argv.slice(2), options: command.options, strict: true });
  const strings: Record<string, string | undefined> = {};
  const lists: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(values)) {
    if (Array.isArray(value)) lists[name] = value;
    else strings[name] = value as string | undefined;
  }
  const { query, variables, pick } = command.request(strings, lists);
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
