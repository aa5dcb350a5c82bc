/** The configuration and the signing credential of the CLI's commands. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile, parseConfig, type Config } from '../config/config.js';
import { credentialFor, loadCredentialStore } from '../identity/credentials.js';
import { PROJECT_ROOT } from './common.js';

const DEFAULT_CONFIG = 'config/demo.yaml';

/**
 * --config FILE, or config/demo.yaml in the working directory, or the project's own (its relative
 * paths, such as the demo credentials, then resolve against the project root), or the defaults.
 * (That --config names a file is checked when the arguments are parsed: a missing one is exit 2.)
 */
export function loadConfig(path: string | undefined): Config {
  if (path !== undefined) return loadConfigFile(path);
  if (existsSync(DEFAULT_CONFIG)) return loadConfigFile(DEFAULT_CONFIG);
  const own = join(PROJECT_ROOT, DEFAULT_CONFIG);
  return existsSync(own) ? loadConfigFile(own, PROJECT_ROOT) : parseConfig({});
}

/** The demo credential from the credentials file, unless overridden by env. */
export function clientCredential(config: Config, tenantId: string): { accessKeyId: string; secretAccessKey: string } {
  const id = process.env['SPLITPLANE_ACCESS_KEY_ID'];
  const secret = process.env['SPLITPLANE_SECRET_ACCESS_KEY'];
  if (id && secret) return { accessKeyId: id, secretAccessKey: secret };
  return credentialFor(loadCredentialStore(config.signing.credentialsFile), tenantId);
}
