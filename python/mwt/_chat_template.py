"""Chat templates: rendering a model's Jinja chat template the way transformers renders it, so
``Tokenizer.apply_chat_template`` gives the same string as transformers' ``apply_chat_template``
(docs/tokenizers.md#chat-templates).

The environment a template sees (transformers 5's, restated): a sandboxed, immutable jinja2
environment (templates come from the hub and are untrusted: no attribute writes, no mutation of
the inputs, no dunder access) with ``trim_blocks`` and ``lstrip_blocks`` on; the loop-control
extension (``break`` / ``continue``) and a ``{% generation %}...{% endgeneration %}`` block that
renders its body unchanged; the filter ``tojson`` replaced by a plain ``json.dumps`` (no HTML
escaping, ``ensure_ascii=False``, optional ``indent`` / ``separators`` / ``sort_keys``); the globals
``raise_exception(message)`` (a TemplateError), ``strftime_now(format)`` (local time now),
``dict`` limited to calling and ``fromkeys``, and ``namespace`` refusing names that start with an
underscore. The variables are ``messages``, ``tools``, ``documents``, ``add_generation_prompt``,
the tokenizer's special-token strings (``bos_token``, ``eos_token``, ...) and any keyword
arguments, which override them. Inputs are rebuilt from plain JSON-like types first, and message
keys whose value is None are dropped.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from datetime import datetime
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import numpy as np

__all__ = ["render_chat_template", "compile_template", "Message"]

Message = Mapping[str, Any]

# Older names for a message's reasoning; templates read "reasoning_content" (gpt-oss reads
# "thinking"), so every spelling is filled from the first one present.
_REASONING_FIELDS = ("reasoning_content", "thinking", "reasoning")
_CONTINUE_TAG = "CONTINUE_FINAL_MESSAGE_TAG "


def _jinja() -> Any:
    try:
        import jinja2
    except ImportError as e:  # jinja2 is a dependency of the package; say so if it is missing
        raise ImportError("chat templates need jinja2 >= 3.1 (pip install jinja2)") from e
    return jinja2


@functools.cache
def _environment() -> Any:
    jinja2 = _jinja()
    from jinja2 import nodes
    from jinja2.ext import Extension, loopcontrols
    from jinja2.sandbox import ImmutableSandboxedEnvironment
    from jinja2.utils import Namespace

    class GenerationBlock(Extension):
        """``{% generation %}`` marks the assistant's text for training masks; rendering it is
        rendering its body."""

        tags = {"generation"}

        def parse(self, parser: Any) -> Any:
            lineno = next(parser.stream).lineno
            body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
            return nodes.CallBlock(self.call_method("_body"), [], [], body).set_lineno(lineno)

        def _body(self, caller: Any) -> str:
            return str(caller())

    def raise_exception(message: str) -> None:
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x: Any, ensure_ascii: bool = False, indent: Any = None, separators: Any = None,
               sort_keys: bool = False) -> str:
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                          sort_keys=sort_keys)

    def strftime_now(fmt: str) -> str:
        return datetime.now().strftime(fmt)

    class TemplateDict:
        """``dict(...)`` and ``dict.fromkeys(...)`` only: no class attributes to climb."""

        def __call__(self, *args: Any, **kwargs: Any) -> Dict[Any, Any]:
            return dict(*args, **kwargs)

        def fromkeys(self, *args: Any, **kwargs: Any) -> Dict[Any, Any]:
            return dict.fromkeys(*args, **kwargs)

    class TemplateNamespace(Namespace):
        """jinja2's namespace, refusing attribute names that start with an underscore."""

        def __init__(*args: Any, **kwargs: Any) -> None:  # noqa: N805 - jinja2's signature
            self, rest = args[0], args[1:]
            attrs = dict(*rest, **kwargs)
            for name in attrs:
                TemplateNamespace._check(name)
            Namespace.__init__(self, attrs)

        def __setitem__(self, name: str, value: Any) -> None:
            TemplateNamespace._check(name)
            Namespace.__setitem__(self, name, value)

        @staticmethod
        def _check(name: Any) -> None:
            if isinstance(name, str) and name.startswith("_"):
                raise jinja2.exceptions.SecurityError(
                    f"chat templates cannot store underscore-prefixed attributes on a "
                    f"namespace ({name!r})")

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[GenerationBlock, loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    env.globals["dict"] = TemplateDict()
    env.globals["namespace"] = TemplateNamespace
    return env


@functools.lru_cache(maxsize=64)
def compile_template(source: str) -> Any:
    """The compiled jinja2 template for `source` (cached: a model's template compiles once)."""
    return _environment().from_string(source)


def _plain(value: Any) -> Any:
    """`value` rebuilt from plain JSON-like types (a template must not reach the methods of rich
    objects); anything else becomes an inert "<TypeName>" string."""
    if value is None or type(value) in (str, int, float, bool):
        return value
    if isinstance(value, str):   # subclasses (enums, ...) back to the base type
        return str.__str__(value)
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, Mapping):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, np.generic):   # numpy scalars (np.bool_ would be a truthy string)
        return _plain(value.item())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    dump = getattr(value, "model_dump", None)
    if callable(dump):            # pydantic models
        return _plain(dump())
    return f"<{type(value).__name__}>"


