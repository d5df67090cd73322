/**
 * Which addresses a webhook may be sent to. Receivers are on the internet:
 * a URL that leads into Polaris's own network (a database, the cloud's
 * metadata service, a cluster-local function) is refused, whether written as
 * an address or as a name that resolves to one. Node's net.BlockList does the
 * range checks; addresses that embed an IPv4 address (IPv4-mapped, NAT64,
 * 6to4, IPv4-compatible) are checked by the address they embed.
 */
import { BlockList, isIP, isIPv4 } from 'node:net';

/** Why an address is refused; the name of its range. */
export type BlockedRange =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'carrier-grade NAT'
  | 'link-local'
  | 'unique-local'
  | 'site-local'
  | 'multicast'
  | 'reserved'
  | 'broadcast'
  | 'protocol assignments';

const ipv4Ranges: readonly [string, number, BlockedRange][] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'protocol assignments'],
  ['192.168.0.0', 16, 'private'],
  ['224.0.0.0', 4, 'multicast'],
  ['255.255.255.255', 32, 'broadcast'],
  ['240.0.0.0', 4, 'reserved'],
];

const ipv6Ranges: readonly [string, number, BlockedRange][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['fc00::', 7, 'unique-local'],
  ['ff00::', 8, 'multicast'],
  // NAT64 for local use only (RFC 8215).
  ['64:ff9b:1::', 48, 'private'],
];

/** One BlockList per range name, so a refusal can say which range it hit. */
const lists: readonly [BlockedRange, BlockList][] = (() => {
  const byRange = new Map<BlockedRange, BlockList>();
  const listOf = (range: BlockedRange) => byRange.get(range) ?? byRange.set(range, new BlockList()).get(range)!;
  for (const [address, prefix, range] of ipv4Ranges) listOf(range).addSubnet(address, prefix, 'ipv4');
  for (const [address, prefix, range] of ipv6Ranges) listOf(range).addSubnet(address, prefix, 'ipv6');
  return [...byRange];
})();

/**
 * The blocked range `address` (an IPv4 or IPv6 address, as DNS or a URL
 * gives it) falls in; undefined when it may be reached. Anything that is not
 * an address is refused as `reserved`.
 */
export function blockedRangeOf(address: string): BlockedRange | undefined {
  const plain = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(plain);
  if (family === 0) return 'reserved';
  if (family === 4) return rangeOf(plain, 'ipv4');
  const embedded = embeddedIpv4(plain);
  if (embedded) return rangeOf(embedded, 'ipv4');
  return rangeOf(plain, 'ipv6');
}

function rangeOf(address: string, family: 'ipv4' | 'ipv6'): BlockedRange | undefined {
  return lists.find(([, list]) => list.check(address, family))?.[0];
}

/**
 * The IPv4 address an IPv6 address carries: IPv4-mapped (::ffff:a.b.c.d),
 * IPv4-compatible (::a.b.c.d, deprecated), NAT64 (64:ff9b::/96) and 6to4
 * (2002:AABB:CCDD::/48) reach that IPv4 address.
 */
export function embeddedIpv4(address: string): string | undefined {
  const bytes = ipv6Bytes(address);
  if (!bytes) return undefined;
  const zeros = (from: number, to: number) => bytes.subarray(from, to).every((byte) => byte === 0);
  const quad = (at: number) => [...bytes.subarray(at, at + 4)].join('.');
  if (zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return quad(12);
  // ::a.b.c.d, but not :: and ::1, which are IPv6's own.
  if (zeros(0, 12) && !zeros(12, 15)) return quad(12);
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zeros(4, 12)) return quad(12);
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return quad(2);
  return undefined;
}

/** The 16 bytes of an IPv6 address (with or without a dotted IPv4 tail); undefined when it is none. */
function ipv6Bytes(address: string): Uint8Array | undefined {
  if (isIP(address) !== 6) return undefined;
  let text = address.toLowerCase();
  const tail = text.match(/(\d+\.\d+\.\d+\.\d+)$/)?.[1];
  if (tail && isIPv4(tail)) {
    const [a, b, c, d] = tail.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -tail.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const restGroups = rest ? rest.split(':') : [];
  const missing = 8 - headGroups.length - restGroups.length;
  const groups = rest === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill('0'), ...restGroups];
  if (groups.length !== 8) return undefined;
  const bytes = new Uint8Array(16);
  groups.forEach((group, index) => {
    const value = Number.parseInt(group, 16);
    bytes[index * 2] = value >> 8;
    bytes[index * 2 + 1] = value & 0xff;
  });
  return bytes;
}
