"""The API reference, one page per public namespace, under public names only.

A page says which namespace it documents::

    .. lg-namespace:: layergraph.layers

and this directive writes the entries: every name the namespace exports,
under its public path (``layergraph.layers.Dense``, never the module that
defines it), grouped into sections, each class with the members a user
calls and links to those it inherits. A name added to a namespace appears
in the reference without touching the docs. The rules (what is public,
which members show) live in :mod:`layergraph_public`, which
``tests/test_api_reference.py`` uses too.
"""
from __future__ import annotations

import importlib
import inspect
import sys

import keras_names
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from layergraph_public import (
    GROUPS,
    NAMESPACES,
    data_doc,
    inherited_members,
    own_members,
    primary_names,
    public_bases,
    public_entries,
    resolve_module,
)
from sphinx.util.docutils import SphinxDirective
from sphinx.util.parsing import nested_parse_to_nodes


def _signature_text(obj):
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):
        return "(...)"


def _indent(lines, prefix="   "):
    return [prefix + line if line else "" for line in lines]


def render_entry(namespace, name, obj, kind, primary):
    """RST lines documenting one public name."""
    full = f"{namespace}.{name}"
    if kind == "data":
        doc = data_doc(namespace, name) or [f"A ``{type(obj).__name__}``."]
        return [f".. py:data:: {name}", f"   :module: {namespace}", f"   :type: {type(obj).__name__}", ""] + \
            _indent(doc) + [""]
    home = primary.get(id(obj))
    if home != full:  # documented in full under another public name
        # Not indexed: one target per object keeps type references in docstrings unambiguous
        # (``Model`` means layergraph.Model); the anchor still gives the public name a place.
        role, directive, what = ("class", "py:class", "class") if kind == "class" else ("func", "py:function",
                                                                                         "function")
        return [".. raw:: html", "", f'   <span id="{full}"></span>', "",
                f".. {directive}:: {name}{_signature_text(obj)}", f"   :module: {namespace}", "   :no-index:", "",
                f"   The same {what} as :{role}:`{home}`.", ""]
    if kind == "function":
        return [f".. autofunction:: {full}", ""]
    lines = [f".. autoclass:: {full}"]
    members = own_members(obj, primary)
    if members:
        lines.append(f"   :members: {', '.join(members)}")
        special = [m for m in members if m.startswith("__")]
        if special:
            lines.append(f"   :special-members: {', '.join(special)}")
    else:
        lines.append("   :no-members:")
    if public_bases(obj, primary):
        lines.append("   :show-inheritance:")
    lines.append("")
    for base, names in inherited_members(obj, primary):
        base_name = primary[id(base)]
        refs = ", ".join(f":meth:`~{base_name}.{n}`" if inspect.isroutine(getattr(base, n, None)) else
                         f":attr:`~{base_name}.{n}`" for n in names)
        lines += [f"   *Inherited from* :class:`~{base_name}`: {refs}.", ""]
    return lines


def group_entries(entries, groups):
    """``[(title, entries)]``: by defining module when ``groups`` names them, else by kind."""
    if groups is not None:
        by_module = {}
        for entry in entries:
            module = getattr(entry[1], "__module__", "") if entry[2] != "data" else ""
            by_module.setdefault(module.rsplit(".", 1)[-1], []).append(entry)
        out = []
        for title, modules in groups:
            chosen = [e for m in modules for e in by_module.pop(m, [])]
            if chosen:
                out.append((title, chosen))
        for module, chosen in by_module.items():  # modules no title names yet: their docstring's first words
            out.append((_module_title(chosen[0][1], module), chosen))
        return out
    titles = {"class": "Classes", "function": "Functions", "data": "Constants and registries"}
    return [(titles[k], [e for e in entries if e[2] == k]) for k in ("class", "function", "data")
            if any(e[2] == k for e in entries)]


