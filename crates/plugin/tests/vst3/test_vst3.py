"""The built .vst3 loaded by a real VST3 host: pedalboard (from PyPI), which embeds JUCE's host.

Run by `cargo xtask test` with LACQUER_VST3 pointing at target/bundled/Lacquer.vst3 (release)
and LACQUER_VST3_ALLOC_CHECK at target/alloc-check/Lacquer.vst3 (debug, built with
assert_process_allocs: it aborts the process if the plugin allocates inside process()).

pedalboard exposes parameters snake_cased with their unit ("Drive" in " dB" is `drive_db`).
Assigning a misspelt name silently creates a Python attribute, so every value set here is read
back. pedalboard compensates the latency the plugin reports, so output sample n lines up with
input sample n.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pedalboard
import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_RATE_HZ = 48_000
TONE_HZ = 997.0
# Far below the -1 dBTP ceiling even with +6 dB of drive, so no limiting is involved.
INPUT_RMS_DBFS = -30.0
# Skipped before measuring: the 20 ms parameter ramps and the bypass crossfade, with margin.
SETTLE_SAMPLES = SAMPLE_RATE_HZ // 10
PARAMETERS = {"drive_db", "ceiling_dbtp", "output_db", "bypass"}


def bundle(variable, default):
    """Path of a bundle from an environment variable, else from target/ for local runs."""
    path = Path(os.environ.get(variable) or ROOT / default)
    if not path.exists():
        pytest.fail(f"no VST3 bundle at {path}: build it with `cargo xtask test`")
    return path


@pytest.fixture
def plugin():
    return pedalboard.load_plugin(str(bundle("LACQUER_VST3", "target/bundled/Lacquer.vst3")))


def sine(num_samples, rms_dbfs=INPUT_RMS_DBFS, num_channels=2):
    """A 997 Hz sine whose RMS is `rms_dbfs`, the same on every channel, float32 (channels, n)."""
    n = np.arange(num_samples)
    peak = 10 ** (rms_dbfs / 20) * np.sqrt(2)
    wave = peak * np.sin(2 * np.pi * TONE_HZ * n / SAMPLE_RATE_HZ)
    return np.tile(wave, (num_channels, 1)).astype(np.float32)


def rms_dbfs(x):
    """RMS level in dBFS (full-scale sine = -3.01 dBFS), computed in float64."""
    return 10 * np.log10(np.mean(np.asarray(x, dtype=np.float64) ** 2))


def set_parameter(plugin, name, value):
    """Sets a parameter by its pedalboard name and reads it back."""
    assert name in plugin.parameters, f"no parameter {name!r}; have {list(plugin.parameters)}"
    setattr(plugin, name, value)
    read_back = getattr(plugin, name)
    if isinstance(value, str):
        assert read_back == value, f"{name}: set {value!r}, read back {read_back!r}"
    else:
        assert abs(float(read_back) - value) < 1e-4, f"{name}: set {value}, read back {read_back}"


def check_gain(output, reference, gain_db):
    """After settling, output == reference x gain: by RMS (0.01 dB) and sample by sample."""
    assert output.shape == reference.shape
    assert np.all(np.isfinite(output)), "non-finite output"
    out = output[:, SETTLE_SAMPLES:].astype(np.float64)
    ref = reference[:, SETTLE_SAMPLES:].astype(np.float64)
    for channel in range(out.shape[0]):
        measured_db = rms_dbfs(out[channel]) - rms_dbfs(ref[channel])
        assert abs(measured_db - gain_db) < 0.01, (
            f"channel {channel}: gain {measured_db:.4f} dB, expected {gain_db} dB"
        )
    deviation = np.max(np.abs(out - ref * 10 ** (gain_db / 20)))
    assert deviation < 1e-4 * np.max(np.abs(ref)), f"sample deviation {deviation:.3e}"


def test_the_four_parameters_exist_with_their_ranges(plugin):
    print("pedalboard parameter names:", list(plugin.parameters.keys()))
    assert PARAMETERS <= set(plugin.parameters), list(plugin.parameters)
    assert plugin.name == "Lacquer"
    # Display ranges and the neutral defaults of a freshly inserted instance.
    for name, low, high, default in [
        ("drive_db", -12.0, 24.0, 0.0),
        ("ceiling_dbtp", -12.0, 0.0, -1.0),
        ("output_db", -12.0, 12.0, 0.0),
    ]:
        parameter = plugin.parameters[name]
        assert parameter.range[:2] == (low, high), f"{name}: range {parameter.range}"
        assert getattr(plugin, name) == default, f"{name}: default {getattr(plugin, name)}"
    assert plugin.bypass == "Not Bypassed"


@pytest.mark.parametrize(
    ("drive_db", "output_db", "gain_db"),
    [(6.0, -3.0, 3.0), (-6.0, 0.0, -6.0), (0.0, 2.5, 2.5)],
)
def test_drive_and_output_set_the_level(plugin, drive_db, output_db, gain_db):
    set_parameter(plugin, "drive_db", drive_db)
    set_parameter(plugin, "ceiling_dbtp", -2.0)
    set_parameter(plugin, "output_db", output_db)
    x = sine(SAMPLE_RATE_HZ)
    check_gain(plugin.process(x, SAMPLE_RATE_HZ), x, gain_db)


def test_bypass_gives_the_input_back(plugin):
    # The input's own level: Match Loudness (tests/vst3/test_master_bus.py) would bring the dry
    # signal to the processed loudness.
    plugin.match_loudness = False
    assert not bool(plugin.match_loudness)
    set_parameter(plugin, "drive_db", 12.0)
    set_parameter(plugin, "output_db", -6.0)
    set_parameter(plugin, "bypass", "Bypassed")
    x = sine(SAMPLE_RATE_HZ)
    check_gain(plugin.process(x, SAMPLE_RATE_HZ), x, 0.0)
    # ...and switching it off again brings the +6 dB back.
    set_parameter(plugin, "bypass", "Not Bypassed")
    check_gain(plugin.process(x, SAMPLE_RATE_HZ), x, 6.0)


def test_state_round_trips_into_a_fresh_instance(plugin):
    set_parameter(plugin, "drive_db", 4.5)
    set_parameter(plugin, "ceiling_dbtp", -3.0)
    set_parameter(plugin, "output_db", -1.5)
    # JUCE's host hands parameter changes to the plugin's processor in the next process() call
    # (as a DAW does while its audio runs); the saved state is the processor's.
    plugin.process(sine(4_800), SAMPLE_RATE_HZ)
    state = plugin.raw_state
    fresh = pedalboard.load_plugin(str(bundle("LACQUER_VST3", "target/bundled/Lacquer.vst3")))
    assert fresh.drive_db == 0.0
    fresh.raw_state = state
    for name in PARAMETERS:
        assert getattr(fresh, name) == getattr(plugin, name), name
    x = sine(SAMPLE_RATE_HZ // 2)
    a = plugin.process(x, SAMPLE_RATE_HZ)
    b = fresh.process(x, SAMPLE_RATE_HZ)
    assert np.array_equal(a, b), "the restored instance renders differently"
    check_gain(b, x, 3.0)


# Run in a child Python: an allocation in process() aborts the process that loaded the plugin.
ALLOC_CHILD = r"""
import sys
import numpy as np
import pedalboard

