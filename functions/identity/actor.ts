/**
 * Who made a call, as the audit log names actors: the `polaris-actor`
 * metadata the gateway sends (`user:<id>`, `key:<id>`, `token:<organization
 * id>`), else `operator` for a call with the operator token, else `system`.
 */
import type { Metadata } from '@grpc/grpc-js';
import { bearerToken, tokensEqual } from '../../shared/auth.js';

const uuid = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const actorPattern = new RegExp(`^((user|key|token):${uuid}|operator|system)$`);

export function actorOf(metadata: Metadata, adminToken: string | undefined): string {
  const actor = metadata.get('polaris-actor')[0];
  if (typeof actor === 'string' && actorPattern.test(actor)) return actor;
  const authorization = metadata.get('authorization')[0];
  const token = bearerToken(typeof authorization === 'string' ? authorization : undefined);
  return token && adminToken && tokensEqual(token, adminToken) ? 'operator' : 'system';
}
