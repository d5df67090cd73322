/** The client's address behind the cluster's proxies, and never one the client wrote itself. */
import { describe, expect, it } from 'vitest';
import { clientAddress } from './client-address.js';

describe('clientAddress', () => {
  it('is the peer when the peer is public, whatever X-Forwarded-For says', () => {
    expect(clientAddress('203.0.113.7', undefined)).toBe('203.0.113.7');
    expect(clientAddress('203.0.113.7', '198.51.100.1')).toBe('203.0.113.7');
    expect(clientAddress('::ffff:203.0.113.7', undefined)).toBe('203.0.113.7');
  });

  it('walks back through the proxies on private addresses to the first public one', () => {
    // Envoy (Kourier) appended the client, the activator Envoy's address; the queue-proxy is the peer.
    expect(clientAddress('10.244.0.12', '203.0.113.7, 10.244.0.5, 10.244.0.9')).toBe('203.0.113.7');
    expect(clientAddress('::1', '2001:db8::7')).toBe('2001:db8::7');
    expect(clientAddress('127.0.0.1', ['203.0.113.7', '10.0.0.1'])).toBe('203.0.113.7');
  });

  it('never believes what the client put in front of the address our edge saw', () => {
    expect(clientAddress('10.244.0.12', '1.2.3.4, 203.0.113.7, 10.244.0.5')).toBe('203.0.113.7');
    expect(clientAddress('10.244.0.12', 'not-an-address, 10.244.0.5')).toBe('10.244.0.5');
  });

  it('stays with a private client when every hop is private', () => {
    expect(clientAddress('127.0.0.1', undefined)).toBe('127.0.0.1');
    expect(clientAddress('10.0.0.2', '192.168.1.20')).toBe('192.168.1.20');
  });

  it('takes addresses with ports and brackets as proxies write them', () => {
    expect(clientAddress('10.0.0.2', '203.0.113.7:51234')).toBe('203.0.113.7');
    expect(clientAddress('10.0.0.2', '[2001:db8::7]:443')).toBe('2001:db8::7');
    expect(clientAddress(undefined, '203.0.113.7')).toBe('');
  });
});
