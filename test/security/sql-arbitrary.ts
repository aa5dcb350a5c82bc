/**
 * A fast-check grammar of SELECTs over the sandbox description: joins,
 * subqueries (correlated too), own CTEs, aggregates, window functions, set
 * operations, CASE, casts and literals that include out-of-scope IDs, long
 * operator chains, deep nesting and literals a re-serialiser could change;
 * with a small share of forbidden relations, functions and keyword-like
 * identifiers so the guard's refusals are exercised as well. Results are kept deterministic (row shapes are
 * ordered by every output column before a LIMIT) so two engines can be
 * compared exactly.
 */
import fc from 'fast-check';

type Kind = 'id' | 'date' | 'num' | 'int' | 'text';
interface Col {
  readonly name: string;
  readonly kind: Kind;
}

const TABLES: Readonly<Record<string, readonly Col[]>> = {
  daily_sales: [
    { name: 'location_id', kind: 'id' },
    { name: 'business_date', kind: 'date' },
    { name: 'net_sales_amount', kind: 'num' },
    { name: 'order_count', kind: 'int' },
    { name: 'guest_count', kind: 'int' },
  ],
  locations: [
    { name: 'location_id', kind: 'id' },
    { name: 'name', kind: 'text' },
    { name: 'city', kind: 'text' },
    { name: 'state', kind: 'text' },
    { name: 'opened_on', kind: 'date' },
    { name: 'manager_email', kind: 'text' }, // only brand managers have it: an engine error for the others, on both sides
  ],
  item_sales: [
    { name: 'location_id', kind: 'id' },
    { name: 'business_date', kind: 'date' },
    { name: 'item_id', kind: 'id' },
    { name: 'quantity', kind: 'int' },
    { name: 'net_amount', kind: 'num' },
  ],
  menu_items: [
    { name: 'item_id', kind: 'id' },
    { name: 'name', kind: 'text' },
    { name: 'category', kind: 'text' },
    { name: 'price', kind: 'num' },
  ],
};
const TABLE_NAMES = Object.keys(TABLES);

/** Relations the guard must refuse, mixed in at a low rate. */
const FORBIDDEN_FROM = [
  'fact_daily_sales', 'customers', 'dim_locations', 'admin_location_grants', 'main.daily_sales', 'information_schema.tables',
  "read_csv('/etc/passwd')", "'/etc/passwd'", 'range(10)', 'duckdb_tables()',
];
const FORBIDDEN_EXPR = ["current_setting('threads')", "md5('x')", "getenv('HOME')", "(SELECT COUNT(*) FROM customers)"];

// IDs in and out of every persona's scope: 628017/628123 (7042), 628001 (7001 only), 544001 (tenant 31), ...
const IDS = ['628017', '628123', '628001', '628200', '544001', '544002', '62801', '12', '31', '628', '544', '7042', '0', '-1'];
const TEXTS = ["'Chicago'", "'New York'", "'IL'", "'CA'", "'Burgers'", "'Fries'", "'Chicago #17'", "''"];
const LIKES = ["'C%'", "'%#1%'", "'%a%'", "'_%'"];
// Literals a re-serialiser could change (past 2^53, more digits than a double, exponents, leading zeros).
const EXOTIC_NUMBERS = ['9007199254740993', '1.00000000000000000001', '0.1', '1e3', '00012', '2.50', '123456789012345678', '0.000000000000000000001'];
/** Keywords DuckDB's binder would answer with its own metadata when read as column names. */
const KEYWORD_IDENTIFIERS = ['current_catalog', 'current_schema', 'current_user', 'current_role', 'session_user', 'user', 'localtimestamp'];
const DATES = ["DATE '2026-11-09'", "DATE '2026-11-15'", "DATE '2025-12-31'", "DATE '2026-07-01'", "DATE '2020-01-01'"];

type Scope = readonly { alias: string; table: string }[];

