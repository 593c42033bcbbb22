"""Real-footage validity benchmark (issue 28): the study's filters judged on real clips with labelled defects.

python benchmarks/real_validity.py [--real ../shared/real] [--samples ../shared/samples/talking_heads]
    [--work data/real_validity] [--out reports/real_validity] [--n-workers 2]

1. Builds the defect ladder (`talkvid_nb.ladder`) from the clean speaking bases of `--real` and the HDTF clips of
   `--samples` into `<work>/ladder` (once; kept between runs, never committed).
2. Runs the study's own stages on it as `dvc repro` would with `collect.source: folder`: `run_collect`,
   `run_segment`, `run_score` with params.yaml's sections, then `apply_filter` (paper definition, talkvid profile).
3. Splits the persons into two halves (by a hash of the person id). On the calibration half it fits the offline
   backends' free constants: the flow backend's motion-boundary floor `mb_b` (ρ recomputed per candidate from one
   pass over the clean and motion-defect clips; the floor that ships is params.yaml's, the others are recorded) and
   the camera-jitter ceiling and the lower bound of ρ, and the offline quality's ceilings on its named distortions
   (blur, noise, blocking: each on its own defect) and its score's bar on what they leave; every figure is measured on
   the other half with the constants of the first, and the halves are swapped. Thresholds of the head-detail scores
   are the paper's (no fitting).
4. Writes `<out>/clips.csv` (every clip: labels, scores, verdicts), `criteria.csv` (per criterion and evaluation
   half: accuracy, precision, recall, F1, clean pass rate), `ladder.csv` (per defect and strength: rejected by its
   own criterion, kept by the cascade), `sync.csv` (per known shift: measured offset error and confidence),
   `calibration.json` and `summary.md`.
"""

import argparse, json, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
VISUAL = ['quality', 'motion', 'resolution', 'orientation', 'completeness']
MB_GRID = [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2]
QUALITY_DEFECT = {'blur_max': 'blur', 'noise_max': 'noise', 'blocking_max': 'compression'}  # ceiling -> its defect
FLOW_MAX = 0.9999  # the flow backend's ρ of a still picture is exactly 1; clean real clips came to 0.9997


def half(person: str) -> str:
    "Each person's half, A or B: the `sync_map` stage's split (a hash of the id)."
    from talkvid_nb.sync_map import person_half

    return person_half(person)


def _build_one(args):
    from talkvid_nb.ladder import build_ladder

    row, out = args
    return build_ladder(pd.DataFrame([row]), out)


def build(bases: pd.DataFrame, out: Path, n_workers: int, real: Path | None = None) -> pd.DataFrame:
    """The ladder, bases in parallel; its metadata.csv covers every clip: the person and, from `real`'s sidecar, the
    person's language, gender, age group and ethnicity (so the ladder is a folder source the whole study can run on)."""
    items = [(r, out) for r in bases.to_dict('records')]
    with ProcessPoolExecutor(max(n_workers, 1)) as ex:
        labels = pd.concat(list(ex.map(_build_one, items)), ignore_index=True)
    for f in out.glob('*.mp4'):  # a clip of an earlier ladder is not part of this one
        if f.name not in set(labels.file):
            f.unlink()
    meta = labels[['file', 'person_id']]
    side = Path(real) / 'metadata.csv' if real else None
    if side is not None and side.exists():
        people = pd.read_csv(side).drop(columns=['file']).drop_duplicates('person_id')
        meta = meta.merge(people, on='person_id', how='left')
    meta.to_csv(out / 'metadata.csv', index=False)
    return labels


def run_study(ladder: Path, d: Path, n_workers: int) -> pd.DataFrame:
    "collect -> segment -> score -> filter on the ladder folder; one row per clip with labels' file name."
    from talkvid_nb.collect import run_collect
    from talkvid_nb.core import read_table, stage_params
    from talkvid_nb.filter import apply_filter
    from talkvid_nb.score import run_score
    from talkvid_nb.segment import run_segment

    col = run_collect({'source': 'folder', 'folder': {'path': str(ladder)}}, d)
    seg, _ = run_segment(stage_params('segment'), d, n_workers=n_workers)
    scores = run_score(stage_params('score'), d, n_workers=n_workers)
    filt = apply_filter(scores, stage_params('filter'), 'paper', 'talkvid')
    col['file'] = col.path.map(lambda p: Path(p).name)
    seg = seg.merge(col[['video_id', 'file']], on='video_id')
    seg = seg.rename(columns={'status': 'segment_status', 'reason': 'segment_reason', 'path': 'clip_path'})
    keep = ['video_id', 'clip_id', 'file', 'segment_status', 'segment_reason', 'clip_path']
    out = seg[keep].merge(filt.drop(columns=['video_id']), on='clip_id', how='left')
    out['segments'] = out.groupby('file').clip_id.transform('size')
    out = out.assign(_ok=out.segment_status == 'ok', _d=out.duration.fillna(0))
    out = out.sort_values(['_ok', '_d'], ascending=False).drop_duplicates('file')  # a file's longest kept segment
    return out.drop(columns=['_ok', '_d'])


