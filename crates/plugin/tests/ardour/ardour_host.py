#!/usr/bin/env python3
"""Lacquer.vst3 on the master bus of a real DAW: Ardour 7, headless (run by `cargo xtask test`).

    python3 ardour_host.py --vst3 target/bundled/Lacquer.vst3 --lacquer target/release/lacquer \
        --work target/ardour

session.lua (ardour7-lua, dummy backend) makes each session: one stereo track, Lacquer first on
the master bus with the scenario's settings, automation and bypass; this script adds the test
input's region to the saved XML (Ardour 7 has no audio import in Lua), reloads the session to
read the state back, exports the session range with ardour7-export (32-bit float, so no dither)
and compares the export with `lacquer master --no-assist` renders of the same input. Standard
library only (wave cannot read float WAVs: the RIFF chunks are read here).

Checks, one line each (PASS / FAIL / XFAIL = expected failure, reported with its reason), then a
pytest-style closing line `N passed, N failed, N skipped, N xfailed in S s`:
  dry      the session without Lacquer exports the input exactly (Ardour itself is transparent);
  static   Drive +6 dB, Ceiling -2 dBTP: the export equals the CLI's render within 1e-6 (in
           fact bit for bit). Ardour runs silence through the plugin before the region (the
           engine runs it from activation on, and the export pre-roll), here 1 sample more than
           a multiple of 8; the chain passes silence before the first sound over, so this does
           not count. Before it did, the limiter's bass tracker (every 8th sample from its
           reset) saw the music on another grid and the export differed by up to 0.0165 from
           sample 281 on. On a failure the check says which lead-in of silence, 1 to 7 samples,
           the export matches (`silence_residue`);
  state    the reload gives back every parameter value, the automation lane and the bypass;
  automation  a Drive lane 0 -> +12 dB at 2 s: the output leaves the Drive 0 render there (late
           by the plugin's latency: Ardour's timing, see the check) and ends at the +12 dB
           render's level; an Output lane -12 -> 0 dB lands on its sample;
  bypass   Ardour's bypass of Lacquer (its mixer-strip switch) gives the dry input back exactly,
           with Match Loudness off and with it on (the default).

Ardour 7.3 quirks handled here, not blamed on the plugin: the dummy backend is hidden unless
`hide-dummy-backend` is 0 in its config; headless Ardour only reads its plugin cache, so
ardour-vst3-scanner indexes the bundle first; ardour7-export sometimes crashes (double free)
after writing a complete file or hangs at shutdown: every Ardour process has a timeout and the
export is retried. Ardour runs with its own HOME and XDG folders under --work. Ardour 7.3 adds its
port resampler's latency (port-resampler-quality - 1 = 16 samples by default) to a port's
latency only while the port counts as externally connected, and whether the master outputs do
when the latencies are computed depends on thread timing during the session load (the master
output's playback latency read back after a load is 256 or 272 samples, run to run): 3 of
506 bypass exports under load came out exactly 16 samples early or late (the checks failed
with the input back bit for bit but shifted, "0.408 at sample 1" / "at sample 17"). The test
never varispeeds, so the config sets port-resampler-quality to 0 (no resampler, no latency
term, the same value every run).
"""

import argparse
import array
import math
import os
import random
import shutil
import struct
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
LUA = HERE / "session.lua"
RATE = 48_000
SECONDS = 4
FRAMES = RATE * SECONDS
# The session range runs this far past the input so that a shifted export would show.
TAIL = RATE // 4
SUPERCLOCK_PER_SAMPLE = 282_240_000 // RATE
TOLERANCE = 1e-6
AUTOMATION_AT = 2 * RATE
LUA_TIMEOUT_S = 120
EXPORT_TIMEOUT_S = 180
EXPORT_TRIES = 3
# A crashed export's file is kept only if no sample is over this (the sessions' signals are
# music at most a few dB over full scale, or Lacquer's output under its ceiling).
EXPORT_PLAUSIBLE_PEAK = 16.0
ARDOUR_LIB = Path("/usr/lib/ardour7")
CONFIG = """<?xml version="1.0" encoding="UTF-8"?>
<Ardour>
  <Config>
    <Option name="hide-dummy-backend" value="0"/>
    <Option name="default-automation-time-domain" value="AudioTime"/>
    <Option name="port-resampler-quality" value="0"/>
  </Config>
</Ardour>
"""


