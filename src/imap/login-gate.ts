import { DEFAULT_IMAP_MAX_CONCURRENT_LOGINS, DEFAULT_IMAP_MAX_CONNECTIONS_PER_HOST, type Config } from '../config.js';

/** Gives a taken slot back; calling it again does nothing. */
export type Release = () => void;

/**
 * A counting semaphore: at most `limit` holders at once (0 = no limit), the others wait in arrival order. A wait
 * ends early, with the signal's reason, when its AbortSignal fires (a mailbox stopped while waiting).
 */
export class Slots {
  #held = 0;
  readonly #waiting: { grant: () => void }[] = [];

  constructor(readonly limit: number) {}

  /** Slots taken now. */
  get held(): number {
    return this.#held;
  }

  /** Callers waiting for a slot now. */
  get waiting(): number {
    return this.#waiting.length;
  }

  acquire(signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.limit === 0 || this.#held < this.limit) {
      this.#held++;
      return Promise.resolve(this.#releaser());
    }
    return new Promise<Release>((resolve, reject) => {
      const waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          this.#held++;
          resolve(this.#releaser());
        },
      };
      const onAbort = () => {
        const i = this.#waiting.indexOf(waiter);
        if (i >= 0) this.#waiting.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  #releaser(): Release {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#held--;
      this.#waiting.shift()?.grant();
    };
  }
}

export interface LoginGateOptions {
  /** Logins in progress at once in this process; 0 = no cap. Default: DEFAULT_IMAP_MAX_CONCURRENT_LOGINS. */
  maxConcurrentLogins?: number;
  /** Open connections to one IMAP host at once; 0 (the default) = no cap. */
  maxConnectionsPerHost?: number;
}

/**
 * What one poller process lets its mailboxes do at once. A thousand mailboxes logging in together would look like
 * an attack to the server (and cost a TLS handshake each at the same moment), so logins take turns; and providers
 * such as Microsoft 365 refuse more than a few concurrent connections per app or user, so the connections to one
 * host can be capped. A connection takes its host slot first (held until it ends), then a login slot (held from
 * connect until the folder is open): the other way round, a login slot could sit waiting for a host slot while
 * mailboxes of other hosts wait for it.
 */
export class LoginGate {
  readonly logins: Slots;
  readonly maxConnectionsPerHost: number;
  readonly #hosts = new Map<string, Slots>();

  constructor(options: LoginGateOptions = {}) {
    this.logins = new Slots(options.maxConcurrentLogins ?? DEFAULT_IMAP_MAX_CONCURRENT_LOGINS);
    this.maxConnectionsPerHost = options.maxConnectionsPerHost ?? DEFAULT_IMAP_MAX_CONNECTIONS_PER_HOST;
  }

  /** Waits for a login slot: give it back once the folder is open, or the attempt failed. */
  login(signal?: AbortSignal): Promise<Release> {
    return this.logins.acquire(signal);
  }

  /** Waits for a connection slot on `host` (case-insensitive): give it back when the connection has ended. */
  connection(host: string, signal?: AbortSignal): Promise<Release> {
    return this.host(host).acquire(signal);
  }

  /** The slots of one host (created on first use). */
  host(host: string): Slots {
    const key = host.toLowerCase();
    let slots = this.#hosts.get(key);
    if (!slots) {
      slots = new Slots(this.maxConnectionsPerHost);
      this.#hosts.set(key, slots);
    }
    return slots;
  }
}

/** The process's one gate, from IMAP_MAX_CONCURRENT_LOGINS and IMAP_MAX_CONNECTIONS_PER_HOST. */
export function loginGateFromConfig(
  config: Partial<Pick<Config, 'imapMaxConcurrentLogins' | 'imapMaxConnectionsPerHost'>>,
): LoginGate {
  return new LoginGate({
    maxConcurrentLogins: config.imapMaxConcurrentLogins,
    maxConnectionsPerHost: config.imapMaxConnectionsPerHost,
  });
}

/**
 * How long at most a mailbox waits before its first connection, so the logins of many mailboxes started together
 * spread out: 5 ms per mailbox, at most MAX_START_SPREAD_MS (one mailbox: practically none).
 */
export const MAX_START_SPREAD_MS = 5_000;
export function startSpreadMs(mailboxes: number): number {
  return Math.min(MAX_START_SPREAD_MS, mailboxes * 5);
}
