/**
 * A client as a real one behaves under faults: each event has its own
 * idempotency key, and a failed attempt (network error, 503, 429) is retried
 * with the same key until it is acknowledged.
 */

export interface LoadOptions {
  url: string;
  apiKey: string;
  /** Concurrent senders. */
  workers: number;
  eventsPerWorker: number;
  /** Prefix of the idempotency keys, unique to the scenario. */
  prefix: string;
  metric?: string;
  /** Attempts per event at most. Default 400. */
  maxAttempts?: number;
  /** False once the server died for good: stop retrying (the scenario then fails on its own). */
  isAlive?: () => boolean;
}

export interface LoadReport {
  /** Attempts made, retries included. */
  attempts: number;
  /** Idempotency key → quantity, for every event answered 202. */
  acknowledged: Map<string, number>;
  /** Answers by status ('network' for a connection that failed). */
  statuses: Map<number | 'network', number>;
  /** Events never acknowledged. */
  unacknowledged: string[];
  /** Answers that a retrying client must never see (5xx other than 503, 4xx other than 429). */
  unexpected: Array<{ status: number; body: string }>;
}

export async function ingestUnderFaults(options: LoadOptions): Promise<LoadReport> {
  const report: LoadReport = { attempts: 0, acknowledged: new Map(), statuses: new Map(), unacknowledged: [], unexpected: [] };
  const count = (status: number | 'network') => report.statuses.set(status, (report.statuses.get(status) ?? 0) + 1);
  const sendOne = async (key: string, quantity: number) => {
    for (let attempt = 0; attempt < (options.maxAttempts ?? 400); attempt++) {
      report.attempts += 1;
      let status: number;
      let body = '';
      try {
        const response = await fetch(`${options.url}/ingest`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': options.apiKey },
          body: JSON.stringify({ metric: options.metric ?? 'api_calls', quantity, idempotency_key: key }),
          signal: AbortSignal.timeout(10_000),
        });
        status = response.status;
        body = await response.text();
      } catch {
        count('network');
        if (options.isAlive && !options.isAlive()) break;
        await new Promise((resolve) => setTimeout(resolve, 25));
        continue;
      }
      count(status);
      if (status === 202) {
        report.acknowledged.set(key, quantity);
        return;
      }
      if (status !== 503 && status !== 429) {
        report.unexpected.push({ status, body });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    report.unacknowledged.push(key);
  };
  await Promise.all(
    Array.from({ length: options.workers }, async (_, worker) => {
      for (let i = 0; i < options.eventsPerWorker; i++) await sendOne(`${options.prefix}-${worker}-${i}`, (i % 7) + 1);
    }),
  );
  return report;
}

/** One line for the README's Guarantees table. */
export function summarize(scenario: string, report: LoadReport, extra: Record<string, number> = {}): string {
  const statuses = [...report.statuses].map(([status, n]) => `${status}:${n}`).join(' ');
  const fields = Object.entries(extra).map(([key, value]) => `${key}=${value}`).join(' ');
  return `faults: ${scenario} attempts=${report.attempts} acknowledged=${report.acknowledged.size} unacknowledged=${report.unacknowledged.length} unexpected=${report.unexpected.length} [${statuses}] ${fields}`;
}
