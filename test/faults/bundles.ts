/**
 * The real bundles of a fault scenario: each first started on a port it binds
 * itself (PORT=0), then restarted on that same port, as clients hold its URL.
 */
import { IdentityService } from '../../proto/gen/polaris/identity/v1/identity.js';
import { bundlePath } from '../../scripts/build.js';
import { rpcClient, testAdminToken } from '../support/grpc.js';
import { spawnBundle, spawnBundleOnFreePort, waitForOk, type SpawnedFunction } from '../support/process.js';

export class BundleSet {
  readonly running = new Map<string, SpawnedFunction>();
  private readonly ports = new Map<string, number>();

  constructor(private readonly env: Record<string, string>) {}

  static async start(names: readonly string[], env: Record<string, string>): Promise<BundleSet> {
    const set = new BundleSet(env);
    // validate-api-key first: the others' RPCs go to it.
    const isValidator = (name: string): boolean => name === 'validate-api-key';
    for (const batch of [names.filter(isValidator), names.filter((name) => !isValidator(name))]) {
      await Promise.all(batch.map((name) => set.startOne(name)));
    }
    return set;
  }

  port(name: string): number {
    return this.ports.get(name)!;
  }

  url(name: string): string {
    return `http://127.0.0.1:${this.port(name)}`;
  }

  /** Starts `name` (again on its port, or the first time on a port it picks) and waits until it is ready. */
  async startOne(name: string): Promise<SpawnedFunction> {
    const env = {
      ...this.env,
      POLARIS_ADMIN_TOKEN: testAdminToken,
      POLARIS_GRPC_ADDRESS: `127.0.0.1:${this.ports.get('validate-api-key') ?? 0}`,
      K_SERVICE: name,
      // info: the `listening` line says which port a bundle started with PORT=0 got.
      LOG_LEVEL: 'info',
    };
    const port = this.ports.get(name);
    const fn = port === undefined ? await spawnBundleOnFreePort(bundlePath(name), env, 90_000) : spawnBundle(bundlePath(name), port, env);
    this.ports.set(name, fn.port);
    this.running.set(name, fn);
    await waitForOk(`${this.url(name)}/health/readiness`, 90_000);
    return fn;
  }

  /** SIGTERM, and the exit code. */
  async stop(name: string): Promise<number | string> {
    const fn = this.running.get(name)!;
    fn.child.kill('SIGTERM');
    return fn.exited;
  }

  async createTenant(): Promise<{ organizationId: string; apiKey: string }> {
    const client = rpcClient(`127.0.0.1:${this.port('create-organization')}`);
    try {
      const created = await client.call(IdentityService.createOrganization, { name: 'Under fault', externalId: '' });
      return { organizationId: created.organization!.id, apiKey: created.apiKey };
    } finally {
      client.close();
    }
  }

  killAll(): void {
    for (const fn of this.running.values()) if (fn.child.exitCode === null) fn.child.kill('SIGKILL');
  }
}
