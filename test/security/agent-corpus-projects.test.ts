/**
 * A compromised agent on DuckDB, in the Tracklane example (examples/projects/): the attack corpus,
 * written with its names and another organisation's IDs, through the MCP `run_query` tool for its
 * project lead and the personas with row filters, project filters and masks (the finance analyst,
 * the portfolio viewer). The suite is in agent-corpus.ts.
 */
import { PROJECTS, domainData } from '../support/domains.js';
import { agentCorpusSuite } from './agent-corpus.js';
import { buildPhysicalSandbox } from './physical-sandbox.js';

agentCorpusSuite(
  {
    warehouse: () => ({ duckdb: { path: PROJECTS.warehouse(), threads: 2 } }),
    physical: (persona) => buildPhysicalSandbox(PROJECTS.warehouse(), persona, PROJECTS),
    // The security suites run with the answer cache on and off: this one off (the restaurant's corpus, on).
    cache: false,
  },
  PROJECTS,
  await domainData(PROJECTS),
);
