import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { Redis } from 'ioredis';
import { freePort } from './redis-server.js';
import { waitFor } from './wait.js';

export { testDovecot } from './dovecot.js';

const run = promisify(execFile);

/**
 * PostgreSQL and Redis servers of a test's own, on free ports, that the test may kill and start again: the fault
 * suite (test/faults/) breaks them on purpose without touching the machine's shared services. PostgreSQL comes from
 * Debian's binaries (/usr/lib/postgresql/<version>/bin: initdb, pg_ctl; package postgresql), Redis from
 * `redis-server` (package redis-server). Dovecot is the run's own (testDovecot, from global setup).
 */

/** The newest PostgreSQL server binaries installed the Debian way. */
function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) throw new Error(`no PostgreSQL server binaries in ${root}: apt-get install postgresql`);
  return join(root, versions[0]!, 'bin');
}

// PostgreSQL refuses to run as root: as root (CI), its files belong to Debian's `postgres` user and its programs run
// as that user.
const asRoot = userInfo().uid === 0;

async function pgRun(program: string, args: string[]): Promise<void> {
  const bin = join(postgresBin(), program);
  await (asRoot ? run('runuser', ['-u', 'postgres', '--', bin, ...args]) : run(bin, args));
}

export interface PrivatePostgres {
  port: number;
  /** The server's admin URL (user postgres, trust). */
  adminUrl: string;
  /** A URL for the database `name` on this server. */
  url(name: string): string;
  /** Stops it as a crash would (`pg_ctl stop -m immediate`: no checkpoint, connections cut). */
  crash(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  destroy(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'intake-pg-'));
  const data = join(dir, 'data');
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  await pgRun('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const start = async () => {
    // Durability settings off: the suite tests intake's behaviour, not the disk; a crash still cuts every connection.
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100`;
    await pgRun('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-o', options, '-w', '-t', '60', 'start']);
    await waitFor(`PostgreSQL on port ${port}`, async () => {
      const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 1_000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SELECT 1');
        return true;
      } catch {
        return false;
      } finally {
        await client.end().catch(() => undefined);
      }
    });
  };
  await start();
  const stop = (mode: 'immediate' | 'fast') => pgRun('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
  return {
    port,
    adminUrl,
    url: (name) => `postgres://postgres@127.0.0.1:${port}/${name}`,
    crash: () => stop('immediate'),
    start,
    async destroy() {
      await stop('immediate').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PrivateRedisOptions {
  /** maxmemory-policy; default noeviction (what intake requires). */
  policy?: string;
  /** Append-only file on (a restart keeps the data); default off (a restart starts empty). */
  appendonly?: boolean;
}

export interface PrivateRedis {
  port: number;
  url: string;
  /** Kills it (SIGKILL). */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty unless `appendonly`). */
  start(): Promise<void>;
  /** Kills it and removes its files. */
  destroy(): Promise<void>;
}

export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'intake-redis-'));
  let child: ChildProcess | undefined;
  const start = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
    args.push('--appendonly', options.appendonly ? 'yes' : 'no', '--maxmemory-policy', options.policy ?? 'noeviction');
    const c = spawn('redis-server', args, { stdio: 'ignore' });
    c.on('error', () => undefined);
    child = c;
    await waitFor(`redis-server on port ${port}`, async () => {
      if (c.exitCode !== null) throw new Error(`redis-server on port ${port} exited with ${c.exitCode}`);
      const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      r.on('error', () => undefined);
      try {
        await r.connect();
        return (await r.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        r.disconnect();
      }
    });
  };
  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
  };
  await start();
  return {
    port,
    url,
    kill,
    start,
    async destroy() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A redis-server (or sentinel) child process on `port`, its files in `dir`, started with `args` after the port. */
async function startRedisProcess(port: number, args: string[], options: { sentinel?: boolean } = {}) {
  const child = spawn('redis-server', [...args, ...(options.sentinel ? ['--sentinel'] : [])], { stdio: 'ignore' });
  child.on('error', () => undefined);
  await waitFor(`redis-server on port ${port}`, async () => {
    if (child.exitCode !== null) throw new Error(`redis-server on port ${port} exited with ${child.exitCode}`);
    const r = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => undefined);
    try {
      await r.connect();
      return (await r.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      r.disconnect();
    }
  });
  return child;
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

const DATA_ARGS = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'];

export interface PrivateSentinelSet {
  /** `redis-sentinel://127.0.0.1:<s1>,.../<name>`: what intake's REDIS_URL is set to. */
  url: string;
  name: string;
  /** The port of the server the sentinels name as master now. */
  masterPort(): Promise<number>;
  /** Kills the master (SIGKILL), as a crashed machine; returns its port. */
  killMaster(): Promise<number>;
  /** Asks the sentinels to promote the replica while the master lives on (it becomes a replica); returns its port. */
  failover(): Promise<number>;
  destroy(): Promise<void>;
}

/**
 * A master, one replica and three sentinels (quorum 2) of a test's own, on free ports: the sentinels notice a dead
 * master after a second and promote the replica.
 */
export async function startPrivateSentinelSet(): Promise<PrivateSentinelSet> {
  const dir = mkdtempSync(join(tmpdir(), 'intake-sentinel-'));
  const name = 'intake';
  const [masterPort, replicaPort] = [await freePort(), await freePort()];
  const servers = new Map<number, ChildProcess>();
  servers.set(
    masterPort,
    await startRedisProcess(masterPort, ['--port', String(masterPort), '--dir', dir, ...DATA_ARGS]),
  );
  servers.set(
    replicaPort,
    await startRedisProcess(replicaPort, [
      '--port',
      String(replicaPort),
      '--dir',
      dir,
      ...DATA_ARGS,
      '--replicaof',
      '127.0.0.1',
      String(masterPort),
    ]),
  );
  const sentinelPorts = [await freePort(), await freePort(), await freePort()];
  const sentinels: ChildProcess[] = [];
  for (const port of sentinelPorts) {
    // A sentinel rewrites its configuration file: one file each.
    const file = join(dir, `sentinel-${port}.conf`);
    writeFileSync(
      file,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${masterPort} 2`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 5000`,
        `sentinel parallel-syncs ${name} 1`,
        '',
      ].join('\n'),
    );
    sentinels.push(await startRedisProcess(port, [file], { sentinel: true }));
  }
  const sentinel = async <T>(...args: string[]): Promise<T> => {
    const s = new Redis(sentinelPorts[0]!, '127.0.0.1', { maxRetriesPerRequest: 1 });
    s.on('error', () => undefined);
    try {
      return (await s.call('SENTINEL', ...args)) as T;
    } finally {
      s.disconnect();
    }
  };
  const masterPortNow = async () => Number((await sentinel<[string, string]>('get-master-addr-by-name', name))[1]);
  // Sentinels know the replica (and each other) only after a few exchanges: a failover needs both.
  await waitFor('the sentinels to see the replica', async () => {
    const s = new Redis(sentinelPorts[0]!, '127.0.0.1', { maxRetriesPerRequest: 1 });
    s.on('error', () => undefined);
    try {
      const replicas = (await s.call('SENTINEL', 'replicas', name)) as string[][];
      const others = (await s.call('SENTINEL', 'sentinels', name)) as string[][];
      return replicas.length === 1 && others.length === 2;
    } finally {
      s.disconnect();
    }
  });
  return {
    url: `redis-sentinel://${sentinelPorts.map((p) => `127.0.0.1:${p}`).join(',')}/${name}`,
    name,
    masterPort: masterPortNow,
    async failover() {
      const port = await masterPortNow();
      await sentinel('failover', name);
      return port;
    },
    async killMaster() {
      const port = await masterPortNow();
      await killChild(servers.get(port)!);
      return port;
    },
    async destroy() {
      await Promise.all([...servers.values(), ...sentinels].map(killChild));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PrivateCluster {
  /** `redis-cluster://127.0.0.1:<p1>,...`: what intake's REDIS_URL is set to. */
  url: string;
  ports: number[];
  destroy(): Promise<void>;
}

/** A Redis Cluster of three masters (no replicas) of a test's own, slots spread by `redis-cli --cluster create`. */
export async function startPrivateCluster(): Promise<PrivateCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'intake-cluster-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const children: ChildProcess[] = [];
  for (const port of ports) {
    // The cluster bus gets a free port of its own (the default, port + 10000, may be taken or out of range).
    const busPort = await freePort();
    children.push(
      await startRedisProcess(port, [
        '--port',
        String(port),
        '--dir',
        dir,
        ...DATA_ARGS,
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-port',
        String(busPort),
        '--cluster-node-timeout',
        '2000',
      ]),
    );
  }
  await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-yes']);
  await waitFor('the cluster to be ok on every node', async () => {
    for (const port of ports) {
      const r = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
      r.on('error', () => undefined);
      try {
        if (!/cluster_state:ok/.test((await r.call('CLUSTER', 'INFO')) as string)) return false;
      } finally {
        r.disconnect();
      }
    }
    return true;
  });
  return {
    url: `redis-cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`,
    ports,
    async destroy() {
      await Promise.all(children.map(killChild));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
