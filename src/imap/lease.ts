import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { RedisClient } from '../queue/redis-target.js';

// Renew and release compare the stored token first, atomically: a poller whose lease already expired
// (and was taken by another) must never extend or delete the new holder's lease.
const RENEW_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * A Redis lease that lets exactly one poller process poll a mailbox (its key: leaseKey, src/queue/redis-keys.ts): `SET NX PX` with a random token.
 * Only the holder (the same token) can renew or release it; an abandoned lease expires after `ttlMs`.
 */
export class Lease {
  /** Names the holder for operators (`host:pid:random`); the random part keeps it unguessable and unique. */
  readonly token = `${hostname()}:${process.pid}:${randomBytes(12).toString('hex')}`;
  #held = false;

  constructor(
    private readonly redis: RedisClient,
    readonly key: string,
    readonly ttlMs: number,
  ) {}

  /** True while this instance believes it holds the lease (since the last successful acquire/renew). */
  get held(): boolean {
    return this.#held;
  }

  /** Takes the lease when nobody holds it. Resolves false when another holder has it. */
  async acquire(): Promise<boolean> {
    const res = await this.redis.set(this.key, this.token, 'PX', this.ttlMs, 'NX');
    this.#held = res === 'OK';
    return this.#held;
  }

  /**
   * Extends the lease by `ttlMs` if this instance still holds it. Resolves false when the lease was lost
   * (expired and maybe taken by another) or Redis did not answer within `timeoutMs`: a renewal that hangs
   * is as bad as a failed one, because the lease may expire meanwhile.
   */
  async renew(timeoutMs = Math.floor(this.ttlMs / 3)): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<number>((resolve) => {
      timer = setTimeout(() => resolve(0), timeoutMs);
    });
    try {
      const res = await Promise.race([
        this.redis.eval(RENEW_SCRIPT, 1, this.key, this.token, String(this.ttlMs)) as Promise<number>,
        timeout,
      ]);
      this.#held = res === 1;
    } catch {
      this.#held = false;
    } finally {
      clearTimeout(timer);
    }
    return this.#held;
  }

  /** Gives the lease up if this instance holds it; never deletes someone else's. */
  async release(): Promise<boolean> {
    this.#held = false;
    const res = (await this.redis.eval(RELEASE_SCRIPT, 1, this.key, this.token)) as number;
    return res === 1;
  }
}
