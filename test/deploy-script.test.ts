/**
 * scripts/kind/deploy.sh and teardown.sh without a cluster: the dry-run plan
 * (every command in order, none run), and real runs against stand-in
 * docker, kind, kubectl and kn that only record how they were called. Each
 * scenario runs the script once and its tests read that one run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionRegistry } from '../functions/registry.js';
import { parseAllDocuments } from 'yaml';
import { processImageNames } from '../scripts/manifests/facts.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const functionNames = functionRegistry.map((entry) => entry.name);
const imageNames = [...functionNames, ...processImageNames];
const tools = ['docker', 'kind', 'kubectl', 'kn'];
/** The keys and placeholder values of `polaris-secrets`, from the generated manifest (test/manifests.test.ts keeps it fresh). */
const placeholderSecrets: Record<string, string> = parseAllDocuments(readFileSync(join(root, 'knative/11-secrets.yaml'), 'utf8'))
  .map((document) => document.toJS() as { metadata: { name: string }; stringData: Record<string, string> })
  .find((secret) => secret.metadata.name === 'polaris-secrets')!.stringData;

let scratch: string;

/**
 * The stand-in tools, as bash functions the scripts inherit through the
 * environment (`BASH_FUNC_<name>%%`), so a run of a few hundred commands
 * starts no process per command. Each records its command line, answers what
 * deploy.sh asks, and fails when its line contains STUB_FAIL.
 */
const stub = `() {
  local line="$*" arg
  printf '%s\\n' "$line" >>"$STUB_LOG"
  for arg in "$@"; do [[ "$arg" == - ]] && cat >/dev/null; done
  if [[ -n "\${STUB_FAIL:-}" && "$line" == *"$STUB_FAIL"* ]]; then echo "stub: failing $line" >&2; return 1; fi
  case "$line" in
    "kind get clusters") [[ -z "\${STUB_CLUSTER_EXISTS:-}" ]] || echo polaris ;;
    "kubectl get secret polaris-secrets polaris-postgres -n polaris") [[ -n "\${STUB_SECRETS_EXIST:-}" ]]; return ;;
    "kubectl get secret polaris-secrets -n polaris -o jsonpath="*) printf 'cG9sX2FkbWluX3Rlc3Q=' ;;
    "kubectl create secret "*) echo 'apiVersion: v1' ;;
    "kubectl get job/polaris-migrate "*) echo "\${STUB_MIGRATION_CONDITIONS:-Complete}" ;;
    "kubectl logs "*) echo 'stub: migration usage/0042 failed: column "quantity" does not exist' ;;
    "docker version "*) echo linux/amd64 ;;
  esac
  return 0
}`;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** The command lines the stand-in tools were called with, in order. */
  calls: string[];
}

function runScript(script: string, args: string[], env: Record<string, string> = {}): Run {
  const log = join(scratch, `calls-${Math.random().toString(36).slice(2)}.log`);
  const stubs = Object.fromEntries([
    ['BASH_FUNC_stub%%', stub],
    ...tools.map((tool) => [`BASH_FUNC_${tool}%%`, `() { stub ${tool} "$@"; }`]),
  ]);
  const result = spawnSync('bash', [script, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...stubs, STUB_LOG: log, POLARIS_IMAGE_TAG: tag ?? 'test-tag', POLARIS_KIND_CLUSTER: '', TMPDIR: scratch, ...env },
  });
  const calls = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : [];
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls };
}

const deploy = (args: string[], env?: Record<string, string>) => runScript('scripts/kind/deploy.sh', args, env);

/** One run per scenario, made when a test first asks for it. */
function once(make: () => Run): () => Run {
  let run: Run | undefined;
  return () => (run ??= make());
}

