/**
 * The rules that keep the layers independent (docs/architecture.md), checked
 * on the source as it is: every relative import (static, re-export and
 * dynamic) of every non-test file under src/.
 *
 *   - no cycle between folders (a folder of src/engines/ counts on its own);
 *   - the guard imports no engine and no warehouse code: engines implement its port;
 *   - only the registry (src/engine-registry.ts) imports an engine's folder;
 *     everything else sees engines through the registry and the port
 *     (src/engines/engine.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../src/semantic/catalog.js';

const SRC = 'src';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.ts$/.test(e.name) && !/\.test\.ts$/.test(e.name) ? [p] : [];
  });
}

/** The folder a file belongs to: src/<folder>, src/engines/<name>, or a top-level file on its own. */
function folderOf(file: string): string {
  const parts = relative(SRC, file).split(sep);
  if (parts.length === 1) return parts[0]!.replace(/\.ts$/, '');
  if (parts[0] === 'engines' && parts.length > 2) return `engines/${parts[1]}`;
  return parts[0]!;
}

interface Edge {
  readonly from: string;
  readonly to: string;
}

/** Every relative import of every source file, as file paths under src/ (`.js` specifiers name `.ts` files). */
function imports(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(
      /(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*'(\.[^']+)'|\bimport\(\s*'(\.[^']+)'\s*\)/g,
    )) {
      const spec = (m[1] ?? m[2])!;
      edges.push({ from: file, to: normalize(join(dirname(file), spec)).replace(/\.js$/, '.ts') });
    }
  }
  return edges;
}

/** A cycle in the folder graph, as a list of folders, or undefined. */
function folderCycle(edges: readonly Edge[]): string[] | undefined {
  const next = new Map<string, Set<string>>();
  for (const e of edges) {
    const a = folderOf(e.from);
    const b = folderOf(e.to);
    if (a !== b) next.set(a, (next.get(a) ?? new Set()).add(b));
  }
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 'open') return [...path.slice(path.indexOf(n)), n];
    if (state.get(n) === 'done') return undefined;
    state.set(n, 'open');
    path.push(n);
    for (const m of next.get(n) ?? []) {
      const found = visit(m);
      if (found) return found;
    }
    path.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of [...next.keys()].sort()) {
    const found = visit(n);
    if (found) return found;
  }
  return undefined;
}

