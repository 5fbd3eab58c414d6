"""Lacquer's reference tracks in a real VST3 host (pedalboard), under Xvfb (issue #14 item 7).

Run by `cargo xtask test` (step f, xtask/src/test/editor.rs) with the venv of the VST3 tests:
    python reference_in_host.py BUNDLE.vst3 [SCREENSHOT.png]
with DISPLAY set to a bare Xvfb that has an XSETTINGS owner (xsettingsd). The bundle is the
assert_process_allocs build: any allocation in process() aborts the process.

A bright reference (noise rising 6 dB per octave under a bass line, 16-bit WAV) is written to a
temporary folder. Instance A: the editor's Assistant page, the reference's path typed into its
field (xdotool) and added; Listen on for 14 s of the damaged mix of listen_in_host.py, Listen
off, the proposal reaches the host's parameters, Accept clicked in the editor; the state is
saved (the host's `raw_state`). Instance B: the same Listen without a reference (the family
target). Then the reference file is deleted and instance C loads A's state and Listens to the
same mix. Checks, one line each:
  1. the reference was analysed and saved: A's state holds its name and analysis;
  2. A's Listen (reference target) changed the host's parameters and Accept kept them (a
     Cancel clicked after Accept changes nothing);
  3. the bright reference gives more top than the family target: tone and high shelf together,
     in dB (tone 100 % is a 3 dB tilt), at least 1 dB more in A than in B;
  4. C, from the saved state without the file, Listens to the same settings as A (every
     watched parameter's normalised value within 1e-6);
  5. C's state still holds the reference (the saved analysis went through the host and back).
The Assistant page is photographed with the reference loaded (SCREENSHOT.png, if given) and
with A's proposal applied (SCREENSHOT-proposal.png).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import json
import wave

import numpy as np
import pedalboard

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from editor_open_close import Checks, intern_wm_atoms  # noqa: E402
from listen_in_host import (ASSISTANT_TAB, BLOCK, LISTEN_S, SAMPLE_RATE,  # noqa: E402
                            WAIT_S, damaged_mix)

# Where the reference path field, and Accept in the Applied state, are drawn in the default
# layout (logical px from the window's top left; see target/reference-host-screenshot.png).
PATH_FIELD = (430, 147)
ADD_BUTTON = (676, 147)
ACCEPT_BUTTON = (326, 72)
CANCEL_BUTTON = (389, 72)
WATCHED = ["drive_db", "tone", "high_shelf_gain_db", "high_shelf_freq_hz", "low_shelf_gain_db",
           "bell_1_gain_db", "bell_2_gain_db", "bell_3_gain_db", "dynamics", "low_width"]


def write_reference(path, seconds=12.0, seed=5):
    """A bright stereo reference: first difference of white noise (+6 dB per octave) over a
    110 Hz bass, 16-bit PCM."""
    n = int(seconds * SAMPLE_RATE)
    rng = np.random.default_rng(seed)
    t = np.arange(n) / SAMPLE_RATE
    bass = 0.05 * np.sin(2 * np.pi * 110 * t)
    channels = []
    for _ in range(2):
        white = rng.uniform(-1, 1, n + 1)
        channels.append(bass + 0.075 * np.diff(white))
    pcm = (np.clip(np.stack(channels, axis=1), -1, 1) * 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(pcm.tobytes())


JUCE_BASE64 = ".ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+"


def saved_references(state):
    """The reference tracks in a host's saved state: pedalboard's `raw_state` is JUCE's VST3
    state XML, whose IComponent element holds the plugin's bytes (nice-plug's JSON) as
    '<size>.<JUCE base64>' (6-bit groups, least significant bits first)."""
    try:
        text = state.split(b"<IComponent>")[1].split(b"</IComponent>")[0].decode()
        size, _, chars = text.partition(".")
        bits = 0
        for i, c in enumerate(chars):
            bits |= JUCE_BASE64.index(c) << (6 * i)
        size = int(size)
        data = (bits & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
        fields = json.loads(data.rstrip(b"\0"))["fields"]
        return json.loads(fields.get("references", "[]"))
    except (IndexError, ValueError, KeyError) as e:
        return f"unreadable state: {e!r}"


def described(references):
    if isinstance(references, str):
        return references
    return ", ".join(f"{r['name']} at {r['weight_pct']} % ({len(r['features']['mid_db'])} "
                     f"bands, {r['features']['integrated_lufs']:.1f} LUFS)" for r in references)


def holds_bright(references):
    return (not isinstance(references, str) and len(references) == 1
            and references[0]["name"] == "bright.wav"
            and len(references[0]["features"]["mid_db"]) > 0)


def values(plugin):
    """The watched parameters' normalised values (0..1, as the host stores them)."""
    return {name: plugin.parameters[name].raw_value for name in WATCHED}