def motion_curves(clips: pd.DataFrame, n_workers: int) -> pd.DataFrame:
    "ρ (paper) of each clean and motion-defect clip for every `MB_GRID` floor, from one pass of the flow backend."
    todo = clips[clips.criterion.isin(['none', 'motion']) & (clips.segment_status == 'ok')]
    with ProcessPoolExecutor(max(n_workers, 1)) as ex:
        rhos = list(ex.map(_curve, todo.clip_path, todo.duration))
    return pd.DataFrame([dict(file=f, **r) for f, r in zip(todo.file, rhos)])


def run_flow(path, duration: float):
    "The flow motion backend with params.yaml's settings, fed a whole clip (its `result`, `rho_paper` to read)."
    from talkvid_nb.core import stage_params
    from talkvid_nb.motion import make_scorer
    from talkvid_nb.score import decode_chunks

    cfg = stage_params('score')
    m = make_scorer(
        {**cfg, 'motion': {**cfg['motion'], 'backend': 'flow'}}, dict(fps=cfg['fps'], duration=duration), {}
    )
    for chunk in decode_chunks(path, cfg):
        m.update(chunk)
    return m


def _curve(path, duration):
    m = run_flow(path, duration)
    return {f'rho_{b:g}': m.rho_paper(b) for b in MB_GRID}


