"""Real-time factor of the score stage on the shared samples (not a test: run by hand).

python benchmarks/score_rtf.py [--samples ../shared/samples/talking_heads] [--workers 2] [--engine local|ray]
[--repeat 1] [--long 0] [--floor] [--out reports/benchmarks]
python benchmarks/score_rtf.py --mode ab [--pairs 1] [--every 1]   # score.mode full vs cascade on the mix
python benchmarks/score_rtf.py --mode kept [--pairs 1] [--every 4]  # then: CPU of kept clips, both modes, alternating

`--mode full|cascade|ab` measures `score.mode` instead, on a realistic mix: the default corpus's kept segments (after
`dvc repro`), the real-footage ladder's (after `benchmarks/real_validity.py`), every clip of ../shared/real and every
shared sample whole. Each run is the stage itself (`run_score`, 2 workers, an empty cache); `ab` interleaves the
modes. It writes the verdict table (status and first failing criterion of every clip in both modes), clip-seconds
per wall-second, CPU seconds per kept clip-second, the share of clips reaching each step, and then changes three
thresholds and reruns the cascade on its cache: the clips rescored must be exactly those the new thresholds could
keep, and the verdicts must equal `full`'s under the new thresholds.

For every sample video: the decode-only rate at analysis resolution (one process, FFmpeg's frame threads on every
core), the fused scorer (one decode feeding quality, motion and faces) with each scorer's share, and the peak
memory of the worker process that scored it. Then the whole set through `map_clips` on `--workers` workers of
`--engine` (local process pool or a local Ray instance with the `common.ray` options), as the stage runs it — so
Ray's overhead is visible; `--repeat N` runs that N times and reports the median run (every run's figure is kept
in `rtf_stage_runs`). Before each stage run, the same clips are decoded alone over the same number of one-thread
worker processes, longest first (`rtf_decode_stage`): the physical limit of a one-decode design on these cores,
which `stage_share_of_decode_rate` compares the stage with (two one-thread decoders outrun one frame-threaded
decoder on small frames, so the one-process figure, `stage_share_of_one_process_decode_rate`, flatters the
stage). RTF = video seconds / wall seconds. `--long M` also scores one M-minute clip (the first sample played
over and over, no audio) in a fresh worker and reports its peak memory: the target is 2 GB per worker whatever
the clip length. `stage_worker_busy` is the share of worker time spent inside clips (the rest is process start-
up, model loading and the tail); `rtf_stage_per_worker_clip` is a single-threaded worker's rate inside clips.
`--floor` scores every clip once more in one warmed-up one-thread worker with the kernels timed call by call
(OpenCV's LK and solvePnP, dlib's detector and 68-point fit; decode, 1-fps quality and sync from the clip's own
timings): `ms_*` per frame, `ms_kernels` their sum without any glue, `floor_rtf_max` the rate that sum allows
with every worker busy, and `half_decode_rate_needs_ms` the most a frame may cost for the stage to reach half of
`rtf_decode_stage`. Prints a table and writes JSON."""

import argparse, json, resource, time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _decode_only(path, short_side, fps, threads=0):
    """Frames of one clip decoded alone at analysis resolution, and the seconds it took. threads=0: FFmpeg's frame
    threads on every core, as a lone process decodes; 1: as a stage worker decodes."""
    from talkvid_nb.media import iter_frames

    t = time.perf_counter()
    n = sum(1 for _ in iter_frames(path, short_side=short_side, fps=fps, upscale=False, threads=threads))
    return n, time.perf_counter() - t


def decode_stage(paths, short_side, fps, workers, ctx) -> float:
    """Wall seconds to decode every clip over `workers` one-thread processes, longest first (workers started and
    warmed outside the timing)."""
    import functools
    from talkvid_nb.parallel import _init_worker

    dec = functools.partial(_decode_only, short_side=short_side, fps=fps, threads=1)
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker) as ex:
        list(ex.map(dec, [paths[-1]] * workers))
        t = time.perf_counter()
        list(ex.map(dec, paths))
        return time.perf_counter() - t


