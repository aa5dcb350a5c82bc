/** `splitplane serve`: the service, until SIGTERM or SIGINT. */
import { ensureDemoWarehouse } from '../demo/generate.js';
import { buildApp, drainAndClose } from '../server/app.js';
import { createServices } from '../server/services.js';
import { loadConfig } from './load-config.js';

/** How long shutdown waits, once the listener is closed, for requests still running. */
const DRAIN_LIMIT_MS = 10_000;

/** Starts the service; resolves with -1 (keep running: the process ends on a signal). */
export async function serve(values: { config?: string }): Promise<number> {
  const config = loadConfig(values.config);
  await ensureDemoWarehouse(config);
  const services = await createServices(config);
  const app = buildApp(services, {
    logger: { level: process.env['LOG_LEVEL'] ?? 'info', redact: ['req.headers.authorization'] },
  });
  // On the signal: /readyz turns 503 and new requests get SP_ERR_SHUTTING_DOWN with Connection: close
  // while the service keeps listening for server.shutdownGraceMs; then stop listening, let running
  // requests finish (at most DRAIN_LIMIT_MS) and be audited, and close the warehouse, Redis and the
  // audit sink. A second signal skips what is left of the grace period.
  let stopping: AbortController | undefined;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) {
      if (!stopping.signal.aborted) app.log.info({ signal }, 'second signal: closing the listener now');
      stopping.abort();
      return;
    }
    stopping = new AbortController();
    const graceMs = config.server.shutdownGraceMs;
    app.log.info({ signal, graceMs }, 'splitplane stopping');
    const drained = await drainAndClose(app, { graceMs, drainMs: DRAIN_LIMIT_MS, signal: stopping.signal });
    if (drained === 'timeout')
      app.log.warn({ drainMs: DRAIN_LIMIT_MS }, 'requests still running at the end of the drain limit');
    await services.close();
    app.log.info('splitplane stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  // SIGHUP re-reads the signing credentials (rotation) and the directory (admins and grants)
  // without a restart; a bad credentials file keeps the previous credentials.
  process.on('SIGHUP', () => {
    try {
      services.reloadCredentials();
      app.log.info('signing credentials reloaded');
    } catch (err) {
      app.log.error(
        { err: err instanceof Error ? err.message : String(err) },
        'credentials reload failed; keeping the previous ones',
      );
    }
    services.reloadDirectory().then(
      (d) => app.log.info({ admins: d.admins.size }, 'directory reloaded'),
      (err: unknown) => app.log.error({ err }, 'directory reload failed; keeping the previous one'),
    );
  });
  await app.listen({ host: config.server.host, port: config.server.port });
  app.log.info({ engine: config.warehouse.engine, mode: config.mode, audit: config.audit.sink }, 'splitplane started');
  if (config.mode === 'demo') {
    const settings = [
      config.clock.today ? `clock pinned to ${config.clock.today}` : '',
      config.demo.enabled ? 'the demo page signs with the demo credential' : '',
      'the public demo credentials are accepted',
    ].filter(Boolean);
    app.log.warn({ settings }, `demo mode: ${settings.join('; ')}; never in production`);
  }
  return -1; // keep running
}
