/** The hash-chained audit file: written, resumed after a restart, and every kind of tampering named. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonlFileAuditSink, verifyAuditFile, type AuditEvent } from './audit.js';

function event(i: number): AuditEvent {
  return {
    time: `2026-11-18T12:00:0${i}Z`,
    requestId: `r${i}`,
    identity: { tenantId: '12', businessId: '628', adminId: '7042', verified: true },
    layers: { identity: 'ok' },
    outcome: 'answered',
    statusCode: 200,
    rowCount: i,
    latencyMs: 1,
  };
}

async function chain(n: number): Promise<{ file: string; lines: string[] }> {
  const file = join(mkdtempSync(join(tmpdir(), 'splitplane-audit-')), 'audit.jsonl');
  const sink = new JsonlFileAuditSink(file);
  await Promise.all(Array.from({ length: n }, (_, i) => sink.append(event(i + 1))));
  return { file, lines: readFileSync(file, 'utf8').trimEnd().split('\n') };
}

describe('hash-chained audit', () => {
  it('verifies an untouched chain, also across a restart of the sink', async () => {
    const { file } = await chain(4);
    await new JsonlFileAuditSink(file).append(event(5));
    expect(verifyAuditFile(file)).toMatchObject({ ok: true, events: 5 });
    expect(
      readFileSync(file, 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { seq: number }).seq),
    ).toEqual([1, 2, 3, 4, 5]);
  });

  it('keeps writing to the file by its name after it was moved away (rotation)', async () => {
    const { file } = await chain(2);
    const sink = new JsonlFileAuditSink(file);
    await sink.append(event(3));
    const { renameSync } = await import('node:fs');
    renameSync(file, `${file}.1`);
    await sink.append(event(4));
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(readFileSync(`${file}.1`, 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('names an edited event', async () => {
    const { file, lines } = await chain(5);
    lines[2] = lines[2]!.replace('"rowCount":3', '"rowCount":300');
    writeFileSync(file, `${lines.join('\n')}\n`);
    expect(verifyAuditFile(file)).toEqual({
      ok: false,
      events: 2,
      line: 3,
      seq: 3,
      problem: 'hash does not match the content (the event was edited)',
    });
  });

  it('names a deleted event', async () => {
    const { file, lines } = await chain(5);
    lines.splice(1, 1);
    writeFileSync(file, `${lines.join('\n')}\n`);
    expect(verifyAuditFile(file)).toMatchObject({
      ok: false,
      line: 2,
      seq: 3,
      problem: expect.stringContaining('missing or out of order'),
    });
  });

  it('names reordered events', async () => {
    const { file, lines } = await chain(5);
    [lines[1], lines[2]] = [lines[2]!, lines[1]!];
    writeFileSync(file, `${lines.join('\n')}\n`);
    expect(verifyAuditFile(file)).toMatchObject({ ok: false, line: 2 });
  });

  it('names an event whose hash was recomputed after an edit (the next link breaks)', async () => {
    const { file, lines } = await chain(4);
    const { createHash } = await import('node:crypto');
    const ev = JSON.parse(lines[1]!) as Record<string, unknown>;
    ev['rowCount'] = 999;
    const { hash: _h, ...rest } = ev;
    ev['hash'] = createHash('sha256')
      .update(String(ev['prevHash']))
      .update('\n')
      .update(JSON.stringify(rest))
      .digest('hex');
    lines[1] = JSON.stringify(ev);
    writeFileSync(file, `${lines.join('\n')}\n`);
    expect(verifyAuditFile(file)).toMatchObject({
      ok: false,
      line: 3,
      problem: expect.stringContaining('previous-hash link broken'),
    });
  });

  it('continues the chain in the new file after a rotation, across a restart too (the head file)', async () => {
    const { file } = await chain(2);
    renameSync(file, `${file}.1`);
    await new JsonlFileAuditSink(file).append(event(3));
    const all = join(dirname(file), 'all.jsonl');
    writeFileSync(all, readFileSync(`${file}.1`, 'utf8') + readFileSync(file, 'utf8'));
    expect(verifyAuditFile(all)).toMatchObject({ ok: true, events: 3 });
  });

  it('keeps one chain with two processes appending at once (nothing lost, nothing forked)', async () => {
    const { file } = await chain(1);
    const writer = (tag: string) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/audit-writer.ts', file, '150', tag], {
          stdio: 'inherit',
        });
        child.on('exit', resolve);
      });
    const [a, b] = await Promise.all([
      writer('a'),
      writer('b'),
      Promise.all(Array.from({ length: 50 }, (_, i) => new JsonlFileAuditSink(file).append(event(i)))),
    ]);
    expect([a, b]).toEqual([0, 0]);
    expect(verifyAuditFile(file)).toMatchObject({ ok: true, events: 351 });
    const ids = readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { requestId: string }).requestId);
    expect(ids.filter((id) => id.startsWith('a-'))).toHaveLength(150);
    expect(ids.filter((id) => id.startsWith('b-'))).toHaveLength(150);
  });

  it('refuses to start a new chain on top of a damaged last line', async () => {
    const { file } = await chain(2);
    writeFileSync(file, `${readFileSync(file, 'utf8')}{"truncated":`);
    expect(() => new JsonlFileAuditSink(file)).toThrow(expect.objectContaining({ code: 'SP_ERR_AUDIT_UNAVAILABLE' }));
  });
});
