/**
 * Ingest's JSON parser (lossless-json, patched to add a string's characters
 * between escapes as one slice): strings read exactly as JSON.parse reads
 * them, escapes and all; numbers stay the literals they were written as; what
 * is not JSON is refused.
 */
import fc from 'fast-check';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NumberLiteral } from '../../shared/decimal.js';
import { ValidationError } from '../../shared/errors.js';
import { registerIngestParsers } from './ingest-body.js';

let app: FastifyInstance;
const parsed: unknown[] = [];
const refused: unknown[] = [];

beforeAll(async () => {
  app = Fastify();
  registerIngestParsers(app);
  app.post('/', async (request) => {
    parsed.push(request.body);
    return {};
  });
  app.setErrorHandler(async (error, _request, reply) => {
    refused.push(error);
    return reply.code(400).send({});
  });
  await app.ready();
});

afterAll(async () => {
  await app.close();
});

async function parse(payload: string): Promise<{ statusCode: number; body: unknown; error: unknown }> {
  parsed.length = 0;
  refused.length = 0;
  const response = await app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, payload });
  return { statusCode: response.statusCode, body: parsed[0], error: refused[0] };
}

describe('ingest JSON parsing', () => {
  it('reads every string as JSON.parse does, as keys and as values', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme-composite' }), async (text, key) => {
        const payload = JSON.stringify({ [key]: [text, `\\${text}"`, { text }] });
        const { statusCode, body } = await parse(payload);
        expect(statusCode).toBe(200);
        expect(body).toEqual(JSON.parse(payload));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps each number as the literal written, beside strings with escapes', async () => {
    const { body } = await parse('{"metric":"a\\"b\\u00e9\\n","quantity":1.50,"properties":{"tokens":12345678901234567890,"region":"eu\\/west"}}');
    expect(body).toEqual({
      metric: 'a"bé\n',
      quantity: NumberLiteral.of('1.50'),
      properties: { tokens: NumberLiteral.of('12345678901234567890'), region: 'eu/west' },
    });
  });

  it('refuses a control character inside a string, an unknown escape and an unterminated string', async () => {
    for (const payload of ['{"metric":"a\u0001b"}', '{"metric":"a\\qb"}', '{"metric":"a\\u12"}', '{"metric":"abc']) {
      const { error } = await parse(payload);
      expect(error, payload).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).problems, payload).toEqual([{ field: 'body', message: 'is not valid JSON' }]);
    }
  });
});
