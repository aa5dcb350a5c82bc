/** The table registry is data: read from the catalog, refused whole when anything in it could mislead the sandbox. */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseTableRegistry, sandboxColumn, sandboxTable, unitFields } from './tables.js';

/** The demo's file as plain data, to break one thing at a time. */
interface Table {
  raw: string;
  scope: { confirmed?: boolean };
  columns: Record<string, { type: string }>;
  partners?: string[];
  rls?: boolean;
}
interface Yaml {
  tables: Record<string, Table>;
  grantUnit: { table: string };
  directory?: unknown;
}
const demo = (): Yaml => parseYaml(readFileSync('catalog/tables.yaml', 'utf8')) as Yaml;
const sales = (d: Yaml): Table => d.tables['daily_sales']!;

describe('the table registry (catalog/tables.yaml)', () => {
  it('loads the demo: its tables, its grant unit and every raw name, the directory tables included', () => {
    const r = parseTableRegistry(demo());
    expect(Object.keys(r.tables).sort()).toEqual(['daily_sales', 'item_sales', 'locations', 'menu_items']);
    expect(r.grantUnit).toEqual({ name: 'location', plural: 'locations', table: 'locations', key: 'location_id' });
    expect(unitFields(r.grantUnit)).toEqual({
      granted: 'locations_granted',
      list: 'locations',
      filters: 'location_filters',
    });
    for (const raw of ['dim_admins', 'admin_location_grants', 'fact_daily_sales', 'customers'])
      expect(r.rawTables).toContain(raw);
    expect(sandboxTable(r, 'constructor')).toBeUndefined();
    expect(sandboxColumn(r, 'locations', '__proto__')).toBeUndefined();
    expect(Object.isFrozen(r.tables['locations']!.columns)).toBe(true);
  });

  const broken: [string, (d: Yaml) => unknown, RegExp][] = [
    [
      'an unconfirmed scope (init writes its guesses so)',
      (d) => (sales(d).scope.confirmed = false),
      /daily_sales: its scope columns are not confirmed/,
    ],
    [
      'a raw name that is not plain ASCII',
      (d) => (sales(d).raw = 'fact_daily_salés'),
      /raw name is an ASCII identifier/,
    ],
    ['a raw name with a quote', (d) => (sales(d).raw = 'x" OR 1=1 --'), /raw name is an ASCII identifier/],
    [
      'a column type splitplane cannot bind',
      (d) => (sales(d).columns['order_count']!.type = 'STRUCT(a INT)'),
      /a column type is one of/,
    ],
    [
      'a logical name that is also a raw name',
      (d) => (d.tables['customers'] = { ...d.tables['menu_items']!, raw: 'dim_menu_items' }),
      /customers: also the name of a raw table/,
    ],
    [
      'a reserved logical name',
      (d) => (d.tables['select'] = { ...d.tables['menu_items']! }),
      /table select: a reserved name/,
    ],
    [
      'a grant unit whose table is not scoped by its key',
      (d) => (d.grantUnit.table = 'menu_items'),
      /grantUnit: menu_items has no column location_id/,
    ],
    [
      'a grant unit table that is not a table',
      (d) => (d.grantUnit.table = 'stores'),
      /grantUnit: table stores is not a table/,
    ],
    ['a partner that is not a table', (d) => (sales(d).partners = ['nowhere']), /partner nowhere is not a table/],
    ['an unknown key', (d) => (sales(d).rls = true), /rls/],
    ['no directory', (d) => delete d.directory, /directory/],
  ];
  it.each(broken)('refuses %s, naming it', (_what, breakIt, message) => {
    const d = demo();
    breakIt(d);
    expect(() => parseTableRegistry(d)).toThrow(message);
  });
});
