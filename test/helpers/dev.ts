import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { waitFor } from './wait.js';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface DevRun {
  child: ChildProcess;
  /** Everything dev printed so far (stdout and stderr). */
  output(): string;
  exited: Promise<number | null>;
  /** Waits until dev printed its "Ctrl-C stops everything" banner (throws with the output when it exits first). */
  up(timeoutMs?: number): Promise<void>;
}

/** Starts `node scripts/dev.mjs` (or `command`) with the given environment on top of the test run's own. */
export function startDev(
  env: Record<string, string>,
  args: string[] = [],
  command: string[] = [process.execPath, 'scripts/dev.mjs'],
): DevRun {
  const child = spawn(command[0]!, [...command.slice(1), ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    output: () => out,
    exited,
    async up(timeoutMs = 90_000) {
      await waitFor(
        () => `dev to come up; it printed:\n${out}`,
        async () => {
          if (child.exitCode !== null) throw new Error(`dev exited (${child.exitCode}):\n${out}`);
          return out.includes('Ctrl-C stops everything');
        },
        timeoutMs,
        200,
      );
    },
  };
}

/** The pids whose parent is `pid` (Linux /proc). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.replace(/^.*\) /, '').split(' ')[1]) === pid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Every descendant of `pid`. */
export function descendants(pid: number): number[] {
  const direct = childPids(pid);
  return [...direct, ...direct.flatMap(descendants)];
}

export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    // A zombie has exited; only its parent has not reaped it yet.
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((done) => {
    const sock = connect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      done(true);
    });
    sock.once('error', () => done(false));
  });
}
