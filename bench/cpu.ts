import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on every mainstream Linux). */
export const TICKS_PER_SECOND = 100;

/** utime + stime of a process in clock ticks (/proc/<pid>/stat), 0 when it is gone or there is no /proc. */
export function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces, so split after its closing parenthesis).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return 0;
  }
}

/** The server process and every PostgreSQL backend serving the bench database: the CPU the API uses. */
function apiPids(serverPid: number, databaseName: string): number[] {
  const pids = [serverPid];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.startsWith('postgres: ') && cmd.includes(` ${databaseName} `)) pids.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

/**
 * CPU seconds spent by the server and its database backends between start() and stop(). Unlike latency,
 * this hardly depends on what else runs on the machine, so it tells the capacity of an idle machine.
 * Returns null where /proc does not exist (not Linux).
 */
export function cpuMeter(serverPid: number, databaseName: string) {
  let before = new Map<number, number>();
  return {
    start() {
      before = new Map(apiPids(serverPid, databaseName).map((pid) => [pid, cpuTicks(pid)]));
    },
    /** CPU seconds in total and split: the Node server and the PostgreSQL backends. */
    stop(): { total: number; server: number; database: number } | null {
      if (before.size === 0 || cpuTicks(serverPid) === 0) return null;
      let ticks = 0;
      let serverTicks = 0;
      for (const pid of apiPids(serverPid, databaseName)) {
        const used = cpuTicks(pid) - (before.get(pid) ?? 0);
        ticks += used;
        if (pid === serverPid) serverTicks = used;
      }
      return {
        total: ticks / TICKS_PER_SECOND,
        server: serverTicks / TICKS_PER_SECOND,
        database: (ticks - serverTicks) / TICKS_PER_SECOND,
      };
    },
  };
}
