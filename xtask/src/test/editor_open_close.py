"""Lacquer's editor opened and closed 50 times in a real VST3 host (pedalboard), under Xvfb.

Run by `cargo xtask test` (step f, xtask/src/test/editor.rs) with the venv of the VST3 tests:
    python editor_open_close.py BUNDLE.vst3
with DISPLAY set to a bare Xvfb that has an XSETTINGS owner (xsettingsd). While the editor
opens and closes, a second thread keeps calling process() on the same instance (the bundle is
the assert_process_allocs build: any allocation in process() aborts). Prints one line per
check and a closing `N passed, N failed` line. Checks:
  1. 50 open/close cycles complete (no crash, no hang);
  2. the audio thread kept processing throughout (blocks counted in every cycle);
  3. no process() call took longer than STALL_LIMIT_S (no waiting on the GUI).
  4. resident memory grows by less than MAX_GROWTH_PER_CYCLE_MB per cycle from cycle 10 on
     (a guard against gross leaks such as a lost egui context with its fonts, several MB each).
The editor's own heap is checked exactly by crates/plugin/tests/editor.rs (counting allocator, 50 cycles,
no growth). Here the resident memory also holds the host's, the window system's and Mesa's,
and it grows by about 0.4 MB per cycle (150 cycles: 202 -> 262 MB). heaptrack (Debian
package) attributes that growth outside Lacquer's code: Mesa's software GL driver
(swrast_dri.so, a GL context per window) and baseview 0.4.2's keyboard state, which never
unrefs the xkb keymap it creates for each window (src/wrappers/xkbcommon.rs: about 37 KB per
window); nothing allocated by Lacquer's own code grows per cycle.
"""

import ctypes
import os
import sys
import threading
import time

import numpy as np
import pedalboard

NUM_CYCLES = int(os.environ.get("LACQUER_EDITOR_CYCLES", "50"))
OPEN_S = 0.25
STALL_LIMIT_S = 0.25
MAX_GROWTH_PER_CYCLE_MB = 1.5
SAMPLE_RATE = 48000
BLOCK = 512

# pedalboard's JUCE window code expects the atoms a window manager would have created.
WM_ATOMS = [
    "WM_PROTOCOLS", "WM_DELETE_WINDOW", "WM_STATE", "WM_CHANGE_STATE", "WM_TAKE_FOCUS",
    "UTF8_STRING", "CLIPBOARD", "TARGETS", "_MOTIF_WM_HINTS", "_NET_SUPPORTED",
    "_NET_ACTIVE_WINDOW", "_NET_WM_NAME", "_NET_WM_PID", "_NET_WM_PING", "_NET_WM_ICON",
    "_NET_WM_STATE", "_NET_WM_STATE_ABOVE", "_NET_WM_STATE_HIDDEN", "_NET_WM_STATE_FULLSCREEN",
    "_NET_WM_STATE_SKIP_TASKBAR", "_NET_WM_WINDOW_TYPE", "_NET_WM_WINDOW_TYPE_NORMAL",
    "_NET_WM_WINDOW_TYPE_DIALOG", "_NET_WM_USER_TIME", "_NET_FRAME_EXTENTS",
    "_NET_WM_BYPASS_COMPOSITOR", "_NET_WM_SYNC_REQUEST", "_NET_WM_SYNC_REQUEST_COUNTER",
    "_XEMBED", "_XEMBED_INFO", "XdndAware", "XdndEnter", "XdndLeave", "XdndPosition",
    "XdndStatus", "XdndDrop", "XdndFinished", "XdndSelection", "XdndTypeList",
    "XdndActionList", "XdndActionCopy", "XdndActionPrivate", "_XSETTINGS_SETTINGS",
]


def intern_wm_atoms():
    """Creates the atoms on the X server (kept after we disconnect: Xvfb runs -noreset)."""
    x11 = ctypes.cdll.LoadLibrary("libX11.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    display = x11.XOpenDisplay(None)
    if not display:
        raise SystemExit("cannot open the X display: is DISPLAY set to a running Xvfb?")
    for name in WM_ATOMS:
        x11.XInternAtom(display, name.encode(), 0)
    x11.XCloseDisplay(display)


class Checks:
    """One line per check, `PREFIX NAME ... ok|FAILED (DETAIL)`, then `N passed, N failed`."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.passed = 0
        self.failed = 0

    def __call__(self, name, ok, detail):
        print(f"{self.prefix}{name} ... {'ok' if ok else 'FAILED'} ({detail})", flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1

    def summary(self):
        """Prints the closing line; the exit status (0 when nothing failed)."""
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        return 0 if self.failed == 0 else 1


def rss_mb():
    """Resident memory, MB, after glibc returned its free pages (so freed windows don't count)."""
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def main():
    intern_wm_atoms()
    plugin = pedalboard.load_plugin(sys.argv[1])
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    rng = np.random.default_rng(7)
    music = np.stack(
        [
            0.3 * np.sin(2 * np.pi * 110 * t) + 0.05 * rng.standard_normal(SAMPLE_RATE),
            0.3 * np.sin(2 * np.pi * 111 * t) + 0.05 * rng.standard_normal(SAMPLE_RATE),
        ]
    ).astype(np.float32)

    stop = threading.Event()
    stats = {"blocks": 0, "longest_s": 0.0}

    def audio():
        pos = 0
        while not stop.is_set():
            block = music[:, pos : pos + BLOCK]
            pos = (pos + BLOCK) % (SAMPLE_RATE - BLOCK)
            start = time.perf_counter()
            plugin.process(block, SAMPLE_RATE, buffer_size=BLOCK, reset=False)
            stats["longest_s"] = max(stats["longest_s"], time.perf_counter() - start)
            stats["blocks"] += 1
            time.sleep(0.002)

    thread = threading.Thread(target=audio, daemon=True)
    thread.start()
    check = Checks("editor host check: ")

    rss_at_10 = None
    starved = []
    completed = 0
    for cycle in range(NUM_CYCLES):
        close = threading.Event()
        timer = threading.Timer(OPEN_S, close.set)
        timer.start()
        blocks_before = stats["blocks"]
        plugin.show_editor(close)
        timer.join()
        if stats["blocks"] == blocks_before:
            starved.append(cycle)
        completed += 1
        if cycle == 9:
            rss_at_10 = rss_mb()
        if cycle % 10 == 9:
            print(f"cycle {cycle + 1}: resident memory {rss_mb():.1f} MB", flush=True)
    rss_at_end = rss_mb()
    stop.set()
    thread.join(timeout=5)

    check(f"{NUM_CYCLES} editor open/close cycles in pedalboard", completed == NUM_CYCLES,
          f"{completed} completed")
    if rss_at_10 is not None:
        print(f"resident memory after cycle 10: {rss_at_10:.1f} MB, at the end: "
              f"{rss_at_end:.1f} MB", flush=True)
    check("audio kept running while the editor opened and closed", not starved,
          f"{stats['blocks']} blocks; cycles without audio: {starved}")
    check("no process() call waited on the GUI", stats["longest_s"] < STALL_LIMIT_S,
          f"longest process() call {stats['longest_s'] * 1000:.1f} ms")
    if rss_at_10 is not None and completed > 10:
        per_cycle = (rss_at_end - rss_at_10) / (completed - 10)
        check("resident memory grows by less than "
              f"{MAX_GROWTH_PER_CYCLE_MB} MB per open/close cycle", per_cycle < MAX_GROWTH_PER_CYCLE_MB,
              f"{per_cycle:.2f} MB per cycle from cycle 10 to {completed}")
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
