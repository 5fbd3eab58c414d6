"""Issue #7 through a real VST3 host (pedalboard): Compare with Match Loudness and the plain host
bypass, every sample rate, buffer size
and channel layout, reset(), and the state round trip. The CLAP side of the same properties is
in tests/clap_master_bus.rs and tests/clap_state.rs.
"""

import numpy as np
import pedalboard
import pytest

from test_vst3 import SAMPLE_RATE_HZ, bundle, rms_dbfs, set_parameter, sine

RATES_HZ = [22_050, 44_100, 48_000, 88_200, 96_000, 176_400, 192_000, 352_800, 384_000]
CEILING = 10 ** (-1 / 20)


@pytest.fixture
def plugin():
    return pedalboard.load_plugin(str(bundle("LACQUER_VST3", "target/bundled/Lacquer.vst3")))


def set_switch(plugin, name, on):
    """Sets an on/off parameter whatever form pedalboard gives it (bool or its value text)."""
    if plugin.parameters[name].type is bool:
        setattr(plugin, name, bool(on))
        assert bool(getattr(plugin, name)) == bool(on), name
    else:
        set_parameter(plugin, name, "On" if on else "Off")


def music_like(sample_rate_hz, seconds, peak, num_channels=2):
    """Kick, bass, chord and noise hats, float32 (channels, n), peak normalised."""
    n = int(sample_rate_hz * seconds)
    t = np.arange(n) / sample_rate_hz
    beat = np.mod(t * 2.0, 1.0)
    kick = np.sin(2 * np.pi * (50 + 80 * np.exp(-beat * 30)) * beat) * np.exp(-beat * 8)
    bass = 0.5 * np.sin(2 * np.pi * 55 * t)
    chord = 0.2 * sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6))
    hats = 0.2 * np.random.default_rng(99).uniform(-1, 1, n) * np.exp(-np.mod(t * 8, 1.0) * 40)
    x = np.stack([kick + bass + chord + hats, kick + bass + 0.8 * chord - hats])[:num_channels]
    return (x * peak / np.max(np.abs(x))).astype(np.float32)


def prime(plugin):
    """Lets the host hand the parameter values set so far to the processor (JUCE passes them
    with the next process() call), so the renders compared afterwards all start from settled
    values instead of one of them ramping from the old ones."""
    plugin.process(sine(480), SAMPLE_RATE_HZ, buffer_size=480, reset=True)


def test_match_loudness_brings_compare_to_the_processed_level_not_the_bypass(plugin):
    """A steady sine: its loudness difference is its level difference (no limiting at -30 dBFS).
    Compare is levelled (Match Loudness, on by default); the host bypass never is."""
    set_parameter(plugin, "drive_db", 6.0)
    x = sine(6 * SAMPLE_RATE_HZ)
    processed = plugin.process(x, SAMPLE_RATE_HZ)
    tail = slice(4 * SAMPLE_RATE_HZ, None)  # after the 3 s window and the 300 ms glide
    set_switch(plugin, "compare", True)
    matched = plugin.process(x, SAMPLE_RATE_HZ)
    gap = rms_dbfs(matched[:, tail]) - rms_dbfs(processed[:, tail])
    assert abs(gap) <= 0.5, f"Compare is {gap:.2f} dB from processed"
    set_switch(plugin, "compare", False)
    set_parameter(plugin, "bypass", "Bypassed")
    bypassed = plugin.process(x, SAMPLE_RATE_HZ)
    bypass_gap = rms_dbfs(bypassed[:, tail]) - rms_dbfs(processed[:, tail])
    assert abs(bypass_gap + 6.0) < 0.05, f"bypass {bypass_gap:.2f} dB, expected -6 (not levelled)"
    set_parameter(plugin, "bypass", "Not Bypassed")
    set_switch(plugin, "match_loudness", False)
    set_switch(plugin, "compare", True)
    plain = plugin.process(x, SAMPLE_RATE_HZ)
    plain_gap = rms_dbfs(plain[:, tail]) - rms_dbfs(processed[:, tail])
    assert abs(plain_gap + 6.0) < 0.05, f"unmatched Compare {plain_gap:.2f} dB, expected -6"


@pytest.mark.parametrize("num_channels", [1, 2])
def test_every_rate_and_buffer_size_gives_the_512_render(plugin, num_channels):
    set_parameter(plugin, "drive_db", 12.0)
    prime(plugin)
    for rate in RATES_HZ:
        x = music_like(rate, 0.25, 0.9, num_channels)
        reference = plugin.process(x, rate, buffer_size=512, reset=True)
        sizes = [16_384, 1_000, 3] + ([1] if rate <= 48_000 else [])
        for size in sizes:
            y = plugin.process(x, rate, buffer_size=size, reset=True)
            assert y.shape == x.shape
            assert np.all(np.isfinite(y)), f"{rate} Hz / {size}: non-finite"
            peak = float(np.max(np.abs(y)))
            assert 0.5 < peak <= CEILING, f"{rate} Hz / {size}: peak {peak}"
            worst = float(np.max(np.abs(y - reference)))
            assert worst <= 1e-6, f"{rate} Hz, buffer {size}: {worst} from the 512 render"


def test_reset_forgets_all_audio(plugin):
    set_parameter(plugin, "drive_db", 9.0)
    prime(plugin)
    probe = music_like(SAMPLE_RATE_HZ, 0.5, 0.4)
    expected = plugin.process(probe, SAMPLE_RATE_HZ, buffer_size=480, reset=True)
    loud = music_like(SAMPLE_RATE_HZ, 0.5, 1.0)
    plugin.process(loud, SAMPLE_RATE_HZ, buffer_size=480, reset=False)
    # pedalboard's reset=True resets the plugin (and its own latency-compensation buffers, which
    # is why reset=False after plugin.reset() cannot be compared sample for sample).
    plugin.reset()
    again = plugin.process(probe, SAMPLE_RATE_HZ, buffer_size=480, reset=True)
    assert np.array_equal(again, expected), "audio survived reset()"


def test_state_save_load_save_is_byte_identical(plugin):
    set_parameter(plugin, "drive_db", 4.2)
    set_parameter(plugin, "target_loudness_lufs", -11.5)
    set_switch(plugin, "match_loudness", False)
    plugin.process(sine(4_800), SAMPLE_RATE_HZ)
    first = plugin.raw_state
    fresh = pedalboard.load_plugin(str(bundle("LACQUER_VST3", "target/bundled/Lacquer.vst3")))
    fresh.raw_state = first
    assert fresh.raw_state == first, "save -> load -> save changed the bytes"
    assert abs(fresh.target_loudness_lufs + 11.5) < 1e-4
    assert not bool(fresh.match_loudness), "Match Loudness did not come back off"
