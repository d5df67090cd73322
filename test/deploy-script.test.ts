/**
 * scripts/kind/deploy.sh and teardown.sh without a cluster: the dry-run plan
 * (every command in order, none run), and real runs against stand-in
 * docker, kind, kubectl and kn that only record how they were called.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionRegistry } from '../functions/registry.js';
import { placeholderSecrets, processImageNames } from '../scripts/manifests/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const functionNames = functionRegistry.map((entry) => entry.name);
const imageNames = [...functionNames, ...processImageNames];
const tag = 'test-tag';

let stubs: string;

/** A stand-in for a tool: records its command line, answers what deploy.sh asks, fails when told to. */
const stubScript = `#!/usr/bin/env bash
line="$(basename "$0") $*"
printf '%s\\n' "$line" >>"$STUB_LOG"
for arg in "$@"; do [[ "$arg" == - ]] && cat >/dev/null; done
if [[ -n "\${STUB_FAIL:-}" && "$line" == *"$STUB_FAIL"* ]]; then echo "stub: failing $line" >&2; exit 1; fi
case "$line" in
  "kind get clusters") [[ -z "\${STUB_CLUSTER_EXISTS:-}" ]] || echo polaris ;;
  "kubectl get secret polaris-secrets polaris-postgres -n polaris") [[ -n "\${STUB_SECRETS_EXIST:-}" ]]; exit ;;
  "kubectl get secret polaris-secrets -n polaris -o jsonpath="*) printf 'cG9sX2FkbWluX3Rlc3Q=' ;;
  "kubectl create secret "*) echo 'apiVersion: v1' ;;
esac
exit 0
`;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** The command lines the stand-in tools were called with, in order. */
  calls: string[];
}