def find_window():
    for _ in range(50):
        found = subprocess.run(["xdotool", "search", "--name", "^Lacquer$"],
                               capture_output=True, text=True).stdout.split()
        if found:
            return found[-1]
        time.sleep(0.1)
    return None


def screenshot(window, path):
    xwd = subprocess.run(["xwd", "-silent", "-id", window], capture_output=True, check=True)
    pnm = subprocess.run(["xwdtopnm"], input=xwd.stdout, capture_output=True, check=True)
    png = subprocess.run(["pnmtopng"], input=pnm.stdout, capture_output=True, check=True)
    with open(path, "wb") as f:
        f.write(png.stdout)


def in_editor(plugin, actions):
    """Opens the editor, runs `actions(window)` on a thread, then closes it; returns the
    thread's error (None when it went through)."""
    close = threading.Event()
    outcome = {}

    def run():
        try:
            window = find_window()
            if window is None:
                outcome["error"] = "no editor window"
                return
            time.sleep(0.5)
            actions(window)
        except Exception as e:  # reported as the check's detail
            outcome["error"] = repr(e)
        finally:
            close.set()

    worker = threading.Thread(target=run)
    worker.start()
    plugin.show_editor(close)
    worker.join()
    return outcome.get("error")


def click(window, point):
    subprocess.run(["xdotool", "mousemove", "--window", window, str(point[0]), str(point[1]),
                    "click", "1"], check=True)
    time.sleep(0.6)


def open_once(plugin):
    """Primes the instance and opens the editor once, so the plugin has a host context."""
    plugin.process(np.zeros((2, BLOCK), np.float32), SAMPLE_RATE, buffer_size=BLOCK, reset=True)
    return in_editor(plugin, lambda window: time.sleep(0.3))


def listen(plugin, mix):
    """Listen on for LISTEN_S of `mix` (paced), off, then blocks until the proposal has reached the
    host's parameters (and a second more); returns the watched values after it."""
    before = values(plugin)
    plugin.listen = True
    pos = 0
    end = int(LISTEN_S * SAMPLE_RATE)
    while pos < end:
        plugin.process(mix[:, pos:pos + BLOCK], SAMPLE_RATE, buffer_size=BLOCK, reset=False)
        pos += BLOCK
        if pos == BLOCK:
            # The capture starts when the background thread has armed the ring (Listen's
            # Start task): wait for it, so every instance captures from the second block on.
            time.sleep(0.2)
        # Paced (about 10x real time) so the background drain keeps up with the 10 s capture
        # ring: run flat out, frames can be dropped, and then A and C would not hear the same.
        time.sleep(0.001)
    plugin.listen = False
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline and pos + BLOCK <= mix.shape[1]:
        plugin.process(mix[:, pos:pos + BLOCK], SAMPLE_RATE, buffer_size=BLOCK, reset=False)
        pos += BLOCK
        if values(plugin) != before:
            for _ in range(int(SAMPLE_RATE / BLOCK)):
                if pos + BLOCK > mix.shape[1]:
                    break
                plugin.process(mix[:, pos:pos + BLOCK], SAMPLE_RATE, buffer_size=BLOCK,
                               reset=False)
                pos += BLOCK
            break
        time.sleep(0.002)
    return values(plugin)