/** The plan's lines that are one command of one tool: no pipe, no condition, no substitution. */
function simpleCommands(plan: string): string[] {
  return plan
    .split('\n')
    .filter((line) => /^(docker|kind|kubectl|kn) /.test(line) && !/[|&;<>]|\$\(/.test(line.replace(/'[^']*'/g, '')))
    .map((line) => line.replace(/'([^']*)'/g, '$1'));
}

const inGitWorkTree = spawnSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: root }).status === 0;

let plan: string;
let planLines: string[];
/** The image tag of the dry run: a hash of the working tree, as POLARIS_IMAGE_TAG is not set. */
let tag: string;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'polaris-deploy-'));
  const dryRun = deploy(['--dry-run'], { POLARIS_IMAGE_TAG: '' });
  expect(dryRun.stderr).toBe('');
  expect(dryRun.status).toBe(0);
  expect(dryRun.calls, 'a dry run runs no tool').toEqual([]);
  plan = dryRun.stdout;
  planLines = plan.split('\n');
  tag = /Image tag: (\S+)$/m.exec(plan)![1]!;
});

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
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
      expect(planLines.filter((line) => line.startsWith(`kn service apply ${name} `)), name).toHaveLength(1);
    }
  });

  it('creates the kind cluster from kind-config.yaml unless it exists, on a node image pinned by digest', () => {
    expect(plan).toContain('kind get clusters 2>/dev/null | grep -x polaris >/dev/null || kind create cluster --name polaris --config kind-config.yaml');
    expect(readFileSync(join(root, 'kind-config.yaml'), 'utf8')).toMatch(/^ {4}image: kindest\/node:v\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$/m);
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
    const images = /^images=\((.*)\)$/m.exec(plan)![1]!.split(' ');
    expect([...images].sort()).toEqual(imageNames.map((name) => `kind.local/polaris-${name}:${tag}`).sort());
    expect(plan).toContain('if ! kind load docker-image --name polaris "${images[@]}"; then');
    expect(lineOf('kind load docker-image')).toBeGreaterThan(lineOf(`FUNCTION=${imageNames.at(-1)}`));
  });

  it('falls back to one archive of this platform\'s images when kind load docker-image fails', () => {
    const fallback = planLines.slice(lineOf('if ! kind load docker-image'), lineOf('kind load image-archive') + 1).join('\n');
    expect(fallback).toContain(`docker image save --platform "$(docker version --format '{{.Server.Os}}/{{.Server.Arch}}')" -o "$archive" "\${images[@]}"`);
    expect(fallback).toContain('kind load image-archive --name polaris "$archive"');
    expect(fallback).toContain(`trap 'rm -f "$archive"' EXIT`);
  });

  it('lets functions start at zero replicas before deploying them', () => {
    const allowZero = lineOf(`kubectl patch configmap/config-autoscaler -n knative-serving --type merge -p '{"data":{"allow-zero-initial-scale":"true"}}'`);
    expect(allowZero).toBeGreaterThan(lineOf('serving-core.yaml'));
    expect(allowZero).toBeLessThan(lineOf('kn service apply '));
  });

  it('starts PostgreSQL and NATS, migrates, deploys the functions, then the Broker, the Triggers, the outbox relay and the CronJobs', () => {
    const infrastructure = lineOf('knative/20-postgres.yaml -f knative/21-nats.yaml');
    const ready = lineOf('kubectl rollout status statefulset/postgres');
    const migrate = lineOf('knative/30-migrate-job.yaml | kubectl apply -f -');
    const migrated = lineOf('kubectl get job/polaris-migrate -n polaris');
    const functions = planLines.map((line, index) => (line.startsWith('kn service apply ') ? index : -1)).filter((index) => index >= 0);
    const functionsReady = lineOf('kubectl wait --for=condition=Ready --timeout=600s ksvc --all -n polaris');
    const broker = lineOf('kubectl apply -f knative/41-broker.yaml');
    const brokerReady = lineOf('kubectl wait --for=condition=Ready --timeout=300s broker/default -n polaris');
    const triggers = lineOf('kubectl apply -f knative/70-triggers.yaml');
    const triggersReady = lineOf('kubectl wait --for=condition=Ready --timeout=300s trigger --all -n polaris');
    const relay = lineOf('knative/60-outbox-relay.yaml | kubectl apply -f -');
    const relayBound = lineOf('kubectl wait --for=condition=Ready --timeout=120s sinkbinding/outbox-relay -n polaris');
    const cron = lineOf('kubectl apply -f knative/50-aggregation-cronjob.yaml');
    expect(lineOf('kubectl delete job polaris-migrate')).toBeLessThan(migrate);
    // An older relay stops before the migration; the new one starts after the Triggers.
    const relayStopped = lineOf('  kubectl scale deployment/outbox-relay -n polaris --replicas=0');
    expect(relayStopped).toBeLessThan(migrate);
    expect(relayStopped).toBeLessThan(relay);
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

  it('waits for the migration Job to complete or fail, printing its logs when it fails or times out', () => {
    const wait = planLines.slice(lineOf('deadline=$((SECONDS + 300))'), lineOf('kn service apply ')).join('\n');
    expect(wait).toContain(`kubectl get job/polaris-migrate -n polaris -o 'jsonpath={.status.conditions[?(@.status=="True")].type}'`);
    expect(wait).toContain("*' Complete '*)");
    expect(wait).toContain("*' Failed '*)");
    expect(wait).toContain('kubectl logs -n polaris -l batch.kubernetes.io/job-name=polaris-migrate --all-containers --prefix --tail=200');
  });

  it('deploys every registry function with one kn service apply, from its manifest and image', () => {
    const kn = planLines.filter((line) => line.startsWith('kn service apply '));
    expect(kn.map((line) => line.split(' ')[3]).sort()).toEqual([...functionNames].sort());
    for (const name of functionNames) {
      expect(kn).toContain(`kn service apply ${name} -n polaris -f knative/functions/${name}.yaml --image kind.local/polaris-${name}:${tag} --no-wait`);
    }
    expect(plan).not.toContain('--force');
  });

  it('applies every manifest but the placeholder secrets, and creates random secrets with the same keys only when missing', () => {
    const manifests = readdirSync(join(root, 'knative')).filter((file) => file.endsWith('.yaml'));
    for (const file of manifests.filter((file) => file !== '11-secrets.yaml')) expect(plan, file).toContain(`knative/${file}`);
    expect(plan).not.toContain('11-secrets.yaml');
    expect(plan).toContain('if kubectl get secret polaris-secrets polaris-postgres -n polaris >/dev/null 2>&1; then');
    const created = [...plan.matchAll(/--from-literal=([A-Z_]+)=/g)].map((match) => match[1]);
    expect(created.sort()).toEqual([...Object.keys(placeholderSecrets), 'POSTGRES_PASSWORD'].sort());
    const databaseUrl = /--from-literal=DATABASE_URL="([^"]+)"/.exec(plan)![1]!.replace('$postgres_password', 'password');
    const placeholder = new URL(placeholderSecrets.DATABASE_URL!);
    const generated = new URL(databaseUrl);
    expect([generated.username, generated.host, generated.pathname]).toEqual([placeholder.username, placeholder.host, placeholder.pathname]);
  });

  it('ends with the URLs and commands to try it', () => {
    expect(plan).toContain('# curl -s http://ingest.polaris.127.0.0.1.sslip.io/ingest -H "X-API-Key: $KEY"');
    expect(plan).toContain('# curl -s http://gateway.polaris.127.0.0.1.sslip.io/graphql');
    expect(plan).toContain('# kubectl get pods -n polaris -w');
  });

  it.skipIf(!inGitWorkTree)('tags the images with a hash of the working tree when POLARIS_IMAGE_TAG is not set', () => {
    expect(tag).toMatch(/^[0-9a-f]{12}$/);
    expect(planLines).toContain(`docker build --build-arg FUNCTION=ingest -t kind.local/polaris-ingest:${tag} .`);
  });
});