def _module_title(obj, fallback):
    module = sys.modules.get(getattr(obj, "__module__", ""), None)
    first = (inspect.getdoc(module) or "").strip().splitlines()[:1] if module else []
    if first:
        return first[0].split(":")[0].split(".")[0].strip() or fallback
    return fallback.replace("_", " ").capitalize() if fallback else "Other"


def render_namespace(namespace, title=None, summary=True, docstring=True):
    """The RST of a namespace's part of a page."""
    primary = primary_names()
    module = resolve_module(namespace)
    lines = []
    sub = "~" if title else "-"
    if title:
        lines += [title, "-" * len(title), ""]
    if docstring and namespace == module.__name__:
        lines += [f".. automodule:: {namespace}", "   :no-members:", ""]
    else:  # a module re-exported under another name, or a page with its own introduction
        lines += [f".. py:module:: {namespace}", ""]
        if docstring and module.__doc__:
            lines += _rubrics(inspect.cleandoc(module.__doc__).splitlines()) + [""]
    entries = public_entries(namespace)
    # The summary table lists classes and functions: a constant's own docstring is its type's
    # (a dict's says "dict() -> new empty dictionary"), not the ``#:`` comment its entry shows.
    summarised = [name for name, _, kind in entries if kind != "data"]
    if summary and summarised:
        lines += [".. autosummary::", "   :nosignatures:", ""] + [f"   {name}" for name in summarised] + [""]
    for group_title, group in group_entries(entries, GROUPS.get(namespace)):
        lines += [group_title, sub * len(group_title), ""]
        for name, obj, kind in group:
            lines += render_entry(namespace, name, obj, kind, primary)
    return lines


def _rubrics(lines):
    """A docstring's NumPy-style section titles (``Example`` over dashes) as rubrics, not page sections."""
    out, i = [], 0
    while i < len(lines):
        if i + 1 < len(lines) and lines[i].strip() and set(lines[i + 1].strip()) == {"-"} \
                and len(lines[i + 1].strip()) >= len(lines[i].strip()):
            out += [f".. rubric:: {lines[i].strip()}", ""]
            i += 2
            continue
        out.append(lines[i])
        i += 1
    return out


class NamespaceDirective(SphinxDirective):
    """``.. lg-namespace:: layergraph.layers``: the entries of one public namespace."""

    required_arguments = 1
    option_spec = {"title": directives.unchanged, "no-summary": directives.flag,
                   "no-docstring": directives.flag}

    def run(self):
        namespace = self.arguments[0]
        if namespace not in NAMESPACES:
            raise self.error(f"{namespace} is not in layergraph_public.NAMESPACES")
        lines = render_namespace(namespace, self.options.get("title"), "no-summary" not in self.options,
                                 "no-docstring" not in self.options)
        content = StringList(lines, source=f"<lg-namespace {namespace}>")
        return nested_parse_to_nodes(self.state, content, allow_section_headings=True)


def framework_modules():
    """Every module of ``layergraph.framework`` (private ones too), in import order of their names."""
    import pkgutil

    import layergraph.framework

    names = ["layergraph.framework"]
    names += [info.name for info in pkgutil.walk_packages(layergraph.framework.__path__, "layergraph.framework.")]
    return sorted(names)


class InternalsDirective(SphinxDirective):
    """``.. lg-internals::``: each module of ``layergraph.framework`` for contributors.

    Its docstring, links to the public names it defines (documented in the
    user reference) and the entries of what it defines that no public
    namespace exports (not indexed: the user reference stays the one
    target of every public name).
    """

    def run(self):
        primary = primary_names()
        lines = []
        for name in framework_modules():
            module = importlib.import_module(name)
            defined = [(n, o) for n, o in vars(module).items()
                       if not n.startswith("_") and (inspect.isclass(o) or inspect.isfunction(o))
                       and getattr(o, "__module__", None) == name]
            public = [primary[id(o)] for _, o in defined if id(o) in primary]
            internal = [n for n, o in defined if id(o) not in primary]
            lines += [name, "-" * len(name), "", f".. py:module:: {name}", "",
                      f".. automodule:: {name}", "   :no-index:", "   :no-members:", ""]
            if public:
                lines += ["Public, in the reference: " + ", ".join(f":obj:`~{p}`" for p in public) + ".", ""]
            for n in internal:
                directive = "autoclass" if inspect.isclass(getattr(module, n)) else "autofunction"
                lines += [f".. {directive}:: {name}.{n}", "   :no-index:"]
                if directive == "autoclass":
                    lines.append("   :members:")
                lines.append("")
        content = StringList(lines, source="<lg-internals>")
        return nested_parse_to_nodes(self.state, content, allow_section_headings=True)