describe('architecture', () => {
  const edges = imports();

  it('reads the imports it checks (a broken reader would pass every rule)', () => {
    expect(edges.length).toBeGreaterThan(200);
    expect(edges).toContainEqual({ from: join(SRC, 'server/services.ts'), to: join(SRC, 'engine-registry.ts') });
    expect(
      edges.some(
        (e) => e.from === join(SRC, 'engines/duckdb/index.ts') && e.to === join(SRC, 'engines/duckdb/connector.ts'),
      ),
    ).toBe(true);
  });

  it('has no import cycle between folders', () => {
    expect(folderCycle(edges)).toBeUndefined();
    // The cycle finder itself finds one where there is one.
    expect(
      folderCycle([
        { from: 'src/a/x.ts', to: 'src/b/y.ts' },
        { from: 'src/b/y.ts', to: 'src/a/z.ts' },
      ]),
    ).toEqual(['a', 'b', 'a']);
  });

  it('keeps the guard free of engines and warehouse code: they implement its port', () => {
    const bad = edges.filter((e) => folderOf(e.from) === 'guard' && /^(engines|warehouse)/.test(folderOf(e.to)));
    expect(bad).toEqual([]);
  });

  it('lets nothing but the registry reach into one engine (the rest imports the registry or the port)', () => {
    const bad = edges.filter(
      (e) =>
        folderOf(e.to).startsWith('engines/') &&
        !folderOf(e.from).startsWith('engines/') &&
        e.from !== join(SRC, 'engine-registry.ts'),
    );
    expect(bad).toEqual([]);
  });

  it('has every engine folder registered, and each registered engine has a folder', () => {
    const folders = readdirSync(join(SRC, 'engines'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    const registry = readFileSync(join(SRC, 'engine-registry.ts'), 'utf8');
    const listed = [...registry.matchAll(/^import \{ (\w+) \} from '\.\/engines\/(\w+)\/index\.js';$/gm)]
      .map((m) => m[2]!)
      .sort();
    expect(listed).toEqual(folders);
  });

  it('has every folder of src/ named in the README and in docs/architecture.md', () => {
    const folders = readdirSync(SRC, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    for (const doc of ['README.md', 'docs/architecture.md']) {
      const text = readFileSync(doc, 'utf8');
      expect(
        folders.filter((f) => !text.includes(`\`${f}/`) && !text.includes(`src/${f}/`)),
        doc,
      ).toEqual([]);
    }
  });
});

/**
 * The domain is data (issue 33): no word of the restaurant demo in src/ outside src/demo/. The words
 * are derived from the demo catalog itself: its logical and raw table names, column names, measure
 * and dimension ids, dimension labels and plurals. Comments may use the demo as an example; code
 * and strings may not. A few are generic English and allowed anywhere; the few uses that remain are
 * listed with the reason, file by file, so a new one fails this test.
 */
describe('the domain is data', () => {
  const catalog = loadCatalog('catalog');
  const words = new Set<string>();
  for (const [name, t] of Object.entries(catalog.schema.tables)) {
    words.add(name);
    words.add(t.raw);
    for (const c of Object.keys(t.columns)) words.add(c);
  }
  for (const r of catalog.schema.rawTables) words.add(r);
  for (const m of catalog.metrics) words.add(m.id);
  for (const d of catalog.dimensions) for (const w of [d.id, d.label, d.plural]) words.add(w);
  /** Words of every domain: time grains, and English that any code uses (an object's name, an app state, an eval category). */
  const GENERIC = new Set([
    'name',
    'day',
    'days',
    'week',
    'weeks',
    'month',
    'months',
    'weekday',
    'weekdays',
    'state',
    'category',
    'quantity',
    'price',
    'store',
  ]);
  for (const g of GENERIC) words.delete(g);
  /** What remains, and why. */
  const ALLOWED: Readonly<Record<string, readonly string[]>> = {
    // The follow-up rules' examples, mirrored row by row in the README's table.
    'src/intent/follow-up.ts': ['city', 'cities', 'store', 'stores'],
    // The demo page (served only with demo.enabled).
    'src/web/static/index.html': ['stores'],
  };
  const strip = (text: string): string =>
    text
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1')
      .replace(/<!--[\s\S]*?-->/g, '');
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = join(dir, e.name);
      if (e.isDirectory()) return p === join(SRC, 'demo') ? [] : files(p);
      return /\.(ts|js|html)$/.test(e.name) && !/\.test\.ts$/.test(e.name) ? [p] : [];
    });

  it('derives its words from the demo catalog (a broken derivation would pass everything)', () => {
    for (const w of [
      'daily_sales',
      'fact_daily_sales',
      'location_id',
      'net_sales_amount',
      'menu_item',
      'admin_location_grants',
      'stores',
    ])
      expect(words.has(w), w).toBe(true);
    expect(strip("const x = 'daily_sales'; // daily_sales")).toContain("'daily_sales'");
    expect(strip('/* menu_items */ y')).not.toContain('menu_items');
  });

  it('names no table, column, measure or dimension of the demo in src/ outside src/demo/', () => {
    const found: string[] = [];
    for (const file of files(SRC)) {
      const code = strip(readFileSync(file, 'utf8'));
      const allowed = new Set(ALLOWED[file.split(sep).join('/')] ?? []);
      for (const w of words) {
        if (!allowed.has(w) && new RegExp(`\\b${w}\\b`, 'i').test(code)) found.push(`${file}: ${w}`);
      }
    }
    expect(found).toEqual([]);
  });
});
