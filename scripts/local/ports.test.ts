import net from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { ephemeralRangeStart, findFreePort, findFreePorts, onFreePort } from './ports.js';

describe('findFreePort', () => {
  it('returns a port that can be listened on', async () => {
    const port = await findFreePort();
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65536);
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise((resolve) => server.close(resolve));
  });
});

describe('findFreePorts', () => {
  it('returns distinct ports, all of them free', async () => {
    const ports = await findFreePorts(20);
    expect(new Set(ports).size).toBe(20);
    for (const port of ports) expect(port).toBeGreaterThan(0);
  });

  it('picks them below the ephemeral range, where no outgoing connection can take one before it is bound', async () => {
    const ports = await findFreePorts(20);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(ephemeralRangeStart());
    }
  });

  it('passes over a port that is taken', async () => {
    const held = await findFreePort();
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(held, '127.0.0.1', resolve));
    // The first random pick lands on the held port, the next on whatever follows.
    const pickOf = (port: number) => (port - 10_000 + 0.5) / (ephemeralRangeStart() - 10_000);
    const random = vi.spyOn(Math, 'random').mockReturnValueOnce(pickOf(held));
    try {
      const [port] = await findFreePorts(1);
      expect(random).toHaveBeenCalledTimes(2);
      expect(port).not.toBe(held);
    } finally {
      random.mockRestore();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('onFreePort', () => {
  it('tries another port when the first is taken, and gives up after three', async () => {
    const tried: number[] = [];
    const taken = new Error('address already in use');
    const alwaysTaken = async (port: number): Promise<number> => {
      tried.push(port);
      throw taken;
    };
    await expect(onFreePort(alwaysTaken, (err) => err === taken)).rejects.toBe(taken);
    expect(tried).toHaveLength(3);

    tried.length = 0;
    const takenOnce = async (port: number): Promise<number> => {
      if (tried.push(port) === 1) throw taken;
      return port;
    };
    expect(await onFreePort(takenOnce, (err) => err === taken)).toBe(tried[1]);
  });

  it('starts once on a fixed port, and does not retry other errors', async () => {
    const tried: number[] = [];
    const other = new Error('no');
    const failing = async (port: number): Promise<number> => {
      tried.push(port);
      throw other;
    };
    await expect(onFreePort(failing, () => false)).rejects.toBe(other);
    expect(tried).toHaveLength(1);
    expect(await onFreePort(async (port) => port, () => true, 4321)).toBe(4321);
  });
});
