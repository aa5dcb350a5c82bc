#!/usr/bin/env node
// `npm start` builds only when something under src/ (or tsconfig.json) is newer than the last
// successful build (dist/.build-stamp, written by `npm run build` after tsc succeeds): a fresh clone
// was built by `npm ci` (prepare) and starts at once; an edited source is rebuilt.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execSync } from 'node:child_process';

const mtime = (p) => statSync(p, { throwIfNoEntry: false })?.mtimeMs ?? -1;
const newest = (dir) =>
  readdirSync(dir, { withFileTypes: true }).reduce(
    (m, e) => Math.max(m, e.isDirectory() ? newest(join(dir, e.name)) : mtime(join(dir, e.name))),
    mtime(dir),
  );
if (mtime('dist/.build-stamp') <= Math.max(newest('src'), mtime('tsconfig.json'))) {
  console.error('splitplane: sources changed since the last build; building');
  execSync('npm run build', { stdio: 'inherit' });
}
