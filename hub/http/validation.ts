// 请求校验 request validation shared by every API plugin: Fastify's default Ajv silently drops unknown properties, and
// an admin who misspells `expectedIntervalS` must hear about it instead. Query strings and params still need coercion
// from text. Errors read as one sentence per problem, with the path of the bad value.
import { Ajv, type ErrorObject } from 'ajv';
import type { FastifyInstance } from 'fastify';

const bodyAjv = new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allowUnionTypes: true });
const textAjv = new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: false, allowUnionTypes: true });
// RFC 3339 with an explicit offset: a time without one would be read in whatever zone the server runs in.
const dateTime = (s: string) =>
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(s) && !Number.isNaN(Date.parse(s));
for (const ajv of [bodyAjv, textAjv]) ajv.addFormat('date-time', { validate: dateTime });

export function describeErrors(errors: ErrorObject[], dataVar: string): string {
  return errors
    .map((e) => {
      const where = `${dataVar}${e.instancePath.replace(/\//g, '.')}`;
      if (e.keyword === 'additionalProperties') {
        return `${where} has an unknown property "${(e.params as { additionalProperty: string }).additionalProperty}"`;
      }
      if (e.keyword === 'enum') {
        return `${where} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
      }
      return `${where} ${e.message ?? 'is invalid'}`;
    })
    .join('; ');
}

/** Strict bodies, coerced query strings and params, readable messages — for the plugin (encapsulation context) given. */
export function useStrictValidation(app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : textAjv).compile(schema));
  app.setSchemaErrorFormatter((errors, dataVar) => new Error(describeErrors(errors, dataVar)));
}
