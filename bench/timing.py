"""The benchmarks' one timing helper: medians of repeated runs, in-process or of a subprocess with its peak memory."""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Measure:
    seconds: float  # the median wall time
    runs: int
    peak_kb: int  # the largest resident set of the runs (subprocesses only; 0 in-process)
    cpu_seconds: float = 0.0  # the median processor time (user + system): what other processes' load hides


def median_call(function: Callable[[], object], repeat: int, setup: Callable[[], object] | None = None) -> Measure:
    """Time function() repeat times in this process (setup() first, untimed, each time)."""
    times, cpu = [], []
    for _ in range(repeat):
        if setup is not None:
            setup()
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return Measure(statistics.median(times), repeat, 0, statistics.median(cpu))


def median_run(command: Sequence[str], repeat: int, env: dict[str, str] | None = None,
               setup: Callable[[], object] | None = None, ok_codes: Sequence[int] = (0,)) -> Measure:
    """Run a command repeat times (setup() first, untimed); its median wall time and its peak memory.

    The peak is the child's own ru_maxrss, read with os.wait4 on its pid: no other process counts.
    """
    times, peaks, cpu = [], [], []
    for _ in range(repeat):
        if setup is not None:
            setup()
        with tempfile.TemporaryFile() as errors:  # a file, not a pipe: nothing blocks while we wait
            start = time.perf_counter()
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors, env=env)
            _, status, usage = os.wait4(process.pid, 0)
            elapsed = time.perf_counter() - start
            process.returncode = os.waitstatus_to_exitcode(status)
            if process.returncode not in ok_codes:
                errors.seek(0)
                message = errors.read().decode(errors="replace")[-2000:]
                raise RuntimeError(f"{' '.join(command)} exited {process.returncode}: {message}")
        times.append(elapsed)
        peaks.append(usage.ru_maxrss)  # kilobytes on Linux
        cpu.append(usage.ru_utime + usage.ru_stime)
    return Measure(statistics.median(times), repeat, max(peaks), statistics.median(cpu))
