"""One home per default: params.yaml. Library code and notebooks read a configured key as `cfg['key']`, never with a
second default beside it (`cfg.get('key', 5)`), every key they read from a params section is declared in
params.yaml, and a stage notebook's `parameters` cell holds only its tiny run's changes."""

import ast, json
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PARAMS = yaml.safe_load((ROOT / 'params.yaml').read_text())
SECTIONS = set(PARAMS)


def _keys(d) -> set[str]:
    out = set()
    if isinstance(d, dict):
        for k, v in d.items():
            out |= {k} | _keys(v)
    return out


KEYS = _keys(PARAMS)
# names that hold a params section (or a part of one) in the library and the notebooks
CONFIG = SECTIONS | {'cfg', 'params', 'fcfg', 'mcfg', 'qcfg'}


def _sources():
    for p in sorted((ROOT / 'talkvid_nb').glob('*.py')):
        if not p.name.startswith('_'):
            yield p.name, p.read_text()
    for p in sorted((ROOT / 'nbs').glob('*.ipynb')):
        for i, c in enumerate(json.loads(p.read_text())['cells']):
            if c['cell_type'] == 'code':
                yield f'{p.name} cell {i}', ''.join(c['source'])


def _trees():
    for name, src in _sources():
        try:
            yield name, ast.parse(src)
        except SyntaxError:  # a cell with IPython syntax
            continue


def _is_config(node) -> bool:
    "An expression that holds (part of) a params section: `cfg`, `score`, `self.cfg`, `cfg['faces']`, ..."
    if isinstance(node, ast.Name):
        return node.id in CONFIG
    if isinstance(node, ast.Attribute):
        return node.attr == 'cfg'
    if isinstance(node, ast.Subscript):
        return _is_config(node.value)
    return False


def _reads(tree):
    "(key, default node or None, line) of every constant-key read from a config expression."
    for n in ast.walk(tree):
        if isinstance(n, ast.Subscript) and _is_config(n.value) and isinstance(n.slice, ast.Constant):
            if isinstance(n.slice.value, str):
                yield n.slice.value, None, n.lineno
        if (
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and n.func.attr == 'get'
            and _is_config(n.func.value)
            and n.args
            and isinstance(n.args[0], ast.Constant)
            and isinstance(n.args[0].value, str)
        ):
            yield n.args[0].value, (n.args[1] if len(n.args) > 1 else None), n.lineno


def test_no_second_default_for_a_configured_key():
    bad = []
    for name, tree in _trees():
        for key, default, line in _reads(tree):
            if (
                key in KEYS
                and default is not None
                and not (isinstance(default, ast.Constant) and default.value is None)
            ):
                bad.append(f'{name}:{line} {key!r} defaults to {ast.unparse(default)}')
        for n in ast.walk(tree):  # through any alias (`urls = cfg['urls']; urls.get('timeout', 30)`): a literal default
            if (
                isinstance(n, ast.Call)
                and isinstance(n.func, ast.Attribute)
                and n.func.attr == 'get'
                and len(n.args) > 1
            ):
                key, default = n.args[0], n.args[1]
                if isinstance(key, ast.Constant) and key.value in KEYS and not _is_config(n.func.value):
                    if isinstance(default, ast.Constant) and default.value is not None:
                        bad.append(f'{name}:{n.lineno} {key.value!r} defaults to {ast.unparse(default)}')
    assert not bad, 'a default beside params.yaml:\n' + '\n'.join(bad)


def test_every_key_read_is_declared():
    bad = [f'{name}:{line} {key!r}' for name, tree in _trees() for key, _, line in _reads(tree) if key not in KEYS]
    assert not bad, 'keys read from a params section that params.yaml does not declare:\n' + '\n'.join(bad)


def _same_leaves(given, declared, path=''):
    if isinstance(given, dict) and isinstance(declared, dict):
        for k, v in given.items():
            if k in declared:
                yield from _same_leaves(v, declared[k], f'{path}{k}.')
    elif given == declared:
        yield path.rstrip('.')


def test_parameter_cells_hold_only_the_tiny_runs_changes():
    for p in sorted((ROOT / 'nbs').glob('*.ipynb')):
        cells = json.loads(p.read_text())['cells']
        for c in cells:
            if 'parameters' not in c.get('metadata', {}).get('tags', []):
                continue
            given = {}
            exec(''.join(c['source']), {}, given)
            for section, value in given.items():
                assert section in SECTIONS, f'{p.name}: {section} is not a params.yaml section'
                same = list(_same_leaves(value, PARAMS[section], f'{section}.'))
                assert not same, f'{p.name} repeats params.yaml values (a second home): {same}'


def test_checks_are_not_vacuous():
    tree = ast.parse("cfg.get('detect_every', 5)\nscore['faces']['no_such_key']\n")
    reads = list(_reads(tree))
    assert ('detect_every', 5) in [(k, d.value if d is not None else None) for k, d, _ in reads]
    assert 'no_such_key' in [k for k, _, _ in reads] and 'no_such_key' not in KEYS
