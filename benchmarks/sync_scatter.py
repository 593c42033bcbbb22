"""How far one real clip's absolute sync offset can be trusted (issue 29): four offline measures, one question.

python benchmarks/sync_scatter.py [--out reports/sync_scatter] [--no-net] [--real ../shared/real]

The `av_map` backend follows known shifts of real clips (relative error within ±1 frame in 96-100 % of held-out
measurements) but puts only a third to a half of clean real clips within ±1 frame of 0. Either the sources are out of
sync, or the measure has a clip-specific error. This benchmark asks the question four ways, on the `sync_map` stage's
tracked examples (`reports/sync_map/examples.csv`, built by `dvc repro sync_map`), persons split into the stage's
halves, every measure fitted on one half and read on the other:

- `map`: the shipped measure (`fit_av_maps`: canonical correlation of ±160 ms of log-mel with the mouth blendshapes and
  lip geometry, ±2 frames);
- `map_pixels`: the same with the grey mouth patch (`MouthPatcher`, 24 x 32, 32 principal axes and their change) added
  to the mouth signal;
- `map_sharp`: canonical directions of the zero-lag cross-covariance minus half the mean at lags ±2..±4 frames (a
  linear "contrastive" map: components whose correlation is specific to lag 0);
- `net` (skip with `--no-net`): a two-tower MLP trained with SyncNet's task (pick the true audio among shifts
  -15..+15 for windows of 8 frames, cross-entropy, cosine similarity at temperature 0.1);
- `in_sample`: the shipped `data/sync_map.npz` (fitted on every clip here) reading its own training clips;
- `lip_anchor`, with no model at all: the audio's log-energy rise averaged around lip releases and its fall around
  lip closures (sound stops and starts with the lips at bilabials), with a bootstrap spread over the events; where it
  is precise it tells whether a source itself is out of sync.

Every learned measure uses SyncNet's rule (offset at the distance curve's minimum) and also reads known shifts of ±3
and ±6 frames (relative error), so that a measure that agrees on the clean offsets is also seen to follow audio. The
GestSync sample's offset is documented by its authors (README: "actual offset 0"); for the others no truth is known.

Writes `<out>/clips.csv` (per clean clip: every measure's offset and confidence, the anchor), `shifts.csv`,
`summary.md`, `summary.json`. About 2 minutes on 2 cores.
"""

import argparse, inspect, json, time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHIFTS = (-6, -3, 0, 3, 6)  # frames, + = audio later
DOCUMENTED = {'gestsync__sync_sample_1_input_video_25fps': 0}  # Sindhu-Hegde/gestsync README: "Actual offset 0"


ANCHOR_LAGS_MS = np.arange(-300, 301, 5)


def lip_events(gap: np.ndarray, t: np.ndarray, closed: float = 0.15, opened: float = 0.5) -> tuple:
    """Times (s) where the inner lips part after a closure (releases) and where they meet (closures): runs of at most 7
    frames below `closed` of the clip's opening range with an open frame (above `opened`) within 3 frames on both
    sides; each time is the linear crossing of the closure level between frames."""
    fin = np.isfinite(gap)
    lo, hi = np.nanquantile(gap, 0.03), np.nanquantile(gap, 0.9)
    cl, op = lo + closed * (hi - lo), lo + opened * (hi - lo)
    rel, clo, i, n = [], [], 1, len(gap)
    while i < n - 1:
        if not (fin[i] and gap[i] <= cl):
            i += 1
            continue
        j = i
        while j + 1 < n and fin[j + 1] and gap[j + 1] <= cl:
            j += 1
        before = any(fin[k] and gap[k] >= op for k in range(max(0, i - 3), i))
        after = any(fin[k] and gap[k] >= op for k in range(j + 1, min(n, j + 4)))
        if before and after and j - i <= 6 and j + 1 < n and fin[j + 1] and fin[i - 1]:
            rel.append(t[j] + (cl - gap[j]) / (gap[j + 1] - gap[j] + 1e-9) * (t[j + 1] - t[j]))
            clo.append(t[i - 1] + (gap[i - 1] - cl) / (gap[i - 1] - gap[i] + 1e-9) * (t[i] - t[i - 1]))
        i = j + 1
    return np.array(rel), np.array(clo)


