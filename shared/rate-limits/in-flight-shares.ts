/**
 * Each organization's share of a pod's requests in flight.
 *
 * A rate limit bounds how much an organization may send in a second, not how
 * much of the pod it holds at once: a flood spending its burst through fifty
 * connections had fifty requests on the CPU and in every group commit, ahead
 * of a quiet organization's one (the bench's noisy neighbour measured the
 * quiet organization's p99 at 2.3–4.4× its p99 alone that way, 1.7–2.2× with
 * a share of 4).
 *
 * So, while more than one organization is using the pod, each may have at
 * most its share in flight, and its further requests wait, in order, for one
 * of its own to finish. The share follows from the organization's rate limit
 * by Little's law: its rate × `shareServiceMs`, so a pod answering within
 * that time still carries the organization's whole allowance (4 in flight
 * for 1,000 requests a second). An organization alone in the pod (no other
 * has sent to it within `sharingWindowMs`) is not held: nobody is waiting
 * behind it.
 *
 * Per pod, by design: it is about this pod's CPU and connections. In the
 * cluster, requests waiting for their share count toward the pod's
 * concurrency, so the autoscaler adds pods for an organization that needs more.
 */

/** The service time a share is sized for: an organization's share carries its rate when the pod answers within it. */
const shareServiceMs = 4;

/** How recently another organization must have sent for the pod to count as shared. */
const sharingWindowMs = 1_000;

/** The requests an organization limited to `perSecond` may have in flight while the pod is shared. */
export function inFlightShare(perSecond: number): number {
  return Math.max(1, Math.ceil((perSecond * shareServiceMs) / 1000));
}

/** One request's place: `admitted` resolves when it may go on; `done` once it is answered or abandoned (even while still waiting). */
export interface InFlightTicket {
  admitted: Promise<void>;
  done(): void;
}

interface OrganizationInFlight {
  inFlight: number;
  /** The latest share asked for (an organization's limits may change). */
  share: number;
  waiting: (() => void)[];
}

interface Arrival {
  organizationId: string;
  at: number;
}

export interface InFlightSharesOptions {
  now?: () => number;
  /** Called for each request that had to wait for its share (a metric). */
  onWait?: () => void;
}

export class InFlightShares {
  private readonly organizations = new Map<string, OrganizationInFlight>();
  /** The last arrival, and the last from any other organization: enough to tell whether anyone else is here. */
  private latest: Arrival = { organizationId: '', at: -Infinity };
  private previous: Arrival = { organizationId: '', at: -Infinity };
  private readonly now: () => number;

  constructor(private readonly options: InFlightSharesOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  /** Takes a place for one of the organization's requests, which may go on at once or wait for its share. */
  enter(organizationId: string, share: number): InFlightTicket {
    this.noteArrival(organizationId);
    let entry = this.organizations.get(organizationId);
    if (!entry) {
      entry = { inFlight: 0, share, waiting: [] };
      this.organizations.set(organizationId, entry);
    }
    entry.share = share;
    const organization = entry;

    let state: 'waiting' | 'in flight' | 'done' = 'in flight';
    let admit!: () => void;
    let admitted: Promise<void>;
    if (organization.waiting.length === 0 && this.mayStart(organizationId, organization)) {
      organization.inFlight += 1;
      admitted = Promise.resolve();
    } else {
      state = 'waiting';
      this.options.onWait?.();
      admitted = new Promise<void>((resolve) => {
        admit = () => {
          state = 'in flight';
          resolve();
        };
      });
      organization.waiting.push(admit);
    }

    const done = () => {
      if (state === 'done') return;
      if (state === 'waiting') {
        organization.waiting.splice(organization.waiting.indexOf(admit), 1);
      } else {
        organization.inFlight -= 1;
        this.admitWaiting(organizationId, organization);
      }
      state = 'done';
      if (organization.inFlight === 0 && organization.waiting.length === 0) this.organizations.delete(organizationId);
    };
    return { admitted, done };
  }

  /** The organization's requests in flight and waiting in this pod. */
  usage(organizationId: string): { inFlight: number; waiting: number } {
    const entry = this.organizations.get(organizationId);
    return { inFlight: entry?.inFlight ?? 0, waiting: entry?.waiting.length ?? 0 };
  }

  private mayStart(organizationId: string, organization: OrganizationInFlight): boolean {
    return organization.inFlight < organization.share || !this.othersHere(organizationId);
  }

  private admitWaiting(organizationId: string, organization: OrganizationInFlight): void {
    while (organization.waiting.length > 0 && this.mayStart(organizationId, organization)) {
      organization.inFlight += 1;
      organization.waiting.shift()!();
    }
  }

  private noteArrival(organizationId: string): void {
    const at = this.now();
    if (this.latest.organizationId === organizationId) {
      this.latest.at = at;
    } else {
      this.previous = this.latest;
      this.latest = { organizationId, at };
    }
  }

  /** Whether another organization has a request here, or has sent one within the sharing window. */
  private othersHere(organizationId: string): boolean {
    // Entries are dropped once idle, and the asking organization has one.
    if (this.organizations.size > 1) return true;
    const since = this.now() - sharingWindowMs;
    // `previous` is the latest arrival from an organization other than `latest`'s.
    const other = this.latest.organizationId === organizationId ? this.previous : this.latest;
    return other.at > since;
  }
}
