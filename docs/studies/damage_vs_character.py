"""Can a family target tell a 4-6 dB EQ damage from a real master's own character?

Reads the per-track features written by
    target/release/lacquer derive-targets DIR --out /tmp/targets --features features.json
and the committed family profiles, adds the evaluation's damages (docs/eval.md) to each
original's long-term mid spectrum analytically (cookbook biquad magnitude at the 1/3-octave
centres, then the K-weighted level normalisation of `analysis.rs`), and prints, per problem
region, the amplitude of the best-fitting damage shape on the undamaged originals (what a
detector sees when nothing is wrong) and on the damaged ones.

Shape fit: track minus reference curve ~ polynomial in log-frequency (degree DEG) + a * shape,
over 31.5 Hz..16 kHz, the shape's centre searched over the region; `a` in dB in the damage's
direction. Reference curve: the nearest family median ("family") or the median of the 8
nearest other masters ("neighbours").

Usage, from the repository root: python3 docs/studies/damage_vs_character.py features.json
(needs numpy; the repository's test venv target/venv has it)
"""
import json
import sys

import numpy as np

NB = 31
FC = np.array([1000 * 10 ** ((k - 17) / 10) for k in range(NB)])
X = np.log2(FC / 1000)
W = np.array([1.0 if 30 <= f <= 17000 else 0.0 for f in FC])
FS = 48000


def biquad_db(b, a):
    z = np.exp(-1j * 2 * np.pi * FC / FS)
    h = (b[0] + b[1] * z + b[2] * z * z) / (1 + a[0] * z + a[1] * z * z)
    return 20 * np.log10(np.abs(h))


def cookbook(kind, f0, gain_db, q):
    big_a = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * f0 / FS
    c, s = np.cos(w0), np.sin(w0)
    al = s / (2 * q)
    sa = 2 * np.sqrt(big_a) * al
    if kind == "peak":
        b = [1 + al * big_a, -2 * c, 1 - al * big_a]
        a0, a = 1 + al / big_a, [-2 * c, 1 - al / big_a]
    elif kind == "high_shelf":
        b = [big_a * ((big_a + 1) + (big_a - 1) * c + sa), -2 * big_a * ((big_a - 1) + (big_a + 1) * c),
             big_a * ((big_a + 1) + (big_a - 1) * c - sa)]
        a0, a = (big_a + 1) - (big_a - 1) * c + sa, [2 * ((big_a - 1) - (big_a + 1) * c),
                                                    (big_a + 1) - (big_a - 1) * c - sa]
    else:
        b = [big_a * ((big_a + 1) - (big_a - 1) * c + sa), 2 * big_a * ((big_a - 1) - (big_a + 1) * c),
             big_a * ((big_a + 1) - (big_a - 1) * c - sa)]
        a0, a = (big_a + 1) + (big_a - 1) * c + sa, [-2 * ((big_a - 1) + (big_a + 1) * c),
                                                    (big_a + 1) + (big_a - 1) * c - sa]
    return biquad_db([v / a0 for v in b], [v / a0 for v in a])


# BS.1770 K-weighting at 48 kHz (the standard's coefficients).
K = biquad_db([1.53512485958697, -2.69169618940638, 1.19839281085285],
              [-1.69065929318241, 0.73248077421585]) + \
    biquad_db([1.0, -2.0, 1.0], [-1.99004745483398, 0.99007225036621])


def normalise(s):
    return s - 10 * np.log10(np.sum(10 ** ((s + K) / 10)))


# region: (shape, centres searched, Q, sign of the damage, drawn damage)
REGIONS = {
    "boom": ("peak", np.geomspace(60, 120, 5), 1.0, +1,
             lambda r: cookbook("peak", r.uniform(60, 120), r.uniform(4, 6), r.uniform(0.8, 1.2))),
    "mud": ("peak", np.geomspace(200, 350, 5), 1.2, +1,
            lambda r: cookbook("peak", r.uniform(200, 350), r.uniform(4, 6), r.uniform(1.0, 1.4))),
    "harsh": ("peak", np.geomspace(2500, 5000, 5), 1.4, +1,
              lambda r: cookbook("peak", r.uniform(2500, 5000), r.uniform(4, 6), r.uniform(1.0, 1.8))),
    "dull": ("high_shelf", np.geomspace(4000, 8000, 5), 0.6, -1,
             lambda r: cookbook("high_shelf", r.uniform(4000, 8000), -r.uniform(4, 6), 0.6)),
    "thin": ("low_shelf", np.geomspace(150, 300, 5), 0.6, -1,
             lambda r: cookbook("low_shelf", r.uniform(150, 300), -r.uniform(4, 6), 0.6)),
}
DEG = 1


def amplitude(dev, region):
    kind, centres, q, sign, _ = REGIONS[region]
    best = None
    for f in centres:
        cols = [X ** i for i in range(DEG + 1)] + [cookbook(kind, f, sign * 1.0, q)]
        a = np.vstack(cols).T * W[:, None]
        coef, *_ = np.linalg.lstsq(a, dev * W, rcond=None)
        best = coef[-1] if best is None else max(best, coef[-1])
    return best


def main():
    tracks = [np.array(t["features"]["mid_db"]) for t in json.load(open(sys.argv[1]))]
    medians = [np.array([p["p50"] for p in json.load(open(f"assets/targets/{n}.json"))["mid_db"]])
               for n in ("modern", "bass-heavy", "acoustic")]

    def family(s, _i):
        def resid(m):
            d = (s - m) * W
            a = np.vstack([X ** i for i in range(3)]).T * W[:, None]
            c, *_ = np.linalg.lstsq(a, d, rcond=None)
            return np.sum((d - a @ c) ** 2)
        return min(medians, key=resid)

    def neighbours(s, i):
        dist = []
        for j, t in enumerate(tracks):
            if j != i:
                d = (s - t)[W > 0]
                dist.append((np.sqrt(np.mean((d - d.mean()) ** 2)), j))
        return np.median([tracks[j] for _, j in sorted(dist)[:8]], axis=0)

    for label, reference in (("family", family), ("neighbours", neighbours)):
        rng = np.random.default_rng(1)
        print(f"reference curve: {label}")
        print("  region    originals p50 / p90     damaged p10 / p50")
        for region in REGIONS:
            null = [amplitude(s - reference(s, i), region) for i, s in enumerate(tracks)]
            damaged = []
            for i, s in enumerate(tracks):
                d = normalise(s + REGIONS[region][4](rng))
                damaged.append(amplitude(d - reference(d, i), region))
            print(f"  {region:6}   {np.median(null):6.2f} / {np.percentile(null, 90):5.2f}"
                  f"        {np.percentile(damaged, 10):6.2f} / {np.median(damaged):5.2f}")


if __name__ == "__main__":
    main()
