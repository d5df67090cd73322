/**
 * GraphiQL at `GET /graphiql`: Mercurius's own page and scripts, served by the
 * gateway rather than through Mercurius's `graphiql` option, which registers a
 * whole static-file server (@fastify/static, with glob, send and a MIME
 * database) for three small files. The gateway's bundle leaves that server
 * and Mercurius's subscription server out (scripts/build.ts), which starts
 * it sooner and idles it smaller (scripts/bench/LOG.md).
 */
import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { type PackageFiles, packageFilePaths } from '../../shared/runtime/package-files.js';

/** Mercurius's page and scripts, by route; `npm run build` copies them into the bundle's `static/`. */
export const graphiqlFiles = {
  packageDir: 'mercurius/static',
  bundleDir: 'static',
  files: { '/graphiql': 'graphiql.html', '/graphiql/main.js': 'main.js', '/graphiql/sw.js': 'sw.js' },
} as const satisfies PackageFiles<string>;

/**
 * Serves GraphiQL for the GraphQL endpoint at `graphqlPath`. Throws at start
 * when a file is missing, rather than on the first visit; each file is read
 * on its first request and kept.
 */
export function serveGraphiql(app: FastifyInstance, graphqlPath: string): void {
  for (const [route, path] of Object.entries(packageFilePaths(graphiqlFiles, import.meta.url))) {
    const contentType = path.endsWith('.html') ? 'text/html; charset=utf-8' : 'text/javascript; charset=utf-8';
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
