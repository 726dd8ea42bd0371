// Preloaded (`node --import ./scripts/dev-child.mjs`) into each process `npm run dev` starts, so that it ends
// when dev ends, however dev ends. dev holds the other end of this process's stdin: when dev exits, even by
// SIGKILL, the pipe closes and this process stops as on SIGTERM (jobs finish, leases are released).
const GRACE_MS = 30_000;
let ended = false;
function parentGone() {
  if (ended) return;
  ended = true;
  process.kill(process.pid, 'SIGTERM');
  // The process's own shutdown is bounded already; this is the last word if it hangs anyway.
  setTimeout(() => process.exit(1), GRACE_MS).unref();
}
if (process.stdin.isTTY !== true) {
  process.stdin.on('end', parentGone);
  process.stdin.on('close', parentGone);
  process.stdin.on('error', parentGone);
  process.stdin.resume();
  // Watching stdin must not keep an otherwise finished process alive.
  process.stdin.unref?.();
}
