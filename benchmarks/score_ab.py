"""Interleaved A/B of the score stage between two code versions (not a test: run by hand).

python benchmarks/score_ab.py OLD [NEW] [--pairs 4] [--workers 2] [--samples ../shared/samples/talking_heads]
python benchmarks/score_ab.py OLD [NEW] --per-clip 3      # clip-interleaved CPU A/B (small changes, drifting
machine)

OLD and NEW are git revisions (NEW defaults to the working tree). Each version's `talkvid_nb/` and `params.yaml`
are exported to a temporary folder, and the whole score stage (`map_clips` over the shared samples, as
`run_score` runs it, without its cache) is timed on `--workers` workers, alternating the versions and which goes
first in each pair. On a shared machine whose speed drifts by 10-25 % within an hour, only such interleaved runs
compare two versions: prints every run, then per version the median real-time factor and CPU seconds, and how
many pairs each version won.

`--per-clip R` compares CPU instead of wall time at a finer grain, for changes smaller than the drift between two
whole-stage runs: one persistent one-thread worker per version (models loaded before timing), every sample scored
R times by each, alternating the versions clip by clip (and which goes first). Prints the ratio of total CPU
seconds (NEW / OLD) and the median and spread of the per-clip ratios."""

import argparse, functools, json, os, statistics, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def stage_once(samples: str, workers: int) -> dict:
    "One timed run of the score stage in this process (the version on sys.path)."
    import resource, yaml
    from score_rtf import stage_run  # beside this script; it imports talkvid_nb from the exported version
    from talkvid_nb.media import probe
    from talkvid_nb.parallel import engine_spec

    params = yaml.safe_load(Path('params.yaml').read_text())
    items = [
        dict(clip_id=v.stem, path=str(v), duration=probe(v)['duration']) for v in sorted(Path(samples).glob('*.mp4'))
    ]
    S = sum(i['duration'] for i in items)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    res = stage_run(items, params['score'], engine_spec(dict(params['common'], engine='local')), workers)
    wall = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    bad = [r['clip_id'] for r in res if r.get('status') != 'ok']
    import talkvid_nb

    return dict(
        rtf=S / wall,
        wall_s=wall,
        cpu_s=ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime,
        failed=bad,
        code=str(Path(talkvid_nb.__file__).resolve().parent),
        face_backend=sorted({str(r.get('face_backend')) for r in res if r.get('status') == 'ok'}),
    )


def export(rev: str | None, dest: Path) -> Path:
    "The version's talkvid_nb/ and params.yaml in `dest` (rev None: the working tree), and a link to models/."
    dest.mkdir(parents=True)
    if rev is None:
        subprocess.run(['cp', '-r', str(ROOT / 'talkvid_nb'), str(ROOT / 'params.yaml'), str(dest)], check=True)
    else:
        tar = subprocess.run(
            ['git', '-C', str(ROOT), 'archive', rev, 'talkvid_nb', 'params.yaml'], check=True, capture_output=True
        ).stdout
        subprocess.run(['tar', '-x', '-C', str(dest)], input=tar, check=True)
    if (ROOT / 'models').is_dir():  # both versions see the same model files (the study root is `dest` for them)
        (dest / 'models').symlink_to(ROOT / 'models')
    return dest


def _version_init(d: str):
    "Worker set-up for one exported version: its folder first on the path, then that version's own worker set-up."
    import sys

    os.chdir(d)
    sys.path.insert(0, d)
    from talkvid_nb.parallel import _init_worker

    _init_worker()


@functools.lru_cache(maxsize=1)
def _score_cfg() -> dict:
    "The exported version's `score` params (read once per worker)."
    import yaml

    return yaml.safe_load(Path('params.yaml').read_text())['score']


def _clip_cpu(path: str, duration: float) -> tuple[float, str]:
    "CPU seconds of this process scoring one clip with the version it was set up with (and where that code lives)."
    import talkvid_nb
    from talkvid_nb.score import score_clip

    cfg = _score_cfg()
    t = time.process_time()
    score_clip(dict(clip_id=Path(path).stem, path=path, duration=duration), cfg)
    return time.process_time() - t, str(Path(talkvid_nb.__file__).resolve().parent)


