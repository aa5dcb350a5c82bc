/**
 * The catalog's expression language, for a metric's column expression
 * (`quantity * menu_items.unit_cost`) and a derived metric's formula
 * (`net_sales_amount / order_count`): names, `table.column` names, unsigned
 * numbers, + - * / and parentheses. Nothing else parses, so a catalog can
 * never carry SQL text; the compiler renders the tree with quoted names.
 */

/** A parsed expression. */
export type Expr =
  | { readonly kind: 'name'; readonly table?: string; readonly name: string }
  | { readonly kind: 'number'; readonly value: string }
  | { readonly kind: 'binary'; readonly op: '+' | '-' | '*' | '/'; readonly left: Expr; readonly right: Expr };

const TOKEN = /\s*(?:([a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)?)|(\d+(?:\.\d+)?)|([-+*/()]))/y;

/** Parse an expression; throws an Error naming the problem. */
export function parseExpr(text: string): Expr {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) {
      if (/^\s*$/.test(text.slice(at))) break;
      throw new Error(`unexpected text at ${at}: ${JSON.stringify(text.slice(at, at + 10))}`);
    }
    tokens.push(m[1] ?? m[2] ?? m[3]!);
  }
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const primary = (): Expr => {
    const t = tokens[i++];
    if (t === undefined) throw new Error('expression ends too early');
    if (t === '(') {
      const e = sum();
      if (tokens[i++] !== ')') throw new Error('missing )');
      return e;
    }
    if (/^\d/.test(t)) return { kind: 'number', value: t };
    if (/^[a-z]/.test(t)) {
      const [a, b] = t.split('.');
      return b === undefined ? { kind: 'name', name: a! } : { kind: 'name', table: a!, name: b };
    }
    throw new Error(`unexpected ${t}`);
  };
  const product = (): Expr => {
    let left = primary();
    while (peek() === '*' || peek() === '/') {
      const op = tokens[i++] as '*' | '/';
      left = { kind: 'binary', op, left, right: primary() };
    }
    return left;
  };
  const sum = (): Expr => {
    let left = product();
    while (peek() === '+' || peek() === '-') {
      const op = tokens[i++] as '+' | '-';
      left = { kind: 'binary', op, left, right: product() };
    }
    return left;
  };
  const e = sum();
  if (i !== tokens.length) throw new Error(`unexpected ${tokens[i]}`);
  return e;
}

/** Every name in an expression. */
export function namesIn(e: Expr): { readonly table?: string; readonly name: string }[] {
  if (e.kind === 'name') return [e];
  if (e.kind === 'number') return [];
  return [...namesIn(e.left), ...namesIn(e.right)];
}

/**
 * Render an expression as SQL. `name` renders each name; divisions get a NULLIF on the divisor
 * and a DECIMAL numerator, so integer counts divide exactly on every engine.
 */
export function renderExpr(e: Expr, name: (n: { readonly table?: string; readonly name: string }) => string): string {
  switch (e.kind) {
    case 'name':
      return name(e);
    case 'number':
      return e.value;
    case 'binary': {
      const l = renderExpr(e.left, name);
      const r = renderExpr(e.right, name);
      if (e.op === '/') return `CAST(${l} AS DECIMAL(38, 6)) / NULLIF(${r}, 0)`;
      return `(${l} ${e.op} ${r})`;
    }
  }
}
