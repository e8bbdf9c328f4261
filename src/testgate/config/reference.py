"""The configuration reference, generated from the pydantic schema.

Every key's type, default and help come from :mod:`testgate.config.schema` (declared once);
``scripts/gen_config_docs.py`` writes this reference into ``docs/configuration.md`` between
two markers, and a test checks that the committed page is up to date.
"""

from __future__ import annotations

import types
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from testgate.config import schema

__all__ = ["BEGIN", "END", "render_reference", "update_page"]

BEGIN = "<!-- BEGIN GENERATED REFERENCE (scripts/gen_config_docs.py) -->"
END = "<!-- END GENERATED REFERENCE -->"

#: validators that make a plain type mean something more specific
_VALIDATED: dict[Any, str] = {
    schema.parse_duration: "duration",
    schema._command: "command",
    schema._expression: "expression",
    schema._scalar: "string, number or boolean",
}


def _validator_name(metadata: list[Any]) -> str | None:
    for m in metadata:
        func = getattr(m, "func", None)
        if func in _VALIDATED:
            return _VALIDATED[func]
    return None


def _anchor(path: str) -> str:
    # GitHub's rule: lower case, drop punctuation other than - and _, spaces become -
    keep = "".join(c if c.isalnum() or c in " -_" else "" for c in path)
    return keep.replace(" ", "-").lower()


def _bounds(metadata: Any) -> str:
    # Field(ge=1) inside Annotated arrives as a FieldInfo holding annotated_types.Ge
    metadata = [x for m in metadata for x in (m.metadata if isinstance(m, FieldInfo) else [m])]
    found = [
        f"{sign} {getattr(m, attr)}"
        for m in metadata
        for attr, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"))
        if getattr(m, attr, None) is not None
    ]
    return f" ({', '.join(found)})" if found else ""


def _type_name(t: Any, sections: dict[type[BaseModel], str]) -> str:
    origin = get_origin(t)
    if origin is Annotated:
        base, *meta = get_args(t)
        return (_validator_name(meta) or _type_name(base, sections)) + _bounds(meta)
    if origin in (Union, types.UnionType):
        parts = [_type_name(a, sections) for a in get_args(t) if a is not type(None)]
        return " or ".join(dict.fromkeys(parts))
    if origin is Literal:
        return " or ".join(f"`{a}`" for a in get_args(t))
    if origin is list:
        return f"list of {_type_name(get_args(t)[0], sections)}"
    if origin is dict:
        return f"mapping of name to {_type_name(get_args(t)[1], sections)}"
    if isinstance(t, type) and issubclass(t, BaseModel):
        path = sections.get(t, t.__name__)
        return f"[{path}](#{_anchor(path)})"
    names = {str: "string", int: "integer", float: "number", bool: "boolean"}
    if t is Any:
        return "any"
    return names.get(t, getattr(t, "__name__", str(t)))


def _field_type(f: FieldInfo, sections: dict[type[BaseModel], str]) -> str:
    name = _validator_name(list(f.metadata)) or _type_name(f.annotation, sections)
    return name + _bounds(f.metadata)


def _default(f: FieldInfo) -> str:
    if f.is_required():
        return "**required**"
    if f.default_factory is not None:
        value = f.default_factory()  # type: ignore[call-arg]
        if isinstance(value, BaseModel):
            return "(see below)"
        return f"`{value!r}`"
    if f.default is PydanticUndefined or f.default is None:
        return "—"
    if isinstance(f.default, bool):
        return f"`{str(f.default).lower()}`"
    if isinstance(f.default, float) and f.default.is_integer():
        return f"`{int(f.default)}`"
    return f"`{f.default!r}`"


def _nested_models(t: Any) -> list[type[BaseModel]]:
    if isinstance(t, type) and issubclass(t, BaseModel):
        return [t]
    return [m for a in get_args(t) for m in _nested_models(a)]


def _sections() -> dict[type[BaseModel], str]:
    """Every model reachable from Config, with the key path users write it at."""
    found: dict[type[BaseModel], str] = {schema.Config: "top level"}

    def visit(model: type[BaseModel], prefix: str) -> None:  # depth first, in key order
        for name, f in model.model_fields.items():
            origin = get_origin(f.annotation)
            suffix = "[]" if origin is list else ".NAME" if origin is dict else ""
            for sub in _nested_models(f.annotation):
                if sub not in found:
                    found[sub] = f"{prefix}{name}{suffix}"
                    visit(sub, f"{prefix}{name}{suffix}.")

    visit(schema.Config, "")
    return found


def render_reference() -> str:
    """Markdown tables of every key of ``testgate.yaml``, one section per mapping."""
    sections = _sections()
    out: list[str] = []
    for model, path in sections.items():
        out.append(f"### {path}")
        out.append("")
        doc = " ".join((model.__doc__ or "").split())
        if doc:
            out += [doc, ""]
        out.append("| key | type | default | description |")
        out.append("| --- | --- | --- | --- |")
        for name, f in model.model_fields.items():
            desc = (f.description or "").replace("|", "\\|")
            out.append(f"| `{name}` | {_field_type(f, sections)} | {_default(f)} | {desc} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def update_page(page: Path) -> bool:
    """Rewrite the generated part of *page*; return whether it changed."""
    text = page.read_text(encoding="utf-8")
    head, sep, rest = text.partition(BEGIN)
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise ValueError(f"{page} lacks the markers {BEGIN!r} and {END!r}")
    new = f"{head}{BEGIN}\n\n{render_reference()}\n{END}{tail}"
    if new != text:
        page.write_text(new, encoding="utf-8")
        return True
    return False
