/** Runs once when the console's server starts: background work of the server process. */
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { ensureAlertLoop } = await import('./server/alert-loop');
  ensureAlertLoop();
}
