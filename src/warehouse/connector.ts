/**
 * The warehouse port. Each engine (src/engines/<name>/) implements it, with a dialect object that says how the sandbox
 * builder and the generators render names and values for that engine. Nothing here names an engine.
 */
import type { SandboxParam, ScopeParam, ValueType } from './bindings.js';

/** A JSON-safe cell: numbers that may lose precision (DECIMAL, BIGINT) arrive as strings. */
export type Cell = string | number | boolean | null;

/** A result column. */
export interface ResultColumn {
  readonly name: string;
  readonly type: string;
}

/** Rows of a query, capped. */
export interface QueryResult {
  readonly columns: readonly ResultColumn[];
  readonly rows: readonly (readonly Cell[])[];
  /** True when the engine had more rows than the cap; only the first `cap` are returned. */
  readonly truncated: boolean;
}

/** Per-query limits, always enforced by the connector. */
export interface ExecuteOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs: number;
  readonly rowCap: number;
  /**
   * The verified scope, for engines that enforce it a second time (PostgreSQL row-level
   * security reads it from transaction-local settings). Without it such an engine returns no rows.
   */
  readonly scope?: { readonly tenantId: string; readonly businessId: string; readonly units: readonly string[] };
  /**
   * The parameters the text asks for, in placeholder order (Sandbox.bindings): scope values, whose
   * values come from `scope` and nowhere else, and the decision's values, typed, from the sandbox
   * built from that scope (bindings.ts); bound text without a scope is refused.
   */
  readonly bindings?: readonly SandboxParam[];
}

/** How an engine spells what the sandbox builder and the generator render. */
export interface Dialect {
  /** The engine's registry name (src/engines/index.ts). */
  readonly name: string;
  /** How the engine is named to a model writing SQL for it. */
  readonly displayName: string;
  /**
   * The placeholder of a scope ID the connector binds (`position`: 1-based, in order of first use),
   * so the sandbox text carries no ID and depends only on the shape of the scope.
   */
  scopeParam(name: ScopeParam, position: number): string;
  /** `column` is one of the bound list of location IDs (`list`: a scopeParam placeholder). */
  inBoundList(column: string, list: string): string;
  quoteIdent(name: string): string;
  /** The fully qualified name of a raw warehouse table. */
  rawTable(name: string): string;
  /** An integer ID literal; the value must already match the ID pattern. */
  idLiteral(id: string): string;
  dateLiteral(isoDate: string): string;
  /** Whether textLiteral can write this value on this engine (else filter by its key, or refuse). */
  writesText(value: string): boolean;
  /** A text literal (filter values, labels) of a value `writesText` accepts; throws otherwise. */
  textLiteral(value: string): string;
  /** The ISO day of the week (Monday 1 .. Sunday 7) of a date expression. */
  isoWeekday(dateSql: string): string;
  /** The type a CAST to text names (the directory reads IDs as text). */
  readonly textType: string;
  /** The keyword between `name AS` and the CTE body that keeps the engine from pushing filters into it. */
  readonly cteFence: string;
  /** How the engine binds the decision's row-filter and mask values; absent where they are not supported (refused). */
  readonly refine?: RefineDialect;
}

/** What the sandbox builder needs to compile row filters and masks on an engine. */
export interface RefineDialect {
  /** The placeholder of a decision value (`position`: 1-based, shared with scopeParam), read as its type. */
  valueParam(name: string, position: number, type: ValueType): string;
  /** `expr` is one of the values of a bound list (a valueParam placeholder). */
  inList(expr: string, list: string): string;
  /** Hex SHA-256 of the key (a valueParam placeholder) followed by `expr` as text. */
  keyedHash(expr: string, key: string): string;
  /** `expr` rounded to a bound number of decimal places (a valueParam placeholder of type number). */
  round(expr: string, digits: string): string;
  /** The type a bucketed number is computed in. */
  readonly doubleType: string;
}

/** The warehouse port. */
export interface WarehouseConnector {
  readonly dialect: Dialect;
  /** Run one read-only statement under the locked-down engine. */
  execute(sql: string, opts: ExecuteOptions): Promise<QueryResult>;
  /** The engine's own parse of `sql`, for the guard's cross-check; throws on a parse error. */
  engineParse(sql: string): Promise<unknown>;
  /**
   * Run the directory query (warehouse/directory-query.ts) with the connector's directory access and
   * return its rows as objects; the rules that turn them into the directory are not the connector's.
   */
  readDirectory(sql: string): Promise<readonly Readonly<Record<string, unknown>>[]>;
  /**
   * What the rows the engine reads now depend on, for the answer cache (src/cache/): DuckDB, the file's
   * identity (and it throws once the file was replaced). Absent where the engine has none of its own.
   */
  dataVersion?(): Promise<string>;
  /** Throws when the warehouse cannot answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
