/**
 * Request-signing credentials: access key id -> secret, and the tenants that
 * credential may act for. Loaded from a JSON file or the SPLITPLANE_CREDENTIALS
 * environment variable (JSON), validated strictly, and never logged.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { SplitplaneError } from '../errors.js';

const CredentialsFile = z
  .object({
    credentials: z
      .array(
        z
          .object({
            accessKeyId: z
              .string()
              .regex(/^[A-Z0-9]{16,128}$/, 'access key ids are 16-128 upper-case letters or digits'),
            secretAccessKey: z.string().min(16, 'secrets are at least 16 characters'),
            /** Tenant IDs (decimal strings) this credential may act for; "*" means every tenant. */
            tenants: z.array(z.union([z.literal('*'), z.string().regex(/^[1-9][0-9]{0,17}$/)])).min(1),
            description: z.string().optional(),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();

/** One signing credential as the verifier needs it. */
export interface Credential {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly tenants: ReadonlySet<string>;
}

/** Looks up signing credentials by access key id. */
export interface CredentialStore {
  get(accessKeyId: string): Credential | undefined;
  /** Every credential, in file order (for a client that must pick one to sign with). */
  list(): readonly Credential[];
}

/** The first credential that may act for `tenantId`: what a signing client (the CLI, the demo page) uses. */
export function credentialFor(store: CredentialStore, tenantId: string): Credential {
  const c = store.list().find((x) => mayActFor(x, tenantId));
  if (!c)
    throw new SplitplaneError('SP_ERR_CONFIG', { detail: `no signing credential may act for tenant ${tenantId}` });
  return c;
}

/** True when the credential may act for the tenant. */
export function mayActFor(credential: Credential, tenantId: string): boolean {
  return credential.tenants.has('*') || credential.tenants.has(tenantId);
}

/** Build a store from already-parsed JSON (tests, env). Throws SP_ERR_CONFIG on invalid input. */
export function credentialStoreFromJson(raw: unknown, source: string): CredentialStore {
  const parsed = CredentialsFile.safeParse(raw);
  if (!parsed.success) {
    // Only paths and messages: the secret values themselves never reach an error.
    const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new SplitplaneError('SP_ERR_CONFIG', { detail: `${source}: ${detail}` });
  }
  const map = new Map<string, Credential>();
  for (const c of parsed.data.credentials) {
    if (map.has(c.accessKeyId)) {
      throw new SplitplaneError('SP_ERR_CONFIG', { detail: `${source}: access key ${c.accessKeyId} is listed twice` });
    }
    map.set(
      c.accessKeyId,
      Object.freeze({ accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, tenants: new Set(c.tenants) }),
    );
  }
  const all = Object.freeze([...map.values()]);
  return { get: (id) => map.get(id), list: () => all };
}

/** Load credentials: SPLITPLANE_CREDENTIALS (JSON) wins over the file. */
export function loadCredentialStore(file: string | undefined, env: NodeJS.ProcessEnv = process.env): CredentialStore {
  const fromEnv = env['SPLITPLANE_CREDENTIALS'];
  if (fromEnv !== undefined && fromEnv !== '') {
    return credentialStoreFromJson(parseJson(fromEnv, 'SPLITPLANE_CREDENTIALS'), 'SPLITPLANE_CREDENTIALS');
  }
  if (file === undefined) {
    throw new SplitplaneError('SP_ERR_CONFIG', {
      detail: 'no signing credentials: set signing.credentialsFile or SPLITPLANE_CREDENTIALS',
    });
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new SplitplaneError('SP_ERR_CONFIG', { detail: `cannot read credentials file ${file}`, cause });
  }
  return credentialStoreFromJson(parseJson(text, file), file);
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new SplitplaneError('SP_ERR_CONFIG', { detail: `${source} is not valid JSON` });
  }
}

/** The access keys of the public demo credentials shipped in config/demo-credentials.json start with this. */
export const DEMO_ACCESS_KEY_PREFIX = 'SPDEMOKEY';

/**
 * Refuse a store that holds a public demo credential (its secret is in the repository) unless the
 * configuration says it is a demo. Names every such key; says nothing of any secret.
 */
export function refuseDemoCredentials(store: CredentialStore, mode: 'production' | 'demo'): CredentialStore {
  const demo = store
    .list()
    .filter((c) => c.accessKeyId.startsWith(DEMO_ACCESS_KEY_PREFIX))
    .map((c) => c.accessKeyId);
  if (mode !== 'demo' && demo.length) {
    throw new SplitplaneError('SP_ERR_CONFIG', {
      detail: `signing credentials hold the public demo key${demo.length > 1 ? 's' : ''} ${demo.join(', ')} (their secrets are in the repository); use them only with mode: demo`,
    });
  }
  return store;
}
