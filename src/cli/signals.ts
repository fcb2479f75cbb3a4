/**
 * Clean stops on SIGINT, SIGTERM and SIGHUP: the first signal runs `stop` and exits 0 once it is
 * done (1 if it failed); a second signal exits 1 at once.
 */
import type { CliLogger } from './logging.js';

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export interface StopOnSignals {
  /** True once a signal asked to stop. */
  readonly stopping: boolean;
}

export function stopOnSignals(log: CliLogger, stop: () => Promise<void>): StopOnSignals {
  const state = { stopping: false };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (state.stopping) {
      log.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    state.stopping = true;
    log.info({ signal }, 'stopping');
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  return state;
}
