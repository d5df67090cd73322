/**
 * The baseline for ingest throughput: a bare Fastify route that parses the
 * same JSON body and answers the same 202, doing no work. Run as its own
 * process, like Polaris, so both compete for the same cores.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
app.post('/ingest', async (_request, reply) => reply.code(202).send({ id: '00000000-0000-7000-8000-000000000000', duplicate: false }));
await app.listen({ port: Number(process.env.PORT ?? 8099), host: '127.0.0.1' });
console.log('baseline ready');
