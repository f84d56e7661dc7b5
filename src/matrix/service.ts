/**
 * Matrix: the account and client-state side of the client-server API that is not the rooms spine
 * itself — password login with a device per login, registration with user-interactive auth under
 * Orrery's registration policy, filters, profiles (mirrored into room member events), OpenID
 * tokens for the Boxel server-session exchange. Knows nothing of HTTP; routes in `client/` call it
 * and `rooms` directly.
 */
import { randomBytes } from 'node:crypto';
import type { AccountsService } from '../accounts/service.ts';
import type { Principal, User } from '../accounts/types.ts';
import type { Config } from '../config/load.ts';
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import { randomToken, safeEqual, sha256Hex } from '../lib/secrets.ts';
import type { RoomsService } from '../rooms/service.ts';
import { MatrixErrors } from './errors.ts';
import type { MatrixStore } from './store.ts';

/** What the Matrix service needs. */
export interface MatrixDeps {
  store: MatrixStore;
  accounts: AccountsService;
  rooms: RoomsService;
  clock: Clock;
  config: Pick<Config, 'serverName' | 'registration' | 'publicOrigin'>;
}

/** A successful login or registration (spec `POST /login` 200). */
export interface LoginResult {
  user_id: string;
  access_token: string;
  device_id: string;
  home_server: string;
}

/** The user-interactive auth challenge (spec "User-interactive authentication API", 401 body). */
export interface UiaChallenge {
  flows: Array<{ stages: string[] }>;
  params: Record<string, unknown>;
  session: string;
  completed?: string[];
}

/** Lifetime of an OpenID token, s (spec example; Synapse's default). */
export const OPENID_TOKEN_TTL_S = 3600;
const DEVICE_ID_LENGTH = 10;

/** A new device id: ten capital letters, like Synapse's. */
export function newDeviceId(): string {
  const bytes = randomBytes(DEVICE_ID_LENGTH);
  return Array.from(bytes, (b) => String.fromCharCode(65 + (b % 26))).join('');
}

