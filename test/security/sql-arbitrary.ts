/**
 * A fast-check grammar of SELECTs over a domain's sandbox description, read from its catalog: the
 * logical tables with their columns and types (test/support/domains.ts), the join keys the catalog
 * declares (metrics.yaml `joins`) and, between two tables with the grant unit's key and the same time
 * column, both; the literals come from the domain's data (domainData: IDs in and out of every
 * persona's scope, frequent texts, dates around its today). It writes joins, subqueries (correlated
 * too), own CTEs, aggregates, window functions, set operations, CASE, casts and literals that include
 * out-of-scope IDs, long operator chains, deep nesting and literals a re-serialiser could change; with
 * a small share of forbidden relations (every raw table of the registry), functions and keyword-like
 * identifiers so the guard's refusals are exercised as well. Results are kept deterministic (row
 * shapes are ordered by every output column before a LIMIT; windows order by every column of their
 * table) so two engines can be compared exactly.
 */
import fc from 'fast-check';
import type { Catalog } from '../../src/semantic/catalog.js';
import type { DomainData } from '../support/domains.js';

type Kind = 'id' | 'date' | 'ts' | 'num' | 'int' | 'text' | 'bool';
interface Col {
  readonly name: string;
  readonly kind: Kind;
}

/** A column's kind from its registry type (and name: integer columns named *_id are identifiers). */
function kindOf(name: string, type: string): Kind {
  if (type === 'DATE') return 'date';
  if (type === 'TIMESTAMP') return 'ts';
  if (type === 'VARCHAR') return 'text';
  if (type === 'BOOLEAN') return 'bool';
  if (type === 'DOUBLE' || type.startsWith('DECIMAL')) return 'num';
  return /_id$/.test(name) ? 'id' : 'int';
}

/** Literals a re-serialiser could change (past 2^53, more digits than a double, exponents, leading zeros). */
const EXOTIC_NUMBERS = [
  '9007199254740993',
  '1.00000000000000000001',
  '0.1',
  '1e3',
  '00012',
  '2.50',
  '123456789012345678',
  '0.000000000000000000001',
];
/** Keywords DuckDB's binder would answer with its own metadata when read as column names. */
const KEYWORD_IDENTIFIERS = [
  'current_catalog',
  'current_schema',
  'current_user',
  'current_role',
  'session_user',
  'user',
  'localtimestamp',
];
const AGGS = ['SUM', 'COUNT', 'MIN', 'MAX', 'AVG'];

type Scope = readonly { alias: string; table: string }[];
const pick = <T>(xs: readonly T[]): fc.Arbitrary<T> => fc.constantFrom(...xs);

