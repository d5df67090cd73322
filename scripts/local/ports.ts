/**
 * Free TCP ports on 127.0.0.1, for the servers the local tools and the tests
 * start. A port found here is only free until someone binds it: where a
 * process can bind port 0 itself and say which port it got, prefer that.
 *
 * The ports are picked below the OS's ephemeral range, not by binding port 0:
 * the kernel hands ephemeral ports to every outgoing connection too (a test's
 * PostgreSQL or NATS client), and one of those took a port between its pick
 * and its bind. Below the range, only another listener can.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
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
      ports.push(await listenBelowEphemeralRange(server));
    }
    return ports as Ports<N>;
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()))));
  }
}

/**
 * A currently free TCP port on 127.0.0.1 (listens on it, closes). Another
 * listener may take it before the caller binds, so callers that can should
 * retry on "address in use" (see {@link onFreePort}).
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

/** Where candidates are drawn from: above the well-known and common service ports, below the ephemeral range. */
const lowestCandidate = 10_000;

let rangeStart: number | undefined;

/** The first port of the OS's ephemeral range, read once: Linux says it in /proc; 32,768 is its default and below other systems' (49,152). */
export function ephemeralRangeStart(): number {
  rangeStart ??= readEphemeralRangeStart();
  return rangeStart;
}

function readEphemeralRangeStart(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low !== undefined && Number.isInteger(low) && low > 0) return Math.min(low, 32_768);
  } catch {
    // Not Linux, or /proc not mounted: the default.
  }
  return 32_768;
}

/**
 * Listens on a random free port between {@link lowestCandidate} and the
 * ephemeral range; on a system whose range leaves too few of those, or when
 * many candidates are taken, on one the OS picks.
 */
async function listenBelowEphemeralRange(server: net.Server): Promise<number> {
  const candidates = ephemeralRangeStart() - lowestCandidate;
  for (let attempt = 0; candidates >= 1_000 && attempt < 50; attempt++) {
    const port = lowestCandidate + Math.floor(Math.random() * candidates);
    try {
      return await listen(server, port);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
  return listen(server, 0);
}

function listen(server: net.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      server.off('error', reject);
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('findFreePort: could not read the listening port'));
      else resolve(address.port);
    });
  });
}
