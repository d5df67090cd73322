/** The organization's figures follow usage: read again every few seconds while the tab is shown. */
import { useEffect } from 'preact/hooks';
import { formatTime } from '../format.js';

export const refreshSeconds = 4;

/**
 * Runs `refresh` now, then `refreshSeconds` after each run ends, one run at
 * a time, and again as soon as a hidden tab is shown.
 * @param {() => Promise<void>} refresh a new function starts the loop over
 * @param {(err: unknown) => void} onError a failed run; the loop goes on
 */
export function useLiveRefresh(refresh, onError) {
  useEffect(() => {
    let stopped = false;
    let inFlight = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    const tick = async () => {
      clearTimeout(timer);
      if (inFlight) return;
      inFlight = true;
      // A hidden tab asks for nothing; it catches up when shown again.
      try {
        if (!document.hidden) await refresh();
      } catch (err) {
        if (!stopped) onError(err);
      } finally {
        inFlight = false;
      }
      if (!stopped) timer = setTimeout(tick, refreshSeconds * 1000);
    };
    const onVisible = () => {
      if (!document.hidden) void tick();
    };
    void tick();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [refresh]);
}

/**
 * "Live · updated 10:42:07", or "Not updating" while refreshing fails.
 * @param {{ stale: boolean, updatedAt: Date | null }} props
 */
export function LiveStatus({ stale, updatedAt }) {
  return (
    <p class={stale ? 'live live-stale' : 'live'}>
      <span class="live-dot" aria-hidden="true" />
      {stale ? 'Not updating' : 'Live'} · updated {updatedAt ? formatTime(updatedAt) : '—'}
      <span class="visually-hidden">; figures refresh every {refreshSeconds} seconds</span>
    </p>
  );
}