function runScript(script: string, args: string[], env: Record<string, string> = {}): Run {
  const log = join(stubs, `calls-${Math.random().toString(36).slice(2)}.log`);
  const result = spawnSync('bash', [script, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${stubs}:${process.env.PATH}`, STUB_LOG: log, POLARIS_IMAGE_TAG: tag, POLARIS_KIND_CLUSTER: '', ...env },
  });
  const calls = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : [];
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls };
}

const deploy = (args: string[], env?: Record<string, string>) => runScript('scripts/kind/deploy.sh', args, env);

/** The plan's lines that are one command of one tool: no pipe, no condition, no substitution. */
function simpleCommands(plan: string): string[] {
  return plan
    .split('\n')
    .filter((line) => /^(docker|kind|kubectl|kn) /.test(line) && !/[|&;<>]|\$\(/.test(line.replace(/'[^']*'/g, '')))
    .map((line) => line.replace(/'([^']*)'/g, '$1'));
}

let plan: string;
let planLines: string[];

beforeAll(() => {
  stubs = mkdtempSync(join(tmpdir(), 'polaris-deploy-'));
  for (const tool of ['docker', 'kind', 'kubectl', 'kn']) {
    writeFileSync(join(stubs, tool), stubScript);
    chmodSync(join(stubs, tool), 0o755);
  }
  const dryRun = deploy(['--dry-run']);
  expect(dryRun.stderr).toBe('');
  expect(dryRun.status).toBe(0);
  expect(dryRun.calls, 'a dry run runs no tool').toEqual([]);
  plan = dryRun.stdout;
  planLines = plan.split('\n');
});

afterAll(() => {
  if (stubs) rmSync(stubs, { recursive: true, force: true });
});

/** Index of the first plan line containing `text`; fails when there is none. */
function lineOf(text: string): number {
  const index = planLines.findIndex((line) => line.includes(text));
  if (index < 0) throw new Error(`the plan has no line with ${text}`);
  return index;
}

describe('deploy.sh --dry-run', () => {
  it('prints a plan a person can follow: numbered steps as comments, commands as they would run', () => {
    const steps = planLines.filter((line) => /^# \[\d+\/\d+\] /.test(line));
    expect(steps.length).toBeGreaterThanOrEqual(10);
    expect(steps.at(-1)).toMatch(/^# \[(\d+)\/\1\] /);
    // Every function is built and deployed by a command of its own.
    for (const name of functionNames) {
      expect(planLines.filter((line) => line.startsWith(`docker build --build-arg FUNCTION=${name} `)), name).toHaveLength(1);
      expect(planLines.filter((line) => line.startsWith(`kn service create ${name} `)), name).toHaveLength(1);
    }
  });

  it('creates the kind cluster from kind-config.yaml unless it exists', () => {
    expect(plan).toContain('kind get clusters 2>/dev/null | grep -x polaris >/dev/null || kind create cluster --name polaris --config kind-config.yaml');
  });

  it('installs Knative Serving, Kourier and Eventing at the versions the script pins', () => {
    const script = readFileSync(join(root, 'scripts/kind/deploy.sh'), 'utf8');
    const pinned = (name: string) => {
      const version = new RegExp(`^readonly ${name}=(\\S+)$`, 'm').exec(script)?.[1];
      expect(version, name).toMatch(/^\d+\.\d+\.\d+$/);
      return version!;
    };
    const serving = `https://github.com/knative/serving/releases/download/knative-v${pinned('KNATIVE_SERVING_VERSION')}`;
    const kourier = `https://github.com/knative-extensions/net-kourier/releases/download/knative-v${pinned('KOURIER_VERSION')}`;
    const eventing = `https://github.com/knative/eventing/releases/download/knative-v${pinned('KNATIVE_EVENTING_VERSION')}`;
    const natss = `https://github.com/knative-extensions/eventing-natss/releases/download/knative-v${pinned('EVENTING_NATSS_VERSION')}`;
    // eventing-natss releases follow Eventing's minor version.
    expect(pinned('EVENTING_NATSS_VERSION').split('.').slice(0, 2)).toEqual(pinned('KNATIVE_EVENTING_VERSION').split('.').slice(0, 2));
    const order = [
      `${serving}/serving-crds.yaml`,
      `${serving}/serving-core.yaml`,
      `${kourier}/kourier.yaml`,
      `${eventing}/eventing-crds.yaml`,
      `${eventing}/eventing-core.yaml`,
      `${eventing}/mt-channel-broker.yaml`,
      `${natss}/eventing-jsm.yaml`,
      'knative/40-eventing-natss-config.yaml',
    ].map((url) => lineOf(`kubectl apply -f ${url}`));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(plan).toContain('"ingress-class":"kourier.ingress.networking.knative.dev"');
    expect(plan).toContain('kubectl apply -f scripts/kind/kourier-ingress.yaml');
  });

  it('builds one image per function, plus the migration and the outbox relay, and loads them all into kind', () => {
    for (const name of imageNames) expect(planLines).toContain(`docker build --build-arg FUNCTION=${name} -t kind.local/polaris-${name}:${tag} .`);
    const load = planLines[lineOf('kind load docker-image --name polaris ')]!;
    expect(load.split(' ').slice(5).sort()).toEqual(imageNames.map((name) => `kind.local/polaris-${name}:${tag}`).sort());
    expect(lineOf('kind load docker-image')).toBeGreaterThan(lineOf(`FUNCTION=${imageNames.at(-1)}`));
  });

  it('starts PostgreSQL and NATS, migrates, deploys the functions, then the Broker, the Triggers, the outbox relay and the CronJobs', () => {
    const infrastructure = lineOf('knative/20-postgres.yaml -f knative/21-nats.yaml');
    const ready = lineOf('kubectl rollout status statefulset/postgres');
    const migrate = lineOf('knative/30-migrate-job.yaml | kubectl apply -f -');
    const migrated = lineOf('kubectl wait --for=condition=complete --timeout=300s job/polaris-migrate');
    const functions = planLines.map((line, index) => (line.startsWith('kn service create ') ? index : -1)).filter((index) => index >= 0);
    const functionsReady = lineOf('kubectl wait --for=condition=Ready --timeout=600s ksvc --all -n polaris');
    const broker = lineOf('kubectl apply -f knative/41-broker.yaml');
    const brokerReady = lineOf('kubectl wait --for=condition=Ready --timeout=300s broker/default -n polaris');
    const triggers = lineOf('kubectl apply -f knative/70-triggers.yaml');
    const triggersReady = lineOf('kubectl wait --for=condition=Ready --timeout=300s trigger --all -n polaris');
    const relay = lineOf('knative/60-outbox-relay.yaml | kubectl apply -f -');
    const relayBound = lineOf('kubectl wait --for=condition=Ready --timeout=120s sinkbinding/outbox-relay -n polaris');
    const cron = lineOf('kubectl apply -f knative/50-aggregation-cronjob.yaml');
    expect(lineOf('kubectl delete job polaris-migrate')).toBeLessThan(migrate);
    expect(infrastructure < ready && ready < migrate && migrate < migrated).toBe(true);
    expect(Math.min(...functions)).toBeGreaterThan(migrated);
    expect(Math.max(...functions)).toBeLessThan(functionsReady);
    // Triggers once their subscribers answer; events from the relay and the CronJobs once the Triggers route them.
    expect(functionsReady).toBeLessThan(broker);
    expect([broker, brokerReady, triggers, triggersReady, relay, relayBound, cron]).toEqual([broker, brokerReady, triggers, triggersReady, relay, relayBound, cron].sort((a, b) => a - b));
    expect(lineOf('knative/40-eventing-natss-config.yaml')).toBeLessThan(broker);
    expect(plan).not.toContain('60-delivery.yaml');
    expect(plan).toContain(`sed 's|\\(image: kind.local/polaris-[a-z0-9-]*\\):dev$|\\1:${tag}|' knative/30-migrate-job.yaml | kubectl apply -f -`);
  });

  it('deploys every registry function with one kn service create, from its manifest and image', () => {
    const kn = planLines.filter((line) => line.startsWith('kn service create '));
    expect(kn.map((line) => line.split(' ')[3]).sort()).toEqual([...functionNames].sort());
    for (const name of functionNames) {
      expect(kn).toContain(`kn service create ${name} -n polaris -f knative/functions/${name}.yaml --image kind.local/polaris-${name}:${tag} --force --no-wait`);
    }
  });

  it('applies every manifest but the placeholder secrets, and creates random secrets with the same keys only when missing', () => {
    const manifests = readdirSync(join(root, 'knative')).filter((file) => file.endsWith('.yaml'));
    for (const file of manifests.filter((file) => file !== '11-secrets.yaml')) expect(plan, file).toContain(`knative/${file}`);
    expect(plan).not.toContain('11-secrets.yaml');
    expect(plan).toContain('if kubectl get secret polaris-secrets polaris-postgres -n polaris >/dev/null 2>&1; then');
    const created = [...plan.matchAll(/--from-literal=([A-Z_]+)=/g)].map((match) => match[1]);
    expect(created.sort()).toEqual([...Object.keys(placeholderSecrets()), 'POSTGRES_PASSWORD'].sort());
    const databaseUrl = /--from-literal=DATABASE_URL="([^"]+)"/.exec(plan)![1]!.replace('$postgres_password', 'password');
    const placeholder = new URL(placeholderSecrets().DATABASE_URL!);
    const generated = new URL(databaseUrl);
    expect([generated.username, generated.host, generated.pathname]).toEqual([placeholder.username, placeholder.host, placeholder.pathname]);
  });

  it('ends with the URLs and commands to try it', () => {
    expect(plan).toContain('# curl -s http://ingest.polaris.127.0.0.1.sslip.io/ingest -H "X-API-Key: $KEY"');
    expect(plan).toContain('# curl -s http://gateway.polaris.127.0.0.1.sslip.io/graphql');
    expect(plan).toContain('# kubectl get pods -n polaris -w');
  });

  const inGitWorkTree = spawnSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: root }).status === 0;

  it.skipIf(!inGitWorkTree)('tags the images with a hash of the working tree when POLARIS_IMAGE_TAG is not set', () => {
    const run = deploy(['--dry-run'], { POLARIS_IMAGE_TAG: '' });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^docker build --build-arg FUNCTION=ingest -t kind\.local\/polaris-ingest:[0-9a-f]{12} \.$/m);
  });
});

