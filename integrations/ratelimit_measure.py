"""Measuring how a limiter shares a provider's window (used by the test and the benchmark).

These machines can stop every process for most of a second (CPU is granted by the host in
bursts). Budget that frees while nothing runs is lost to any limiter, so utilization is reported
against the capacity of the time the machine actually ran, measured by `PauseWatcher`."""

import threading
import time


class PauseWatcher:
    """Records how long the machine did not run us: gaps in a short sleep loop."""

    def __init__(self, tick=0.005, threshold=0.03):
        self.tick, self.threshold = tick, threshold
        self.pauses = []  # (start, end) in time.time()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        last = time.time()
        while not self._stop.is_set():
            time.sleep(self.tick)
            now = time.time()
            if now - last > self.threshold:
                self.pauses.append((last + self.tick, now))
            last = now

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def paused_between(self, start, end):
        return sum(max(0.0, min(b, end) - max(a, start)) for a, b in self.pauses)


def busiest_window(stamps, window):
    """The most admissions inside any window of the given length."""
    stamps = sorted(stamps)
    best, j = 0, 0
    for i, start in enumerate(stamps):
        while j < len(stamps) and stamps[j] < start + window:
            j += 1
        best = max(best, j - i)
    return best


def share_used(stamps, *, limit, window, start, end, watcher=None, step=0.01):
    """The mean fill of a sliding window over the run: for windows [t, t+window) from `start` to
    `end - window`, admissions inside as a share of the limit (1.0 is every window full), counting
    only windows with no pause in them or in the window before (whose admissions they inherit).
    Returns (share, number of windows judged)."""
    stamps = sorted(stamps)
    fills, t, i, j = [], start, 0, 0
    while t + window <= end:
        while i < len(stamps) and stamps[i] < t:
            i += 1
        while j < len(stamps) and stamps[j] < t + window:
            j += 1
        # A window in which the machine stopped us says nothing about the limiter: skip it.
        if not (watcher and watcher.paused_between(t - window, t + window) > 0):
            fills.append((j - i) / limit)
        t += step
    return (sum(fills) / len(fills) if fills else 0.0), len(fills)