def _alias_reasoning(messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    out = []
    for m in messages:
        reasoning = next((m[k] for k in _REASONING_FIELDS if m.get(k) is not None), None)
        if reasoning is not None:
            m = {"thinking": reasoning, **m, "reasoning_content": reasoning}
        out.append(m)
    return out


def _tool_schemas(tools: Optional[Sequence[Any]]) -> Optional[List[Any]]:
    if tools is None:
        return None
    out = []
    for tool in tools:
        if not isinstance(tool, Mapping):
            raise TypeError("tools must be JSON schemas (dicts); got "
                            f"{type(tool).__name__}. transformers.utils.get_json_schema(fn) "
                            "turns a typed, documented function into one")
        out.append(tool)
    return out


def _continue_fields(source: str, last: Dict[str, Any], field: str) -> List[str]:
    fields = [field]
    if field in _REASONING_FIELDS:
        # Reasoning is present under several names: tag each copy, whichever the template reads.
        fields = [f for f in _REASONING_FIELDS if last.get(f) == last.get(field)]
    if not any(f in source for f in fields):
        raise ValueError(f"continue_final_message is {field!r}, which the chat template does "
                         "not read")
    return fields


def _tag_final(last: Dict[str, Any], fields: List[str]) -> str:
    """Appends the continuation tag to the final message's text; returns that text."""
    value = last[fields[0]]
    if isinstance(value, (list, tuple)):
        for block in reversed(value):
            if isinstance(block, dict) and "text" in block:
                original = str(block["text"])
                block["text"] = original + _CONTINUE_TAG
                return original
        raise ValueError("continue_final_message: the final message holds no text block")
    original = str(value)
    for f in fields:
        last[f] = str(last[f]) + _CONTINUE_TAG
    return original


def _cut_at_tag(rendered: str, final: str) -> str:
    tag = _CONTINUE_TAG.strip()
    if final.strip() not in rendered or tag not in rendered:
        raise ValueError("continue_final_message: the final message does not appear in the "
                         "rendered chat (the template removes part of it)")
    at = rendered.rindex(tag)
    if rendered[at:at + len(_CONTINUE_TAG)] == _CONTINUE_TAG:
        return rendered[:at]
    return rendered[:at].rstrip()   # the template trimmed the message's trailing spaces


def render_chat_template(source: str, messages: Sequence[Message], *,
                         add_generation_prompt: bool = False,
                         tools: Optional[Sequence[Any]] = None,
                         documents: Optional[Sequence[Mapping[str, Any]]] = None,
                         continue_final_message: Union[bool, str] = False,
                         special_tokens: Optional[Mapping[str, str]] = None,
                         **kwargs: Any) -> str:
    """Render chat template `source` over one conversation, as transformers'
    ``apply_chat_template(..., tokenize=False)`` does.

    `special_tokens` are the tokenizer's named token strings (``bos_token``, ...); `kwargs` are
    extra template variables and override them. `continue_final_message` (True, or the name of
    the field to continue) ends the text inside the last message instead of after it; it cannot
    be combined with `add_generation_prompt`. Template errors (``raise_exception``, undefined
    operations, sandbox violations) raise jinja2's exceptions.
    """
    if isinstance(messages, (str, bytes)) or not isinstance(messages, Sequence):
        raise TypeError("messages must be a list of {'role': ..., 'content': ...} dicts")
    if not messages:
        raise ValueError("cannot apply a chat template to an empty conversation")
    if continue_final_message and add_generation_prompt:
        raise ValueError("continue_final_message and add_generation_prompt cannot be combined: "
                         "the first continues the last message, the second starts a new one")
    chat = []
    for m in messages:
        if not isinstance(m, Mapping):
            raise TypeError(f"chat messages must be dicts, got {type(m).__name__}")
        # Keys holding None are dropped: templates test for presence, not for None.
        chat.append({k: v for k, v in m.items() if v is not None})
    chat = _alias_reasoning(_plain(chat))
    final: Optional[str] = None
    if continue_final_message:
        field = continue_final_message if isinstance(continue_final_message, str) else "content"
        if chat[-1].get(field) is None:
            raise ValueError(f"continue_final_message: the final message has no {field!r}")
        final = _tag_final(chat[-1], _continue_fields(source, chat[-1], field))
    if documents is not None and not all(isinstance(d, Mapping) for d in documents):
        raise TypeError("documents must be a list of dicts (with 'title' and 'text')")
    variables = {**dict(special_tokens or {}), **kwargs}
    rendered = compile_template(source).render(
        messages=chat, tools=_plain(_tool_schemas(tools)), documents=_plain(documents),
        add_generation_prompt=add_generation_prompt, **_plain(variables))
    return _cut_at_tag(rendered, final) if final is not None else str(rendered)