/** Builds the Matrix service. */
export function createMatrixService(deps: MatrixDeps) {
  const { store, accounts, rooms, clock, config } = deps;

  /**
   * A new access token for `user` on device `deviceId` (a new device when absent or malformed). A
   * login naming a device it had before replaces that device's token (spec "Relationship between
   * access tokens and devices": at most one active token per device), so `/logout` of the device,
   * which ends its token, really ends the device.
   */
  async function issueToken(user: User, deviceId: string | undefined, displayName: string | undefined): Promise<LoginResult> {
    const named = Boolean(deviceId && /^[\x21-\x7e]{1,255}$/.test(deviceId));
    const device_id = named ? deviceId! : newDeviceId();
    const { token, tokenId } = await accounts.createAccessToken(user.userId, { kind: 'access', label: `matrix ${displayName ?? device_id}`, deviceId: device_id });
    if (named) {
      for (const old of await accounts.listTokens(user.userId, 'access')) {
        if (old.active && old.deviceId === device_id && old.tokenId !== tokenId) await accounts.revokeToken(old.tokenId);
      }
    }
    return { user_id: user.userId, access_token: token, device_id, home_server: config.serverName };
  }

  const flows = (): Array<{ stages: string[] }> =>
    config.registration.policy === 'token' ? [{ stages: ['m.login.registration_token'] }] : [{ stages: ['m.login.dummy'] }];

  const service = {
    /** Login flows this server offers (spec `GET /login`). */
    loginFlows: () => [{ type: 'm.login.password' }],

    /**
     * `m.login.password` login; a new device (or the one named) with its own access token.
     * @throws DomainError loginThrottled | badCredentials
     */
    async login(input: { username: string; password: string; clientIp: string; deviceId?: string | undefined; displayName?: string | undefined }): Promise<LoginResult> {
      const user = await accounts.login({ username: input.username, password: input.password, clientIp: input.clientIp });
      return issueToken(user, input.deviceId, input.displayName);
    },

    /**
     * Registration under the policy, with user-interactive auth: without `auth` (or with an
     * incomplete stage) the caller gets the challenge to answer; with a completed stage, the account
     * and a first device.
     * @throws DomainError registrationClosed | invalidUsername | weakPassword | usernameTaken
     */
    async register(input: {
      username: string | undefined;
      password: string | undefined;
      auth: { type?: string | undefined; session?: string | undefined; token?: string | undefined } | undefined;
      deviceId?: string | undefined;
      displayName?: string | undefined;
      inhibitLogin?: boolean | undefined;
    }): Promise<{ challenge: UiaChallenge } | { user_id: string; login?: LoginResult }> {
      if (config.registration.policy === 'closed') throw new DomainError(MatrixErrors.forbidden, { message: 'Registration has been disabled' });
      const session = input.auth?.session ?? randomBytes(12).toString('base64url');
      const stage = flows()[0]!.stages[0]!;
      const done =
        input.auth?.type === stage &&
        (stage !== 'm.login.registration_token' || (Boolean(input.auth.token) && Boolean(config.registration.token) && safeEqual(input.auth.token!, config.registration.token!)));
      if (!done) {
        return { challenge: { flows: flows(), params: {}, session, ...(input.auth?.type ? { completed: [] } : {}) } };
      }
      if (!input.username) throw new DomainError(MatrixErrors.missingParam, { message: 'username is required' });
      if (!input.password) throw new DomainError(MatrixErrors.missingParam, { message: 'password is required' });
      const user = await accounts.register({ username: input.username, password: input.password, registrationToken: input.auth?.token ?? config.registration.token });
      if (input.inhibitLogin) return { user_id: user.userId };
      return { user_id: user.userId, login: await issueToken(user, input.deviceId, input.displayName) };
    },

    /**
     * Registration attempts one client address may make per window (`REGISTRATION_MAX_PER_ADDRESS`
     * per `REGISTRATION_WINDOW_MS`), the budget the web's `POST /api/auth/register` has too.
     */
    registrationLimit: (): { max: number; windowMs: number } => ({ max: config.registration.maxPerAddress, windowMs: config.registration.windowMs }),

    /**
     * Whether a username can be registered (spec `GET /register/available`).
     * @throws DomainError invalidUsername | usernameTaken
     */
    async usernameAvailable(username: string): Promise<true> {
      await accounts.checkUsernameAvailable(username);
      return true;
    },

    /** The device id of the credential a request used (sessions and runtime tokens get stable synthetic ones). */
    async deviceOf(principal: Principal): Promise<string> {
      if (principal.tokenId !== undefined) {
        const record = await accounts.findTokenRecordById(principal.tokenId);
        return record?.deviceId ?? `ORRTOKEN${principal.tokenId}`;
      }
      return principal.via === 'session' ? 'ORRWEB' : 'ORRJWT';
    },

    /**
     * End every Matrix device and API access token of the user, the calling credential included
     * (spec `POST /logout/all`). Web sessions and runtime tokens are ended only when they made the call.
     */
    async logoutAll(principal: Principal): Promise<void> {
      await accounts.revokeUserTokens(principal.user.userId, 'access');
      if (principal.via !== 'access_token' && principal.via !== 'jwt') await accounts.logout(principal);
    },

    /** Store a filter; returns its id (spec `POST /user/{userId}/filter`). */
    async createFilter(user_id: string, filter: Record<string, unknown>): Promise<string> {
      return String(await store.insertFilter(user_id, JSON.stringify(filter)));
    },
    /** A stored filter. @throws DomainError notFound */
    async getFilter(user_id: string, filter_id: string): Promise<Record<string, unknown>> {
      const id = /^\d{1,15}$/.test(filter_id) ? Number(filter_id) : NaN;
      const found = Number.isFinite(id) ? await store.findFilter(user_id, id) : undefined;
      if (!found) throw new DomainError(MatrixErrors.notFound, { message: 'No such filter' });
      return JSON.parse(found) as Record<string, unknown>;
    },

    /** A user's profile. @throws DomainError notFound */
    async profile(user_id: string): Promise<{ displayname?: string; avatar_url?: string }> {
      const user = await accounts.findUser(user_id);
      if (!user) throw new DomainError(MatrixErrors.notFound, { message: 'Profile was not found' });
      return { ...(user.displayName ? { displayname: user.displayName } : {}), ...(user.avatarUrl ? { avatar_url: user.avatarUrl } : {}) };
    },
    /**
     * Change the caller's profile and carry it into their member event in every joined room (spec
     * "Events on Change of Profile Information").
     */
    async setProfile(user: User, fields: { displayName?: string | null; avatarUrl?: string | null }): Promise<void> {
      const updated = await accounts.updateProfile(user.userId, fields);
      const content = service.memberProfile(updated);
      for (const room_id of await rooms.joinedRooms(user.userId)) {
        await rooms.sendState(room_id, user.userId, 'm.room.member', user.userId, { ...content, membership: 'join' }).catch(() => undefined);
      }
    },
    /** What a member event says about a user (`displayname`, `avatar_url`). */
    memberProfile(user: User): Record<string, unknown> {
      return { displayname: user.displayName ?? user.localpart, ...(user.avatarUrl ? { avatar_url: user.avatarUrl } : {}) };
    },

    /** An OpenID token for another service to learn who the caller is (spec `POST /user/{userId}/openid/request_token`). */
    async requestOpenidToken(user_id: string): Promise<{ access_token: string; token_type: 'Bearer'; matrix_server_name: string; expires_in: number }> {
      const now = clock.now();
      await store.deleteExpiredOpenidTokens(now);
      const token = randomToken('', 24);
      await store.insertOpenidToken(sha256Hex(token), user_id, now + OPENID_TOKEN_TTL_S * 1000);
      return { access_token: token, token_type: 'Bearer', matrix_server_name: config.serverName, expires_in: OPENID_TOKEN_TTL_S };
    },
    /** Who an OpenID token belongs to (federation `GET /openid/userinfo`). @throws DomainError unknownToken */
    async openidUserinfo(token: string): Promise<{ sub: string }> {
      const row = await store.findOpenidToken(sha256Hex(token));
      if (!row || Number(row.expires_at) <= clock.now()) throw new DomainError(MatrixErrors.unknownToken, { message: 'Access token unknown or expired' });
      return { sub: row.user_id };
    },
  };
  return service;
}

/** The Matrix service API. */
export type MatrixService = ReturnType<typeof createMatrixService>;
