/** The restaurant demo's catalog, as the tests read it: the same files `serve` loads by default (catalog/). */
import { loadCatalog } from '../../src/semantic/catalog.js';

export const DEMO_CATALOG = loadCatalog('catalog');
export const DEMO_REGISTRY = DEMO_CATALOG.schema;
