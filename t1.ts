import { loadCatalog } from './src/semantic/catalog.js';
import { readQuestion, understand } from './src/intent/analyze.js';
import { fixtureValues } from './test/support/values-fixture.js';
const catalog = loadCatalog('/work/main/catalog/metrics.yaml');
const values = fixtureValues();
let previous: any;
for (const q of process.argv.slice(2)) {
  const d = readQuestion(q, catalog, '2026-11-18');
  const r = understand(q, d, { catalog, today: '2026-11-18', values, ...(previous ? { previous, history: [previous] } : {}) });
  console.log(q, '=>', JSON.stringify(r.kind === 'query' ? r.query : r).slice(0, 700));
  if (r.kind === 'query') previous = r.query;
}
