import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../logger.js';
import { pollersKey } from '../queue/redis-keys.js';
import type { RedisClient } from '../queue/redis-target.js';

/**
 * The live poller processes of an installation, for sharing the mailboxes fairly: each process beats into a Redis
 * sorted set (score: the time of its last beat) and counts the members that beat within `ttlMs`. A process that stops
 * leaves at once; one that dies drops out after `ttlMs`, the same time its leases take to expire.
 */
export class PollerRegistry {
  readonly token = `${hostname()}:${process.pid}:${randomBytes(6).toString('hex')}`;
  readonly #key: string;
  #live = 1;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    readonly ttlMs: number,
    private readonly logger: Logger,
  ) {
    this.#key = pollersKey(prefix);
  }

  /** Live poller processes at the last beat, this one included (at least 1). */
  get live(): number {
    return this.#live;
  }

  /** Beats now and every third of ttlMs; `onBeat` runs after each beat (the fleet rebalances there). */
  start(onBeat: () => void): void {
    const beat = async () => {
      try {
        const now = Date.now();
        const res = await this.redis
          .multi()
          .zadd(this.#key, now, this.token)
          .zremrangebyscore(this.#key, '-inf', now - this.ttlMs)
          .zcard(this.#key)
          .pexpire(this.#key, this.ttlMs * 3)
          .exec();
        this.#live = Math.max(1, Number(res?.[2]?.[1] ?? 1));
      } catch (err) {
        // Without Redis no lease can be had either; the count stays as it was.
        this.logger.debug({ err: (err as Error).message }, 'poller registry beat failed');
      }
      onBeat();
    };
    void beat();
    this.#timer = setInterval(() => void beat(), Math.max(200, Math.floor(this.ttlMs / 3)));
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.redis.zrem(this.#key, this.token).catch(() => undefined);
  }
}

/** The most mailboxes one of `live` processes should hold out of `total`: the others take the rest. */
export function fairShare(total: number, live: number): number {
  return Math.ceil(total / Math.max(1, live));
}