describe('deploy.sh with stand-in tools', () => {
  // A first deploy where kind load docker-image fails, as it does with Docker's containerd image store.
  const firstDeploy = once(() => deploy([], { STUB_FAIL: 'kind load docker-image' }));
  const secondDeploy = once(() => deploy([], { STUB_CLUSTER_EXISTS: '1', STUB_SECRETS_EXIST: '1' }));
  const failedMigration = once(() => deploy([], { STUB_CLUSTER_EXISTS: '1', STUB_SECRETS_EXIST: '1', STUB_MIGRATION_CONDITIONS: 'FailureTarget Failed' }));

  it('runs the commands its plan prints, in the same order, creating the cluster and the secrets', () => {
    const run = firstDeploy();
    expect(run.status, run.stderr).toBe(0);
    let next = 0;
    for (const command of simpleCommands(plan)) {
      const found = run.calls.indexOf(command, next);
      expect(found, `ran: ${command}`).toBeGreaterThanOrEqual(next);
      next = found + 1;
    }
    expect(run.calls).toContain('kind create cluster --name polaris --config kind-config.yaml --wait 120s');
    expect(run.calls.filter((call) => call.startsWith('kubectl create secret generic '))).toHaveLength(2);
    expect(run.stdout).toContain('Migrations applied.');
    expect(run.stdout).toContain('Polaris is deployed.');
    expect(run.stdout).toContain('Admin token: pol_admin_test');
  });

  it('loads an archive of the images for the docker server\'s platform when kind load docker-image fails', () => {
    const run = firstDeploy();
    const images = imageNames.map((name) => `kind.local/polaris-${name}:${tag}`);
    expect(run.stderr).toContain('kind load docker-image failed: loading an archive of the images for this platform instead');
    const save = run.calls.find((call) => call.startsWith('docker image save '));
    const archive = /^docker image save --platform linux\/amd64 -o (\S+) /.exec(save ?? '')?.[1];
    expect(archive, save).toMatch(/polaris-images\.\w+$/);
    expect(save).toBe(`docker image save --platform linux/amd64 -o ${archive} ${images.join(' ')}`);
    const load = run.calls.indexOf(`kind load image-archive --name polaris ${archive}`);
    expect(load).toBeGreaterThan(run.calls.indexOf(save!));
    expect(load).toBeLessThan(run.calls.findIndex((call) => call.startsWith('kubectl apply -f knative/00-namespace.yaml')));
    expect(existsSync(archive!), 'the archive is removed').toBe(false);
  });

  it('keeps an existing cluster and its secrets when run again, applying every function again', () => {
    const run = secondDeploy();
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.calls.filter((call) => call.startsWith('kind create') || call.startsWith('kubectl create secret'))).toEqual([]);
    expect(run.stdout).toContain('Secrets polaris-secrets and polaris-postgres exist: kept');
    expect(run.calls.filter((call) => call.startsWith('kn service apply '))).toHaveLength(functionNames.length);
    expect(run.calls.filter((call) => call.startsWith('docker image save') || call.startsWith('kind load image-archive'))).toEqual([]);
  });

  it('stops as soon as the migration Job fails, printing its logs and what to look at', () => {
    const run = failedMigration();
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('The migration Job failed. Its logs:');
    expect(run.stderr).toContain('stub: migration usage/0042 failed: column "quantity" does not exist');
    expect(run.stderr).toMatch(/step \d+\/\d+ failed: Migrating the database/);
    expect(run.stderr).toContain('kubectl describe job/polaris-migrate -n polaris');
    expect(run.calls.filter((call) => call.startsWith('kubectl get job/polaris-migrate '))).toHaveLength(1);
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
