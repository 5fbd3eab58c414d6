"""Lacquer's Listen in a real VST3 host (pedalboard), under Xvfb: the assistant's decisions
arrive as parameter changes the host sees, and capture never allocates on the audio thread.

Run by `cargo xtask test` (step f, xtask/src/test/editor.rs) with the venv of the VST3 tests:
    python listen_in_host.py BUNDLE.vst3
with DISPLAY set to a bare Xvfb that has an XSETTINGS owner (xsettingsd). The bundle is the
assert_process_allocs build: any allocation in process() aborts the process.

nice-plug gives a plugin the host context it sets parameters through only with an editor, so
the editor is opened once (briefly) first; the rest runs with the editor closed, as a user who
automates "Listen" from the host would. Steps: Listen on (the host parameter), 14 s of a
damaged music-like mix in 512-sample blocks, Listen off, then more blocks until the assistant's
settings reach the host's parameters (at most 60 s). Checks, one line each:
  1. the host saw the assistant change parameters (Drive among them) after Listen;
  2. Listen itself is still off and nothing changed before Listen went off;
  3. the processed output is finite and under the ceiling after the change;
  4. Cancel, clicked in the editor (xdotool, at the Assistant tab and the Cancel button of the
     default 960x600 layout at 100 % zoom), puts every parameter back exactly (normalised
     values compared bit for bit).
"""

import os
import subprocess
import sys
import threading
import time

import numpy as np
import pedalboard

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from editor_open_close import Checks, intern_wm_atoms  # noqa: E402

SAMPLE_RATE = 48000
BLOCK = 512
LISTEN_S = 14.0
WAIT_S = 60.0
WATCHED = ["drive_db", "tone", "dynamics", "bell_1_gain_db", "bell_1_freq_hz", "low_width",
           "ceiling_dbtp"]


def damaged_mix(seconds, seed=11):
    """A music-like stereo mix near -24 LUFS with a 5 dB mud bump's worth of 250 Hz energy."""
    n = int(seconds * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    rng = np.random.default_rng(seed)
    pulse = 0.5 + 0.5 * np.abs(np.sin(2 * np.pi * 2.0 * t))
    bass = 0.08 * np.sin(2 * np.pi * 55 * t)
    mud = 0.06 * np.sin(2 * np.pi * 250 * t)
    line = 0.03 * pulse * np.sin(2 * np.pi * 1320 * t)
    common = 0.02 * rng.standard_normal(n)
    left = bass + mud + line + common + 0.01 * rng.standard_normal(n)
    right = bass + mud + 0.7 * line + common + 0.01 * rng.standard_normal(n)
    return np.stack([left, right]).astype(np.float32)


# Where the Assistant tab and, in the Applied state, the Cancel button are drawn in the default
# layout (logical px from the window's top left; see the README's assistant screenshot).
ASSISTANT_TAB = (250, 16)
CANCEL_BUTTON = (389, 72)


def values(plugin):
    return {name: getattr(plugin, name) for name in WATCHED}


def raw_values(plugin):
    return {name: p.raw_value for name, p in plugin.parameters.items()}


def click_in_editor(points, close):
    """Waits for the editor window, clicks each point (with a pause), then closes it."""
    try:
        window = None
        for _ in range(50):
            found = subprocess.run(["xdotool", "search", "--name", "^Lacquer$"],
                                   capture_output=True, text=True).stdout.split()
            if found:
                window = found[-1]
                break
            time.sleep(0.1)
        if window is None:
            return "no editor window"
        time.sleep(0.5)
        for x, y in points:
            subprocess.run(["xdotool", "mousemove", "--window", window, str(x), str(y),
                            "click", "1"], check=True)
            time.sleep(0.6)
        return None
    finally:
        close.set()


def main():
    intern_wm_atoms()
    plugin = pedalboard.load_plugin(sys.argv[1])
    check = Checks("listen host check: ")

    # Prime the instance, then open the editor once so the plugin has a host context.
    plugin.process(np.zeros((2, BLOCK), np.float32), SAMPLE_RATE, buffer_size=BLOCK, reset=True)
    close = threading.Event()
    timer = threading.Timer(0.5, close.set)
    timer.start()
    plugin.show_editor(close)
    timer.join()

    before = values(plugin)
    before_raw = raw_values(plugin)
    mix = damaged_mix(LISTEN_S + WAIT_S)
    plugin.listen = True
    pos = 0
    listen_end = int(LISTEN_S * SAMPLE_RATE)
    while pos < listen_end:
        plugin.process(mix[:, pos : pos + BLOCK], SAMPLE_RATE, buffer_size=BLOCK, reset=False)
        pos += BLOCK
    during = values(plugin)
    plugin.listen = False

    deadline = time.monotonic() + WAIT_S
    after = values(plugin)
    out = None
    while time.monotonic() < deadline and pos + BLOCK <= mix.shape[1]:
        out = plugin.process(mix[:, pos : pos + BLOCK], SAMPLE_RATE, buffer_size=BLOCK,
                             reset=False)
        pos += BLOCK
        after = values(plugin)
        if after != before:
            # Let the rest of the gestures land and the chain follow for a second.
            for _ in range(int(SAMPLE_RATE / BLOCK)):
                if pos + BLOCK > mix.shape[1]:
                    break
                out = plugin.process(mix[:, pos : pos + BLOCK], SAMPLE_RATE,
                                     buffer_size=BLOCK, reset=False)
                pos += BLOCK
            after = values(plugin)
            break
        time.sleep(0.002)

    changed = sorted(k for k in WATCHED if after[k] != before[k])
    check("the host sees the assistant's parameter changes after Listen",
          "drive_db" in changed and len(changed) >= 2,
          f"changed: {changed}; drive {before['drive_db']} -> {after['drive_db']}")
    check("nothing changed while listening, and Listen is off",
          during == before and not plugin.listen,
          f"listen={plugin.listen}; before {before}; while listening {during}")
    if out is not None:
        ceiling = 10 ** (after["ceiling_dbtp"] / 20.0) if isinstance(after["ceiling_dbtp"], float) else 1.0
        peak = float(np.max(np.abs(out)))
        check("the output after the change is finite and under the ceiling",
              bool(np.all(np.isfinite(out))) and peak <= ceiling * 1.0001,
              f"peak {peak:.4f}, ceiling {ceiling:.4f}")
    else:
        check("the output after the change is finite and under the ceiling", False,
              "no block processed")

    # Cancel from the editor: the Assistant page, then Cancel.
    close = threading.Event()
    outcome = {}
    clicker = threading.Thread(
        target=lambda: outcome.update(error=click_in_editor([ASSISTANT_TAB, CANCEL_BUTTON],
                                                            close)))
    clicker.start()
    plugin.show_editor(close)
    clicker.join()
    # A few blocks so every path (host and plugin) has seen the restored values.
    for _ in range(4):
        if pos + BLOCK > mix.shape[1]:
            break
        plugin.process(mix[:, pos : pos + BLOCK], SAMPLE_RATE, buffer_size=BLOCK, reset=False)
        pos += BLOCK
    after_cancel = raw_values(plugin)
    differing = sorted(k for k in before_raw if after_cancel[k] != before_raw[k])
    check("Cancel in the editor restores every parameter exactly",
          outcome.get("error") is None and not differing,
          f"{outcome.get('error') or 'clicked'}; differing: {differing}")
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