def stage_run(items, cfg, spec, workers):
    "The score stage's map over clips, as `run_score` runs it (longest first), without its cache: one result per clip."
    import functools
    from talkvid_nb.parallel import map_clips
    from talkvid_nb.score import score_clip

    return map_clips(
        functools.partial(score_clip, cfg=cfg),
        items,
        key='clip_id',
        engine=spec,
        n_workers=workers,
        progress=False,
        cost=lambda r: r['duration'],
    )


def _score(path, cfg) -> tuple[float, dict, float]:
    "Score one clip in this (worker) process: its duration, `score_clip`'s record, the process's peak memory in MB."
    from talkvid_nb.media import probe
    from talkvid_nb.score import score_clip

    dur = probe(path)['duration']
    r = score_clip(dict(clip_id=Path(path).stem, path=str(path), duration=dur), cfg)
    return dur, r, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _one(args):
    path, cfg = args
    n, dec = _decode_only(path, cfg['short_side'], cfg['fps'])
    dur, r, peak = _score(path, cfg)
    return dict(
        video=Path(path).name,
        seconds=dur,
        frames=n,
        decode_s=dec,
        total_s=r['time_total_s'],
        **{k: r[f'time_{k}_s'] for k in ('decode', 'quality', 'motion', 'faces')},
        peak_rss_mb=peak,
    )


class _Timed:
    "A kernel (a callable) whose calls add their wall seconds to `acc[key]`."

    def __init__(self, fn, key, acc):
        self.fn, self.key, self.acc = fn, key, acc

    def __call__(self, *a, **k):
        t = time.perf_counter()
        try:
            return self.fn(*a, **k)
        finally:
            self.acc[self.key] += time.perf_counter() - t


def _floor(paths, cfg) -> dict:
    """Per-frame seconds of the kernels `score_clip` runs, in this (one-thread worker) process: every clip scored
    once with OpenCV's LK and solvePnP and the dlib detector and landmark fit timed call by call; decode, quality
    and sync from the record's own timings; the rest of each scorer is its glue."""
    import types, cv2
    from talkvid_nb.faces import cached_face_backend

    f = cfg['faces']
    fb = cached_face_backend(f['backend'], f['insightface_root'], f['fan_hub_dir'])
    acc = dict(lk=0.0, landmark_fit=0.0, head_pose=0.0, detector=0.0)
    _score(paths[0], cfg)  # models loaded and warm before any timing
    cv2.calcOpticalFlowPyrLK = _Timed(cv2.calcOpticalFlowPyrLK, 'lk', acc)
    cv2.solvePnP = _Timed(cv2.solvePnP, 'head_pose', acc)
    if hasattr(fb, 'sp'):
        fb.sp = _Timed(fb.sp, 'landmark_fit', acc)
        fb.det = types.SimpleNamespace(run=_Timed(fb.det.run, 'detector', acc))
    T, n = dict(decode=0.0, quality=0.0, motion=0.0, faces=0.0, head_detail=0.0, sync=0.0, total=0.0), 0
    for p in paths:
        r = _score(p, cfg)[1]
        n += r['n_frames']
        for k in T:
            T[k] += r[f'time_{k}_s']
    ms = lambda s: round(1000 * s / n, 3)
    out = dict(
        floor_frames=n,
        floor_face_backend=fb.name,
        ms_decode=ms(T['decode']),
        ms_quality=ms(T['quality']),
        ms_motion_lk=ms(acc['lk']),
        ms_motion_rest=ms(T['motion'] - acc['lk']),
        ms_faces_landmark_fit=ms(acc['landmark_fit']),
        ms_faces_head_pose=ms(acc['head_pose']),
        ms_faces_detector=ms(acc['detector']),
        ms_faces_rest=ms(T['faces'] - acc['landmark_fit'] - acc['head_pose'] - acc['detector']),
        ms_head_detail=ms(T['head_detail']),
        ms_sync=ms(T['sync']),
    )
    out['ms_total'] = ms(T['total'])
    out['ms_kernels'] = round(
        sum(
            out[k]
            for k in (
                'ms_decode',
                'ms_quality',
                'ms_motion_lk',
                'ms_faces_landmark_fit',
                'ms_faces_head_pose',
                'ms_faces_detector',
            )
        ),
        3,
    )
    return out


