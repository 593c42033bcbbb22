"""The DVC pipeline's contract: stages are papermill runs whose declared params exist and are read by the notebook
(or, for the HTML site, a call into the library whose module is a dependency)."""
import json
from pathlib import Path
import yaml

ROOT = Path(__file__).resolve().parents[1]

def _get(d, dotted):
    for k in dotted.split('.'): d = d[k]
    return d

def test_stages_are_papermill_runs_with_existing_params():
    dvc, params = yaml.safe_load((ROOT/'dvc.yaml').read_text()), yaml.safe_load((ROOT/'params.yaml').read_text())
    assert dvc['stages'], 'no stages'
    for name, st in dvc['stages'].items():
        cmd = st['cmd']
        if cmd.startswith('python -c'):                          # a library call: its module must be a dependency
            mod = cmd.split('from ', 1)[1].split(' import')[0]
            assert mod.replace('.', '/') + '.py' in st['deps'] and all(o.startswith('reports/') for o in map(lambda o: o if isinstance(o, str) else next(iter(o)), st['outs'])), name
            continue
        assert cmd.startswith('papermill '), name
        nb = next(t for t in cmd.split() if t.startswith('nbs/'))
        out = next(t for t in cmd.split() if t.startswith('reports/notebooks/'))
        assert Path(nb).name == Path(out).name and nb in st['deps'] and (ROOT/nb).exists(), name
        src = json.loads((ROOT/nb).read_text())
        pcells = [c for c in src['cells'] if 'parameters' in c.get('metadata', {}).get('tags', [])]
        assert len(pcells) == 1, f'{nb}: needs exactly one parameters cell'
        ptext = ''.join(pcells[0]['source'])
        for key in st.get('params', []):
            _get(params, key)                                   # declared key exists in params.yaml
            assert f"{key.split('.')[0]} =" in ptext, f'{nb} does not declare the {key.split(".")[0]} section'
        for o in st['outs']:
            o = o if isinstance(o, str) else next(iter(o))
            assert o.startswith(('data/', 'reports/', 'models/')), o

def test_data_is_not_in_git():
    gi = (ROOT/'.gitignore').read_text()
    assert '/data/' in gi and '*.mp4' in gi