const pick = <T>(xs: readonly T[]): fc.Arbitrary<T> => fc.constantFrom(...xs);

function colsOf(scope: Scope, kinds?: readonly Kind[]): { ref: string; kind: Kind }[] {
  return scope.flatMap(({ alias, table }) =>
    TABLES[table]!.filter((c) => !kinds || kinds.includes(c.kind)).map((c) => ({ ref: `${alias}.${c.name}`, kind: c.kind })),
  );
}

function literal(kind: Kind): fc.Arbitrary<string> {
  switch (kind) {
    case 'id':
      return pick(IDS);
    case 'date':
      return pick(DATES);
    case 'text':
      return pick(TEXTS);
    case 'int':
      return fc.oneof({ weight: 9, arbitrary: fc.integer({ min: -5, max: 2000 }).map(String) }, { weight: 1, arbitrary: pick(EXOTIC_NUMBERS) });
    case 'num':
      return fc.integer({ min: 0, max: 20000 }).map((n) => `${n}.50`);
  }
}

function column(scope: Scope, kinds?: readonly Kind[]): fc.Arbitrary<{ ref: string; kind: Kind }> {
  const cs = colsOf(scope, kinds);
  return cs.length ? pick(cs) : pick(colsOf(scope));
}

/** A numeric scalar expression. */
function numeric(scope: Scope, depth: number): fc.Arbitrary<string> {
  const col = column(scope, ['num', 'int']).map((c) => c.ref);
  if (depth <= 0) return fc.oneof(col, literal('int'));
  const sub = numeric(scope, depth - 1);
  return fc.oneof(
    { weight: 4, arbitrary: col },
    { weight: 1, arbitrary: literal('int') },
    { weight: 2, arbitrary: fc.tuple(sub, pick(['+', '-', '*']), sub).map(([a, op, b]) => `(${a} ${op} ${b})`) },
    { weight: 1, arbitrary: fc.tuple(sub, sub).map(([a, b]) => `(${a} / NULLIF(${b}, 0))`) },
    { weight: 1, arbitrary: fc.tuple(predicate(scope, depth - 1), sub, sub).map(([p, a, b]) => `CASE WHEN ${p} THEN ${a} ELSE ${b} END`) },
    { weight: 1, arbitrary: sub.map((a) => `ROUND(${a}, 2)`) },
    { weight: 1, arbitrary: sub.map((a) => `COALESCE(${a}, 0)`) },
    { weight: 1, arbitrary: column(scope, ['text']).map((c) => `LENGTH(${c.ref})`) },
    { weight: 1, arbitrary: column(scope, ['date']).map((c) => `YEAR(${c.ref})`) },
    { weight: 1, arbitrary: column(scope, ['text']).map((c) => `CAST(${c.ref} AS INTEGER)`) }, // an engine error on text rows: must match
    // long operator chains and deep nesting: inside the guard's limits they must answer exactly, past them be refused
    { weight: 1, arbitrary: fc.tuple(col, fc.integer({ min: 2, max: 70 })).map(([c, n]) => `(${Array.from({ length: n }, () => c).join(' + ')})`) },
    { weight: 1, arbitrary: fc.tuple(col, fc.integer({ min: 1, max: 60 })).map(([c, n]) => `${'COALESCE('.repeat(n)}${c}${', 0)'.repeat(n)}`) },
  );
}