def tone_pct(v):
    """The Tone macro, -100..100 % (linear in its normalised value)."""
    return v["tone"] * 200.0 - 100.0


def shelf_db(v):
    """The high shelf's gain, -12..12 dB (linear in its normalised value)."""
    return v["high_shelf_gain_db"] * 24.0 - 12.0


def top_db(v):
    """High shelf gain plus the tone macro's tilt (3 dB at 100 %), dB."""
    return shelf_db(v) + tone_pct(v) / 100.0 * 3.0


def main():
    intern_wm_atoms()
    bundle = sys.argv[1]
    shot = sys.argv[2] if len(sys.argv) > 2 else None
    check = Checks("reference host check: ")
    folder = tempfile.mkdtemp(prefix="lacquer-reference-")
    reference = os.path.join(folder, "bright.wav")
    write_reference(reference)
    mix = damaged_mix(LISTEN_S + WAIT_S)

    # A: add the reference in the editor, Listen, Accept, save.
    a = pedalboard.load_plugin(bundle)
    open_once(a)

    def add(window):
        click(window, ASSISTANT_TAB)
        click(window, PATH_FIELD)
        subprocess.run(["xdotool", "type", "--delay", "20", reference], check=True)
        time.sleep(0.3)
        click(window, ADD_BUTTON)
        time.sleep(3.0)  # decoding and analysis on the background thread
        if shot:
            screenshot(window, shot)

    error = in_editor(a, add)
    saved = saved_references(bytes(a.raw_state))
    check("the reference is analysed and saved in the project",
          error is None and holds_bright(saved), f"{error or 'added'}; saved: {described(saved)}")

    before = values(a)
    after_listen = listen(a, mix)
    def accept(window):
        click(window, ASSISTANT_TAB)
        if shot:
            screenshot(window, shot.replace(".png", "-proposal.png"))
        click(window, ACCEPT_BUTTON)
        # After Accept, Cancel has nothing left to undo: the values must stay.
        click(window, CANCEL_BUTTON)

    error = in_editor(a, accept)
    pos = int(LISTEN_S * SAMPLE_RATE)
    for _ in range(4):
        a.process(mix[:, pos:pos + BLOCK], SAMPLE_RATE, buffer_size=BLOCK, reset=False)
        pos += BLOCK
    accepted = values(a)
    changed = sorted(k for k in WATCHED if after_listen[k] != before[k])
    check("Listen against the reference changes the host's parameters and Accept keeps them",
          error is None and "tone" in changed and len(changed) >= 3
          and accepted == after_listen,
          f"{error or 'accepted'}; changed: {changed}; Drive {a.drive_db}")
    state = bytes(a.raw_state)

    # B: the same Listen against the family target.
    b = pedalboard.load_plugin(bundle)
    open_once(b)
    family = listen(b, mix)
    check("a bright reference gives more top than the family target",
          top_db(accepted) > top_db(family) + 1.0,
          f"reference: tone {tone_pct(accepted):.0f} %, high shelf {shelf_db(accepted):.1f} dB "
          f"({top_db(accepted):.1f} dB); family: tone {tone_pct(family):.0f} %, high shelf "
          f"{shelf_db(family):.1f} dB ({top_db(family):.1f} dB)")

    # C: the project reopened without the reference file.
    shutil.rmtree(folder)
    c = pedalboard.load_plugin(bundle)
    c.raw_state = state
    open_once(c)
    # The settings A's Listen chose are in the state too: put the watched ones back to a new
    # instance's values first, so C's Listen has to set them again.
    for name in WATCHED:
        c.parameters[name].raw_value = before[name]
    again = listen(c, mix)
    differing = {k: (accepted[k], again[k]) for k in WATCHED
                 if abs(accepted[k] - again[k]) > 1e-6}
    check("the reopened project without the file Listens to the same settings",
          not os.path.exists(reference) and not differing,
          f"differing (A, C): {differing}")
    saved = saved_references(bytes(c.raw_state))
    check("the reopened project still holds the reference", holds_bright(saved),
          f"saved: {described(saved)}")
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