def lip_anchor(track, audio: np.ndarray, sr: int = 16000, boot: int = 200, seed: int = 0) -> dict:
    """A physical check of a clip's own offset, with no model: at a lip closure the sound stops and at the release it
    starts again (bilabials), so the rise of the audio's log energy (5-ms hop) averaged around lip releases, and its
    fall around closures, peak at the audio's lag. Offset in frames at 25 fps (+ = audio lags video), the events used
    and the 10th-90th percentiles of the offset over `boot` resamples of the events."""
    from talkvid_nb.features import audio_features
    from talkvid_nb.sync import lip_geometry

    rel, clo = lip_events(lip_geometry(track['landmarks'])[:, 0], np.asarray(track['t'], float))
    e = audio_features(np.asarray(audio, np.float32), sr, n_mels=40, hop_ms=5)['mel'].mean(1)
    d = np.gradient(np.convolve(e, np.ones(3) / 3, 'same'))
    d = (d - d.mean()) / (d.std() + 1e-9)
    rows = []
    for times, sign in ((rel, 1), (clo, -1)):
        for tv in times:
            idx = np.round((tv + ANCHOR_LAGS_MS / 1000) * 200).astype(int)
            if idx.min() >= 0 and idx.max() < len(d):
                rows.append(sign * d[idx])
    if len(rows) < 3:
        return dict(anchor_frames=np.nan, anchor_events=len(rows), anchor_lo=np.nan, anchor_hi=np.nan)
    M = np.array(rows)
    rng = np.random.default_rng(seed)
    b = [ANCHOR_LAGS_MS[np.argmax(M[rng.integers(0, len(M), len(M))].mean(0))] / 40 for _ in range(boot)]
    lag = ANCHOR_LAGS_MS[np.argmax(M.mean(0))] / 40
    return dict(anchor_frames=lag, anchor_events=len(M), anchor_lo=np.percentile(b, 10), anchor_hi=np.percentile(b, 90))


def mouth_pixels(path: str, landmarks: np.ndarray, n: int) -> np.ndarray:
    "The clip's grey mouth patches (n, 768), aligned as the sync scorer aligns them, standardised; NaN without a face."
    import cv2
    from talkvid_nb.media import iter_frames
    from talkvid_nb.sync import MouthPatcher

    mp = MouthPatcher.from_cfg()
    for i, (_, rgb) in enumerate(iter_frames(path, 512, 25.0)):
        if i >= n:
            break
        lm = landmarks[i]
        mp.push(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), lm if np.isfinite(lm).all() else None)
    X = mp.patches().reshape(-1, 768).astype(np.float32)[:n]
    X = np.r_[X, np.full((n - len(X), 768), np.nan, np.float32)]
    ok = np.isfinite(landmarks[:n]).all((1, 2))
    X = (X - X[ok].mean(0)) / (X[ok].std() + 1e-6)
    X[~ok] = np.nan
    return X


def with_pixels(c: dict, proj: tuple) -> np.ndarray:
    "The mouth signal with the patch's principal components and their change appended."
    y = (c['pixels'] - proj[0]) @ proj[1]
    return np.c_[c['mouth'], y, np.gradient(y, axis=0)]


