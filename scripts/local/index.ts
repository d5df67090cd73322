/**
 * The local infrastructure of `npm start`, the bench and the tests: an
 * embedded PostgreSQL cluster, a NATS server with JetStream, the admin token,
 * all kept under a state directory (normally `.polaris/`) so a fresh machine
 * needs nothing but Node; and free ports for the servers they start.
 *
 * @module
 */
export { startEmbeddedPostgres, type EmbeddedPostgresOptions } from './embedded-postgres.js';
export { ensureNats, startNatsServer, type EnsureNatsOptions, type NatsServerHandle, type NatsServerOptions } from './nats-server.js';
export { findFreePort, findFreePorts, onFreePort } from './ports.js';
export { locationFileName } from './postgres-placement.js';
export { loadOrCreateAdminToken, loadOrCreateSessionSecret, loadOrCreateWebhookSecretKey } from './secrets.js';