/** The candidates for one domain. */
export function candidateSql(catalog: Catalog, data: DomainData): fc.Arbitrary<string> {
  const reg = catalog.schema;
  const TABLES: Readonly<Record<string, readonly Col[]>> = Object.fromEntries(
    Object.entries(reg.tables).map(([t, spec]) => [
      t,
      Object.entries(spec.columns).map(([name, c]) => ({ name, kind: kindOf(name, c.type) })),
    ]),
  );
  const TABLE_NAMES = Object.keys(TABLES);
  const UNIT_KEY = reg.grantUnit.key;
  const UNIT_TABLE = reg.grantUnit.table;
  const has = (t: string, c: string): boolean => TABLES[t]!.some((x) => x.name === c);
  /** The column a table is listed by in a subquery or a set operation: the unit's key where it has it, else its first ID. */
  const keyOf = (t: string): string =>
    has(t, UNIT_KEY) ? UNIT_KEY : (TABLES[t]!.find((x) => x.kind === 'id') ?? TABLES[t]![0]!).name;
  const timeOf = (t: string): Col | undefined => {
    const name = catalog.tables[t]?.time;
    return name ? TABLES[t]!.find((c) => c.name === name) : undefined;
  };

  const FORBIDDEN_FROM = [
    ...reg.rawTables,
    `main.${TABLE_NAMES[0]}`,
    'information_schema.tables',
    "read_csv('/etc/passwd')",
    "'/etc/passwd'",
    'range(10)',
    'duckdb_tables()',
  ];
  const FORBIDDEN_EXPR = [
    "current_setting('threads')",
    "md5('x')",
    "getenv('HOME')",
    `(SELECT COUNT(*) FROM ${data.secret.table})`,
    `(SELECT COUNT(*) FROM ${reg.directory.grants.table})`,
  ];

  function colsOf(scope: Scope, kinds?: readonly Kind[]): { ref: string; kind: Kind }[] {
    return scope.flatMap(({ alias, table }) =>
      TABLES[table]!.filter((c) => !kinds || kinds.includes(c.kind)).map((c) => ({
        ref: `${alias}.${c.name}`,
        kind: c.kind,
      })),
    );
  }

  function literal(kind: Kind): fc.Arbitrary<string> {
    switch (kind) {
      case 'id':
        return pick(data.ids);
      case 'date':
      case 'ts':
        return pick(data.dates);
      case 'text':
        return pick(data.texts);
      case 'bool':
        return pick(['TRUE', 'FALSE']);
      case 'int':
        return fc.oneof(
          { weight: 9, arbitrary: fc.integer({ min: -5, max: 2000 }).map(String) },
          { weight: 1, arbitrary: pick(EXOTIC_NUMBERS) },
        );
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
      {
        weight: 1,
        arbitrary: fc
          .tuple(predicate(scope, depth - 1), sub, sub)
          .map(([p, a, b]) => `CASE WHEN ${p} THEN ${a} ELSE ${b} END`),
      },
      { weight: 1, arbitrary: sub.map((a) => `ROUND(${a}, 2)`) },
      { weight: 1, arbitrary: sub.map((a) => `COALESCE(${a}, 0)`) },
      { weight: 1, arbitrary: column(scope, ['text']).map((c) => `LENGTH(${c.ref})`) },
      { weight: 1, arbitrary: column(scope, ['date', 'ts']).map((c) => `YEAR(${c.ref})`) },
      { weight: 1, arbitrary: column(scope, ['text']).map((c) => `CAST(${c.ref} AS INTEGER)`) }, // an engine error on text rows: must match
      // long operator chains and deep nesting: inside the guard's limits they must answer exactly, past them be refused
      {
        weight: 1,
        arbitrary: fc
          .tuple(col, fc.integer({ min: 2, max: 70 }))
          .map(([c, n]) => `(${Array.from({ length: n }, () => c).join(' + ')})`),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(col, fc.integer({ min: 1, max: 60 }))
          .map(([c, n]) => `${'COALESCE('.repeat(n)}${c}${', 0)'.repeat(n)}`),
      },
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
    const like = column(scope, ['text']).chain((c) => pick(data.likes).map((p) => `${c.ref} LIKE ${p}`));
    const between = column(scope, ['date', 'ts']).chain((c) =>
      fc.tuple(pick(data.dates), pick(data.dates)).map(([a, b]) => `${c.ref} BETWEEN ${a} AND ${b}`),
    );
    if (depth <= 0) return fc.oneof(compare, like, between);
    const sub = predicate(scope, depth - 1);
    const idCol = column(scope, ['id']);
    const unitTables = TABLE_NAMES.filter((t) => has(t, UNIT_KEY));
    return fc.oneof(
      { weight: 4, arbitrary: compare },
      { weight: 1, arbitrary: like },
      { weight: 1, arbitrary: between },
      { weight: 2, arbitrary: fc.tuple(sub, pick(['AND', 'OR']), sub).map(([a, op, b]) => `(${a} ${op} ${b})`) },
      { weight: 1, arbitrary: sub.map((a) => `NOT (${a})`) },
      { weight: 1, arbitrary: fc.tuple(numeric(scope, depth - 1), literal('int')).map(([e, v]) => `${e} > ${v}`) },
      {
        weight: 2,
        arbitrary: fc
          .tuple(idCol, pick(TABLE_NAMES))
          .chain(([c, t]) =>
            predicate([{ alias: 'q', table: t }], 0).map(
              (p) => `${c.ref} IN (SELECT q.${keyOf(t)} FROM ${t} AS q WHERE ${p})`,
            ),
          ),
      },
      {
        // correlated EXISTS over the same grant unit
        weight: 1,
        arbitrary: fc.tuple(pick(unitTables), fc.boolean()).chain(([t, neg]) => {
          const outer = colsOf(scope).find((c) => c.ref.endsWith(`.${UNIT_KEY}`));
          if (!outer) return compare;
          return predicate([{ alias: 'e', table: t }], 0).map(
            (p) => `${neg ? 'NOT ' : ''}EXISTS (SELECT 1 FROM ${t} AS e WHERE e.${UNIT_KEY} = ${outer.ref} AND ${p})`,
          );
        }),
      },
      { weight: 1, arbitrary: pick(FORBIDDEN_EXPR).map((f) => `${f} IS NOT NULL`) },
      { weight: 1, arbitrary: pick(KEYWORD_IDENTIFIERS).map((k) => `${k} LIKE 'a%'`) },
    );
  }

  /** A day's worth of a time column, as a join condition (a TIMESTAMP is a half-open day). */
  const onDay = (ref: string, t: Col, day: string): string =>
    t.kind === 'ts' ? `${ref} >= ${day} AND ${ref} < ${day} + 1` : `${ref} = ${day}`;

  // The catalog's joins (a table to a table it names, on the key it names), the reverse as a LEFT
  // JOIN over one day of the joining table's time column, and two tables that both carry the unit's
  // key and the same time column, on both.
  const JOINS: { from: string; scope: Scope }[] = [];
  for (const [a, spec] of Object.entries(catalog.tables)) {
    for (const [b, key] of Object.entries(spec.joins)) {
      if (!TABLES[a] || !TABLES[b] || !has(a, key) || !has(b, key)) continue;
      JOINS.push({
        from: `${a} AS j0 JOIN ${b} AS j1 ON j1.${key} = j0.${key}`,
        scope: [
          { alias: 'j0', table: a },
          { alias: 'j1', table: b },
        ],
      });
      const time = timeOf(a);
      if (time)
        JOINS.push({
          from: `${b} AS j0 LEFT JOIN ${a} AS j1 ON j1.${key} = j0.${key} AND ${onDay(`j1.${time.name}`, time, data.dates[0]!)}`,
          scope: [
            { alias: 'j0', table: b },
            { alias: 'j1', table: a },
          ],
        });
    }
  }
  for (const [i, a] of TABLE_NAMES.entries()) {
    for (const b of TABLE_NAMES.slice(i + 1)) {
      const ta = timeOf(a);
      const tb = timeOf(b);
      if (ta && tb && ta.name === tb.name && has(a, UNIT_KEY) && has(b, UNIT_KEY)) {
        JOINS.push({
          from: `${a} AS j0 JOIN ${b} AS j1 ON j1.${UNIT_KEY} = j0.${UNIT_KEY} AND j1.${ta.name} = j0.${ta.name}`,
          scope: [
            { alias: 'j0', table: a },
            { alias: 'j1', table: b },
          ],
        });
      }
    }
  }

  /** A FROM clause and the scope it opens. */
  const fromClause: fc.Arbitrary<{ from: string; scope: Scope }> = fc.oneof(
    {
      weight: 6,
      arbitrary: pick(TABLE_NAMES).map((t) => ({ from: `${t} AS t0`, scope: [{ alias: 't0', table: t }] })),
    },
    { weight: 4, arbitrary: pick(JOINS) },
    {
      weight: 1,
      // a forbidden relation posing as a sandbox table: the guard must refuse
      arbitrary: fc
        .tuple(pick(FORBIDDEN_FROM), pick(TABLE_NAMES))
        .map(([f, t]) => ({ from: `${f} AS t0`, scope: [{ alias: 't0', table: t }] })),
    },
  );

  /** Window functions over one table per unit, ordered by its time column and then every other column (deterministic). */
  function windowed(table: string): fc.Arbitrary<string> | undefined {
    const time = timeOf(table);
    if (!time || !has(table, UNIT_KEY)) return undefined;
    const nums = TABLES[table]!.filter((c) => c.kind === 'num' || c.kind === 'int').map((c) => c.name);
    const fns = ['ROW_NUMBER()', 'RANK()', ...nums.flatMap((c) => [`SUM(t0.${c})`, `LAG(t0.${c})`, `MAX(t0.${c})`])];
    const order = [time.name, ...TABLES[table]!.map((c) => c.name).filter((c) => c !== time.name && c !== UNIT_KEY)]
      .map((c) => `t0.${c}`)
      .join(', ');
    return pick(fns).map((fn) => `${fn} OVER (PARTITION BY t0.${UNIT_KEY} ORDER BY ${order})`);
  }

  /** One SELECT (no trailing ORDER BY/LIMIT unless it is a row shape, which is made deterministic). */
  const select: fc.Arbitrary<string> = fromClause.chain(({ from, scope }) => {
    const where = fc.option(predicate(scope, 2), { nil: undefined }).map((p) => (p ? ` WHERE ${p}` : ''));
    const aggregate = fc
      .tuple(
        fc.option(column(scope, ['text', 'id', 'date']), { nil: undefined }),
        pick(AGGS),
        numeric(scope, 1),
        where,
        fc.option(literal('int'), { nil: undefined }),
      )
      .map(([g, agg, e, w, having]) => {
        const value = `${agg}(${e}) AS v`;
        if (!g) return `SELECT ${value}, COUNT(*) AS n FROM ${from}${w}`;
        return `SELECT ${g.ref} AS g, ${value} FROM ${from}${w} GROUP BY ${g.ref}${having ? ` HAVING COUNT(*) > ${having}` : ''}`;
      });
    const rows = fc
      .tuple(
        fc.uniqueArray(column(scope), { minLength: 1, maxLength: 3, selector: (c) => c.ref }),
        where,
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
      )
      .map(([cs, w, limit, distinct]) => {
        const list = cs.map((c, i) => `${c.ref} AS c${i}`).join(', ');
        const order = cs.map((_, i) => `c${i}`).join(', ');
        return `SELECT ${distinct ? 'DISTINCT ' : ''}${list} FROM ${from}${w} ORDER BY ${order} LIMIT ${limit}`;
      });
    const single =
      scope.length === 1 && scope[0]!.alias === 't0' && from.startsWith(`${scope[0]!.table} AS`)
        ? windowed(scope[0]!.table)
        : undefined;
    const win = single
      ? fc.tuple(single, where, fc.integer({ min: 1, max: 40 })).map(([fn, w, limit]) => {
          const time = timeOf(scope[0]!.table)!.name;
          return `SELECT t0.${UNIT_KEY} AS c0, t0.${time} AS c1, ${fn} AS c2 FROM ${from}${w} ORDER BY c0, c1, c2 LIMIT ${limit}`;
        })
      : where.map((w) => `SELECT COUNT(*) AS n FROM ${from}${w}`);
    return fc.oneof({ weight: 5, arbitrary: aggregate }, { weight: 3, arbitrary: rows }, { weight: 2, arbitrary: win });
  });

  /** A whole candidate: a SELECT, maybe inside the candidate's own CTE, maybe in a set operation. */
  return fc.oneof(
    { weight: 5, arbitrary: select },
    { weight: 2, arbitrary: select.map((s) => `WITH c AS (${s}) SELECT * FROM c`) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(select, select)
        .map(([a]) => `WITH a AS (${a}), b AS (SELECT COUNT(*) AS n FROM a) SELECT * FROM b`),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          pick(['UNION', 'UNION ALL', 'EXCEPT', 'INTERSECT']),
          pick(TABLE_NAMES),
          predicate([{ alias: 't1', table: UNIT_TABLE }], 1),
          pick(data.ids),
        )
        .map(
          ([op, t, p, id]) =>
            `SELECT x FROM (SELECT t0.${keyOf(t)} AS x FROM ${t} AS t0 ${op} SELECT ${id} ${op} SELECT t1.${UNIT_KEY} FROM ${UNIT_TABLE} AS t1 WHERE ${p}) u ORDER BY x LIMIT 50`,
        ),
    },
    { weight: 1, arbitrary: select.map((s) => `SELECT COUNT(*) AS n FROM (${s}) AS sub`) },
  );
}