def sharp_map(pairs: list, beta: float = 0.5, lags=(2, 3, 4), k: int = 8, cfg: dict | None = None):
    """An `AVMap` whose directions maximise the zero-lag cross-covariance minus `beta` times its mean at ±`lags`
    (whitened audio and mouth windows)."""
    from talkvid_nb.sync import AVMap, _whiten, frame_windows

    W = [(frame_windows(m, int(cfg['mouth_window']))[: len(a)], a) for m, a in pairs]
    W = [(w, a[: len(w)], np.isfinite(w).all(1) & np.isfinite(a[: len(w)]).all(1)) for w, a in W]
    ma, Pa = _whiten(np.vstack([a[o] for _, a, o in W]), int(cfg['audio_dims']), float(cfg['reg']))
    mv, Pv = _whiten(np.vstack([w[o] for w, _, o in W]), int(cfg['mouth_dims']), float(cfg['reg']))
    C, n = {}, 0
    for w, a, o in W:
        Aw = np.where(o[:, None], (np.nan_to_num(a) - ma) @ Pa, 0)
        Vw = np.where(o[:, None], (np.nan_to_num(w) - mv) @ Pv, 0)
        for s in (0, *lags, *(-x for x in lags)):
            i = np.arange(max(0, -s), min(len(Aw), len(Aw) - s))
            i = i[o[i] & o[i + s]]
            C[s] = C.get(s, 0) + Aw[i + s].T @ Vw[i]
        n += int(o.sum())
    C = {s: c / n for s, c in C.items()}
    U, _, Vt = np.linalg.svd(C[0] - beta * np.mean([c for s, c in C.items() if s], 0))
    rho = np.clip([U[:, j] @ C[0] @ Vt[j] for j in range(k)], 1e-3, None)
    return AVMap(ma, Pa @ U[:, :k], mv, Pv @ Vt[:k].T, rho, int(cfg['mouth_window']))


def train_net(clips: list, epochs: int = 40, win: int = 8, tau: float = 0.1, seed: int = 0):
    "A two-tower MLP (mouth windows, audio windows -> 32-d unit vectors) trained to pick the true audio shift."
    import torch
    from torch import nn
    import torch.nn.functional as F

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)

    def tower(d):
        return nn.Sequential(nn.Dropout(0.2), nn.Linear(d, 128), nn.ReLU(), nn.Linear(128, 32))

    dv, da = clips[0]['w'].shape[1], clips[0]['aw'].shape[1]
    net = nn.ModuleDict(dict(v=tower(dv), a=tower(da)))
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-3)
    T = [tuple(torch.tensor(x) for x in (c['w'], c['aw'], c['ok'])) for c in clips]
    for _ in range(epochs):
        for j in rng.permutation(len(T)):
            S = net_scores(net, *T[j])
            m = len(S) // win * win
            if m < win:
                continue
            Sw = S[:m].reshape(-1, win, S.shape[1])
            valid = torch.isfinite(Sw).all(1)
            logits = (torch.nan_to_num(Sw).mean(1) / tau).masked_fill(~valid, -1e4)
            keep = valid[:, 15]
            if keep.any():
                loss = F.cross_entropy(logits[keep], torch.full((int(keep.sum()),), 15))
                opt.zero_grad()
                loss.backward()
                opt.step()
    return net.eval()


def net_scores(net, w, a, ok, vshift: int = 15):
    "(n, 2 vshift + 1) cosine similarity of the mouth at frame i and the audio at i + k (NaN where not both)."
    import torch
    import torch.nn.functional as F

    V, A = F.normalize(net['v'](w), dim=1), F.normalize(net['a'](a), dim=1)
    S = torch.full((len(V), 2 * vshift + 1), float('nan'))
    for j, k in enumerate(range(-vshift, vshift + 1)):
        i = torch.arange(max(0, -k), min(len(V), len(V) - k))
        i = i[ok[i] & ok[i + k]]
        S[i, j] = (V[i] * A[i + k]).sum(1)
    return S


