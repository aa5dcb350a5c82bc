/**
 * A compromised agent on DuckDB: the attack corpus through the MCP `run_query` tool for the restaurant's
 * franchise owner and the personas with row filters and masks (the suite is in agent-corpus.ts; the
 * Tracklane example's is agent-corpus-projects.test.ts; PostgreSQL runs it in test/e2e/postgres.test.ts).
 */
import { RESTAURANT, domainData } from '../support/domains.js';
import { agentCorpusSuite } from './agent-corpus.js';
import { buildPhysicalSandbox } from './physical-sandbox.js';

agentCorpusSuite(
  {
    warehouse: () => ({ duckdb: { path: RESTAURANT.warehouse(), threads: 2 } }),
    physical: (persona) => buildPhysicalSandbox(RESTAURANT.warehouse(), persona, RESTAURANT),
  },
  RESTAURANT,
  await domainData(RESTAURANT),
);
