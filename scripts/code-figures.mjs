#!/usr/bin/env node
/**
 * Code figures of a checkout's src/ (non-test files), from the TypeScript AST: lines, \`as\` casts,
 * non-null assertions, lines over 120 characters, functions by length (lines and statements), files
 * over 300 lines, server/services.ts imports. For notes that compare two commits:
 *
 *   node scripts/code-figures.mjs [checkout-dir]   (default: the current directory)
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
const root = process.argv[2] ?? '.';
const walk = (d) =>
  readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? walk(join(d, e.name))
      : /\.ts$/.test(e.name) && !/\.test\.ts$/.test(e.name)
        ? [join(d, e.name)]
        : [],
  );
let st40 = 0,
  st60 = 0,
  maxSt = 0,
  maxStName = '';
let casts = 0,
  nonNull = 0,
  longLines = 0,
  lines = 0,
  fns = 0,
  long50 = 0,
  long80 = 0,
  maxFn = 0,
  maxName = '',
  over300 = 0;
for (const f of walk(join(root, 'src'))) {
  const text = readFileSync(f, 'utf8');
  const ls = text.split('\n');
  lines += ls.length;
  if (ls.length > 300) over300++;
  longLines += ls.filter((l) => l.length > 120).length;
  const sf = ts.createSourceFile(f, text, ts.ScriptTarget.Latest, true);
  const visit = (n) => {
    if (ts.isAsExpression(n) && !(n.type.kind === ts.SyntaxKind.TypeReference && n.type.getText() === 'const')) casts++;
    if (ts.isNonNullExpression(n)) nonNull++;
    if (
      (ts.isFunctionDeclaration(n) ||
        ts.isMethodDeclaration(n) ||
        ts.isArrowFunction(n) ||
        ts.isFunctionExpression(n)) &&
      n.body
    ) {
      const a = sf.getLineAndCharacterOfPosition(n.body.getStart()).line,
        b = sf.getLineAndCharacterOfPosition(n.body.getEnd()).line;
      const len = b - a + 1;
      fns++;
      let count = 0;
      const countSt = (m) => {
        if (ts.isStatement(m) && !ts.isBlock(m)) count++;
        if (
          m !== n.body &&
          (ts.isFunctionDeclaration(m) ||
            ts.isArrowFunction(m) ||
            ts.isFunctionExpression(m) ||
            ts.isMethodDeclaration(m))
        )
          return;
        ts.forEachChild(m, countSt);
      };
      ts.forEachChild(n.body, countSt);
      if (count > 40) st40++;
      if (count > 60) st60++;
      if (count > maxSt) {
        maxSt = count;
        maxStName = `${f.replace(root + '/', '')}:${a + 1}`;
      }
      if (len > 50) long50++;
      if (len > 80) long80++;
      if (len > maxFn) {
        maxFn = len;
        maxName = `${f.replace(root + '/', '')}:${a + 1}`;
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
}
const services = readFileSync(join(root, 'src/server/services.ts'), 'utf8')
  .split('\n')
  .filter((l) => l.startsWith('import ')).length;
console.log(
  JSON.stringify({
    lines,
    casts,
    nonNull,
    longLines,
    fns,
    over50: long50,
    over80: long80,
    longest: `${maxFn} (${maxName})`,
    stmtsOver40: st40,
    stmtsOver60: st60,
    mostStatements: `${maxSt} (${maxStName})`,
    filesOver300: over300,
    servicesImports: services,
  }),
);