def net_distances(net, w, a, ok, min_overlap: int = 25) -> np.ndarray:
    import torch

    with torch.no_grad():
        S = net_scores(net, torch.tensor(w), torch.tensor(a), torch.tensor(ok))
    cnt = torch.isfinite(S).sum(0)
    d = (1 - torch.nan_to_num(S).sum(0) / cnt.clamp(min=1)).numpy().astype(float)
    d[cnt.numpy() < min_overlap] = np.nan
    return d


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=str(ROOT / 'reports' / 'sync_scatter'))
    ap.add_argument('--real', default=str(ROOT.parent / 'shared' / 'real'))
    ap.add_argument('--no-net', action='store_true')
    a = ap.parse_args()
    import yaml
    from talkvid_nb.media import delay_audio
    from talkvid_nb.sync import (
        AVMap,
        AVMapSync,
        _whiten,
        audio_windows,
        example_audio,
        fit_av_maps,
        frame_windows,
        load_av_maps,
        mouth_signal,
        offset_search,
    )
    from talkvid_nb.sync_map import person_half

    t0 = time.time()
    params = yaml.safe_load((ROOT / 'params.yaml').read_text())
    cfg, sync = params['sync_map'], params['score']['sync']
    aw_kw = dict(half=int(cfg['audio_window']), step=int(cfg['audio_step']))
    ex = pd.read_csv(ROOT / 'reports' / 'sync_map' / 'examples.csv')
    ex = ex[ex.status == 'ok'].reset_index(drop=True)
    ex['half'] = ex.person_id.map(person_half)
    manifest = pd.read_csv(Path(a.real) / 'manifest.csv')
    role = dict(zip(manifest.file.str[:-4], manifest.role_guess))
    clips = {}
    for r in ex.itertuples():
        z = dict(np.load(ROOT / r.file))
        n = len(z['t'])
        c = dict(z=z, audio=example_audio(z), mouth=mouth_signal(z, True), person=r.person_id, half=r.half)
        c['pixels'] = mouth_pixels(str(Path(a.real) / f'{r.video_id}.mp4'), z['landmarks'], n)
        c['aws'] = {k: audio_windows(delay_audio(c['audio'], k * 640), 16000, z['t'], **aw_kw) for k in SHIFTS}
        clips[r.video_id] = c
    print(f'{len(clips)} clips tracked and cut ({time.time() - t0:.0f} s)', flush=True)

    vs, mo = int(sync['vshift']), int(sync['min_overlap'])
    rows = []

    def read(name, v, dist_of):
        for k in SHIFTS:
            r = offset_search(dist_of(k), 25.0)
            rows.append(
                dict(
                    measure=name,
                    video_id=v,
                    half=clips[v]['half'],
                    shift_frames=k,
                    measured_frames=r['sync_offset_frames'],
                    confidence=r['sync_confidence'],
                )
            )

    shipped = AVMapSync(*load_av_maps(ROOT / 'data' / 'sync_map.npz'), vs, mo)
    for v, c in clips.items():
        read('in_sample', v, lambda k: shipped.maps['blendshapes'].distances(c['mouth'], c['aws'][k], vs, mo))
    for h in 'AB':
        tr = [v for v in clips if clips[v]['half'] != h]
        ev = [v for v in clips if clips[v]['half'] == h]
        maps, meta = fit_av_maps([ROOT / ex.set_index('video_id').file[v] for v in tr], cfg)
        m = AVMapSync(maps, meta, vs, mo)
        fit_kw = {k: meta[k] for k in inspect.signature(AVMap.fit).parameters if k in meta}  # the stage's settings
        for v in ev:
            c = clips[v]
            read('map', v, lambda k: m.maps['blendshapes'].distances(c['mouth'], c['aws'][k], vs, mo))
        X = np.vstack([clips[v]['pixels'][np.isfinite(clips[v]['pixels']).all(1)] for v in tr])
        proj = _whiten(X[::2], 32, 0.0)  # the map's own principal-axes helper, no ridge
        mp = AVMap.fit([(with_pixels(clips[v], proj), clips[v]['aws'][0]) for v in tr], **fit_kw)
        for v in ev:
            c = clips[v]
            read('map_pixels', v, lambda k: mp.distances(with_pixels(c, proj), c['aws'][k], vs, mo))
        ms = sharp_map([(clips[v]['mouth'], clips[v]['aws'][0]) for v in tr], cfg=cfg)
        for v in ev:
            c = clips[v]
            read('map_sharp', v, lambda k: ms.distances(c['mouth'], c['aws'][k], vs, mo))
        if not a.no_net:
            for v in clips.values():
                w = frame_windows(v['mouth'], int(cfg['mouth_window']))
                v['w'] = np.nan_to_num(w).astype(np.float32)
                v['ok'] = np.isfinite(w).all(1) & np.isfinite(v['aws'][0]).all(1)
                v['aw'] = np.nan_to_num(v['aws'][0]).astype(np.float32)
            tn = time.time()
            net = train_net([clips[v] for v in tr])
            print(f'net for half {h}: {time.time() - tn:.0f} s', flush=True)
            for v in ev:
                c = clips[v]
                read(
                    'net',
                    v,
                    lambda k: net_distances(net, c['w'], np.nan_to_num(c['aws'][k]).astype(np.float32), c['ok']),
                )
    d = pd.DataFrame(rows)
    d['measured_frames'] = d.measured_frames.astype(float)
    own = d[d.shift_frames == 0].set_index(['measure', 'video_id']).measured_frames
    d['relative_error'] = d.measured_frames - d.shift_frames - [own.get((m, v)) for m, v in zip(d.measure, d.video_id)]
    anchors = pd.DataFrame({v: lip_anchor(c['z'], c['audio']) for v, c in clips.items()}).T
    clean = d[d.shift_frames == 0].pivot(index='video_id', columns='measure', values='measured_frames')
    conf = d[d.shift_frames == 0].pivot(index='video_id', columns='measure', values='confidence').add_suffix('_conf')
    tab = clean.join(conf.round(3))
    tab.insert(0, 'half', [clips[v]['half'] for v in tab.index])
    tab.insert(0, 'person_id', [clips[v]['person'] for v in tab.index])
    tab.insert(2, 'role_guess', [role.get(v) for v in tab.index])
    tab.insert(3, 'documented_offset', [DOCUMENTED.get(v) for v in tab.index])
    tab = tab.join(anchors.astype(float).round(3))
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    tab.to_csv(out / 'clips.csv')
    d.to_csv(out / 'shifts.csv', index=False)
    write_summary(d, tab, out, time.time() - t0)
    print((out / 'summary.md').read_text())


