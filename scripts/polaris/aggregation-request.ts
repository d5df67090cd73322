/**
 * Asks a Polaris for an aggregation run: `dev.polaris.aggregation.requested`
 * to `POST /events`, as the CronJob sends it. Polaris answers once the run is
 * over, so this goes over node:http with no timeout rather than fetch, which
 * gives up on an answer after 300 s: a run over a large backlog can take
 * longer, and its answer is the point.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';

export function requestAggregationRun(baseUrl: string, options: { source: string; orgId?: string }): Promise<{ status: number; text: string }> {
  const body = JSON.stringify(options.orgId ? { orgId: options.orgId } : {});
  return new Promise((resolve, reject) => {
    const sent = request(`${baseUrl}/events`, {
      method: 'POST',
      headers: {
        'ce-specversion': '1.0',
        'ce-id': randomUUID(),
        'ce-source': options.source,
        'ce-type': 'dev.polaris.aggregation.requested',
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      },
    });
    sent.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text })).on('error', reject);
    });
    sent.on('error', reject).end(body);
  });
}
