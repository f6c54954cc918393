/**
 * The render time limit counts the render process's CPU time, not the wall clock
 * (docs/security.md, "Render processes"): on a busy machine a process at a lower priority may
 * wait for the CPU, and a template that needs 10 ms must not fail because it waited for a second.
 * The wall clock still ends a render at WALL_FACTOR × the limit, whatever the CPU time says.
 */
import { readFileSync } from 'node:fs';

/** A render is stopped after this many times its limit of wall-clock time in any case. */
export const WALL_FACTOR = 10;
/** Linux reports CPU time in clock ticks of 1/100 s (USER_HZ). */
const TICK_MS = 10;

/** CPU time (user + system) a process has used, in ms; null where /proc cannot tell (not Linux). */
export function processCpuMs(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * TICK_MS : null;
  } catch {
    return null;
  }
}

/**
 * When the limit's timer fires: how much longer the render may run (ms), or 0 to stop it now.
 * `cpuMs` null (unknown) stops it at once, as a wall-clock limit would.
 */
export function renderTimeLeft(limitMs: number, cpuMs: number | null, wallMs: number): number {
  if (cpuMs === null) return 0;
  const wallLeft = limitMs * WALL_FACTOR - wallMs;
  const cpuLeft = limitMs - cpuMs;
  if (wallLeft <= 0 || cpuLeft <= 0) return 0;
  // At least one tick, so a render short of its limit by less is not polled in a tight loop.
  return Math.min(wallLeft, Math.max(cpuLeft, TICK_MS));
}