/** A boolean predicate. */
function predicate(scope: Scope, depth: number): fc.Arbitrary<string> {
  const compare = column(scope).chain((c) =>
    fc.oneof(
      fc.tuple(pick(['=', '<>', '<', '>=']), literal(c.kind)).map(([op, v]) => `${c.ref} ${op} ${v}`),
      fc.array(literal(c.kind), { minLength: 1, maxLength: 4 }).map((vs) => `${c.ref} IN (${vs.join(', ')})`),
      fc.constant(`${c.ref} IS NOT NULL`),
    ),
  );
  const like = column(scope, ['text']).chain((c) => pick(LIKES).map((p) => `${c.ref} LIKE ${p}`));
  const between = column(scope, ['date']).chain((c) => fc.tuple(pick(DATES), pick(DATES)).map(([a, b]) => `${c.ref} BETWEEN ${a} AND ${b}`));
  if (depth <= 0) return fc.oneof(compare, like, between);
  const sub = predicate(scope, depth - 1);
  const idCol = column(scope, ['id']);
  return fc.oneof(
    { weight: 4, arbitrary: compare },
    { weight: 1, arbitrary: like },
    { weight: 1, arbitrary: between },
    { weight: 2, arbitrary: fc.tuple(sub, pick(['AND', 'OR']), sub).map(([a, op, b]) => `(${a} ${op} ${b})`) },
    { weight: 1, arbitrary: sub.map((a) => `NOT (${a})`) },
    { weight: 1, arbitrary: fc.tuple(numeric(scope, depth - 1), literal('int')).map(([e, v]) => `${e} > ${v}`) },
    {
      weight: 2,
      arbitrary: fc.tuple(idCol, pick(TABLE_NAMES)).chain(([c, t]) =>
        predicate([{ alias: 'q', table: t }], 0).map((p) => {
          const key = TABLES[t]!.find((x) => x.kind === 'id')!.name;
          return `${c.ref} IN (SELECT q.${key} FROM ${t} AS q WHERE ${p})`;
        }),
      ),
    },
    {
      // correlated EXISTS over the same location
      weight: 1,
      arbitrary: fc.tuple(pick(['daily_sales', 'item_sales', 'locations']), fc.boolean()).chain(([t, neg]) => {
        const outer = colsOf(scope).find((c) => c.ref.endsWith('.location_id'));
        if (!outer) return compare;
        return predicate([{ alias: 'e', table: t }], 0).map((p) => `${neg ? 'NOT ' : ''}EXISTS (SELECT 1 FROM ${t} AS e WHERE e.location_id = ${outer.ref} AND ${p})`);
      }),
    },
    { weight: 1, arbitrary: pick(FORBIDDEN_EXPR).map((f) => `${f} IS NOT NULL`) },
    { weight: 1, arbitrary: pick(KEYWORD_IDENTIFIERS).map((k) => `${k} LIKE 'a%'`) },
  );
}

const JOINS: readonly { from: string; scope: Scope }[] = [
  { from: 'daily_sales AS d JOIN locations AS l ON l.location_id = d.location_id', scope: [{ alias: 'd', table: 'daily_sales' }, { alias: 'l', table: 'locations' }] },
  { from: 'item_sales AS i JOIN menu_items AS m ON m.item_id = i.item_id', scope: [{ alias: 'i', table: 'item_sales' }, { alias: 'm', table: 'menu_items' }] },
  { from: 'locations AS l LEFT JOIN daily_sales AS d ON d.location_id = l.location_id AND d.business_date = DATE \'2026-11-10\'', scope: [{ alias: 'l', table: 'locations' }, { alias: 'd', table: 'daily_sales' }] },
  { from: 'daily_sales AS d JOIN item_sales AS i ON i.location_id = d.location_id AND i.business_date = d.business_date', scope: [{ alias: 'd', table: 'daily_sales' }, { alias: 'i', table: 'item_sales' }] },
];

/** A FROM clause and the scope it opens. */
const fromClause: fc.Arbitrary<{ from: string; scope: Scope }> = fc.oneof(
  { weight: 6, arbitrary: pick(TABLE_NAMES).map((t) => ({ from: `${t} AS t0`, scope: [{ alias: 't0', table: t }] })) },
  { weight: 4, arbitrary: pick(JOINS) },
  {
    weight: 1,
    // a forbidden relation posing as a sandbox table: the guard must refuse
    arbitrary: fc.tuple(pick(FORBIDDEN_FROM), pick(TABLE_NAMES)).map(([f, t]) => ({ from: `${f} AS t0`, scope: [{ alias: 't0', table: t }] })),
  },
);

