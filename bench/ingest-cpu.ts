import { readdirSync, readFileSync } from 'node:fs';
import { cpuTicks, TICKS_PER_SECOND } from './cpu.js';

/**
 * Where the CPU went during a bench phase, from /proc (Linux only; everything reads 0 elsewhere):
 * intake's own processes, the services they use, and the rest of the machine, which on a shared box
 * (other sessions running tests) is the contention the figures suffer from.
 */

/** Busy and total ticks of the whole machine (all cores). */
function machineTicks(): { busy: number; total: number } {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = cpu.reduce((a, b) => a + b, 0);
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

function cmdline(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

export type Groups = Record<string, () => number[]>;

/** Process groups: named pids, PostgreSQL backends of one database, redis-server, this test Dovecot's processes. */
export function processGroups(named: Record<string, number[]>, databaseName: string, dovecotDir: string): Groups {
  const scan = (match: (cmd: string) => boolean) => () =>
    readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e) && match(cmdline(e)))
      .map(Number);
  const groups: Groups = {};
  for (const [name, pids] of Object.entries(named)) groups[name] = () => pids;
  groups.postgres = scan((c) => c.startsWith('postgres: ') && c.includes(` ${databaseName} `));
  groups.redis = scan((c) => c.startsWith('redis-server') || c.includes('/redis-server'));
  // Dovecot's imap processes do not name their config; the master does, and all of its kind run as dovecot/*.
  groups.dovecot = scan((c) => c.includes(dovecotDir) || c.startsWith('dovecot/imap'));
  return groups;
}

export interface CpuReport {
  seconds: number;
  /** CPU seconds per group. */
  groups: Record<string, number>;
  /** CPU seconds the whole machine was busy, all processes. */
  machineBusy: number;
  /** CPU seconds available (wall time x cores). */
  machineTotal: number;
}

/** Starts measuring; `stop()` returns CPU seconds per group over the interval. */
export function cpuWindow(groups: Groups): { stop(): CpuReport } {
  const started = performance.now();
  const before = new Map<string, Map<number, number>>();
  for (const [name, pids] of Object.entries(groups)) before.set(name, new Map(pids().map((p) => [p, cpuTicks(p)])));
  const m0 = machineTicks();
  return {
    stop() {
      const out: Record<string, number> = {};
      for (const [name, pids] of Object.entries(groups)) {
        const b = before.get(name)!;
        // A backend that started during the window counts from zero: its whole life was in the window.
        out[name] = pids().reduce((sum, p) => sum + cpuTicks(p) - (b.get(p) ?? 0), 0) / TICKS_PER_SECOND;
      }
      const m1 = machineTicks();
      return {
        seconds: (performance.now() - started) / 1000,
        groups: out,
        machineBusy: (m1.busy - m0.busy) / TICKS_PER_SECOND,
        machineTotal: (m1.total - m0.total) / TICKS_PER_SECOND,
      };
    },
  };
}
