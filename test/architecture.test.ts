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
  return cycle(edges, folderOf);
}

/** A cycle in the graph of `keyOf` (a folder, or the file itself), as a list of keys, or undefined. */
function cycle(edges: readonly Edge[], keyOf: (file: string) => string): string[] | undefined {
  const next = new Map<string, Set<string>>();
  for (const e of edges) {
    const a = keyOf(e.from);
    const b = keyOf(e.to);
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

  it('has no import cycle between files', () => {
    expect(cycle(edges, (f) => f)).toBeUndefined();
    expect(
      cycle(
        [
          { from: 'src/a/x.ts', to: 'src/a/y.ts' },
          { from: 'src/a/y.ts', to: 'src/a/x.ts' },
        ],
        (f) => f,
      ),
    ).toEqual(['src/a/x.ts', 'src/a/y.ts', 'src/a/x.ts']);
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

/** Every file the linter reads, as text (TypeScript and JavaScript, no dependency or build output). */
function lintedFiles(): { path: string; text: string }[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = join(dir, e.name);
      if (e.isDirectory()) return ['node_modules', 'dist', 'var', 'results'].includes(e.name) ? [] : walk(p);
      return /\.(ts|js|mjs)$/.test(e.name) ? [p] : [];
    });
  return ['src', 'test', 'bench', 'scripts', 'examples']
    .flatMap(walk)
    .map((path) => ({ path, text: readFileSync(path, 'utf8') }));
}

describe('habits', () => {
  const files = lintedFiles();
  const disables = files.flatMap(({ path, text }) =>
    [...text.matchAll(/(?:\/\/|\/\*)\s*eslint-disable(?:-next-line|-line)?\b([^\n]*)/g)].map((m) => ({
      path,
      rest: m[1] ?? '',
    })),
  );

  it('turns a lint rule off inline only with its reason, and at most 20 times in src/', () => {
    expect(files.length).toBeGreaterThan(200);
    // The reader finds the disables there are (a broken pattern would pass every rule).
    expect(disables.some((d) => d.path === join('src', 'engines', 'postgres', 'connector.ts'))).toBe(true);
    expect(disables.filter((d) => !/ -- \S/.test(d.rest)).map((d) => d.path)).toEqual([]);
    expect(
      disables.filter((d) => d.path.startsWith(`src${sep}`) && !d.path.endsWith('.test.ts')).length,
    ).toBeLessThanOrEqual(20);
  });

  it('lets no file turn lint off for the whole file, and no config hides a rule without its reason', () => {
    expect(files.filter(({ text }) => /\/\*\s*eslint-disable(?!-)/.test(text)).map((f) => f.path)).toEqual([]);
    const config = readFileSync('eslint.config.js', 'utf8');
    // Every relaxed rule in the config sits under a comment line that says why.
    const lines = config.split('\n');
    const relaxed = lines.flatMap((l, i) => (/^\s+'[@\w/-]+': (?:'off'|'warn'|\[)/.test(l) ? [i] : []));
    expect(relaxed.length).toBeGreaterThan(5);
    for (const i of relaxed) {
      let k = i - 1;
      while (k >= 0 && /^\s+'[@\w/-]+': (?:'off'|'warn')/.test(lines[k] ?? '')) k--;
      expect(lines[k], `reason for ${lines[i] ?? ''}`).toMatch(/^\s*\/\/ \S/);
    }
  });

  it('keeps every mutation text of scripts/mutations.mjs in its file, once (a reformatted rule fails here)', async () => {
    const spec = '../scripts/mutations.mjs';
    const { MUTATIONS } = (await import(spec)) as { MUTATIONS: readonly (readonly [string, string, string, string])[] };
    expect(MUTATIONS.length).toBeGreaterThan(50);
    const wrong = MUTATIONS.filter(([, file, find]) => readFileSync(file, 'utf8').split(find).length - 1 !== 1);
    expect(wrong.map(([id]) => id)).toEqual([]);
    expect(new Set(MUTATIONS.map(([id]) => id)).size).toBe(MUTATIONS.length);
  });

  it('holds no file in src/ over 300 lines without a line in docs/architecture.md saying why', () => {
    const doc = readFileSync('docs/architecture.md', 'utf8');
    const long = sourceFiles(SRC).filter((f) => readFileSync(f, 'utf8').split('\n').length > 300);
    expect(long.length).toBeGreaterThan(0);
    expect(long.filter((f) => !doc.includes(`\`${f.split(sep).join('/')}\` (over 300 lines)`))).toEqual([]);
  });
});
