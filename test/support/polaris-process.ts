/** `npm start` (scripts/start.ts) as a child process, as a user runs it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { findFreePorts } from '../../scripts/local/index.js';

export interface PolarisProcess {
  child: ChildProcess;
  http: string;
  grpcPort: number;
  adminToken: string;
  output(): string;
  /** SIGINT, as Ctrl-C; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export async function startPolaris(env: Record<string, string>): Promise<PolarisProcess> {
  const [httpPort, grpcPort] = await findFreePorts(2);
  const { POLARIS_ADMIN_TOKEN: _inherited, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    env: { ...inherited, POLARIS_HTTP_PORT: String(httpPort), POLARIS_GRPC_PORT: String(grpcPort), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (output.includes('Polaris is ready')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => reject(new Error(`npm start exited:\n${output}`)));
  });
  return {
    child,
    http: `http://127.0.0.1:${httpPort}`,
    grpcPort,
    adminToken: /Admin token: (\S+)/.exec(output)![1]!,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}

/** A GraphQL call with the given credentials. */
export async function graphqlCall(http: string, query: string, variables: object, headers: Record<string, string>) {
  const response = await fetch(`${http}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return (await response.json()) as { data: any; errors?: { message: string; extensions: { code: string } }[] };
}
