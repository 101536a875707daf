// Process and machine figures from /proc (Linux): resident memory and CPU time of the processes a benchmark starts,
// and how busy the whole machine was, so a result says where the CPU went (2 cores shared by load and hub).
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ); 100 on practically every Linux. */
export const CLOCK_TICKS_PER_S: number = (() => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

export interface Memory {
  /** Resident set size now (VmRSS), bytes. */
  rssBytes: number;
  /** Peak resident set size since the process started (VmHWM), bytes. */
  peakRssBytes: number;
}

/** VmRSS and VmHWM from the text of /proc/<pid>/status. */
export function parseStatusMemory(status: string): Memory | undefined {
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const rss = kb('VmRSS');
  if (rss === undefined) return undefined;
  return { rssBytes: rss, peakRssBytes: kb('VmHWM') ?? rss };
}

export function readMemory(pid: number): Memory | undefined {
  try {
    return parseStatusMemory(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** utime + stime (clock ticks) from the text of /proc/<pid>/stat; the command name may contain spaces and ')'. */
export function parseStatCpuTicks(stat: string): number | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ", fields[0] is the state (field 3), so utime (14) and stime (15) are at 11 and 12.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : undefined;
}

/** CPU seconds the process has used so far (user + system). */
export function readCpuSeconds(pid: number): number | undefined {
  try {
    const ticks = parseStatCpuTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return ticks === undefined ? undefined : ticks / CLOCK_TICKS_PER_S;
  } catch {
    return undefined;
  }
}

/** The parent pid from the text of /proc/<pid>/stat. */
export function parseStatParentPid(stat: string): number | undefined {
  const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  return Number.isInteger(ppid) && ppid > 0 ? ppid : undefined;
}

export function readParentPid(pid: number): number | undefined {
  try {
    return parseStatParentPid(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds used so far by `rootPid` and its direct children: a PostgreSQL postmaster and its backends, WAL writer,
 * checkpointer … (children that already ended are not counted).
 */
export function cpuSecondsOfProcessTree(rootPid: number): number | undefined {
  const root = readCpuSeconds(rootPid);
  if (root === undefined) return undefined;
  let ticks = 0;
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    // No /proc listing: the root alone.
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (parseStatParentPid(stat) === rootPid) ticks += parseStatCpuTicks(stat) ?? 0;
    } catch {
      // The process ended meanwhile.
    }
  }
  return root + ticks / CLOCK_TICKS_PER_S;
}

export interface MachineCpu {
  /** Ticks spent not idle (all CPUs). */
  busy: number;
  /** Of those, ticks in hardware and soft interrupts: loopback TCP is processed there, not always billed to a process. */
  interrupts: number;
  total: number;
}

/** From the first line of /proc/stat: "cpu user nice system idle iowait irq softirq steal …". */
export function parseProcStat(text: string): MachineCpu | undefined {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return undefined;
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (v.length < 5 || v.some((x) => !Number.isFinite(x))) return undefined;
  const total = v.reduce((a, b) => a + b, 0);
  const idle = v[3]! + v[4]!; // idle + iowait
  return { busy: total - idle, interrupts: v[5]! + v[6]!, total };
}

export function readMachineCpu(): MachineCpu | undefined {
  try {
    return parseProcStat(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return undefined;
  }
}

/** Fraction (0–1) of all CPUs that were busy between two readings. */
export function busyFraction(from: MachineCpu | undefined, to: MachineCpu | undefined): number | undefined {
  if (!from || !to || to.total <= from.total) return undefined;
  return (to.busy - from.busy) / (to.total - from.total);
}

/**
 * CPU seconds of a process and all its descendants, cumulative and monotonic: a descendant that has ended keeps the
 * last reading taken of it (the kernel's own count goes away with it, which would make the total step back just as
 * a fleet's generator processes finish). Descendants in `exclude` (and theirs) are left out: a runner counts an
 * observer process apart from the generators it runs beside.
 */
export class ProcessTreeCpu {
  private readonly last = new Map<number, number>();
  readonly exclude = new Set<number>();

  constructor(private readonly rootPid: number) {}

  read(): number | undefined {
    let entries: string[];
    try {
      entries = readdirSync('/proc');
    } catch {
      return readCpuSeconds(this.rootPid);
    }
    const parentOf = new Map<number, number>();
    const ticksOf = new Map<number, number>();
    for (const entry of entries) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const pid = Number(entry);
        const ppid = parseStatParentPid(stat);
        if (ppid !== undefined) parentOf.set(pid, ppid);
        const ticks = parseStatCpuTicks(stat);
        if (ticks !== undefined) ticksOf.set(pid, ticks);
      } catch {
        // Ended meanwhile.
      }
    }
    if (!ticksOf.has(this.rootPid) && this.last.size === 0) return undefined;
    const inTree = (pid: number): boolean => {
      for (let p: number | undefined = pid, hops = 0; p !== undefined && hops < 32; p = parentOf.get(p), hops++) {
        if (this.exclude.has(p)) return false;
        if (p === this.rootPid) return true;
      }
      return false;
    };
    for (const [pid, ticks] of ticksOf) {
      if (inTree(pid)) this.last.set(pid, Math.max(this.last.get(pid) ?? 0, ticks / CLOCK_TICKS_PER_S));
    }
    let total = 0;
    for (const [pid, seconds] of this.last) if (!this.exclude.has(pid)) total += seconds;
    return total;
  }
}