const AGGS = ['SUM', 'COUNT', 'MIN', 'MAX', 'AVG'];

/** One SELECT (no trailing ORDER BY/LIMIT unless it is a row shape, which is made deterministic). */
const select: fc.Arbitrary<string> = fromClause.chain(({ from, scope }) => {
  const where = fc.option(predicate(scope, 2), { nil: undefined }).map((p) => (p ? ` WHERE ${p}` : ''));
  const aggregate = fc
    .tuple(fc.option(column(scope, ['text', 'id', 'date']), { nil: undefined }), pick(AGGS), numeric(scope, 1), where, fc.option(literal('int'), { nil: undefined }))
    .map(([g, agg, e, w, having]) => {
      const value = `${agg}(${e}) AS v`;
      if (!g) return `SELECT ${value}, COUNT(*) AS n FROM ${from}${w}`;
      return `SELECT ${g.ref} AS g, ${value} FROM ${from}${w} GROUP BY ${g.ref}${having ? ` HAVING COUNT(*) > ${having}` : ''}`;
    });
  const rows = fc
    .tuple(fc.uniqueArray(column(scope), { minLength: 1, maxLength: 3, selector: (c) => c.ref }), where, fc.integer({ min: 1, max: 40 }), fc.boolean())
    .map(([cs, w, limit, distinct]) => {
      const list = cs.map((c, i) => `${c.ref} AS c${i}`).join(', ');
      const order = cs.map((_, i) => `c${i}`).join(', ');
      return `SELECT ${distinct ? 'DISTINCT ' : ''}${list} FROM ${from}${w} ORDER BY ${order} LIMIT ${limit}`;
    });
  const windowed = fc
    .tuple(pick(['SUM(t0.net_sales_amount)', 'ROW_NUMBER()', 'LAG(t0.order_count)', 'RANK()', 'MAX(t0.guest_count)']), where, fc.integer({ min: 1, max: 40 }))
    .map(([fn, w, limit]) =>
      scope.length === 1 && scope[0]!.table === 'daily_sales'
        ? `SELECT t0.location_id AS c0, t0.business_date AS c1, ${fn} OVER (PARTITION BY t0.location_id ORDER BY t0.business_date) AS c2 FROM ${from}${w} ORDER BY c0, c1, c2 LIMIT ${limit}`
        : `SELECT COUNT(*) AS n FROM ${from}${w}`,
    );
  return fc.oneof({ weight: 5, arbitrary: aggregate }, { weight: 3, arbitrary: rows }, { weight: 2, arbitrary: windowed });
});

/** A whole candidate: a SELECT, maybe inside the candidate's own CTE, maybe in a set operation. */
export const candidateSql: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: select },
  { weight: 2, arbitrary: select.map((s) => `WITH c AS (${s}) SELECT * FROM c`) },
  { weight: 1, arbitrary: fc.tuple(select, select).map(([a, b]) => `WITH a AS (${a}), b AS (SELECT COUNT(*) AS n FROM a) SELECT * FROM b`) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(pick(['UNION', 'UNION ALL', 'EXCEPT', 'INTERSECT']), pick(TABLE_NAMES), predicate([{ alias: 't1', table: 'locations' }], 1), pick(IDS))
      .map(([op, t, p, id]) => {
        const key = TABLES[t]!.find((x) => x.kind === 'id')!.name;
        return `SELECT x FROM (SELECT t0.${key} AS x FROM ${t} AS t0 ${op} SELECT ${id} ${op} SELECT t1.location_id FROM locations AS t1 WHERE ${p}) u ORDER BY x LIMIT 50`;
      }),
  },
  { weight: 1, arbitrary: select.map((s) => `SELECT COUNT(*) AS n FROM (${s}) AS sub`) },
);
