/** The feedback file keeps the retention window too, not only the in-memory examples. */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileFeedbackStore } from './feedback.js';

const NOW = Date.UTC(2026, 10, 18, 12);
const rec = (daysAgo: number, question: string) =>
  JSON.stringify({
    time: new Date(NOW - daysAgo * 86_400_000).toISOString(),
    requestId: '00000000-0000-4000-8000-000000000000',
    rating: 'up',
    question,
    sql: 'SELECT 1',
  });

describe('feedback retention on disk', () => {
  it('drops records older than retentionDays when the store opens, keeps the rest and lines it cannot date', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'splitplane-fb-')), 'feedback.jsonl');
    writeFileSync(
      file,
      [rec(45, 'old question'), rec(29, 'recent question'), 'not json', rec(0, 'today')].join('\n') + '\n',
      { mode: 0o600 },
    );
    new FileFeedbackStore(file, 50_000, 1_000, 30, () => NOW);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('old question');
    expect(text).toContain('recent question');
    expect(text).toContain('not json');
    expect(text).toContain('today');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('leaves a file with nothing to drop untouched', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'splitplane-fb-')), 'feedback.jsonl');
    const body = `${rec(1, 'a')}\n`;
    writeFileSync(file, body);
    const before = statSync(file).mtimeMs;
    new FileFeedbackStore(file, 50_000, 1_000, 30, () => NOW);
    expect(readFileSync(file, 'utf8')).toBe(body);
    expect(statSync(file).mtimeMs).toBe(before);
  });
});
