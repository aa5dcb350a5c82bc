/**
 * Worker-thread entry of the guard's first layer (first-layer.ts): parse,
 * check and assemble one candidate per message. Rejections travel back as
 * their stable code and detail; anything else as an internal error.
 */
import { parentPort } from 'node:worker_threads';
import { SplitplaneError } from '../errors.js';
import { firstLayer } from './first-layer.js';
import type { ParseReply, ParseRequest } from './parse-pool.js';

const port = parentPort;
if (!port) throw new Error('parse-worker.ts runs as a worker thread');
port.on('message', (req: ParseRequest) => {
  let reply: ParseReply;
  try {
    reply = { id: req.id, ok: firstLayer(req.candidate, req.grammar, req.sandbox) };
  } catch (err) {
    reply =
      err instanceof SplitplaneError
        ? {
            id: req.id,
            code: err.code,
            detail: err.detail,
            cause: err.cause instanceof Error ? err.cause.message : undefined,
          }
        : { id: req.id, internal: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true });