describe('deploy.sh with stand-in tools', () => {
  it('runs the commands its plan prints, in the same order, creating the cluster and the secrets', () => {
    const run = deploy([]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    let next = 0;
    for (const command of simpleCommands(plan)) {
      const found = run.calls.indexOf(command, next);
      expect(found, `ran: ${command}`).toBeGreaterThanOrEqual(next);
      next = found + 1;
    }
    expect(run.calls).toContain('kind create cluster --name polaris --config kind-config.yaml --wait 120s');
    expect(run.calls.filter((call) => call.startsWith('kubectl create secret generic '))).toHaveLength(2);
    expect(run.stdout).toContain('Polaris is deployed.');
    expect(run.stdout).toContain('Admin token: pol_admin_test');
  });

  it('keeps an existing cluster and its secrets when run again', () => {
    const run = deploy([], { STUB_CLUSTER_EXISTS: '1', STUB_SECRETS_EXIST: '1' });
    expect(run.status).toBe(0);
    expect(run.calls.filter((call) => call.startsWith('kind create') || call.startsWith('kubectl create secret'))).toEqual([]);
    expect(run.stdout).toContain('Secrets polaris-secrets and polaris-postgres exist: kept');
    expect(run.calls.filter((call) => call.startsWith('kn service create '))).toHaveLength(functionNames.length);
  });

  it('stops at a failing step, saying which one and what to look at', () => {
    const run = deploy([], { STUB_FAIL: 'wait --for=condition=complete' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/step \d+\/\d+ failed: Migrating the database/);
    expect(run.stderr).toContain('kubectl logs job/polaris-migrate -n polaris');
    expect(run.calls.some((call) => call.startsWith('kn '))).toBe(false);
  });

  it('refuses an unknown option', () => {
    const run = deploy(['--dryrun']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("unknown option '--dryrun'");
    expect(run.calls).toEqual([]);
  });
});

describe('teardown.sh', () => {
  it('deletes the kind cluster, or with --keep-cluster only the namespace; --dry-run runs nothing', () => {
    const cluster = runScript('scripts/kind/teardown.sh', ['--dry-run']);
    expect(cluster.stdout.trim()).toBe('kind delete cluster --name polaris');
    const namespace = runScript('scripts/kind/teardown.sh', ['--dry-run', '--keep-cluster']);
    expect(namespace.stdout.trim()).toBe('kubectl delete namespace polaris --context kind-polaris --ignore-not-found --wait=true');
    expect([...cluster.calls, ...namespace.calls]).toEqual([]);
    const real = runScript('scripts/kind/teardown.sh', [], { STUB_CLUSTER_EXISTS: '1' });
    expect(real.calls).toEqual(['kind get clusters', 'kind delete cluster --name polaris']);
  });
});

const shellcheck = spawnSync('shellcheck', ['--version']).status === 0;

describe('the kind scripts', () => {
  it.skipIf(!shellcheck)('pass shellcheck', () => {
    const result = spawnSync('shellcheck', ['scripts/kind/deploy.sh', 'scripts/kind/teardown.sh'], { cwd: root, encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
