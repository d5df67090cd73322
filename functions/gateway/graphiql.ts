/**
 * GraphiQL at `GET /graphiql`: Mercurius's own page and scripts, served by the
 * gateway rather than through Mercurius's `graphiql` option, which registers a
 * whole static-file server (@fastify/static, with glob, send and a MIME
 * database) for three small files. The gateway's bundle leaves that server
 * and Mercurius's subscription server out (scripts/build.ts), which starts
 * it sooner and idles it smaller (README, Performance).
 *
 * `npm run build` copies the files beside the bundle (`static/`); from
 * source they are read from Mercurius's package.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/** Each route and the file of Mercurius's `static/` it answers with. */
const graphiqlFiles = {
  '/graphiql': { file: 'graphiql.html', contentType: 'text/html; charset=utf-8' },
  '/graphiql/main.js': { file: 'main.js', contentType: 'text/javascript; charset=utf-8' },
  '/graphiql/sw.js': { file: 'sw.js', contentType: 'text/javascript; charset=utf-8' },
} as const;

/** Where `npm run build` puts the files, relative to the bundle (`dist/functions/gateway/static/`). */
const bundledDir = fileURLToPath(new URL('./static/', import.meta.url));

/** The folder holding GraphiQL's files: the bundle's copy, else Mercurius's package. */
function graphiqlDir(): string {
  if (existsSync(join(bundledDir, graphiqlFiles['/graphiql'].file))) return bundledDir;
  return join(dirname(createRequire(import.meta.url).resolve('mercurius')), 'static');
}

/**
 * Serves GraphiQL for the GraphQL endpoint at `graphqlPath`. Throws at start
 * when a file is missing, rather than on the first visit; each file is read
 * on its first request and kept.
 */
export function serveGraphiql(app: FastifyInstance, graphqlPath: string): void {
  const directory = graphiqlDir();
  for (const [route, { file, contentType }] of Object.entries(graphiqlFiles)) {
    const path = join(directory, file);
    accessSync(path, constants.R_OK);
    let contents: Promise<Buffer> | undefined;
    app.get(route, async (_request, reply) => {
      contents ??= readFile(path);
      return reply.type(contentType).send(await contents);
    });
  }
  // What the page reads before its script: the endpoint, and no GraphiQL plugins.
  const config = `window.GRAPHQL_ENDPOINT = ${JSON.stringify(graphqlPath)};\nwindow.GRAPHIQL_PLUGIN_LIST = []`;
  app.get('/graphiql/config.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(config));
}