def anchor_lines(tab: pd.DataFrame, min_events: int = 6, max_spread: float = 2.0) -> list[str]:
    """The lip anchor against the shipped measure on the clips where the anchor is precise (at least `min_events`
    events, 10th-90th percentile spread at most `max_spread` frames): the anchor's own lag (its constant bias) is
    taken from the other half's precise clips."""
    from scipy.stats import spearmanr

    has = tab[tab.anchor_events >= min_events]
    tight = has[(has.anchor_hi - has.anchor_lo) <= max_spread].copy()
    lines = [
        '',
        '## A physical check: lip closures and releases against the audio energy',
        '',
        f'`lip_anchor` (no model): {len(has)} clips have at least {min_events} lip closure or release events; on '
        f'{len(tight)} of them the anchor is precise (10th-90th percentile over resampled events within '
        f'{max_spread:.0f} frames).',
    ]
    if len(has) > 2:
        r_all = spearmanr(has.anchor_frames, has['map'])[0]
        lines[-1] += f' Spearman ρ anchor vs `map`: {r_all:.2f} on all {len(has)}'
        if len(tight) > 2:
            lines[-1] += f', {spearmanr(tight.anchor_frames, tight["map"])[0]:.2f} on the precise ones'
        lines[-1] += '.'
    if len(tight):
        bias = {h: (g.anchor_frames - g['map']).median() for h, g in tight.groupby('half')}
        tight['bias'] = [bias.get('B' if h == 'A' else 'A', np.nan) for h in tight.half]
        tight['ok'] = (tight.anchor_frames - tight.bias - tight['map']).abs() <= 1
        lines += [
            '',
            'The anchor\'s own constant lag (onset-detection convention) is taken from the other half (median anchor − '
            f'map: A {bias.get("A", np.nan):+.2f}, B {bias.get("B", np.nan):+.2f} frames). `map` within ±1 frame of '
            f'the anchor so corrected: {int(tight.ok.sum())} of {int(tight.ok.notna().sum())}.',
            '',
            '| clip | half | events | anchor (10th-90th) | map | in_sample |',
            '|---|---|---|---|---|---|',
        ]
        for v, r in tight.iterrows():
            lines.append(
                f'| `{v}` | {r.half} | {r.anchor_events:.0f} | {r.anchor_frames:+.2f} ({r.anchor_lo:+.1f} … '
                f'{r.anchor_hi:+.1f}) | {r["map"]:+.0f} | {r.in_sample:+.0f} |'
            )
    return lines


