"""The API reference covers every public name, under its public path, with what a user needs.

The reference is written by the ``lg-namespace`` directive from the rules in
``docs/_ext/layergraph_public.py``; these tests read the same rules, so they
check what the pages will show without building them: every public module
is a namespace of the reference (or only re-exports names documented
elsewhere), every namespace has a page, every public name and every member
shown has a docstring, every argument is documented in a NumPy-style
``Parameters`` section with a type and a meaning, and every class shows a
runnable example (the suite runs those examples as doctests).
"""
from __future__ import annotations

import importlib.util
import inspect
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _load_rules():
    spec = importlib.util.spec_from_file_location("layergraph_public", DOCS / "_ext" / "layergraph_public.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("layergraph_public", module)
    spec.loader.exec_module(module)
    return module


rules = _load_rules()

def _param(name, *values, defined_by=None):
    return pytest.param(name, *values, id=name)


def _primary_entries():
    """``[(public name, object, kind)]`` for every object documented in full, once each."""
    primary = rules.primary_names()
    out = []
    for namespace in rules.NAMESPACES:
        for name, obj, kind in rules.public_entries(namespace):
            full = f"{namespace}.{name}"
            if kind == "data" or primary.get(id(obj)) == full:
                out.append((full, obj, kind))
    return out


ENTRIES = _primary_entries()
CLASSES = [(name, obj) for name, obj, kind in ENTRIES if kind == "class"]
FUNCTIONS = [(name, obj) for name, obj, kind in ENTRIES if kind == "function"]


def _shown_members():
    """``[(public name of the member, class, member name)]`` for every member a class entry shows."""
    primary = rules.primary_names()
    return [(f"{name}.{member}", cls, member) for name, cls in CLASSES for member in rules.own_members(cls, primary)]


MEMBERS = _shown_members()


# -- the parts of a NumPy-style docstring ------------------------------------------------

def _sections(doc):
    """``{title: [lines]}`` of a cleaned docstring's NumPy-style sections."""
    lines = doc.splitlines()
    out, title = {}, None
    for i, line in enumerate(lines):
        if i + 1 < len(lines) and line.strip() and re.fullmatch(r"-{3,}", lines[i + 1].strip()) \
                and not line.startswith(" "):
            title = line.strip()
            out[title] = []
            continue
        if title is not None and not re.fullmatch(r"-{3,}", line.strip()):
            out[title].append(line)
    return out


def _documented_parameters(doc):
    """``{name: (type, description)}`` from the Parameters section (``a, b : int`` counts for both)."""
    params = {}
    current = None
    for line in _sections(doc).get("Parameters", []):
        if line and not line.startswith(" "):
            head, _, kind = line.partition(" : ")
            names = [n.strip() for n in head.split(",")]
            current = names
            for name in names:
                params[name] = [kind.strip(), []]
        elif current and line.strip():
            for name in current:
                params[name][1].append(line.strip())
    return {name: (kind, " ".join(desc)) for name, (kind, desc) in params.items()}


def _stray_lines(doc):
    """Lines of the Parameters section that napoleon would read as parameters but are prose.

    In a NumPy-style section every line at the section's indentation starts
    an entry (``name : type``); a sentence there becomes a bogus parameter
    named after its first words.
    """
    bad = []
    for line in _sections(doc).get("Parameters", []):
        if line and not line.startswith(" "):
            head = line.partition(" : ")[0]
            if not re.fullmatch(r"\*{0,2}\w+(, \*{0,2}\w+)*", head):
                bad.append(line)
    return bad


def _signature_parameters(func):
    """The names a caller passes, as a docstring should spell them (``*args``, ``**kwargs``)."""
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return []
    out = []
    for p in sig.parameters.values():
        if p.name in ("self", "cls"):
            continue
        if p.kind is p.VAR_POSITIONAL:
            out.append(f"*{p.name}")
        elif p.kind is p.VAR_KEYWORD:
            out.append(f"**{p.name}")
        else:
            out.append(p.name)
    return out


def _constructor(cls):
    """The ``__init__`` whose arguments ``cls``'s docstring must document, or ``None``.

    ``None`` when the constructor is ``object``'s or comes from a base class
    that the reference documents (its entry lists the arguments).
    """
    primary = rules.primary_names()
    for klass in cls.__mro__:
        if "__init__" in vars(klass):
            if klass is object or (klass is not cls and id(klass) in primary):
                return None
            return vars(klass)["__init__"]
    return None


def _resolve(dotted):
    """The object at a dotted public path such as ``layergraph.Model.fit``."""
    parts = dotted.lstrip("~").split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for part in parts[i:]:
            obj = getattr(obj, part)
        return obj
    raise ImportError(dotted)


def _missing_parameters(doc, func):
    stray = _stray_lines(doc)
    if stray:
        return [f"prose inside the Parameters section (move it above): {line!r}" for line in stray]
    # "Same arguments as :meth:`layergraph.Model.fit`": the arguments are documented there.
    # (plus the docstring's own Parameters section, for arguments of its own).
    documented = {}
    same = re.search(r"Same arguments as :(?:meth|func|class):`([~\w.]+)`", doc)
    if same:
        documented.update(_documented_parameters(inspect.cleandoc(_resolve(same.group(1)).__doc__ or "")))
    documented.update(_documented_parameters(doc))
    problems = []
    for name in _signature_parameters(func):
        entry = documented.get(name) or documented.get(name.lstrip("*"))
        if entry is None:
            problems.append(f"{name} (not in Parameters)")
        elif not entry[0] and not name.startswith("*"):
            problems.append(f"{name} (no type)")
        elif not entry[1]:
            problems.append(f"{name} (no description)")
    return problems


# -- every public module and namespace has a place -------------------------------------------

def test_every_public_module_is_in_the_reference():
    documented = {id(obj) for name, obj, kind in ENTRIES}
    missing = []
    for name in rules.discovered_modules():
        if name in rules.NAMESPACES:
            continue
        module = importlib.import_module(name)
        stray = [n for n, obj, kind in rules.public_entries(name) if id(obj) not in documented]
        if stray or not rules.public_entries(name):
            missing.append(f"{name} ({', '.join(stray) or 'no public names'})")
        del module
    assert not missing, ("public modules that are not namespaces of the reference (add them to "
                         f"docs/_ext/layergraph_public.py NAMESPACES and a page under docs/api/): {missing}")


def _page_namespaces():
    found = {}
    for page in sorted((DOCS / "api").glob("*.rst")):
        for name in re.findall(r"^\.\. lg-namespace:: ([\w.]+)\s*$", page.read_text(encoding="utf-8"), re.M):
            found.setdefault(name, []).append(page.name)
    return found


def test_every_namespace_has_one_page():
    pages = _page_namespaces()
    assert sorted(pages) == sorted(rules.NAMESPACES), (
        f"namespaces without a page: {sorted(set(rules.NAMESPACES) - set(pages))}; "
        f"pages naming unknown namespaces: {sorted(set(pages) - set(rules.NAMESPACES))}")
    twice = {name: where for name, where in pages.items() if len(where) > 1}
    assert not twice, f"namespaces documented on several pages: {twice}"


def test_every_page_is_in_the_index():
    index = (DOCS / "api" / "index.rst").read_text(encoding="utf-8")
    listed = set(re.findall(r"^   (\w+)\s*$", index, re.M))
    pages = {p.stem for p in (DOCS / "api").glob("*.rst")} - {"index"}
    assert pages <= listed, f"API pages missing from docs/api/index.rst: {sorted(pages - listed)}"


def test_internals_stay_out_of_the_user_reference():
    primary = rules.primary_names()
    shown = {member for _, cls, member in MEMBERS} | {m for _, cls in CLASSES
                                                     for _, ms in rules.inherited_members(cls, primary) for m in ms}
    assert not shown & rules.HIDDEN_MEMBERS
    for name, _, _ in ENTRIES:
        assert ".framework." not in name and "._" not in name, name
    # the Layer contract is on Layer's entry; Dense shows no hook of its own
    dense_members = rules.own_members(importlib.import_module("layergraph.layers").Dense, primary)
    assert not {"forward", "backward", "build", "call", "get_config"} & set(dense_members), dense_members
    layer_members = rules.own_members(importlib.import_module("layergraph.layers").Layer, primary)
    assert {"build", "call", "forward", "backward", "compute_output_shape", "get_config", "from_config",
            "add_weight", "__call__"} <= set(layer_members), layer_members


def test_model_shows_training_methods():
    import layergraph as lg

    primary = rules.primary_names()
    members = set(rules.own_members(lg.Model, primary))
    assert {"compile", "fit", "evaluate", "predict", "summary", "save", "train_on_batch"} <= members, members
    inherited = dict((base, names) for base, names in rules.inherited_members(lg.Sequential, primary))
    assert {"compile", "fit", "evaluate", "predict", "summary"} <= set(inherited[lg.Model])


# -- every public name has what a user needs -------------------------------------------------

@pytest.mark.parametrize("name,obj,kind", ENTRIES, ids=[e[0] for e in ENTRIES])
def test_public_name_has_a_docstring(name, obj, kind):
    if kind == "data":
        namespace, _, attr = name.rpartition(".")
        assert rules.data_doc(namespace, attr), f"{name}: add a '#:' comment above its definition"
    else:
        assert (obj.__doc__ or "").strip(), f"{name} has no docstring"


@pytest.mark.parametrize("name,cls,member", [_param(*m, defined_by=m[1]) for m in MEMBERS])
def test_shown_member_has_a_docstring(name, cls, member):
    assert rules.member_doc(cls, member).strip(), f"{name} has no docstring"


@pytest.mark.parametrize("name,func", [_param(*f, defined_by=f[1]) for f in FUNCTIONS])
def test_function_arguments_are_documented(name, func):
    problems = _missing_parameters(inspect.cleandoc(func.__doc__ or ""), func)
    assert not problems, f"{name}: document in its Parameters section: {problems}"


@pytest.mark.parametrize("name,cls", [_param(*c, defined_by=c[1]) for c in CLASSES])
def test_constructor_arguments_are_documented(name, cls):
    init = _constructor(cls)
    if init is None:
        return
    doc = inspect.cleandoc(cls.__doc__ or "")
    problems = _missing_parameters(doc, init)
    if getattr(cls, "__dataclass_fields__", None):  # a dataclass documents its fields as Attributes
        problems = [p for p in problems if p.split()[0] not in _documented_attributes(doc)]
    assert not problems, f"{name}: document in the class docstring's Parameters section: {problems}"


def _documented_attributes(doc):
    names = set()
    for line in _sections(doc).get("Attributes", []):
        if line and not line.startswith(" "):
            names.update(n.strip() for n in line.partition(" : ")[0].split(","))
    return names


ATTRIBUTES = [(n, cls, m) for n, cls, m in MEMBERS
              if isinstance(vars(cls)[m], property) or rules._is_plain_data(vars(cls)[m])]


@pytest.mark.parametrize("name,cls,member", [_param(*m, defined_by=m[1]) for m in ATTRIBUTES])
def test_attribute_summary_has_no_colon(name, cls, member):
    """napoleon reads a property's first line ``a: b`` as type ``a`` and description ``b`` ("TYPE: a")."""
    first = (rules.member_doc(cls, member).strip().splitlines() or [""])[0]
    assert not re.search(r"(?<!:):(?!:)", re.sub(r"``.*?``|:\w+:`[^`]*`", "", first)), \
        f"{name}: reword the first line without a colon outside literals: {first!r}"


LAYER_CLASSES = [(n, c) for n, c in CLASSES if n.startswith("layergraph.layers.")
                 and issubclass(c, _resolve("layergraph.layers.Layer"))
                 and n.rsplit(".", 1)[1] not in ("Layer", "ActivatedLayer", "InputLayer")]


@pytest.mark.parametrize("name,cls", LAYER_CLASSES, ids=[n for n, _ in LAYER_CLASSES])
def test_layer_says_its_shapes(name, cls):
    assert "Shapes" in _sections(inspect.cleandoc(cls.__doc__ or "")), \
        f"{name}: add a 'Shapes' section (input and output shapes, batch axis first)"


METHODS = [(n, cls, m) for n, cls, m in MEMBERS if inspect.isfunction(vars(cls)[m])]


@pytest.mark.parametrize("name,cls,member", [_param(*m, defined_by=m[1]) for m in METHODS])
def test_method_arguments_are_documented(name, cls, member):
    func = vars(cls)[member]
    problems = _missing_parameters(inspect.cleandoc(func.__doc__ or ""), func)
    assert not problems, f"{name}: document in its Parameters section: {problems}"


@pytest.mark.parametrize("name,cls", [_param(*c, defined_by=c[1]) for c in CLASSES])
def test_class_has_an_example(name, cls):
    assert ">>>" in (cls.__doc__ or ""), f"{name}: add a short runnable example (an 'Example' section)"