class Skip(Exception):
    """Ardour is not there: the whole run is skipped with this reason."""


class Results:
    def __init__(self):
        self.counts = {"passed": 0, "failed": 0, "skipped": 0, "xfailed": 0}
        self.lines = []

    def check(self, name, ok, detail, xfail=None):
        """Records one check. `xfail` names why a failure is expected (it is then counted as
        xfailed and printed with the reason; an expected failure that passes is a failure)."""
        if xfail is None:
            word, key = ("PASS", "passed") if ok else ("FAIL", "failed")
        elif ok:
            word, key = "FAIL", "failed"
            detail += f" (was expected to fail: {xfail}; remove the expectation)"
        else:
            word, key = "XFAIL", "xfailed"
            detail += f" -- expected failure: {xfail}"
        self.counts[key] += 1
        self.lines.append(f"{word} {name}: {detail}")
        print(self.lines[-1], flush=True)


# ---- WAV files (32-bit float) --------------------------------------------------------------


def write_wav(path, channels):
    """Writes float32 WAV (format 3) from a list of equally long channel arrays."""
    frames = len(channels[0])
    data = array.array("f", [0.0]) * (frames * len(channels))
    for c, samples in enumerate(channels):
        data[c :: len(channels)] = array.array("f", samples)
    if sys.byteorder != "little":
        data.byteswap()
    raw = data.tobytes()
    n = len(channels)
    fmt = struct.pack("<HHIIHH", 3, n, RATE, RATE * 4 * n, 4 * n, 32)
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + 4 + 8 + len(raw)) + b"WAVE")
        f.write(b"fmt " + struct.pack("<I", len(fmt)) + fmt)
        f.write(b"fact" + struct.pack("<II", 4, frames))
        f.write(b"data" + struct.pack("<I", len(raw)) + raw)


