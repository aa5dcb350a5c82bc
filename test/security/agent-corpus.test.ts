/**
 * A compromised agent on DuckDB: the attack corpus through the MCP `run_query` tool for the franchise
 * owner and the personas with row filters and masks (the suite is in agent-corpus.ts; PostgreSQL
 * runs it in test/e2e/postgres.test.ts).
 */
import { inject } from 'vitest';
import { agentCorpusSuite } from './agent-corpus.js';
import { buildPhysicalSandbox } from './physical-sandbox.js';

agentCorpusSuite({
  warehouse: () => ({ duckdb: { path: inject('demoDb'), threads: 2 } }),
  physical: (persona) => buildPhysicalSandbox(inject('demoDb'), persona),
});