def write_summary(d: pd.DataFrame, tab: pd.DataFrame, out: Path, seconds: float):
    measures = [m for m in ('map', 'map_pixels', 'map_sharp', 'net', 'in_sample') if m in tab]
    lines = [
        '# Sync: how far one real clip\'s absolute offset can be trusted',
        '',
        f'`python benchmarks/sync_scatter.py` ({seconds / 60:.1f} min). Clean real clips of the `sync_map` stage '
        f'({len(tab)} clips, {tab.person_id.nunique()} persons); every measure but `in_sample` read on the half its '
        'persons were not fitted on. Offsets in frames at 25 fps (+ = audio lags video).',
        '',
        '| measure | clean within ±1 of 0 (A / B / all) | clean offset 10th-90th pct | relative ±1 (shifts ±3, ±6) |',
        '|---|---|---|---|',
    ]
    for m in measures:
        c = tab[m]
        ok = c.abs() <= 1
        by = [ok[tab.half == h].mean() for h in 'AB']
        rel = d[(d.measure == m) & (d.shift_frames != 0)].relative_error.abs() <= 1
        lines.append(
            f'| {m} | {by[0]:.2f} / {by[1]:.2f} / {ok.mean():.2f} | {c.quantile(0.1):+.0f} … {c.quantile(0.9):+.0f} | '
            f'{rel.mean():.3f} |'
        )
    lines += [
        '',
        'Agreement of the measures on each clean clip\'s offset (share of clips within ±1 frame of each other):',
        '',
    ]
    lines += ['| | ' + ' | '.join(measures) + ' |', '|---' * (len(measures) + 1) + '|']
    for m in measures:
        cells = [f'{((tab[m] - tab[n]).abs() <= 1).mean():.2f}' for n in measures]
        lines.append(f'| {m} | ' + ' | '.join(cells) + ' |')
    doc = tab[tab.documented_offset.notna()]
    lines += ['', 'Clips with a documented offset:', '']
    for v, r in doc.iterrows():
        got = ', '.join(f'{m} {r[m]:+.0f}' for m in measures)
        lines.append(f'- `{v}` (documented {r.documented_offset:+.0f}): {got}')
    same = np.sign(tab[measures]).nunique(axis=1) == 1
    big = tab[(tab[measures].abs() >= 2).all(axis=1) & same]
    lines += [
        '',
        f'Clips that every measure puts 2 or more frames off 0 on the same side: {len(big)} of {len(tab)} '
        f'({", ".join(f"`{v}` {r[measures].min():+.0f}…{r[measures].max():+.0f}" for v, r in big.iterrows())}).',
    ]
    lines += anchor_lines(tab)
    (out / 'summary.md').write_text('\n'.join(lines) + '\n')
    (out / 'summary.json').write_text(
        json.dumps({m: round(float((tab[m].abs() <= 1).mean()), 3) for m in measures}, indent=1) + '\n'
    )


if __name__ == '__main__':
    main()
