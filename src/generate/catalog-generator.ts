/**
 * The deterministic generator: a SemanticQuery compiled to SQL over the
 * sandbox CTEs (src/semantic/compile.ts). It refuses (SP_ERR_POLICY_DENIED)
 * when the query needs a table or column the sandbox does not expose.
 */
import { SplitplaneError } from '../errors.js';
import type { Catalog } from '../semantic/catalog.js';
import { compileQuery } from '../semantic/compile.js';
import type { Candidate, GenerateInput, Generator } from './generator.js';

/** The catalog generator for one catalog. */
export function catalogGenerator(catalog: Catalog): Generator {
  return {
    name: 'catalog',
    async generate({ intent, sandbox, dialect }: GenerateInput): Promise<Candidate> {
      if (intent.kind !== 'query')
        throw new SplitplaneError('SP_ERR_INTERNAL', { detail: 'the catalog generator takes semantic queries only' });
      return { sql: compileQuery(intent.query, catalog, sandbox, dialect).sql, generator: 'catalog' };
    },
  };
}