def per_clip(vers: dict, samples: str, rounds: int):
    "Clip-interleaved CPU comparison of two exported versions (see the module docstring)."
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    sys.path.insert(0, str(next(iter(vers.values()))))
    from talkvid_nb.media import probe

    vids = [(str(v), probe(v)['duration']) for v in sorted(Path(samples).glob('*.mp4'))]
    pools = {
        k: ProcessPoolExecutor(1, mp_context=get_context('spawn'), initializer=_version_init, initargs=(str(d),))
        for k, d in vers.items()
    }
    try:
        for k, d in vers.items():  # warm-up: imports and model loading stay outside the timing
            _, code = pools[k].submit(_clip_cpu, *min(vids, key=lambda v: v[1])).result()
            assert Path(code) == (d / 'talkvid_nb').resolve(), f'ran {code}, not the exported {k}'
        cpu = {k: [] for k in vers}
        n = 0
        for r in range(rounds):
            for v in vids:
                for k in list(vers) if n % 2 == 0 else list(vers)[::-1]:
                    cpu[k].append(pools[k].submit(_clip_cpu, *v).result()[0])
                n += 1
    finally:
        for p in pools.values():
            p.shutdown()
    (o, co), (nw, cn) = cpu.items()
    ratios = sorted(b / a for a, b in zip(co, cn))
    q = lambda f: ratios[min(len(ratios) - 1, int(f * len(ratios)))]
    print(
        f"{len(vids)} clips x {rounds} rounds: CPU {o} {sum(co):.1f} s, {nw} {sum(cn):.1f} s, ratio "
        f"{sum(cn) / sum(co):.3f}; "
        f"per-clip ratio median {statistics.median(ratios):.3f} (quartiles {q(0.25):.3f}-{q(0.75):.3f}), {nw} "
        "cheaper on "
        f"{sum(x < 1 for x in ratios)} of {len(ratios)}"
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('old')
    ap.add_argument('new', nargs='?', default=None)
    ap.add_argument('--pairs', type=int, default=4)
    ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--samples', default=str(ROOT.parent / 'shared' / 'samples' / 'talking_heads'))
    ap.add_argument('--per-clip', type=int, default=0, metavar='R', help='clip-interleaved CPU comparison, R rounds')
    ap.add_argument('--_child', action='store_true', help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a._child:  # run inside the exported version: its folder is the working directory and first on the path
        print(json.dumps(stage_once(a.samples, a.workers)))
        return
    a.samples = str(Path(a.samples).resolve())
    with tempfile.TemporaryDirectory() as tmp:
        vers = {a.old: export(a.old, Path(tmp) / 'old'), a.new or 'worktree': export(a.new, Path(tmp) / 'new')}
        if a.per_clip:
            return per_clip(vers, a.samples, a.per_clip)
        runs = {k: [] for k in vers}
        for p in range(a.pairs):
            for name in list(vers) if p % 2 == 0 else list(vers)[::-1]:
                d = vers[name]
                out = subprocess.run(
                    [
                        sys.executable,
                        str(Path(__file__).resolve()),
                        'x',
                        '--_child',
                        '--samples',
                        a.samples,
                        '--workers',
                        str(a.workers),
                    ],
                    cwd=d,
                    env=dict(os.environ, PYTHONPATH=str(d)),
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                r = json.loads(out.strip().splitlines()[-1])
                runs[name].append(r)
                assert Path(r['code']) == (d / 'talkvid_nb').resolve(), f"ran {r['code']}, not the exported {name}"
                print(
                    f"pair {p + 1} {name:>12s}: {r['rtf']:6.2f}x real time, wall {r['wall_s']:5.1f} s, CPU "
                    f"{r['cpu_s']:5.1f} s, faces {'/'.join(r.get('face_backend', []))}"
                    + (f", failed {r['failed']}" if r['failed'] else ''),
                    flush=True,
                )
        (o, ro), (n, rn) = runs.items()
        wins = sum(y['rtf'] > x['rtf'] for x, y in zip(ro, rn))
        for name, rs in runs.items():
            print(
                f"{name:>12s}: median {statistics.median(r['rtf'] for r in rs):.2f}x, CPU "
                f"{statistics.median(r['cpu_s'] for r in rs):.1f} s"
            )
        print(f"{n} faster in {wins} of {a.pairs} pairs")


if __name__ == '__main__':
    main()