class KerasTableDirective(SphinxDirective):
    """``.. lg-keras-table:: layergraph.layers``: Keras 3's names and whether layergraph has each.

    The Keras names come from :mod:`keras_names`; the status is read from
    the namespace's public names when the page is built.
    """

    required_arguments = 1

    def run(self):
        namespace = self.arguments[0]
        tables = {ns: names for _, ns, names in keras_names.TABLES}
        if namespace not in tables:
            raise self.error(f"keras_names.TABLES has no entry for {namespace}")
        names = tables[namespace]
        groups = names if isinstance(names, dict) else {"": names}
        public = {name for name, _, kind in public_entries(namespace) if kind != "data"}
        rows = []
        for group, members in groups.items():
            have = [f":obj:`~{namespace}.{n}`" for n in members if n in public]
            missing = [f"``{n}``" for n in members if n not in public]
            rows.append((group, ", ".join(have) or "none yet", ", ".join(missing) or "all of them"))
        keras_all = {n for members in groups.values() for n in members}
        extra = sorted(n for n in public - keras_all if n[0].isupper())  # classes: Keras' functions are not listed
        header = ["Keras group", "in layergraph", "not (yet) in layergraph"] if len(groups) > 1 else \
            ["in layergraph", "not (yet) in layergraph"]
        lines = [".. list-table::", "   :header-rows: 1", "   :widths: " + ("15 45 40" if len(groups) > 1 else "50 50"),
                 ""]
        lines += ["   * - " + header[0]] + [f"     - {h}" for h in header[1:]]
        for group, have, missing in rows:
            cells = ([group] if len(groups) > 1 else []) + [have, missing]
            lines += ["   * - " + cells[0]] + [f"     - {c}" for c in cells[1:]]
        lines.append("")
        if extra:
            lines += ["layergraph's own, not in Keras: " + ", ".join(f":obj:`~{namespace}.{n}`" for n in extra) + ".",
                      ""]
        have_count = sum(1 for n in keras_all if n in public)
        lines += [f"{have_count} of Keras' {len(keras_all)} names here are available.", ""]
        content = StringList(lines, source=f"<lg-keras-table {namespace}>")
        return nested_parse_to_nodes(self.state, content)


def _public_bases(app, name, obj, options, bases):
    """Show a class's bases under their public names; drop ``object`` and undocumented ones."""
    primary = primary_names()
    bases[:] = [f":py:class:`{primary[id(b)]}`" for b in bases if id(b) in primary]


def _constructor_signature(app, what, name, obj, options, signature, return_annotation):
    """A class whose ``__new__`` takes ``(*args, **kwargs)`` (``Model``) shows its ``__init__``'s signature."""
    if what == "class" and signature == "(*args, **kwargs)" and "__init__" in vars(obj):
        params = list(inspect.signature(obj.__init__).parameters.values())[1:]
        return str(inspect.Signature(params)), return_annotation
    return None


def setup(app):
    app.add_directive("lg-namespace", NamespaceDirective)
    app.add_directive("lg-keras-table", KerasTableDirective)
    app.add_directive("lg-internals", InternalsDirective)
    app.connect("autodoc-process-bases", _public_bases)
    app.connect("autodoc-process-signature", _constructor_signature)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
