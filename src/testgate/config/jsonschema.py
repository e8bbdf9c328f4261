"""The JSON Schema of ``testgate.yaml``, generated from the configuration model.

Editors that speak JSON Schema (VS Code with the YAML extension, JetBrains IDEs, anything built
on yaml-language-server) use it to complete keys, show each key's help and flag mistakes as
you type. It is generated from :class:`~testgate.config.schema.Config`, so it cannot drift from
what ``testgate validate`` accepts; testgate ships it as ``testgate/schemas/config.schema.json``
and ``testgate schema`` prints it.

pydantic describes what a model *holds*; YAML may say more than that where a validator widens
the input (``timeout: 90s``, ``reports: [junit.xml]``, ``depends_on: lint``). Those places are
described here once, by the validator that widens them, so a field added with one of the
shared types or validators is described correctly without further work.
"""

from __future__ import annotations

import json
import types
from collections.abc import Callable, Iterator
from importlib import resources
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, BeforeValidator

from testgate.config import schema as S

__all__ = [
    "SCHEMA_FILE",
    "config_json_schema",
    "shipped_schema",
    "to_text",
    "undescribed_validators",
]

#: where the generated schema ships inside the package
SCHEMA_FILE = "config.schema.json"

Fragment = dict[str, Any]


def _string_or(orig: Fragment) -> Fragment:
    return {"anyOf": [{"type": "string"}, orig]}


def _list_or(item: Fragment) -> Callable[[Fragment], Fragment]:
    def widen(orig: Fragment) -> Fragment:
        return {"anyOf": [{"type": "array", "items": item}, orig]}

    return widen


def _scalars(orig: Fragment) -> Fragment:
    out = dict(orig)
    out["additionalProperties"] = {"type": ["string", "number", "boolean", "null"]}
    return out


def _names_or(orig: Fragment) -> Fragment:
    return {"anyOf": [orig, {"type": "array", "items": {"type": "string"}}]}


#: a BeforeValidator's function -> how it widens the schema of the value it stands before
_BEFORE: dict[Callable[..., Any], Callable[[Fragment], Fragment]] = {
    S._report: _string_or,
    S._webhook: _string_or,
    S._quarantine_list: _list_or({"$ref": "#/$defs/QuarantineEntrySpec"}),
}

#: a field validator (mode="before"), by name -> how it widens its field
_FIELD_VALIDATORS: dict[str, Callable[[Fragment], Fragment]] = {
    "_env_strings": _scalars,
    "_resource_list": _names_or,
    "_one_dep": _string_or,
    "_one_glob": _string_or,
    "_retry_on_list": _string_or,
}

#: field validators (mode="before") that accept nothing beyond the field's own type
_NARROWING: frozenset[str] = frozenset()


def undescribed_validators() -> list[str]:
    """``Model.field: validator`` for each before-validator the schema does not describe: a new
    one must be added to ``_FIELD_VALIDATORS`` (or ``_NARROWING``), or editors would flag
    what testgate accepts. testgate's tests check that this list is empty."""
    out: list[str] = []
    for model in _models(S.Config):
        for dec in model.__pydantic_decorators__.field_validators.values():
            name = dec.func.__name__
            if dec.info.mode == "before" and name not in {*_FIELD_VALIDATORS, *_NARROWING}:
                out.extend(f"{model.__name__}.{f}: {name}" for f in dec.info.fields)
    return sorted(out)


def _models(root: type[BaseModel]) -> Iterator[type[BaseModel]]:
    seen: set[type[BaseModel]] = set()
    todo = [root]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        yield model
        for f in model.model_fields.values():
            todo.extend(_nested_models(f.annotation))


def _nested_models(t: Any) -> Iterator[type[BaseModel]]:
    if isinstance(t, type) and issubclass(t, BaseModel):
        yield t
    for arg in get_args(t):
        yield from _nested_models(arg)


def _before_of(t: Any) -> Callable[[Fragment], Fragment] | None:
    if get_origin(t) is Annotated:
        for meta in t.__metadata__:
            if isinstance(meta, BeforeValidator) and meta.func in _BEFORE:
                return _BEFORE[meta.func]
    return None


def _widen_field(prop: Fragment, annotation: Any, metadata: list[Any]) -> Fragment:
    for meta in metadata:
        if isinstance(meta, BeforeValidator) and meta.func in _BEFORE:
            prop = _keep_docs(prop, _BEFORE[meta.func](_strip_docs(prop)))
    t = annotation
    while get_origin(t) in (Union, types.UnionType):
        args = [a for a in get_args(t) if a is not type(None)]
        if len(args) != 1:
            break
        t = args[0]
    if get_origin(t) is list:
        (item,) = get_args(t)
        widen = _before_of(item)
        if widen is not None and "items" in prop:
            prop = dict(prop)
            prop["items"] = widen(prop["items"])
    return prop


_DOC_KEYS = ("description", "title", "default")


def _strip_docs(prop: Fragment) -> Fragment:
    return {k: v for k, v in prop.items() if k not in _DOC_KEYS}


def _keep_docs(old: Fragment, new: Fragment) -> Fragment:
    return {**new, **{k: old[k] for k in _DOC_KEYS if k in old}}


def config_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``testgate.yaml``."""
    schema = S.Config.model_json_schema()
    defs: dict[str, Fragment] = schema.get("$defs", {})
    for model in _models(S.Config):
        target = schema if model is S.Config else defs.get(model.__name__)
        if target is None:
            continue
        props: dict[str, Fragment] = target.get("properties", {})
        validators: dict[str, list[str]] = {}
        for dec in model.__pydantic_decorators__.field_validators.values():
            if dec.info.mode == "before" and dec.func.__name__ in _FIELD_VALIDATORS:
                for name in dec.info.fields:
                    validators.setdefault(name, []).append(dec.func.__name__)
        for name, info in model.model_fields.items():
            if name not in props:
                continue
            prop = _widen_field(props[name], info.annotation, list(info.metadata))
            for func in validators.get(name, []):
                prop = _keep_docs(prop, _FIELD_VALIDATORS[func](_strip_docs(prop)))
            props[name] = prop
    # top-level keys starting with x- hold YAML anchors to reuse; testgate ignores them
    schema["patternProperties"] = {"^x-": {}}
    out: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": "Generated from testgate.config.schema.Config by 'testgate schema'; "
        "see docs/editor.md",
        "title": "testgate.yaml",
    }
    out.update(schema)
    out["title"] = "testgate.yaml"
    return out


def to_text(schema: dict[str, Any]) -> str:
    """The schema as the file testgate ships (stable key order, a final newline)."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def shipped_schema() -> str:
    """The text of the schema file in the installed package."""
    return resources.files("testgate.schemas").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
