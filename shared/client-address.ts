/**
 * The address of the client a request came from, for the audit log and the
 * per-address sign-in limit.
 *
 * Fastify's `request.ip` is the socket's peer (trustProxy is not set), which
 * in the cluster is never the client: requests reach the gateway through
 * Kourier's Envoy, and possibly Knative's activator, and always its
 * queue-proxy, each on a cluster-private address and each appending the
 * address it received the request from to X-Forwarded-For. The first entry of
 * that header is not the answer either: a client may send the header itself,
 * and the proxies append to what it sent, so the first entry is whatever the
 * client chose, and a per-address limit keyed by it would be a limit by
 * wish.
 *
 * So: start from the socket's peer and, while the address at hand is one of
 * the private networks proxies live on, step one entry leftwards in
 * X-Forwarded-For. The first public address met is the one our edge
 * connected with; nothing left of it is believed. Locally (no proxy) the
 * peer is the client, and a loopback peer's X-Forwarded-For is believed as
 * a proxy's would be, which tests use to act as several clients.
 */
import { BlockList, isIP } from 'node:net';

const ownNetworks = new BlockList();
for (const [network, prefix] of [
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['100.64.0.0', 10], // shared address space, used by some clusters for pods
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
] as const) {
  ownNetworks.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const) {
  ownNetworks.addSubnet(network, prefix, 'ipv6');
}

/** Hops walked at most: more proxies than this are not ours. */
const maxHops = 10;

export function clientAddress(socketAddress: string | undefined, forwardedFor: string | string[] | undefined): string {
  let address = normalized(socketAddress);
  if (!address) return '';
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? '')).split(',');
  for (let walked = 0; walked < maxHops && hops.length > 0 && isOwnNetwork(address); walked += 1) {
    const next = normalized(hops.pop());
    // Our proxies write addresses; anything else came from the client.
    if (!next) break;
    address = next;
  }
  return address;
}

function isOwnNetwork(address: string): boolean {
  const family = isIP(address);
  return family !== 0 && ownNetworks.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** An IP address without brackets, port or IPv4-mapped prefix; undefined for anything else. */
function normalized(text: string | undefined): string | undefined {
  let address = (text ?? '').trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) address = bracketed[1]!;
  else if (/^[\d.]+:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(':'));
  if (/^::ffff:[\d.]+$/i.test(address)) address = address.slice('::ffff:'.length);
  return isIP(address) === 0 ? undefined : address.toLowerCase();
}
