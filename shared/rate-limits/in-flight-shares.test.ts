import { describe, expect, it } from 'vitest';
import { InFlightShares, inFlightShare, type InFlightTicket } from './in-flight-shares.js';

function sharesAt(start = 0) {
  const clock = { now: start };
  let waits = 0;
  const shares = new InFlightShares({ now: () => clock.now, onWait: () => (waits += 1) });
  return { shares, clock, waits: () => waits };
}

/** Whether each ticket has been admitted, once promises have settled. */
async function admittedOf(tickets: InFlightTicket[]): Promise<boolean[]> {
  const flags = tickets.map(() => false);
  tickets.forEach((ticket, i) => void ticket.admitted.then(() => (flags[i] = true)));
  await new Promise((resolve) => setImmediate(resolve));
  return flags;
}

describe('inFlightShare', () => {
  it("is the organization's rate times the service time, at least one", () => {
    expect(inFlightShare(1_000)).toBe(4);
    expect(inFlightShare(10_000)).toBe(40);
    expect(inFlightShare(1_001)).toBe(5);
    expect(inFlightShare(5)).toBe(1);
  });
});

describe('InFlightShares', () => {
  it('holds nothing back for an organization alone in the pod', async () => {
    const { shares, waits } = sharesAt();
    const tickets = Array.from({ length: 50 }, () => shares.enter('flood', 4));
    expect(await admittedOf(tickets)).toEqual(tickets.map(() => true));
    expect(shares.usage('flood')).toEqual({ inFlight: 50, waiting: 0 });
    expect(waits()).toBe(0);
  });

  it('holds an organization to its share while another has sent within the last second, then admits its requests in order', async () => {
    const { shares, clock, waits } = sharesAt();
    const quiet = shares.enter('quiet', 4);
    quiet.done();
    clock.now += 900;
    const flood = Array.from({ length: 6 }, () => shares.enter('flood', 4));
    expect(await admittedOf(flood)).toEqual([true, true, true, true, false, false]);
    expect(waits()).toBe(2);

    // The quiet organization's own share is untouched by the flood's waiting requests.
    const quietAgain = shares.enter('quiet', 4);
    expect(await admittedOf([quietAgain])).toEqual([true]);
    quietAgain.done();

    flood[1]!.done();
    expect(await admittedOf(flood.slice(4))).toEqual([true, false]);
    flood[0]!.done();
    expect(await admittedOf(flood.slice(5))).toEqual([true]);
    expect(shares.usage('flood')).toEqual({ inFlight: 4, waiting: 0 });
  });

  it('lets the waiting requests go once the other organization has been gone a second', async () => {
    const { shares, clock } = sharesAt();
    shares.enter('quiet', 4).done();
    const flood = Array.from({ length: 7 }, () => shares.enter('flood', 2));
    expect(await admittedOf(flood)).toEqual([true, true, false, false, false, false, false]);
    clock.now += 1_001;
    flood[0]!.done();
    expect(await admittedOf(flood.slice(2))).toEqual([true, true, true, true, true]);
    expect(shares.usage('flood')).toEqual({ inFlight: 6, waiting: 0 });
  });

  it('counts another organization with a request still in flight as here, however long ago it came', async () => {
    const { shares, clock } = sharesAt();
    const slow = shares.enter('quiet', 4);
    clock.now += 60_000;
    const flood = Array.from({ length: 3 }, () => shares.enter('flood', 1));
    expect(await admittedOf(flood)).toEqual([true, false, false]);
    slow.done();
  });

  it('forgets a request abandoned while waiting, and an organization with nothing left', async () => {
    const { shares } = sharesAt();
    shares.enter('quiet', 1).done();
    const [first, abandoned, last] = Array.from({ length: 3 }, () => shares.enter('flood', 1));
    abandoned!.done();
    abandoned!.done();
    expect(shares.usage('flood')).toEqual({ inFlight: 1, waiting: 1 });
    first!.done();
    expect(await admittedOf([abandoned!, last!])).toEqual([false, true]);
    last!.done();
    expect(shares.usage('flood')).toEqual({ inFlight: 0, waiting: 0 });
  });
});