def _long_clip(src: str, minutes: float, dest: str) -> float:
    "Write `minutes` of `src` played over and over (video only, 25 fps) to `dest`; its duration in seconds."
    from talkvid_nb.media import iter_frames, write_video

    n = int(round(minutes * 60 * 25))

    def frames():
        k = 0
        while True:  # one pass of the source at a time: nothing held
            for _, f in iter_frames(src, short_side=None, fps=25):
                if k == n:
                    return
                yield f
                k += 1

    write_video(dest, frames(), 25)
    return n / 25


def _long_one(args):
    dur, r, peak = _score(*args)
    return dict(
        long_clip_seconds=round(dur, 1),
        long_clip_frames=r['n_frames'],
        long_clip_wall_s=round(r['time_total_s'], 1),
        long_clip_rtf=round(dur / r['time_total_s'], 2),
        long_clip_peak_rss_mb=round(peak, 1),
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--samples', default=str(ROOT.parent / 'shared' / 'samples' / 'talking_heads'))
    ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--engine', default='local', choices=['local', 'ray'])
    ap.add_argument('--repeat', type=int, default=1, help='whole-stage runs; the median run is reported')
    ap.add_argument(
        '--long', type=float, default=0, metavar='M', help='also score one M-minute clip and report its peak memory'
    )
    ap.add_argument(
        '--floor',
        action='store_true',
        help='also time the kernels inside the scorers (per frame, one thread) and the rate they allow',
    )
    ap.add_argument('--out', default=str(ROOT / 'reports' / 'benchmarks'))
    ap.add_argument(
        '--mode',
        choices=['full', 'cascade', 'ab', 'kept'],
        help='score.mode on the mix (corpus, real ladder, real clips, samples) instead: ab = both, interleaved',
    )
    ap.add_argument('--pairs', type=int, default=1, help='with --mode ab: interleaved full/cascade pairs')
    ap.add_argument('--every', type=int, default=1, help='with --mode: every N-th clip of each source of the mix')
    ap.add_argument('--real', default=str(ROOT.parent / 'shared' / 'real'))
    ap.add_argument('--work', default=str(ROOT / 'data' / 'score_cascade'), help='with --mode: scratch data folders')
    a = ap.parse_args()
    import yaml

    params = yaml.safe_load((ROOT / 'params.yaml').read_text())
    if a.mode == 'kept':
        return kept_main(a, params)
    if a.mode:
        return cascade_main(a, params)
    cfg = params['score']
    vids = sorted(Path(a.samples).glob('*.mp4'))
    ctx = get_context('spawn')
    from talkvid_nb.parallel import _init_worker  # the stage's worker set-up: one thread per math library

    rows = []
    for v in vids:  # one fresh process per video: its peak memory is that video's alone
        with ProcessPoolExecutor(1, mp_context=ctx, initializer=_init_worker) as ex:
            rows.append(ex.submit(_one, (str(v), cfg)).result())
    from talkvid_nb.media import probe
    from talkvid_nb.parallel import engine_spec

    spec = engine_spec(dict(params['common'], engine=a.engine))
    items = [dict(clip_id=v.stem, path=str(v), duration=probe(v)['duration']) for v in vids]
    if a.engine == 'ray':  # start the instance outside the timing, as a running cluster would be
        from talkvid_nb.parallel import get_engine

        get_engine(spec, n_workers=a.workers)
    runs, dec_runs = [], []
    by_len = [it['path'] for it in sorted(items, key=lambda it: -it['duration'])]
    for _ in range(max(1, a.repeat)):  # this machine's two-process speed drifts between runs: report the median run
        # the physical limit on these cores: decode alone, mapped over the same workers as the stage, run beside it
        dec_runs.append(decode_stage(by_len, cfg['short_side'], cfg['fps'], a.workers, ctx))
        t0 = time.perf_counter()
        res_stage = stage_run(items, cfg, spec, a.workers)
        runs.append((time.perf_counter() - t0, res_stage))
    stage_wall, res_stage = sorted(runs, key=lambda r: r[0])[len(runs) // 2]
    for _, rs in runs:
        assert all(r.get('status') == 'ok' for r in rs), [r.get('detail') for r in rs if r.get('status') != 'ok']
    S = sum(r['seconds'] for r in rows)
    tot = {k: sum(r[k] for r in rows) for k in ('decode_s', 'total_s', 'quality', 'motion', 'faces')}
    res = dict(
        videos=len(rows),
        video_seconds=round(S, 1),
        workers=a.workers,
        engine=a.engine,
        rtf_decode_only=round(S / tot['decode_s'], 2),
        rtf_fused_one_process=round(S / tot['total_s'], 2),
        rtf_quality=round(S / tot['quality'], 2),
        rtf_motion=round(S / tot['motion'], 2),
        rtf_faces=round(S / tot['faces'], 2),
        fused_share_of_decode_rate=round(tot['decode_s'] / tot['total_s'], 3),
        rtf_stage=round(S / stage_wall, 2),
        stage_wall_s=round(stage_wall, 1),
        rtf_stage_runs=[round(S / w, 2) for w, _ in runs],
        stage_worker_busy=round(sum(r.get('_wall_s', 0.0) for r in res_stage) / (a.workers * stage_wall), 3),
        rtf_stage_per_worker_clip=round(S / sum(r.get('_wall_s', 0.0) for r in res_stage), 2),
        rtf_decode_stage=round(S / float(np.median(dec_runs)), 2),
        rtf_decode_stage_runs=[round(S / w, 2) for w in dec_runs],
        stage_share_of_decode_rate=round(float(np.median(dec_runs)) / stage_wall, 3),
        stage_share_of_one_process_decode_rate=round((S / stage_wall) / (S / tot['decode_s']), 3),
        median_per_video_rtf=round(float(np.median([r['seconds'] / r['total_s'] for r in rows])), 2),
        peak_rss_mb_max=round(max(r['peak_rss_mb'] for r in rows), 1),
        per_video=[{k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()} for r in rows],
    )
    if a.long > 0:  # memory against clip length: one long clip in a fresh worker
        import tempfile

        with tempfile.TemporaryDirectory() as td:
            lp = str(Path(td) / 'long.mp4')
            _long_clip(str(vids[0]), a.long, lp)
            with ProcessPoolExecutor(1, mp_context=ctx, initializer=_init_worker) as ex:
                res.update(ex.submit(_long_one, (lp, cfg)).result())
    if a.floor:  # the floor: what the kernels alone cost a frame, and the rate that leaves on these workers
        with ProcessPoolExecutor(1, mp_context=ctx, initializer=_init_worker) as ex:
            fl = ex.submit(_floor, by_len, cfg).result()
        fps = float(cfg['fps'])
        fl['floor_rtf_max'] = round(a.workers * 1000 / (fl['ms_kernels'] * fps), 2)  # every worker busy, no glue
        fl['half_decode_rate_needs_ms'] = round(a.workers * 1000 / (0.5 * res['rtf_decode_stage'] * fps), 3)
        res.update(fl)
    print(
        f"{'video':42s} {'sec':>6s} {'dec RTF':>8s} {'fused RTF':>9s} {'quality':>8s} {'motion':>8s} {'faces':>8s} "
        f"{'peak MB':>8s}"
    )
    for r in rows:
        print(
            f"{r['video']:42s} {r['seconds']:6.1f} {r['seconds'] / r['decode_s']:8.1f} "
            f"{r['seconds'] / r['total_s']:9.2f} "
            f"{r['seconds'] / r['quality']:8.1f} {r['seconds'] / r['motion']:8.1f} {r['seconds'] / r['faces']:8.1f} "
            f"{r['peak_rss_mb']:8.0f}"
        )
    print(json.dumps({k: v for k, v in res.items() if k != 'per_video'}, indent=1))
    Path(a.out).mkdir(parents=True, exist_ok=True)
    (Path(a.out) / f'score_rtf_{a.engine}.json').write_text(json.dumps(res, indent=1))


# ---- score.mode full vs cascade on a realistic mix (issue: cheap first) ----
MIX = ('corpus', 'ladder', 'real', 'samples')


def mix_segments(real: Path, samples: Path, every: int = 1) -> 'pd.DataFrame':
    """The mix, as a segments table the stage reads: the default corpus's kept segments (`dvc repro`), the real-footage
    ladder's (`benchmarks/real_validity.py`), and every real clip and shared sample whole; every `every`-th of each."""
    import pandas as pd
    from talkvid_nb.media import probe

    rows = []
    for name, d in (('corpus', ROOT / 'data'), ('ladder', ROOT / 'data' / 'real_validity' / 'study')):
        seg = pd.read_parquet(d / 'segments.parquet')
        seg = seg[seg.status == 'ok'].sort_values('clip_id')
        for r in seg.itertuples():
            p = Path(r.path) if Path(r.path).is_absolute() else ROOT / r.path
            rows.append(
                dict(
                    clip_id=f'{name}__{r.clip_id}',
                    video_id=r.video_id,
                    path=str(p),
                    duration=r.duration,
                    speech_ratio=r.speech_ratio,
                    source=name,
                )
            )
    for name, d in (('real', real), ('samples', samples)):
        for v in sorted(Path(d).glob('*.mp4')):
            rows.append(
                dict(
                    clip_id=f'{name}__{v.stem}',
                    video_id=v.stem,
                    path=str(v),
                    duration=probe(v)['duration'],
                    speech_ratio=float('nan'),
                    source=name,
                )
            )
    df = pd.DataFrame(rows)
    df = df[df.groupby('source').cumcount() % every == 0].reset_index(drop=True)
    return df.assign(status='ok', reason=None, detail=None)


def mode_run(seg, mode: str, params: dict, workers: int, work: Path, filt: dict | None = None) -> dict:
    "One timed score stage over the mix in `mode`, from an empty cache: wall and CPU seconds, the scores."
    import shutil
    from talkvid_nb.score import run_score

    d = work / mode
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    seg.to_parquet(d / 'segments.parquet')
    ru0, c0 = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    sc = run_score({**params['score'], 'mode': mode}, d, 'local', workers, filt=filt or params['filter'])
    wall = time.perf_counter() - t0
    ru1, c1 = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
    cpu = sum(getattr(b, k) - getattr(a, k) for a, b in ((ru0, ru1), (c0, c1)) for k in ('ru_utime', 'ru_stime'))
    return dict(mode=mode, wall_s=wall, cpu_s=cpu, scores=sc, dir=d)


def verdicts(sc, filt: dict):
    "Each clip's verdict and first failing criterion under the filter section `filt`."
    from talkvid_nb.filter import apply_filter

    f = apply_filter(sc, filt)
    return f.set_index('clip_id')[['status', 'first_fail']].sort_index()


def cascade_main(a, params: dict):
    """`--mode full|cascade|ab`: the score stage on the mix in that mode (`ab`: both, interleaved `--pairs` times, the
    order alternating); verdict table, rates, CPU per kept clip-second, the share of clips reaching each step, and what
    threshold changes cost afterwards. Writes `<out>/score_cascade[_everyN].json` and its `_verdicts.csv`."""
    import pandas as pd
    from talkvid_nb.score import steps_run

    seg = mix_segments(Path(a.real), Path(a.samples), a.every)
    tag = '' if a.every == 1 else f'_every{a.every}'
    Path(a.out).mkdir(parents=True, exist_ok=True)
    S = float(seg.duration.sum())
    print(f'mix: {len(seg)} clips, {S:.0f} s of video', seg.source.value_counts().to_dict(), flush=True)
    work = Path(a.work)
    modes = ['full', 'cascade'] if a.mode == 'ab' else [a.mode]
    runs = []
    for i in range(max(1, a.pairs)):
        for m in modes if i % 2 == 0 else modes[::-1]:
            r = mode_run(seg, m, params, a.workers, work)
            runs.append(r)
            print(
                f"run {len(runs)}: {m:8s} wall {r['wall_s']:7.1f} s  rate {S / r['wall_s']:5.2f}x  "
                f"cpu {r['cpu_s']:7.1f} s",
                flush=True,
            )
    filt = params['filter']
    last = {r['mode']: r for r in runs}
    res = dict(
        clips=len(seg),
        video_seconds=round(S, 1),
        workers=a.workers,
        every=a.every,
        by_source=seg.source.value_counts().to_dict(),
        runs=[],
    )
    for r in runs:
        v = verdicts(r['scores'], filt)
        kept = seg.set_index('clip_id').loc[v.index[v.status == 'ok']].duration.sum()
        res['runs'].append(
            dict(
                mode=r['mode'],
                wall_s=round(r['wall_s'], 1),
                rate=round(S / r['wall_s'], 2),
                cpu_s=round(r['cpu_s'], 1),
                cpu_per_kept_s=round(r['cpu_s'] / kept, 3) if kept else None,
                kept=int((v.status == 'ok').sum()),
            )
        )
    for m in modes:
        rates = [x['rate'] for x in res['runs'] if x['mode'] == m]
        res[f'rate_{m}_median'] = float(np.median(rates))
        res[f'cpu_per_kept_s_{m}_median'] = float(
            np.median([x['cpu_per_kept_s'] for x in res['runs'] if x['mode'] == m])
        )
    if a.mode == 'ab':
        res['speedup_median'] = round(res['rate_cascade_median'] / res['rate_full_median'], 2)
        vf, vc = verdicts(last['full']['scores'], filt), verdicts(last['cascade']['scores'], filt)
        tab = vf.join(vc, lsuffix='_full', rsuffix='_cascade').join(seg.set_index('clip_id').source)
        same = (tab.status_full == tab.status_cascade) & (
            tab.first_fail_full.fillna('') == tab.first_fail_cascade.fillna('')
        )
        res['verdicts_equal'] = int(same.sum())
        res['verdicts_differ'] = tab[~same].reset_index().to_dict('records')
        res['verdict_table'] = (
            tab.assign(first_fail=tab.first_fail_full.fillna('kept'))
            .groupby(['source', 'first_fail'])
            .size()
            .unstack(fill_value=0)
            .to_dict('index')
        )
        tab.reset_index().to_csv(Path(a.out) / f'score_cascade{tag}_verdicts.csv', index=False)
        csc = last['cascade']['scores']
        csc = csc[csc.status == 'ok']
        res['steps_reached'] = steps_run(csc, params['score']['scorers']).mean().round(3).to_dict()
        ks = set(vf.index[vf.status == 'ok'])  # kept clips: cascade CPU vs full CPU, from the clips' own timings
        fsc = last['full']['scores'].set_index('clip_id')
        res['kept_clip_time_ratio'] = round(
            float(csc.set_index('clip_id').loc[list(ks)].time_total_s.sum() / fsc.loc[list(ks)].time_total_s.sum()), 3
        )
        res['threshold_changes'] = threshold_changes(seg, params, a.workers, last)
    print(json.dumps({k: v for k, v in res.items() if k != 'verdicts_differ'}, indent=1))
    Path(a.out).mkdir(parents=True, exist_ok=True)
    (Path(a.out) / f'score_cascade{tag}.json').write_text(json.dumps(res, indent=1, default=str))


def threshold_changes(seg, params: dict, workers: int, last: dict) -> list[dict]:
    """After the cascade run: change a threshold and run the stage again on its cache. Rescored must be exactly the
    clips the old thresholds stopped before a step the new ones need; verdicts must equal `full`'s under the new
    ones."""
    import copy
    from talkvid_nb.score import decided, run_score, score_steps, steps_run

    out = []
    base = params['filter']
    changes = [
        ('quality min 5.0 -> 4.0 (brisque)', ('per_backend', 'brisque', 'quality', 'min'), 4.0),
        ('motion max 0.9999 -> 1.0 (flow)', ('per_backend', 'flow', 'motion', 'max'), 1.0),
        ('quality min 4.0 -> 6.0 (brisque)', ('per_backend', 'brisque', 'quality', 'min'), 6.0),
    ]
    filt, d = copy.deepcopy(base), last['cascade']['dir']
    steps = score_steps(params['score']['scorers'])
    for name, path, value in changes:
        new = copy.deepcopy(filt)
        x = new
        for k in path[:-1]:
            x = x[k]
        x[path[-1]] = value
        old = run_score({**params['score'], 'mode': 'cascade'}, d, filt=filt)  # all from the cache: the state before
        old = old[old.status == 'ok']
        expect = set()
        ran = steps_run(old, params['score']['scorers'])
        for r, (_, st) in zip(old.to_dict('records'), ran.iterrows()):
            done = set(st.index[st.to_numpy(bool)])
            if not decided(r, done, steps, 'cascade', new):
                expect.add(r['clip_id'])
        t0 = time.perf_counter()
        sc = run_score({**params['score'], 'mode': 'cascade'}, d, 'local', workers, filt=new)
        wall = time.perf_counter() - t0
        ok = sc[sc.status == 'ok']
        redone = set(ok.clip_id) - set(sc.attrs['from_cache'])
        vf, vc = verdicts(last['full']['scores'], new), verdicts(sc, new)
        same = (vf.status == vc.status) & (vf.first_fail.fillna('') == vc.first_fail.fillna(''))
        out.append(
            dict(
                change=name,
                rescored=len(redone),
                expected=len(expect),
                rescored_is_expected=redone == expect,
                rescored_seconds=round(float(ok[ok.clip_id.isin(redone)].duration.sum()), 1),
                wall_s=round(wall, 1),
                verdicts_equal_full=int(same.sum()),
                clips=len(same),
                kept=int((vc.status == 'ok').sum()),
            )
        )
        print(out[-1], flush=True)
        filt = new
    return out


def _kept_one(args):
    "CPU seconds of this worker process to score one clip in each mode, alternating (full, cascade, cascade, full)."
    row, params, rounds = args
    from talkvid_nb.score import score_clip

    out = {k: [] for k in ('full', 'cascade', 'full_sys', 'cascade_sys', 'full_minflt', 'cascade_minflt')}
    for m in ['full', 'cascade', 'cascade', 'full'] * rounds:
        r0, t = resource.getrusage(resource.RUSAGE_SELF), time.process_time()
        score_clip(row, {**params['score'], 'mode': m}, None, params['filter'])
        out[m].append(time.process_time() - t)
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        out[f'{m}_sys'].append(r1.ru_stime - r0.ru_stime)  # kernel time: page faults of fresh memory land here
        out[f'{m}_minflt'].append(r1.ru_minflt - r0.ru_minflt)
    return {k: float(np.median(v)) for k, v in out.items()}


def kept_main(a, params: dict):
    """`--mode kept`: clips both modes keep (from the last `--mode ab` full run in `--work`), each scored in both modes
    in one warmed worker, alternating, by CPU time: what a kept clip costs in `cascade` against `full`."""
    import pandas as pd
    from talkvid_nb.filter import apply_filter
    from talkvid_nb.parallel import _init_worker

    d = Path(a.work) / 'full'
    sc = pd.read_parquet(d / 'scores.parquet')
    seg = pd.read_parquet(d / 'segments.parquet').set_index('clip_id')
    f = apply_filter(sc, params['filter'])
    kept = sorted(f[f.status == 'ok'].clip_id)[:: max(1, a.every)]
    rows = [dict(seg.loc[k, ['path', 'duration', 'speech_ratio']], clip_id=k) for k in kept]
    ctx = get_context('spawn')
    with ProcessPoolExecutor(a.workers, mp_context=ctx, initializer=_init_worker) as ex:
        list(ex.map(_kept_one, [(rows[0], params, 1)] * a.workers))  # warm: models loaded, first-call costs paid
        res = list(ex.map(_kept_one, [(r, params, a.pairs) for r in rows]))
    ratio = [r['cascade'] / r['full'] for r in res]
    out = dict(
        clips=len(rows),
        video_seconds=round(float(sum(r['duration'] for r in rows)), 1),
        cpu_full_s=round(sum(r['full'] for r in res), 1),
        cpu_cascade_s=round(sum(r['cascade'] for r in res), 1),
        ratio_sum=round(sum(r['cascade'] for r in res) / sum(r['full'] for r in res), 3),
        ratio_median=round(float(np.median(ratio)), 3),
        ratio_range=[round(min(ratio), 3), round(max(ratio), 3)],
        **{
            f'{k}_sum': round(sum(r[k] for r in res), 1)
            for k in ('full_sys', 'cascade_sys', 'full_minflt', 'cascade_minflt')
        },
    )
    print(json.dumps(out, indent=1))
    Path(a.out).mkdir(parents=True, exist_ok=True)
    (Path(a.out) / 'score_cascade_kept.json').write_text(json.dumps(out, indent=1))


if __name__ == '__main__':
    main()