plugin = pedalboard.load_plugin(sys.argv[1])
rate = 48_000
rng = np.random.default_rng(20_240_601)
t = np.arange(rate // 2) / rate
x = np.tile(10 ** (-30 / 20) * np.sqrt(2) * np.sin(2 * np.pi * 997 * t), (2, 1)).astype(np.float32)
for chunk in range(8):
    plugin.drive_db = round(float(rng.uniform(-12, 24)), 1)
    plugin.output_db = round(float(rng.uniform(-12, 12)), 1)
    plugin.ceiling_dbtp = round(float(rng.uniform(-12, 0)), 1)
    plugin.bypass = "Bypassed" if chunk % 3 == 1 else "Not Bypassed"
    buffer_size = int(rng.choice([1, 7, 64, 500, 4096]))
    y = plugin.process(x, rate, buffer_size=buffer_size, reset=False)
    assert np.all(np.isfinite(y))
plugin.drive_db, plugin.output_db, plugin.ceiling_dbtp = 6.0, -3.0, -1.0
plugin.bypass = "Not Bypassed"
# Two seconds, measured over the last one: the limiter recovers from whatever gain reduction
# the random settings left (its release is programme-dependent, up to about half a second).
x2 = np.tile(x, (1, 4))
y = plugin.process(x2, rate, buffer_size=333, reset=False)
gain = 10 * np.log10(np.mean(y[:, rate:].astype(np.float64) ** 2) / np.mean(x2[:, rate:].astype(np.float64) ** 2))
print(f"gain {gain:.4f} dB")
"""


def test_alloc_check_bundle_never_allocates_in_process():
    path = bundle("LACQUER_VST3_ALLOC_CHECK", "target/alloc-check/Lacquer.vst3")
    libraries = list(path.glob("Contents/*/*.so"))
    assert libraries, f"no shared library inside {path}"
    assert b"Memory allocation of " in libraries[0].read_bytes(), (
        f"{path} was not built with --features assert_process_allocs"
    )
    child = subprocess.run(
        [sys.executable, "-c", ALLOC_CHILD, str(path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    print(child.stdout, child.stderr)
    assert child.returncode == 0, (
        f"the assert_process_allocs VST3 failed (exit {child.returncode}; -6 is SIGABRT: "
        f"the plugin allocated inside process()):\n{child.stderr[-3000:]}"
    )
    gain = float(child.stdout.split("gain ")[1].split()[0])
    assert abs(gain - 3.0) < 0.01, f"gain {gain} dB after the automation, expected +3 dB"
