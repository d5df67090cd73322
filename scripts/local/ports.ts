/**
 * Free TCP ports on 127.0.0.1, for the servers the local tools and the tests
 * start. A port the OS hands out here is only free until someone binds it:
 * where a process can bind port 0 itself and say which port it got, prefer
 * that.
 *
 * @module
 */
import net from 'node:net';

/** `N` numbers as a tuple when `N` is a literal (`Ports<2>` is `[number, number]`), else `number[]`. */
export type Ports<N extends number, Found extends number[] = []> = number extends N
  ? number[]
  : Found['length'] extends N
    ? Found
    : Ports<N, [...Found, number]>;

/**
 * Asks the OS for `count` distinct free TCP ports on 127.0.0.1. Every socket
 * stays open until all of them are bound, so the ports differ from one
 * another; they are closed before returning, so another process may still
 * take one before the caller binds it.
 */
export async function findFreePorts<N extends number>(count: N): Promise<Ports<N>> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      server.unref();
      servers.push(server);
      ports.push(await listenOnFreePort(server));
    }
    return ports as Ports<N>;
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()))));
  }
}

/**
 * Asks the OS for a currently free TCP port on 127.0.0.1 (listens on port 0,
 * reads the port, closes). Another process may grab it before the caller binds,
 * so callers that can should retry on "address in use" (see {@link onFreePort}).
 */
export async function findFreePort(): Promise<number> {
  const [port] = await findFreePorts(1);
  return port!;
}

/**
 * Runs `start` on a free port; when it fails because the port was taken
 * between the pick and the bind (`isPortTaken(err)`), tries again on another,
 * `attempts` times in all. With a `fixedPort`, starts on that port once.
 */
export async function onFreePort<T>(
  start: (port: number) => Promise<T>,
  isPortTaken: (err: unknown) => boolean,
  fixedPort?: number,
  attempts = 3,
): Promise<T> {
  if (fixedPort !== undefined) return start(fixedPort);
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await findFreePort());
    } catch (err) {
      if (attempt >= attempts || !isPortTaken(err)) throw err;
    }
  }
}

function listenOnFreePort(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('findFreePort: could not read the listening port'));
      else resolve(address.port);
    });
  });
}
