/**
 * The per-agent key vault (issue 10 item 1; DESIGN §7): named secrets a `.smyth` reads as
 * `{{KEY(name)}}`, and the bearer a `key`-mode agent accepts on its skills. Values are encrypted at
 * rest with AES-256-GCM under a key derived from the server secret (HKDF-SHA256, an info string of
 * the vault's own, so no other use of the secret yields the same key); each value's agent and name
 * are bound in as additional data, so a ciphertext copied onto another agent or name does not decrypt.
 * Values leave only through {@link AgentVault.resolveKeys} (for the engine) and the bearer check.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import { AgentErrors } from './errors.ts';
import type { AgentsStore } from './store.ts';
import type { AgentKeyInfo } from './types.ts';

/** HKDF `info` of the vault key; changing it makes every stored value unreadable. */
const VAULT_KEY_INFO = 'orrery agent vault v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Names a key may have (`{{KEY(name)}}`). */
export const KEY_NAME = /^[A-Za-z0-9_.-]{1,100}$/;
/** Longest value, characters. */
export const KEY_VALUE_MAX_CHARS = 16_384;

/** The 32-byte AES key for `serverSecret` (HKDF-SHA256, empty salt, {@link VAULT_KEY_INFO}). */
export function deriveVaultKey(serverSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', serverSecret, Buffer.alloc(0), VAULT_KEY_INFO, 32));
}

const aadOf = (agentId: string, name: string) => Buffer.from(`${agentId}\u0000${name}`, 'utf8');

/** `plaintext` encrypted for (`agentId`, `name`): base64 of IV (12) | tag (16) | ciphertext. */
export function encryptSecret(key: Buffer, agentId: string, name: string, plaintext: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aadOf(agentId, name));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

/**
 * The plaintext of {@link encryptSecret}'s output.
 * @throws Error when the data was altered, belongs to another agent or name, or another secret made it
 */
export function decryptSecret(key: Buffer, agentId: string, name: string, stored: string): string {
  const raw = Buffer.from(stored, 'base64');
  if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('vault value is truncated');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
  decipher.setAAD(aadOf(agentId, name));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
}

/** Constant-time equality of a presented bearer and a secret (hashed first, so lengths do not leak either). */
export function bearerMatches(presented: string, secret: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(secret).digest();
  return timingSafeEqual(a, b);
}

/** What {@link createAgentVault} needs. */
export interface AgentVaultDeps {
  store: AgentsStore;
  clock: Clock;
  /** The server secret (`SESSION_SECRET`). */
  serverSecret: string;
}

/** The vault of every agent; callers check ownership first (the service does). */
export interface AgentVault {
  /** Stores `value` under `name`; true when the name was new. @throws DomainError invalidKeyName */
  put(agentId: string, name: string, value: string): Promise<{ key: AgentKeyInfo; created: boolean }>;
  /** Names and times, never values, by name. */
  list(agentId: string): Promise<AgentKeyInfo[]>;
  /** @throws DomainError keyNotFound */
  remove(agentId: string, name: string): Promise<void>;
  /** Every value by name, for `{{KEY(name)}}`; an entry that does not decrypt (secret changed) is left out. */
  resolveKeys(agentId: string): Promise<Record<string, string>>;
  /** True when the agent's key `name` exists and equals `bearer` (constant time). */
  matches(agentId: string, name: string, bearer: string): Promise<boolean>;
}

/** Builds the vault over the agents store. */
export function createAgentVault(deps: AgentVaultDeps): AgentVault {
  const { store, clock } = deps;
  const key = deriveVaultKey(deps.serverSecret);
  const info = (row: { name: string; created_at: number; updated_at: number }): AgentKeyInfo => ({ name: row.name, createdAt: row.created_at, updatedAt: row.updated_at });
  const tryDecrypt = (agentId: string, name: string, stored: string): string | undefined => {
    try {
      return decryptSecret(key, agentId, name, stored);
    } catch {
      return undefined;
    }
  };

  return {
    async put(agentId, name, value) {
      if (!KEY_NAME.test(name)) throw new DomainError(AgentErrors.invalidKeyName);
      const now = clock.now();
      const created = await store.upsertKey({ agent_id: agentId, name, ciphertext: encryptSecret(key, agentId, name, value), created_at: now, updated_at: now });
      const row = await store.findKey(agentId, name);
      return { key: row ? info(row) : { name, createdAt: now, updatedAt: now }, created };
    },
    list: async (agentId) => (await store.listKeys(agentId)).map(info),
    async remove(agentId, name) {
      if (!(await store.deleteKey(agentId, name))) throw new DomainError(AgentErrors.keyNotFound);
    },
    async resolveKeys(agentId) {
      const out: Record<string, string> = {};
      for (const row of await store.listKeys(agentId)) {
        const value = tryDecrypt(agentId, row.name, row.ciphertext);
        if (value !== undefined) out[row.name] = value;
      }
      return out;
    },
    async matches(agentId, name, bearer) {
      const row = await store.findKey(agentId, name);
      const value = row ? tryDecrypt(agentId, name, row.ciphertext) : undefined;
      return value !== undefined && value !== '' && bearerMatches(bearer, value);
    },
  };
}
