"""Peak memory of a process tree, sampled from /proc (Linux): PSS, so shared pages count once."""

from __future__ import annotations

import os
import threading
import time

from typing_extensions import Self


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                ppid = int(fh.read().rsplit(b")", 1)[1].split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue  # the process ended while we looked
        children.setdefault(ppid, []).append(int(entry))
    return children


def tree(root: int) -> list[int]:
    children = _children_map()
    out, stack = [], [root]
    while stack:
        pid = stack.pop()
        out.append(pid)
        stack.extend(children.get(pid, []))
    return out


def pss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return 0
    return 0


class PeakMemory:
    """Samples the summed PSS of `root` and its descendants until stopped.

    Reading PSS makes the kernel walk every page of a process, so a pass over a run of several GiB takes
    tens of milliseconds of CPU: sampling every 0.25 s regardless took 9 s of CPU during a 50 s
    `generate` run, time taken from the run being measured. So the sampler runs at the lowest priority and
    waits at least `overhead` times as long as its last pass took (at most about 1 / overhead of a core).
    """

    def __init__(self, root: int, interval: float = 0.25, overhead: float = 20.0) -> None:
        self.root, self.interval, self.overhead, self.peak = root, interval, overhead, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)  # this thread only
        while not self._stop.is_set():
            started = time.perf_counter()
            self.peak = max(self.peak, sum(pss_bytes(pid) for pid in tree(self.root)))
            self._stop.wait(max(self.interval, self.overhead * (time.perf_counter() - started)))

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
