/**
 * Local test doubles for the model providers, on loopback, driven by the real
 * clients: a Bedrock Converse endpoint served over cleartext HTTP/2 (what the
 * AWS SDK's default handler speaks to an http:// endpoint) and an
 * OpenAI-compatible chat-completions endpoint over HTTP/1.1. Each answers with
 * a scripted function and records every request it received.
 */
import { createServer as createHttp, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createH2, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { AddressInfo } from 'node:net';

/** What a fake received, normalised across both APIs. */
export interface FakeRequest {
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly system: string;
  readonly messages: readonly { role: string; text: string }[];
  readonly maxTokens: number | undefined;
  readonly raw: string;
}

/** A scripted answer: the model's text, or an HTTP failure, optionally after a delay. */
export type FakeReply =
  string | { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number; text?: string };
export type Script = (req: FakeRequest, index: number) => FakeReply | Promise<FakeReply>;

export interface FakeServer {
  readonly url: string;
  readonly requests: FakeRequest[];
  script: Script;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage | Http2ServerRequest): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function respond(
  res: ServerResponse | Http2ServerResponse,
  reply: FakeReply,
  ok: (text: string) => unknown,
): Promise<void> {
  const r = typeof reply === 'string' ? { status: 200, text: reply } : reply;
  if (r.delayMs) await new Promise((done) => setTimeout(done, r.delayMs));
  const body = r.status === 200 && r.text !== undefined ? ok(r.text) : (r.body ?? { message: 'scripted failure' });
  res.writeHead(r.status, { 'content-type': 'application/json', ...(r.headers ?? {}) });
  res.end(JSON.stringify(body));
}

/** Bedrock Converse: POST /model/{modelId}/converse, over h2c. */
export async function startFakeBedrock(script: Script): Promise<FakeServer> {
  const requests: FakeRequest[] = [];
  const fake = { script };
  const handle = async (req: Http2ServerRequest, res: Http2ServerResponse): Promise<void> => {
    const raw = await readBody(req);
    const json = JSON.parse(raw || '{}') as {
      system?: { text: string }[];
      messages?: { role: string; content: { text: string }[] }[];
      inferenceConfig?: { maxTokens?: number };
    };
    const r: FakeRequest = {
      path: req.url,
      headers: req.headers,
      system: (json.system ?? []).map((s) => s.text).join('\n'),
      messages: (json.messages ?? []).map((m) => ({ role: m.role, text: m.content.map((c) => c.text).join('') })),
      maxTokens: json.inferenceConfig?.maxTokens,
      raw,
    };
    requests.push(r);
    if (!/^\/model\/[^/]+\/converse$/.test(req.url)) {
      res.writeHead(404).end();
      return;
    }
    await respond(res, await fake.script(r, requests.length - 1), (text) => ({
      output: { message: { role: 'assistant', content: [{ text }] } },
      stopReason: 'end_turn',
      usage: { inputTokens: raw.length, outputTokens: text.length, totalTokens: raw.length + text.length },
      metrics: { latencyMs: 1 },
    }));
  };
  const server = createH2((req, res) => void handle(req, res));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((done) => server.close(() => done())),
  });
}

/** OpenAI-compatible: POST /v1/chat/completions. */
export async function startFakeOpenAi(script: Script): Promise<FakeServer> {
  const requests: FakeRequest[] = [];
  const fake = { script };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = await readBody(req);
    const json = JSON.parse(raw || '{}') as { messages?: { role: string; content: string }[]; max_tokens?: number };
    const msgs = json.messages ?? [];
    const r: FakeRequest = {
      path: req.url ?? '',
      headers: req.headers,
      system: msgs
        .filter((m) => m.role === 'system')
        .map((m) => m.content)
        .join('\n'),
      messages: msgs.filter((m) => m.role !== 'system').map((m) => ({ role: m.role, text: m.content })),
      maxTokens: json.max_tokens,
      raw,
    };
    requests.push(r);
    if (req.url !== '/v1/chat/completions') {
      res.writeHead(404).end();
      return;
    }
    await respond(res, await fake.script(r, requests.length - 1), (text) => ({
      id: 'chatcmpl-test',
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
      usage: { prompt_tokens: raw.length, completion_tokens: text.length },
    }));
  };
  const server = createHttp((req, res) => void handle(req, res));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () => new Promise<void>((done) => server.close(() => done())),
  });
}

/** True for the layer-2 prompt that asks the model to fill a SemanticQuery. */
export function isFillPrompt(req: FakeRequest): boolean {
  return req.system.startsWith('You translate');
}

/**
 * A script that plays a sensible analyst: for the fill prompt it answers `fill(question)` (a JSON
 * reply) or, for questions it has SQL for, "freeform"; writes that SQL; summarises.
 */
export function analystScript(
  sqlFor: (question: string) => string | undefined,
  fill?: (question: string) => unknown,
): Script {
  return (req) => {
    const last = req.messages.at(-1)?.text ?? '';
    if (isFillPrompt(req)) {
      const first = req.messages.find((m) => m.role === 'user')?.text ?? last;
      const filled = fill?.(first);
      if (filled !== undefined) return JSON.stringify(filled);
      return JSON.stringify(sqlFor(first) ? { kind: 'freeform' } : { kind: 'unsupported' });
    }
    if (req.system.startsWith('Answer the question')) return 'NO SUMMARY';
    const question = req.messages.filter((m) => m.role === 'user').at(-1)?.text ?? '';
    const sql = sqlFor(question) ?? sqlFor(req.messages.find((m) => m.role === 'user')?.text ?? '');
    return sql ? `Here you go:\n\`\`\`sql\n${sql}\n\`\`\`` : 'I cannot answer that.';
  };
}