def youden(x: np.ndarray, bad: np.ndarray, lo: bool = True) -> tuple[float, float]:
    """The cut on score `x` that best separates clean (bad False) from defective clips (Youden's J = pass rate of
    clean + reject rate of defects - 1), rejecting below it (`lo`) or above it; cuts are midpoints between neighbouring
    scores, and of the cuts that reach the best J the middle one is taken."""
    v = np.unique(x[~np.isnan(x)])
    cuts = np.r_[v[0] - 1, (v[1:] + v[:-1]) / 2, v[-1] + 1]
    js = []
    for c in cuts:
        rej = (x < c) if lo else (x > c)
        js.append((~rej[~bad]).mean() + rej[bad].mean() - 1)
    js = np.round(js, 9)
    top = cuts[js == js.max()]
    return float(top[len(top) // 2]), float(js.max())


def fit(cal: pd.DataFrame, curves: pd.DataFrame, flt: dict) -> dict:
    """Thresholds fitted on the calibration clips by Youden's J: the flow backend's camera-jitter ceiling, then its
    lower bound on ρ at the shipped motion-boundary floor `mb_b` over what the jitter and ρ's upper bound (`FLOW_MAX`)
    leave (J and cut at the other floors are recorded), and the offline quality threshold."""
    from talkvid_nb.core import stage_params
    from talkvid_nb.filter import QUALITY_GATES

    out = {}
    cols = ['file', 'criterion', 'camera_jitter']
    mc = curves[curves.file.isin(cal.file)].merge(cal[cols].drop_duplicates('file'), on='file')
    if len(mc):
        bad = (mc.criterion == 'motion').to_numpy()
        b = float(stage_params('score')['motion']['flow']['mb_b'])  # the floor that ships; the others for the record
        r = mc[f'rho_{b:g}'].to_numpy(float)
        jit = mc.camera_jitter.to_numpy(float)
        # camera jitter first (it separates shake from a head moving); a clip above ρ's upper bound (a still picture)
        # is rejected whatever the cut
        out['jitter_max'], out['jitter_J'] = youden(np.where(r > FLOW_MAX, np.inf, jit), bad, lo=False)
        gone = (r > FLOW_MAX) | (jit > out['jitter_max'])  # rejected by the upper bound or the jitter: at every ρ cut
        best = {}
        for bb in MB_GRID:
            rb = mc[f'rho_{bb:g}'].to_numpy(float)
            cut, j = youden(np.where(gone, -1.0, rb), bad)
            best[bb] = (round(j, 9), cut)
        out.update(mb_b=b, motion_min=best[b][1], motion_max=FLOW_MAX, best_mb_b=max(best, key=lambda k: best[k][0]))
        out['motion_J'] = {f'{bb:g}': [round(j, 4), round(c, 4)] for bb, (j, c) in best.items()}
    q = cal[cal.criterion.isin(['none', 'quality']) & cal.dover_score.notna()].drop_duplicates('file')
    if len(q) and (q.quality_backend == 'brisque').all():
        gone = np.zeros(len(q), bool)
        for gate, defect in QUALITY_DEFECT.items():  # each ceiling on its own defect against the clean clips
            col = QUALITY_GATES[gate]
            own = q.defect.isin(['none', defect]).to_numpy()
            x = np.where(q[col].isna(), np.inf, q[col]).astype(float)
            out[gate], out[f'{gate}_J'] = youden(x[own], (q.defect == defect).to_numpy()[own], lo=False)
            gone |= x > out[gate]
        rest = q[~gone]  # the score's own bar, on what the ceilings leave
        if (rest.criterion == 'quality').any():
            out['quality_min'], out['quality_J'] = youden(
                rest.dover_score.to_numpy(float), (rest.criterion == 'quality').to_numpy()
            )
    return out


def evaluate(ev: pd.DataFrame, curves: pd.DataFrame, consts: dict, flt: dict) -> pd.DataFrame:
    "The evaluation clips refiltered with the calibration half's constants (a column `kept`, `pass_<c>`)."
    from talkvid_nb.filter import apply_filter

    sc = ev[ev.segment_status == 'ok'].copy()
    if 'mb_b' in consts and (sc.motion_backend == 'flow').all():
        rho = curves.set_index('file')[f"rho_{consts['mb_b']:g}"]
        sc['cotracker_ratio_paper'] = sc.file.map(rho).fillna(sc.cotracker_ratio_paper)
    cfg = json.loads(json.dumps(flt))
    if 'quality_min' in consts:
        cfg['per_backend']['brisque']['quality']['min'] = consts['quality_min']
    for gate in QUALITY_DEFECT:
        if gate in consts:
            cfg['per_backend']['brisque']['quality'][gate] = consts[gate]
    if 'motion_min' in consts:
        cfg['per_backend'].setdefault('flow', {})['motion'] = dict(
            min=consts['motion_min'], max=consts['motion_max'], jitter_max=consts['jitter_max']
        )
    cols = [c for c in sc.columns if not c.startswith('pass_') and c not in ('first_fail', 'definition', 'profile')]
    f = apply_filter(sc[cols].assign(status='ok'), cfg, 'paper', 'talkvid')
    return ev[['file']].merge(f[['file', 'first_fail'] + [c for c in f.columns if c.startswith('pass_')]], 'left')


def criterion_table(ev: pd.DataFrame) -> list[dict]:
    "Per criterion: its defects (positives) against the clean clips (negatives), rejection by that criterion."
    rows = []
    for c in VISUAL + ['speech', 'duration']:
        sub = ev[ev.criterion.isin(['none', c])]
        if c in VISUAL:
            sub = sub[sub.segment_status == 'ok']
            rej = ~sub[f'pass_{c}'].astype(bool)
        else:
            rej = (sub.segment_status != 'ok') & (sub.segment_reason == c)
        pos = (sub.criterion == c).to_numpy()
        r = rej.to_numpy()
        tp, fp, fn, tn = (r & pos).sum(), (r & ~pos).sum(), (~r & pos).sum(), (~r & ~pos).sum()
        prec = tp / (tp + fp) if tp + fp else np.nan
        rec = tp / (tp + fn) if tp + fn else np.nan
        rows.append(
            dict(
                criterion=c,
                defects=int(pos.sum()),
                clean=int((~pos).sum()),
                accuracy=(tp + tn) / len(r) if len(r) else np.nan,
                precision=prec,
                recall=rec,
                f1=2 * prec * rec / (prec + rec) if prec + rec else np.nan,
                clean_pass=tn / (tn + fp) if tn + fp else np.nan,
            )
        )
    return rows


def sync_table(clips: pd.DataFrame, fps: float) -> pd.DataFrame:
    "Per known shift (ms, + = audio later): the measured offset's error in frames and the confidence."
    s = clips[clips.criterion.isin(['none', 'sync']) & (clips.segment_status == 'ok')].copy()
    s['shift_ms'] = np.where(
        s.defect == 'audio_delay',
        s.strength.astype(float),
        np.where(s.defect == 'audio_lead', -s.strength.astype(float), 0),
    )
    s['error_frames'] = (s.sync_offset_ms - s.shift_ms) / 1000 * fps
    g = s.groupby('shift_ms')
    return pd.DataFrame(
        dict(
            clips=g.size(),
            within_1_frame=g.error_frames.apply(lambda e: float((e.abs() <= 1).mean())),
            median_abs_error_frames=g.error_frames.apply(lambda e: float(e.abs().median())),
            median_confidence=g.sync_confidence.median(),
        )
    ).reset_index()


def sync_heldout(clips: pd.DataFrame, work: Path, fps: float, examples_csv: Path) -> pd.DataFrame:
    """The ladder's clean and shifted clips measured by the `av_map` backend from the study's stored face tracks, each
    half with a map fitted on the other half's persons (the `sync_map` stage's examples of `../shared/real`), the
    envelope bar fitted on the other half's `av_corr` measurements; each measurement then corrected as the filter's
    `sync_correction` does (`shift_audio`) and measured again. A row per clip."""
    from talkvid_nb.core import stage_params
    from talkvid_nb.media import load_audio
    from talkvid_nb.sync import AVCorrSync, AVMapSync, fit_av_maps, shift_audio
    from talkvid_nb.sync_map import shift_errors

    sc, smap = stage_params('score')['sync'], stage_params('sync_map')
    ex = pd.read_csv(examples_csv)
    ex = ex[ex.status == 'ok']
    s = clips[clips.criterion.isin(['none', 'sync']) & (clips.segment_status == 'ok')].copy()
    sign = s.defect.map({'audio_delay': 1, 'audio_lead': -1}).fillna(0)
    s['shift_frames'] = sign * pd.to_numeric(s.strength, errors='coerce').fillna(0) / 1000 * fps
    env = AVCorrSync.from_cfg(sc)
    tracks, audio = {}, {}
    for r in s.itertuples():
        tracks[r.file] = dict(np.load(work / 'study' / 'tracks' / f'{r.clip_id}.npz'))
        audio[r.file] = load_audio(r.clip_path, 16000)
    e = {f: env.on_track(tracks[f], audio[f], 16000, fps) for f in s.file}
    s['envelope_frames'] = s.file.map(lambda f: e[f]['sync_offset_frames'])
    s['envelope_dist'] = s.file.map(lambda f: e[f]['sync_dist'])
    s['envelope_ok'] = (s.envelope_frames - s.shift_frames).abs() <= 1
    rows = []
    tmp = work / 'synced'
    tmp.mkdir(exist_ok=True)
    for h in 'AB':
        ev, cal = s[s.half == h], s[s.half != h]
        # the envelope view's bar: params.yaml's, lowered below any calibration measurement the view got wrong (real
        # footage bounds it from above only: what it must stay under, not where a rendered mouth begins)
        wrong = cal[~cal.envelope_ok].envelope_dist.dropna()
        bar = min([float(sc['envelope_max_dist'])] + ([float(wrong.min()) - 1e-3] if len(wrong) else []))
        train = ex[ex.person_id.map(half) != h]
        maps, meta = fit_av_maps(train.file.tolist(), smap)
        sync = AVMapSync(maps, meta, int(sc['vshift']), int(sc['min_overlap']), env, bar)
        for r in ev.itertuples():
            t0 = time.process_time()
            m = sync.on_track(tracks[r.file], audio[r.file], 16000, fps)
            cpu = time.process_time() - t0
            row = dict(
                file=r.file,
                base=r.base,
                person_id=r.person_id,
                half=h,
                shift_frames=r.shift_frames,
                measured_frames=m['sync_offset_frames'],
                confidence=m['sync_confidence'],
                view=m['sync_view'],
                envelope_bar=bar,
                train_persons=meta['persons'],
                train_frames=meta['frames'],
                cpu_s=cpu,
                seconds=len(audio[r.file]) / 16000,
            )
            if m['sync_offset_ms'] is not None:
                dst = tmp / r.file
                shift_audio(r.clip_path, dst, m['sync_offset_ms'])
                c = sync.on_track(tracks[r.file], load_audio(dst, 16000), 16000, fps)
                row['corrected_frames'] = c['sync_offset_frames']
                dst.unlink()
            rows.append(row)
    d = shift_errors(pd.DataFrame(rows), 'base')
    d['corrected_ok'] = d.corrected_frames.abs() <= 1
    return d


def sync_summary(d: pd.DataFrame, target: float = 0.9) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per evaluation half and known shift, and per half over every shift (relative: shifted clips only): within ±1
    frame (absolute and relative to the clip's own source offset),
    the confidence threshold fitted on the other half, the share above it and the accuracies there, and corrected
    clips re-measured within ±1 frame of 0."""
    from talkvid_nb.sync_map import confidence_threshold

    thr = {h: confidence_threshold(d[d.half != h], target) for h in 'AB'}
    d = d.assign(threshold=d.half.map(thr))
    d['above'] = d.confidence >= d.threshold
    agg = dict(
        clips=('file', 'size'),
        absolute_within_1=('absolute_ok', 'mean'),
        relative_within_1=('relative_ok', 'mean'),
        median_confidence=('confidence', 'median'),
        threshold=('threshold', 'first'),
        share_above=('above', 'mean'),
        corrected_within_1=('corrected_ok', 'mean'),
    )
    per = d.groupby(['half', 'shift_frames']).agg(**agg)
    above = (
        d[d.above]
        .groupby(['half', 'shift_frames'])
        .agg(absolute_within_1_above=('absolute_ok', 'mean'), relative_within_1_above=('relative_ok', 'mean'))
    )
    per = per.join(above).reset_index()
    moved = d[d.shift_frames != 0]  # relative accuracy over all: shifted clips only (a clean one is its own reference)
    tot = d.groupby('half').agg(**agg)
    tot['relative_within_1'] = moved.groupby('half').relative_ok.mean()
    tot['absolute_within_1_above'] = d[d.above].groupby('half').absolute_ok.mean()
    tot['relative_within_1_above'] = moved[moved.above].groupby('half').relative_ok.mean()
    return per, tot.reset_index()


def write_sync(clips: pd.DataFrame, work: Path, out: Path) -> list[str]:
    "`sync_heldout` and `sync_summary` written to `sync_heldout.csv` and `sync.md`; the markdown lines."
    from talkvid_nb.core import stage_params

    fps = float(stage_params('score')['fps'])
    d = sync_heldout(clips, work, fps, ROOT / 'reports' / 'sync_map' / 'examples.csv')
    per, tot = sync_summary(d, float(stage_params('sync_map')['min_confidence_target']))
    d.to_csv(out / 'sync_heldout.csv', index=False)
    tr = d.groupby('half')[['train_persons', 'train_frames', 'envelope_bar']].first()
    md = [
        '## Sync on held-out persons (av_map: map, envelope bar and confidence threshold from the other half)',
        '',
        'Maps fitted on '
        + ', '.join(
            f'{int(r.train_persons)} persons ({int(r.train_frames)} face frames) for half {h}' for h, r in tr.iterrows()
        )
        + '; envelope-view distance bars '
        + ', '.join(f'{h}: {r.envelope_bar:.3f}' for h, r in tr.iterrows())
        + '.',
        '`absolute`: against the known shift (the source taken as in sync); `relative`: against the known shift plus'
        " the clip's own measured source offset; `corrected`: re-measured after `shift_audio` by the measured offset.",
        '',
        tot.round(3).to_markdown(index=False),
        '',
        per.round(3).to_markdown(index=False),
        '',
        f'CPU of one measurement (map and envelope view, from the stored track and the clip\'s audio): '
        f'{d.cpu_s.sum() / d.seconds.sum():.4f} s per clip-second over {len(d)} clips ({d.seconds.sum():.0f} s).',
        '',
        'Source offsets measured (frames, clean clips): '
        + ', '.join(f'{r.base}: {r.measured_frames:+.0f}' for r in d[d.shift_frames == 0].itertuples()),
    ]
    (out / 'sync.md').write_text('\n'.join(md) + '\n')
    return md


def _quality_copies(args) -> list[dict]:
    "One unseen clip and its mildest quality defects (`ladder.quality_copies`), scored by the quality scorer."
    path, tmp, max_s = args
    from talkvid_nb.core import stage_params
    from talkvid_nb.ladder import quality_copies
    from talkvid_nb.quality import quality_of

    cfg = stage_params('score')
    rows = []
    for c in quality_copies(path, tmp, max_s):
        r = quality_of(c['path'], cfg)
        rows.append(
            dict(file=Path(path).name, defect=c['defect'], strength=c['strength'], **{k: r[k] for k in QUALITY_COLS})
        )
    return rows


QUALITY_COLS = ['dover_score', 'quality_blur', 'quality_noise', 'quality_blocking']


def unseen_quality(samples: Path, bases: pd.DataFrame, out: Path, n_workers: int, max_s: float = 6.0) -> list[str]:
    """The quality criterion with the thresholds params.yaml ships, on real clips of persons the ladder never saw (the
    shared samples that are not ladder bases) and their mildest quality defects: `quality_unseen.csv`."""
    import tempfile

    from talkvid_nb.core import stage_params
    from talkvid_nb.filter import criterion_pass, thresholds

    seen = set(Path(p).name for p in bases.path)
    paths = [str(p) for p in sorted(Path(samples).glob('*.mp4')) if p.name not in seen]
    with tempfile.TemporaryDirectory() as tmp, ProcessPoolExecutor(max(n_workers, 1)) as ex:
        d = pd.DataFrame([r for rows in ex.map(_quality_copies, [(p, tmp, max_s) for p in paths]) for r in rows])
    th = thresholds(stage_params('filter'), 'paper', {'quality': 'brisque'})['quality']
    d['passes'] = criterion_pass(d, 'quality', th, 'paper')
    d.to_csv(out / 'quality_unseen.csv', index=False)
    t = d.groupby('defect', sort=False).agg(clips=('file', 'size'), passes=('passes', 'mean')).reset_index()
    t['rejected'] = 1 - t.passes
    fails = d[(d.defect == 'none') & ~d.passes]
    return [
        '## Quality on persons the ladder never saw (thresholds as shipped)',
        '',
        f'{len(paths)} shared samples that are not ladder bases, and their mildest quality defects (blur σ 2,'
        ' noise σ 12, x264 CRF 40), each cut as the segment stage cuts: `quality_unseen.csv`.',
        '',
        t.round(3).to_markdown(index=False),
        '',
        'Clean clips rejected: '
        + (
            ', '.join(
                f'{r.file} (blur {r.quality_blur:.2f}, noise {r.quality_noise:.2f}, blocking '
                f'{r.quality_blocking:.3f}, score {r.dover_score:.2f})'
                for r in fails.itertuples()
            )
            or 'none'
        )
        + '.',
    ]


FOLDER_COLS = [
    'file', 'person_id', 'role_guess', 'duration_s', 'clip_id', 'duration', 'verdict', 'reason', 'first_fail',
    'dover_score', 'quality_blur', 'quality_noise', 'quality_blocking', 'cotracker_ratio', 'camera_jitter',
    'avg_resolution', 'avg_orientation', 'min_completeness', 'face_backend', 'quality_backend', 'motion_backend',
]  # fmt: skip


def folder_verdicts(real: Path, work: Path, out: Path, n_workers: int) -> list[str]:
    """The study run on the real folder itself (`collect.source: folder`, as `dvc repro` runs it) with the thresholds
    params.yaml ships: every clip's verdict beside its scores (`real_folder_verdicts.csv`), and a frame of each clean
    base beside its verdict (`real_folder_clean.png`). Returns the summary's section."""
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from talkvid_nb.media import iter_frames

    clips = run_study(real, work / 'folder', n_workers)
    man = pd.read_csv(real / 'manifest.csv')[['file', 'person_id', 'role_guess', 'duration_s']]
    v = man.merge(clips.drop(columns=['person_id'], errors='ignore'), on='file', how='left')
    seg_ok = v.segment_status == 'ok'
    v['verdict'] = np.where(~seg_ok, 'dropped', np.where(v.status == 'ok', 'kept', 'rejected'))
    v['reason'] = np.where(seg_ok, v.reason, v.segment_reason.fillna('no segment'))
    v = v.reindex(columns=FOLDER_COLS)
    v.to_csv(out / 'real_folder_verdicts.csv', index=False)
    clean = v[(v.role_guess == 'clean_base') & (v.verdict != 'dropped')].reset_index(drop=True)
    n = max(len(clean), 1)
    fig, axes = plt.subplots((n + 5) // 6, 6, figsize=(18, 3.4 * ((n + 5) // 6)), squeeze=False)
    for ax in axes.ravel():
        ax.axis('off')
    for ax, r in zip(axes.ravel(), clean.itertuples()):
        path = clips.set_index('file').clip_path.get(r.file)
        fr = next((f for i, (_, f) in enumerate(iter_frames(path, short_side=256, fps=1.0)) if i == 2), None)
        if fr is not None:
            ax.imshow(fr)
        ax.set_title(
            f'{r.file[:28]}\n{r.verdict} {r.reason if r.verdict != "kept" else ""}\nq {r.dover_score:.1f} blur '
            f'{r.quality_blur:.2f} noise {r.quality_noise:.2f} blk {r.quality_blocking:.3f}',
            fontsize=7,
        )
    fig.tight_layout()
    fig.savefig(out / 'real_folder_clean.png', dpi=80)
    plt.close(fig)
    tab = v.groupby(['role_guess', 'verdict']).size().unstack(fill_value=0)
    rej = clean[clean.verdict == 'rejected']
    return [
        '## The real folder as the study\'s source (thresholds as shipped; not a held-out figure)',
        '',
        f"`collect.source: folder` on {real}: {len(v)} videos, {int((v.verdict == 'kept').sum())} kept. Every clip's"
        ' verdict and scores: `real_folder_verdicts.csv`.',
        '',
        tab.to_markdown(),
        '',
        f'Clean bases with a segment of 5 s or more: {len(clean)}, kept {int((clean.verdict == "kept").sum())}'
        + (f"; rejected: {', '.join(f'{r.file} ({r.reason})' for r in rej.itertuples())}" if len(rej) else '')
        + '.',
        '',
        'A frame of each clean base beside its verdict: `real_folder_clean.png` beside this report, written by the'
        ' benchmark and never committed (frames of real clips).',
    ]


def score_figure(clips: pd.DataFrame, flt: dict, path: Path):
    "Each visual criterion's score on clean clips and on its own defects (every person), with the shipped thresholds."
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import seaborn as sns

    cols = dict(
        quality='dover_score', motion='cotracker_ratio_paper', resolution='avg_resolution_paper',
        orientation='avg_orientation_paper', completeness='min_completeness_paper',
    )  # fmt: skip
    shipped = {
        'quality': flt['per_backend']['brisque']['quality'], 'motion': flt['per_backend']['flow']['motion'],
        **{c: {'min': flt['paper'][c]['avg']} for c in ('resolution', 'orientation')},
        'completeness': {'min': flt['paper']['completeness']['min']},
    }  # fmt: skip
    from talkvid_nb.filter import QUALITY_GATES

    panels = [(c, col, clips.criterion.isin(['none', c]), shipped[c]) for c, col in cols.items()]
    for gate, defect in QUALITY_DEFECT.items():  # the offline quality's ceilings, each on its own defect
        col = QUALITY_GATES[gate]
        if col in clips:
            th = {'max': shipped['quality'].get(gate)}
            panels.insert(1, (f'quality: {defect}', col, clips.defect.isin(['none', defect]), th))
    fig, axes = plt.subplots(2, 4, figsize=(16, 8.4))
    for ax in axes.ravel()[len(panels) :]:
        ax.axis('off')
    for ax, (c, col, sel, th) in zip(axes.ravel(), panels):
        d = clips[sel & clips[col].notna()].copy()
        d['clip'] = np.where(d.defect == 'none', 'clean', d.defect + ' ' + d.strength.astype(str))
        order = ['clean'] + sorted(set(d['clip']) - {'clean'})
        sns.stripplot(data=d, x='clip', y=col, hue='half', order=order, ax=ax, size=4, jitter=0.2)
        for k in ('min', 'max'):
            if th.get(k) is not None:
                ax.axhline(th[k], color='k', lw=0.8, ls='--')
        ax.set_title(f'{c} ({col})', fontsize=9)
        ax.set_xlabel('')
        ax.tick_params(axis='x', rotation=45, labelsize=8)
    fig.suptitle(
        'Real clips: clean and each defect of the criterion (dashed: the threshold params.yaml ships on the score'
        ' shown; resolution and orientation also have a per-frame minimum)'
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def splice(summary: Path, md: list[str]):
    "Replace the section of `summary` that starts with `md[0]` by `md` (or put it before the calibration); print it."
    old = summary.read_text() if summary.exists() else ''
    head, sep, tail = old.partition(md[0] + '\n')
    if sep:
        nxt = tail.find('\n## ')
        tail = tail[nxt + 1 :] if nxt >= 0 else ''
    else:
        head, sep, tail = old.partition('## Calibration')
        tail = sep + tail
    summary.write_text(head + '\n'.join(md) + '\n\n' + tail)
    print('\n'.join(md))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--real', default=str(ROOT.parent / 'shared' / 'real'))
    ap.add_argument('--samples', default=str(ROOT.parent / 'shared' / 'samples' / 'talking_heads'))
    ap.add_argument('--work', default=str(ROOT / 'data' / 'real_validity'))
    ap.add_argument('--out', default=str(ROOT / 'reports' / 'real_validity'))
    ap.add_argument('--n-workers', type=int, default=2)
    ap.add_argument('--sync-only', action='store_true', help='only the sync part, on the clips.csv of an earlier run')
    ap.add_argument('--folder-only', action='store_true', help='only the study on the real folder itself')
    ap.add_argument('--quality-unseen', action='store_true', help='only quality on the samples the ladder never saw')
    a = ap.parse_args()
    from talkvid_nb.core import stage_params
    from talkvid_nb.ladder import real_bases

    work, out = Path(a.work), Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    if a.sync_only:  # the sync section of summary.md replaced, the rest as the last full run left it
        splice(out / 'summary.md', write_sync(pd.read_csv(out / 'clips.csv'), work, out))
        return
    if a.folder_only or a.quality_unseen:  # those sections of summary.md replaced, the rest as the last run left it
        if a.folder_only:
            splice(out / 'summary.md', folder_verdicts(Path(a.real), work, out, a.n_workers))
        if a.quality_unseen:
            bases = real_bases(a.real, a.samples)
            splice(out / 'summary.md', unseen_quality(Path(a.samples), bases, out, a.n_workers))
        return
    bases = real_bases(a.real, a.samples)
    labels = build(bases, work / 'ladder', a.n_workers, Path(a.real))
    clips = labels.merge(run_study(work / 'ladder', work / 'study', a.n_workers), on='file', how='left')
    clips['half'] = clips.person_id.map(half)
    flt = stage_params('filter')
    curves = motion_curves(clips, a.n_workers) if (clips.motion_backend.dropna() == 'flow').all() else pd.DataFrame()
    crit, ladder_rows, cal_out, kept_clean = [], [], {}, []
    shipped = fit(clips, curves, flt)  # on every person: the values params.yaml ships (not a held-out figure)
    for cal_h, ev_h in (('A', 'B'), ('B', 'A')):
        cal, ev = clips[clips.half == cal_h], clips[clips.half == ev_h]
        consts = fit(cal, curves, flt)
        cal_out[f'fit_on_{cal_h}'] = consts
        ev = ev.drop(columns=[c for c in ev.columns if c.startswith('pass_') or c == 'first_fail'])
        ev = ev.merge(evaluate(ev, curves, consts, flt), on='file', how='left')
        ev['kept'] = (ev.segment_status == 'ok') & ev.first_fail.isna() & ev.pass_quality.notna()
        crit += [dict(evaluated_on=ev_h, persons=ev.person_id.nunique(), **r) for r in criterion_table(ev)]
        for (dfc, s), g in ev.groupby(['defect', 'strength'], dropna=False):
            own = g.criterion.iloc[0]
            if own in VISUAL:
                own_rej = (~g[f'pass_{own}'].astype('boolean')).mean()
            elif own in ('speech', 'duration'):
                own_rej = ((g.segment_status != 'ok') & (g.segment_reason == own)).mean()
            else:
                own_rej = np.nan
            ladder_rows.append(
                dict(
                    evaluated_on=ev_h,
                    defect=dfc,
                    strength=s,
                    criterion=own,
                    clips=len(g),
                    own_rejects=own_rej,
                    cascade_keeps=g.kept.mean(),
                )
            )
        c = ev[ev.defect == 'none']
        kept_clean.append(
            dict(
                evaluated_on=ev_h,
                clean=len(c),
                kept=int(c.kept.sum()),
                first_fail=c.first_fail.fillna(c.segment_reason).value_counts().to_dict(),
            )
        )
    crit, lad = pd.DataFrame(crit), pd.DataFrame(ladder_rows)
    sync = sync_table(clips, float(stage_params('score')['fps']))
    clips.to_csv(out / 'clips.csv', index=False)
    crit.to_csv(out / 'criteria.csv', index=False)
    lad.to_csv(out / 'ladder.csv', index=False)
    sync.to_csv(out / 'sync.csv', index=False)
    if len(curves):
        curves.to_csv(out / 'motion_curves.csv', index=False)
    summary = dict(
        bases=len(bases),
        persons=int(bases.person_id.nunique()),
        clips=len(clips),
        halves={h: sorted(clips[clips.half == h].person_id.unique()) for h in 'AB'},
        calibration=cal_out,
        fitted_on_all_persons=shipped,
        split_by_segmenter=clips.loc[clips.segments > 1, 'file'].tolist(),
        clean_kept=kept_clean,
        backends={
            k: clips[k].dropna().unique().tolist()
            for k in ('quality_backend', 'motion_backend', 'face_backend', 'sync_backend')
        },
    )
    score_figure(clips, flt, out / 'scores.png')
    (out / 'calibration.json').write_text(json.dumps(summary, indent=1, default=str))
    md = [
        '# Real-footage validity (benchmarks/real_validity.py)',
        '',
        f"{len(bases)} clean bases of {summary['persons']} persons, {len(clips)} ladder clips;"
        ' every figure below is measured on the half of the persons that did not fit the constants.',
        '',
        '## Clean clips kept by the whole cascade (paper definition)',
        '',
        pd.DataFrame(kept_clean).to_markdown(index=False),
        '',
        '## Per criterion',
        '',
        crit.round(3).to_markdown(index=False),
        '',
        '## Per defect and strength',
        '',
        lad.round(3).to_markdown(index=False),
        '',
        '## Scores (every person, the thresholds params.yaml ships: a picture, not a held-out figure)',
        '',
        '![Scores of clean clips and of each defect](scores.png)',
        '',
        '## Sync: known shifts, offline backend of the study run (all persons; its map saw every real person)',
        '',
        sync.round(3).to_markdown(index=False),
        '',
        *write_sync(clips, work, out),
        '',
        *folder_verdicts(Path(a.real), work, out, a.n_workers),
        '',
        *unseen_quality(Path(a.samples), bases, out, a.n_workers),
        '',
        '## Calibration',
        '',
        '```',
        json.dumps(cal_out, indent=1, default=str),
        '```',
    ]
    (out / 'summary.md').write_text('\n'.join(md) + '\n')
    print('\n'.join(md))


if __name__ == '__main__':
    main()