def read_wav(path):
    """Reads a 32-bit float WAV (plain or extensible); returns (rate, [channel arrays])."""
    blob = Path(path).read_bytes()
    if blob[:4] != b"RIFF" or blob[8:12] != b"WAVE":
        raise ValueError(f"{path}: not a RIFF/WAVE file")
    pos, fmt, data = 12, None, None
    while pos + 8 <= len(blob):
        cid, size = blob[pos : pos + 4], struct.unpack("<I", blob[pos + 4 : pos + 8])[0]
        body = blob[pos + 8 : pos + 8 + size]
        if cid == b"fmt ":
            fmt = body
        elif cid == b"data":
            data = body
            if len(body) != size:
                raise ValueError(f"{path}: data chunk cut short ({len(body)} of {size} bytes)")
        pos += 8 + size + (size & 1)
    if fmt is None or data is None:
        raise ValueError(f"{path}: no fmt or data chunk")
    tag, n, rate, _, _, bits = struct.unpack("<HHIIHH", fmt[:16])
    if tag == 0xFFFE:
        tag = struct.unpack("<H", fmt[24:26])[0]
    if tag != 3 or bits != 32:
        raise ValueError(f"{path}: format {tag}/{bits} bits, expected 32-bit float")
    samples = array.array("f")
    samples.frombytes(data[: len(data) // 4 * 4])
    if sys.byteorder != "little":
        samples.byteswap()
    return rate, [samples[c::n] for c in range(n)]


# ---- the test input ------------------------------------------------------------------------


def music_like():
    """4 s of kick, bass, chord and noise hats (seeded), peak -3 dBFS: Drive +6 dB limits it."""
    rng = random.Random(99)
    left, right = [], []
    tau = 2 * math.pi
    for i in range(FRAMES):
        t = i / RATE
        beat = (t * 2.0) % 1.0
        kick = math.sin(tau * (50 + 80 * math.exp(-beat * 30)) * beat) * math.exp(-beat * 8)
        bass = 0.5 * math.sin(tau * 55 * t)
        chord = 0.2 * (
            math.sin(tau * 220.0 * t) + math.sin(tau * 277.2 * t) + math.sin(tau * 329.6 * t)
        )
        hats = 0.2 * rng.uniform(-1, 1) * math.exp(-((t * 8) % 1.0) * 40)
        left.append(kick + bass + chord + hats)
        right.append(kick + bass + 0.8 * chord - hats)
    peak = max(max(map(abs, left)), max(map(abs, right)))
    scale = 10 ** (-3 / 20) / peak
    return [array.array("f", (x * scale for x in ch)) for ch in (left, right)]


# ---- running Ardour ------------------------------------------------------------------------


class Ardour:
    def __init__(self, work, vst3):
        self.work = work
        home = work / "home"
        if home.exists():
            shutil.rmtree(home)
        (home / ".config" / "ardour7").mkdir(parents=True)
        (home / ".config" / "ardour7" / "config").write_text(CONFIG)
        self.env = dict(
            os.environ,
            HOME=str(home),
            XDG_CONFIG_HOME=str(home / ".config"),
            XDG_CACHE_HOME=str(home / ".cache"),
            XDG_DATA_HOME=str(home / ".local" / "share"),
        )
        self.env.pop("VST3_PATH", None)
        # The bundle goes where Ardour looks (~/.vst3) and is indexed there by absolute path;
        # copy2 keeps its modification time, so the cache written next is the newer file.
        bundle = home / ".vst3" / "Lacquer.vst3"
        shutil.copytree(vst3, bundle, copy_function=shutil.copy2)
        scanner = ARDOUR_LIB / "ardour-vst3-scanner"
        env = dict(self.env, LD_LIBRARY_PATH=str(ARDOUR_LIB))
        out = self.run([str(scanner), "-f", str(bundle)], env=env, timeout=120)
        if out.returncode != 0 or "Found Plugin: Lacquer" not in out.stdout + out.stderr:
            raise RuntimeError(
                f"ardour-vst3-scanner did not index {bundle} (exit {out.returncode}):\n"
                + tail(out.stdout + out.stderr)
            )

    def run(self, argv, timeout, env=None):
        """Runs an Ardour process with a timeout; a hang is killed with its process group."""
        proc = subprocess.Popen(
            argv,
            env=env or self.env,
            cwd=self.work,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,
        )
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
            return subprocess.CompletedProcess(argv, proc.returncode, stdout, stderr)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            stdout, stderr = proc.communicate()
            return subprocess.CompletedProcess(argv, "timeout", stdout, stderr)

    def lua(self, *args):
        """Runs session.lua; returns its `LACQUER key value...` lines as lists of fields."""
        out = self.run(["ardour7-lua", str(LUA), *map(str, args)], timeout=LUA_TIMEOUT_S)
        lines = [
            line.split("\t")[1:] for line in out.stdout.splitlines() if line.startswith("LACQUER\t")
        ]
        if out.returncode != 0 or ["done"] not in lines:
            raise RuntimeError(
                f"ardour7-lua session.lua {' '.join(map(str, args))} failed "
                f"(exit {out.returncode}):\n" + tail(out.stdout + out.stderr)
            )
        return lines

    def export(self, session_dir, name, wav):
        """Exports the session range as 32-bit float; retries the known crash/hang. A run that
        crashes after writing a complete, plausible file is accepted (and said so): every
        sample finite and under EXPORT_PLAUSIBLE_PEAK. A crashed run once left a full-length
        file with garbage (9e24) from sample 2048 on, in a session without Lacquer; that run is
        retried like one with no file."""
        notes = []
        for attempt in range(1, EXPORT_TRIES + 1):
            if wav.exists():
                wav.unlink()
            out = self.run(
                ["ardour7-export", "-b", "float", "-o", str(wav), str(session_dir), name],
                timeout=EXPORT_TIMEOUT_S,
            )
            complete = plausible = False
            try:
                _, channels = read_wav(wav)
                complete = len(channels) == 2 and len(channels[0]) == FRAMES + TAIL
                plausible = complete and all(
                    math.isfinite(x) and abs(x) <= EXPORT_PLAUSIBLE_PEAK for c in channels for x in c
                )
            except (OSError, ValueError):
                pass
            if out.returncode == 0 and complete:
                return notes
            if plausible:
                notes.append(f"ardour7-export exited with {out.returncode} after a complete file")
                return notes
            what = "a complete file with implausible samples" if complete else "no complete file"
            notes.append(f"attempt {attempt}: exit {out.returncode}, {what}")
            print(f"ardour7-export {name}: {notes[-1]}:\n{tail(out.stdout + out.stderr)}")
        raise RuntimeError(f"ardour7-export {name} failed {EXPORT_TRIES} times: {notes}")


def tail(text, n=15):
    lines = [l for l in text.splitlines() if not l.startswith(("MIDI Clock", "MTC in"))]
    return "\n".join(lines[-n:])


# ---- the session XML -----------------------------------------------------------------------


def add_region(session_dir, name, source_wavs):
    """Adds the input to the saved session: its two mono files as sources, a whole-file region,
    the same region on track In's playlist at 0, and the session range (input + TAIL). No fades:
    Ardour's default 64-sample fades would change the first and last samples."""
    path = session_dir / f"{name}.ardour"
    tree = ET.parse(path)
    root = tree.getroot()
    audiofiles = session_dir / "interchange" / name / "audiofiles"
    audiofiles.mkdir(parents=True, exist_ok=True)
    next_id = int(root.get("id-counter")) + 1
    source_ids = []
    sources = root.find("Sources")
    for label, samples in source_wavs:
        file = f"input-{label}.wav"
        write_wav(audiofiles / file, [samples])
        ET.SubElement(
            sources,
            "Source",
            {
                "name": file,
                "type": "audio",
                "flags": "",
                "id": str(next_id),
                "natural-position": "a0",
                "channel": "0",
                "origin": "",
                "gain": "1",
            },
        )
        source_ids.append(str(next_id))
        next_id += 1
    length = f"a{FRAMES * SUPERCLOCK_PER_SAMPLE}@a0"

    def region(parent, region_id, whole):
        attrs = {
            "name": "input" if whole else "input.1",
            "muted": "0",
            "opaque": "1",
            "locked": "0",
            "video-locked": "0",
            "automatic": "1" if whole else "0",
            "whole-file": "1" if whole else "0",
            "import": "0",
            "external": "0",
            "sync-marked": "0",
            "left-of-split": "0",
            "right-of-split": "0",
            "hidden": "0",
            "position-locked": "0",
            "valid-transients": "0",
            "start": "a0",
            "length": length,
            "sync-position": "a0",
            "ancestral-start": "a0",
            "ancestral-length": "a0@a0",
            "stretch": "1",
            "shift": "1",
            "layering-index": "0",
            "tags": "",
            "contents": "0",
            "envelope-active": "0",
            "default-fade-in": "0",
            "default-fade-out": "0",
            "fade-in-active": "0",
            "fade-out-active": "0",
            "scale-amplitude": "1",
            "id": str(region_id),
            "type": "audio",
            "first-edit": "nothing",
            "channels": str(len(source_ids)),
        }
        for i, sid in enumerate(source_ids):
            attrs[f"source-{i}"] = sid
            attrs[f"master-source-{i}"] = sid
        node = ET.SubElement(parent, "Region", attrs)
        if not whole:
            ET.SubElement(node, "Envelope", {"default": "yes"})
        return node

    region(root.find("Regions"), next_id, True)
    next_id += 1
    playlists = [p for p in root.find("Playlists") if p.get("name") == "In"]
    if len(playlists) != 1:
        raise RuntimeError(f"{path}: expected one playlist named In, found {len(playlists)}")
    region(playlists[0], next_id, False)
    next_id += 1
    locations = root.find("Locations")
    for old in [l for l in locations if "IsSessionRange" in l.get("flags", "")]:
        locations.remove(old)
    ET.SubElement(
        locations,
        "Location",
        {
            "id": str(next_id),
            "name": "session",
            "start": "a0",
            "end": f"a{(FRAMES + TAIL) * SUPERCLOCK_PER_SAMPLE}",
            "flags": "IsSessionRange",
            "locked": "0",
            "timestamp": "0",
            "cue": "0",
        },
    )
    next_id += 1
    root.set("id-counter", str(next_id))
    tree.write(path, encoding="UTF-8", xml_declaration=True)


# ---- comparisons ---------------------------------------------------------------------------


def max_diff(a, b, start=0, end=None, shift=0):
    """Largest |a[i + shift] - b[i]| over both channels for i in start..end."""
    worst, at = 0.0, 0
    for ca, cb in zip(a, b):
        stop = min(end or len(cb), len(cb), len(ca) - shift)
        for i in range(max(start, -shift), stop):
            d = abs(ca[i + shift] - cb[i])
            if d > worst:
                worst, at = d, i
    return worst, at


def best_shift(export, reference, span=2048):
    """The lag of `export` against `reference` (samples, -span..span) that matches best over a
    window of loud material; 0 means Ardour compensated the plugin's latency."""
    lo, hi = RATE // 2, RATE // 2 + 1024
    ref = reference[0][lo:hi]
    best = (float("inf"), 0)
    for shift in range(-span, span + 1):
        seg = export[0][lo + shift : hi + shift]
        err = sum(abs(x - y) for x, y in zip(seg, ref))
        if err < best[0]:
            best = (err, shift)
    return best[1]


def rms_db(channels, start, end):
    total = sum(x * x for ch in channels for x in ch[start:end])
    return 10 * math.log10(total / (len(channels) * (end - start)) + 1e-30)


def first_departure(a, b, threshold, start=0):
    """First index from `start` where the two renders differ by more than `threshold`."""
    for i in range(start, min(len(a[0]), len(b[0]))):
        if any(abs(ca[i] - cb[i]) > threshold for ca, cb in zip(a, b)):
            return i
    return None


def silence_residue(export, cli_with_silence, shift):
    """On a failed static check: the k in 1..7 for which the export matches the CLI's render
    of the input after k samples of silence (within 1e-7), i.e. the chain's output depended
    on the silence Ardour ran through the plugin (mod 8) again; None if no k matches."""
    for k in range(1, 8):
        padded = [ch[k:] for ch in cli_with_silence(k)]
        if max_diff(export, padded, 0, FRAMES, shift)[0] <= 1e-7:
            return k
    return None


def offset_note(export, reference, end):
    """On a failed exact comparison: says so when the export is the reference bit for bit but
    shifted by a constant number of samples (an Ardour alignment fault, not the plugin's)."""
    shift = best_shift(export, reference, span=512)
    if shift != 0 and max_diff(export, reference, 0, end - abs(shift), shift)[0] <= TOLERANCE:
        return (f"; the export is the expected signal exactly, {abs(shift)} samples "
                f"{'late' if shift > 0 else 'early'} (Ardour's export alignment)")
    return ""


def trailing_silence(channels, start):
    return max((abs(x) for ch in channels for x in ch[start:]), default=0.0)


# ---- the scenarios -------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vst3", required=True, type=Path)
    parser.add_argument("--lacquer", required=True, type=Path, help="the lacquer CLI binary")
    parser.add_argument("--work", required=True, type=Path, help="scratch folder (recreated)")
    args = parser.parse_args()
    started = time.monotonic()
    results = Results()
    try:
        run(args, results)
    except Skip as why:
        results.lines.append(f"SKIP ardour: {why}")
        print(results.lines[-1])
        results.counts["skipped"] += 1
    except Exception as e:  # a crash of the driver or of Ardour counts as one failure
        results.lines.append(f"FAIL ardour: {type(e).__name__}: {e}")
        print(results.lines[-1])
        results.counts["failed"] += 1
    if args.work.is_dir():  # one line per check, for cargo xtask test's report
        (args.work / "summary.txt").write_text("".join(l + "\n" for l in results.lines))
    c = results.counts
    print(
        f"{c['passed']} passed, {c['failed']} failed, {c['skipped']} skipped, "
        f"{c['xfailed']} xfailed in {time.monotonic() - started:.2f}s"
    )
    return 1 if c["failed"] else 0


def run(args, results):
    for tool in ("ardour7-lua", "ardour7-export"):
        if shutil.which(tool) is None:
            raise Skip(f"{tool} not found: install Ardour 7 (Debian: apt-get install ardour)")
    if not (ARDOUR_LIB / "ardour-vst3-scanner").is_file():
        raise Skip(f"{ARDOUR_LIB}/ardour-vst3-scanner not found (Ardour 7 from Debian expected)")
    vst3 = args.vst3.resolve()
    lacquer = args.lacquer.resolve()
    for path in (vst3, lacquer):
        if not path.exists():
            raise RuntimeError(f"{path} does not exist (build it first)")
    work = args.work.resolve()
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)

    ardour = Ardour(work, vst3)
    dry = music_like()
    input_wav = work / "input.wav"
    write_wav(input_wav, dry)

    def cli(name, *flags, source=input_wav):
        out_wav = work / f"cli-{name}.wav"
        argv = [str(lacquer), "master", str(source), "-o", str(out_wav), "--no-assist"]
        argv += ["--bit-depth", "32f", *flags]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stdout}{done.stderr}")
        _, channels = read_wav(out_wav)
        return channels

    def scenario(name, plugin, *settings):
        """Makes, fills, reloads and exports one session; returns (check lines, export)."""
        session_dir = work / name
        ardour.lua("make", session_dir, name, plugin, *settings)
        add_region(session_dir, name, [("L", dry[0]), ("R", dry[1])])
        state = ardour.lua("check", session_dir, name)
        wav = work / f"ardour-{name}.wav"
        notes = ardour.export(session_dir, name, wav)
        for note in notes:
            print(f"note {name}: {note}")
        _, channels = read_wav(wav)
        return state, channels

    def params(state):
        return {f[1]: float(f[2]) for f in state if f[0] == "param"}

    def region_ok(state):
        return ["region", "input.1", "0", str(FRAMES)] in state

    # dry: Ardour alone.
    state, export = scenario("dry", "none")
    worst, at = max_diff(export, dry, 0, FRAMES)
    tail_peak = trailing_silence(export, FRAMES)
    results.check(
        "dry",
        region_ok(state) and worst == 0.0 and tail_peak == 0.0,
        f"session without Lacquer: export - input max |diff| {worst:.3g} (at sample {at}), "
        f"after the region {tail_peak:.3g}, region back after reload: {region_ok(state)}"
        + (offset_note(export, dry, FRAMES) if worst > 0.0 else ""),
    )

    # static: Drive +6 dB, Ceiling -2 dBTP against the CLI.
    state, export = scenario("static", "lacquer", "Drive=6", "Ceiling=-2")
    reference = cli("static", "--drive", "6", "--ceiling", "-2")
    latency = next((int(f[1]) for f in state if f[0] == "latency"), None)
    shift = best_shift(export, reference)
    worst, at = max_diff(export, reference, 0, len(reference[0]), shift)
    tail_peak = trailing_silence(export, len(reference[0]) + shift)
    departs = first_departure(export, reference, 1e-7)
    residual = [array.array("f", (x - y for x, y in zip(e, r))) for e, r in zip(export, reference)]
    below = rms_db(reference, 0, FRAMES) - rms_db(residual, 0, FRAMES)
    ok = shift == 0 and worst <= TOLERANCE
    why = ""
    if not ok:

        def cli_with_silence(k):
            padded_wav = work / f"input-after-{k}-silent.wav"
            write_wav(padded_wav, [array.array("f", [0.0] * k) + ch for ch in dry])
            return cli(f"static-after-{k}", "--drive", "6", "--ceiling", "-2", source=padded_wav)

        k = silence_residue(export, cli_with_silence, shift)
        why = (
            f"; it equals the CLI's render after {k} (mod 8) samples of silence: the output "
            f"depends on the silence Ardour ran through the plugin before the region again "
            f"(MasteringChain must pass leading silence over)"
            if k is not None
            else "; no lead-in of 1-7 silent samples explains it"
        )
    results.check(
        "static",
        ok,
        f"Drive +6 dB, Ceiling -2: Ardour export vs `lacquer master --no-assist --drive 6 "
        f"--ceiling -2` max |diff| {worst:.3g} at sample {at} (tolerance {TOLERANCE:g}), "
        f"first difference > 1e-7 at sample {departs}, difference RMS {below:.1f} dB below the "
        f"render's; plugin latency {latency} samples, export offset {shift} samples "
        f"(0 = compensated by Ardour); level after the input's end {tail_peak:.3g}{why}",
    )
    got = params(state)
    defaults = params(ardour_defaults(ardour, work))
    wrong = {
        k: v
        for k, v in got.items()
        if abs(v - {"Drive": 6.0, "Ceiling": -2.0}.get(k, defaults.get(k, math.nan))) > 1e-4
    }
    results.check(
        "state: values",
        bool(got) and not wrong and region_ok(state),
        f"{len(got)} parameters read back after save/reload, Drive {got.get('Drive')}, "
        f"Ceiling {got.get('Ceiling')}, others at their defaults; wrong: {wrong or 'none'}",
    )

    # automation: Drive 0 dB until 2 s, +12 dB from 2 s + 1 sample.
    step = f"auto:Drive=0:0,{AUTOMATION_AT}:0,{AUTOMATION_AT + 1}:12"
    state, export = scenario("automation", "lacquer", step)
    lane = [f for f in state if f[0] == "lane"]
    points = [(int(f[2]), float(f[3])) for f in state if f[0] == "point"]
    want_points = [(0, 0.0), (AUTOMATION_AT, 0.0), (AUTOMATION_AT + 1, 12.0)]
    play = ARDOUR_AUTOSTATE_PLAY
    results.check(
        "state: automation lane",
        lane == [["lane", "Drive", play, "3"]] and points == want_points,
        f"reloaded lane {lane}, points {points} (want state {play} = Play, {want_points})",
    )
    before = cli("drive0", "--drive", "0")
    after = cli("drive12", "--drive", "12")
    departs = first_departure(export, before, 1e-4)
    early_diff, _ = max_diff(export, before, 0, AUTOMATION_AT - RATE // 100)
    settle = AUTOMATION_AT + RATE // 2
    level_gap = rms_db(export, settle, FRAMES) - rms_db(after, settle, FRAMES)
    lead = None if departs is None else departs - (AUTOMATION_AT + 1)
    lookahead = RATE * 2 // 1000
    results.check(
        "automation: Drive",
        lead is not None
        and latency is not None
        and latency - lookahead <= lead <= latency
        and early_diff <= TOLERANCE
        and abs(level_gap) < 0.1,
        f"Drive lane 0 -> +12 dB at sample {AUTOMATION_AT + 1}: the export leaves the Drive 0 "
        f"render (by > 1e-4) at sample {departs}, {lead} samples after the point: the plugin's "
        f"latency ({latency}), less at most the limiter's 2 ms lookahead, because Ardour 7.3 "
        f"hands master-bus automation over at the compensated output time while Drive acts on "
        f"the plugin's input (the Output lane below, after the lookahead, lands exactly); "
        f"before 1.99 s the export equals the Drive 0 render within {early_diff:.3g}; from "
        f"2.5 s its RMS is {level_gap:+.3f} dB from the +12 dB render's",
    )
    step = f"auto:Output=0:-12,{AUTOMATION_AT}:-12,{AUTOMATION_AT + 1}:0"
    state, export = scenario("automation-output", "lacquer", step)
    quiet = cli("output-12", "--output", "-12")
    loud = cli("output0")
    departs = first_departure(export, quiet, 1e-5)
    lead = None if departs is None else departs - (AUTOMATION_AT + 1)
    early_diff, _ = max_diff(export, quiet, 0, AUTOMATION_AT)
    late_diff, _ = max_diff(export, loud, AUTOMATION_AT + RATE // 10, FRAMES)
    results.check(
        "automation: Output",
        lead is not None and 0 <= lead <= 1 and early_diff <= TOLERANCE,
        f"Output lane -12 -> 0 dB at sample {AUTOMATION_AT + 1}: the export leaves the "
        f"`--output -12` render (by > 1e-5) at sample {departs} ({lead} after the point); "
        f"before it max |diff| {early_diff:.3g}, from 0.1 s after it {late_diff:.3g} from the "
        f"0 dB render",
    )

    # bypass: the host's bypass switch, Match Loudness off, then on (the default).
    state, export = scenario("bypass-plain", "lacquer", "Drive=6", "Match Loudness=0", "bypass")
    worst, at = max_diff(export, dry, 0, FRAMES)
    enabled = next((f[1] for f in state if f[0] == "enabled"), None)
    results.check(
        "bypass, Match Loudness off",
        worst <= TOLERANCE and enabled == "0",
        f"Ardour's bypass (Lacquer disabled in the strip; enabled after reload: {enabled}, "
        f"Bypass {params(state).get('Bypass')}) with Drive +6: export - input max |diff| "
        f"{worst:.3g} at sample {at}"
        + (offset_note(export, dry, FRAMES) if worst > TOLERANCE else ""),
    )
    state, export = scenario("bypass-matched", "lacquer", "Drive=6", "bypass")
    worst, at = max_diff(export, dry, 0, FRAMES)
    gain_db = rms_db(export, RATE, FRAMES) - rms_db(dry, RATE, FRAMES)
    enabled = next((f[1] for f in state if f[0] == "enabled"), None)
    results.check(
        "bypass, Match Loudness on (default)",
        worst <= TOLERANCE and enabled == "0",
        f"Ardour's bypass with Drive +6 and the default Match Loudness: export - input max "
        f"|diff| {worst:.3g} at sample {at}, level {gain_db:+.2f} dB from the input (from 1 s; "
        f"Match Loudness levels Compare only, never the host bypass)"
        + (offset_note(export, dry, FRAMES) if worst > TOLERANCE else ""),
    )


# ARDOUR::AutoState Play, as ardour7-lua prints it.
ARDOUR_AUTOSTATE_PLAY = "4"


def ardour_defaults(ardour, work):
    """The parameter values of a fresh Lacquer after a save/reload (the defaults)."""
    session_dir = work / "defaults"
    ardour.lua("make", session_dir, "defaults", "lacquer")
    return ardour.lua("check", session_dir, "defaults")


if __name__ == "__main__":
    sys.exit(main())
