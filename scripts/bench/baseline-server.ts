/**
 * The baselines for the HTTP figures: bare Fastify routes that parse the same
 * JSON bodies and answer what Polaris answers, doing no work. Run as its own
 * process, like Polaris, so both compete for the same cores.
 *
 *   POST /ingest    202 {"id","duplicate"}
 *   POST /graphql   200 with the shape of `{ me { id name } usage(metric) { total } invoices { id amount } }`
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
app.post('/ingest', async (_request, reply) => reply.code(202).send({ id: '00000000-0000-7000-8000-000000000000', duplicate: false }));

const dashboard = {
  data: {
    me: { id: '01900000-0000-7000-8000-000000000000', name: 'Bench draft' },
    usage: [{ total: 50 }],
    invoices: [{ id: '01900000-0000-7000-8000-000000000001', amount: '50.00' }],
  },
};
app.post('/graphql', async (request, reply) => {
  // Read the query as the gateway must, then answer the canned result.
  if (typeof (request.body as { query?: unknown } | undefined)?.query !== 'string') return reply.code(400).send({ errors: [{ message: 'query' }] });
  return reply.send(dashboard);
});

await app.listen({ port: Number(process.env.PORT ?? 8099), host: '127.0.0.1' });
console.log('baseline ready');
