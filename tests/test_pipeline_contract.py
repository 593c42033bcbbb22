"""The DVC pipeline's contract: stages are papermill runs whose declared params exist and are read by the notebook
(or, for the HTML site, a call into the library whose module is a dependency)."""

import ast, json, re
from pathlib import Path
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _get(d, dotted):
    for k in dotted.split('.'):
        d = d[k]
    return d


def test_stages_are_papermill_runs_with_existing_params():
    dvc, params = yaml.safe_load((ROOT / 'dvc.yaml').read_text()), yaml.safe_load((ROOT / 'params.yaml').read_text())
    assert dvc['stages'], 'no stages'
    for name, st in dvc['stages'].items():
        cmd = st['cmd']
        if cmd.startswith('python -c'):  # a library call: its module must be a dependency
            mod = cmd.split('from ', 1)[1].split(' import')[0]
            assert mod.replace('.', '/') + '.py' in st['deps'] and all(
                o.startswith('reports/') for o in map(lambda o: o if isinstance(o, str) else next(iter(o)), st['outs'])
            ), name
            continue
        assert cmd.startswith('papermill '), name
        nb = next(t for t in cmd.split() if t.startswith('nbs/'))
        out = next(t for t in cmd.split() if t.startswith('reports/notebooks/'))
        assert Path(nb).name == Path(out).name and nb in st['deps'] and (ROOT / nb).exists(), name
        src = json.loads((ROOT / nb).read_text())
        pcells = [c for c in src['cells'] if 'parameters' in c.get('metadata', {}).get('tags', [])]
        assert len(pcells) == 1, f'{nb}: needs exactly one parameters cell'
        ptext = ''.join(pcells[0]['source'])
        for key in st.get('params', []):
            _get(params, key)  # declared key exists in params.yaml
            assert f"{key.split('.')[0]} =" in ptext, f'{nb} does not declare the {key.split(".")[0]} section'
        for o in st['outs']:
            o = o if isinstance(o, str) else next(iter(o))
            assert o.startswith(('data/', 'reports/', 'models/')), o


def test_data_is_not_in_git():
    gi = (ROOT / '.gitignore').read_text()
    assert '/data/' in gi and '*.mp4' in gi


_IMPORT = re.compile(
    r'from\s+talkvid_nb\.(\w+)\s+import|from\s+talkvid_nb\s+import\s+([\w, '
    r'()]+)|import\s+talkvid_nb\.(\w+)|from\s+\.(\w+)\s+import'
)


def _modules_named(text: str, mods: set[str]) -> set[str]:
    out = set()
    for m in _IMPORT.finditer(text):
        if m.group(2):
            out |= {x for x in re.split(r'[,\s()]+', m.group(2)) if x}
        else:
            out.add(next(g for g in (m.group(1), m.group(3), m.group(4)) if g))
    return out & mods


def _run_code(cell: str) -> str:
    """The code of a notebook cell that `dvc repro` runs: without the bodies of `if not real_run:` blocks (the tiny
    run's fixtures, run only by nbdev_test)."""
    try:
        tree = ast.parse(cell)
    except SyntaxError:  # a cell with IPython syntax: taken whole
        return cell
    lines = cell.split('\n')
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == 'not real_run':
            for n in node.body:
                for i in range(n.lineno - 1, n.end_lineno):
                    lines[i] = ''
    return '\n'.join(lines)


def stage_modules(st: dict, mods: set[str], params: dict) -> set[str]:
    """Library modules a stage runs: those its notebook (or its library call) imports, directly or through other
    modules, and the scorers the score module loads by name (`score.scorers`)."""
    nb = next((t for t in st['cmd'].split() if t.startswith('nbs/')), None)
    cells = json.loads((ROOT / nb).read_text())['cells'] if nb else []
    text = '\n'.join(_run_code(''.join(c['source'])) for c in cells if c['cell_type'] == 'code') if nb else st['cmd']
    seen, todo = set(), list(_modules_named(text, mods))
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        todo += _modules_named((ROOT / 'talkvid_nb' / f'{m}.py').read_text(), mods)
        if m == 'score':
            todo += params['score']['scorers']
    return seen


def test_stage_deps_are_the_code_it_runs():
    """A stage depends on exactly the library modules it runs: every one (a change reruns it) and no other (a change
    elsewhere does not)."""
    mods = {p.stem for p in (ROOT / 'talkvid_nb').glob('*.py') if not p.stem.startswith('_')}
    dvc, params = yaml.safe_load((ROOT / 'dvc.yaml').read_text()), yaml.safe_load((ROOT / 'params.yaml').read_text())
    for name, st in dvc['stages'].items():
        runs = {f'talkvid_nb/{m}.py' for m in stage_modules(st, mods, params)}
        declared = {d for d in st['deps'] if d.startswith('talkvid_nb/')}
        assert not runs - declared, f'{name} runs {sorted(runs - declared)} but does not depend on them'
        assert not declared - runs, f'{name} depends on {sorted(declared - runs)} but does not run them'


def test_per_clip_outputs_persist():
    """Folders of per-clip files behind a map_clips cache (`valid=` checks the file) are `persist: true`: DVC would
    delete them before rerunning the stage, so an interrupted stage would start over instead of resuming."""
    outs = {
        n: {next(iter(o)): o[next(iter(o))] for o in st['outs'] if isinstance(o, dict)}
        for n, st in yaml.safe_load((ROOT / 'dvc.yaml').read_text())['stages'].items()
    }
    for stage, folder in [('segment', 'data/clips'), ('score', 'data/tracks'), ('features', 'data/features')]:
        assert outs[stage].get(folder, {}).get('persist') is True, (stage, folder)
