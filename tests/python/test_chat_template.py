"""Chat templates: ``mwt.Tokenizer.apply_chat_template`` against transformers'
``apply_chat_template`` (the oracle, same tokenizer directory) for ChatML (Qwen2), LLaMA-3 and
Mistral-style templates as those models' tokenizer_config.json hold them: with and without a
system message and the generation prompt, with tools, errors raised by templates, the sandbox
and the environment's extensions.
"""

from __future__ import annotations

from typing import Any, Dict, List

import pytest

transformers = pytest.importorskip("transformers")
jinja2 = pytest.importorskip("jinja2")
mwt = pytest.importorskip("mwt")

import tok_fixtures  # noqa: E402

from mwt._chat_template import render_chat_template  # noqa: E402

needs_native = pytest.mark.skipif(not hasattr(mwt._native, "Tokenizer"),
                                  reason="the native tokenizer is not in this build (issue 13)")

# Written here: a Mistral-style template with tools (a [TOOLS] block, tool calls with JSON
# arguments, tool results by call id), for the tools / tool_calls / tool-role inputs.
TOOLS_TEMPLATE = (
    "{{ bos_token }}{%- if tools %}[TOOLS]{{ tools | tojson }}[/TOOLS]{% endif %}"
    "{%- for m in messages %}"
    "{%- if m.role == 'system' %}[SYS]{{ m.content }}[/SYS]"
    "{%- elif m.role == 'user' %}[INST] {{ m.content }} [/INST]"
    "{%- elif m.role == 'assistant' and m.tool_calls is defined %}[CALLS]"
    "{%- for c in m.tool_calls %}{{ c.function.name }}({{ c.function.arguments | tojson }})"
    "{%- if not loop.last %};{% endif %}{% endfor %}{{ eos_token }}"
    "{%- elif m.role == 'assistant' %}{{ m.content }}{{ eos_token }}"
    "{%- elif m.role == 'tool' %}[RESULT {{ m.tool_call_id }}]{{ m.content }}[/RESULT]"
    "{%- endif %}{%- endfor %}"
    "{%- if add_generation_prompt %} {% endif %}")

# Written here: the environment's extras (tojson's options, namespace, loop controls, the
# generation block, strftime_now, dict, whitespace control under trim/lstrip_blocks).
FEATURES_TEMPLATE = """{%- set ns = namespace(n=0) %}
{% for m in messages %}
    {% if m.role == 'skip' %}{% continue %}{% endif %}
    {% set ns.n = ns.n + 1 %}
    <{{ m.role }}>{{ m.content | tojson }}</{{ m.role }}>
    {% if m.role == 'stop' %}{% break %}{% endif %}
    {% generation %}[{{ ns.n }}]{% endgeneration %}
{% endfor %}
{{ dict(a=1, b=[1, 2]) | tojson(indent=2, sort_keys=True) }}
{{ tools | tojson(separators=(',', ':')) }} {{ extra_var | default('none') }}
{{ strftime_now('%Y') }}|{{ bos_token | default('') }}
{% if add_generation_prompt %}<assistant>{% endif %}"""


def conversations() -> Dict[str, List[Dict[str, Any]]]:
    return {
        "user": [{"role": "user", "content": "Hello, who are you?"}],
        "system+user": [{"role": "system", "content": "You are terse. «Ünïcödé» ok"},
                        {"role": "user", "content": "  Explain tokenizers.  "}],
        "multi-turn": [{"role": "user", "content": "2+2?"},
                       {"role": "assistant", "content": "4"},
                       {"role": "user", "content": "and 3+3?\nthanks"}],
        "system+multi": [{"role": "system", "content": "Be kind."},
                         {"role": "user", "content": "hi"},
                         {"role": "assistant", "content": "hello <b>there</b> & 'quotes'"},
                         {"role": "user", "content": "😀 emoji"}],
    }


@pytest.fixture(scope="module")
def fx() -> Any:
    return tok_fixtures.build_all()


def _both(fx: Any, name: str, template: Any = None) -> Any:
    f = fx[name]
    ours = mwt.Tokenizer.from_file(f.directory)
    theirs = f.transformers()
    return ours, theirs, template


@needs_native
@pytest.mark.parametrize("gen", [True, False])
@pytest.mark.parametrize("conv", ["user", "system+user", "multi-turn", "system+multi"])
@pytest.mark.parametrize("name", ["qwen2", "llama3", "llama2-metaspace"])
def test_model_templates_equal_transformers(fx: Any, name: str, conv: str, gen: bool) -> None:
    ours, theirs, _ = _both(fx, name)
    messages = conversations()[conv]
    assert ours.chat_template == theirs.chat_template
    try:
        want = theirs.apply_chat_template(messages, tokenize=False, add_generation_prompt=gen)
    except jinja2.exceptions.TemplateError as e:  # Mistral v0.1 refuses a system message
        with pytest.raises(jinja2.exceptions.TemplateError, match=str(e)):
            ours.apply_chat_template(messages, add_generation_prompt=gen)
        return
    assert ours.apply_chat_template(messages, add_generation_prompt=gen) == want
    ids = theirs.apply_chat_template(messages, tokenize=True, add_generation_prompt=gen,
                                     return_dict=False)
    assert ours.apply_chat_template(messages, add_generation_prompt=gen, tokenize=True) == \
        list(ids)


@needs_native
@pytest.mark.parametrize("gen", [True, False])
@pytest.mark.parametrize("conv", ["user", "system+user", "multi-turn", "system+multi"])
def test_tools_template_equals_transformers(fx: Any, conv: str, gen: bool) -> None:
    ours, theirs, _ = _both(fx, "llama2-metaspace")
    tools = [{"type": "function", "function": {
        "name": "get_weather", "description": "Weather at a place",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                       "required": ["city"]}}}]
    messages = conversations()[conv]
    for t in (None, tools):
        want = theirs.apply_chat_template(messages, tools=t, chat_template=TOOLS_TEMPLATE,
                                          tokenize=False, add_generation_prompt=gen)
        got = ours.apply_chat_template(messages, add_generation_prompt=gen, tools=t,
                                       chat_template=TOOLS_TEMPLATE)
        assert got == want
    calls = messages + [
        {"role": "assistant", "tool_calls": [{"id": "abcdefghi", "type": "function", "function":
                                              {"name": "get_weather",
                                               "arguments": {"city": "Zürich"}}}]},
        {"role": "tool", "tool_call_id": "abcdefghi", "content": '{"temp": 21}'}]
    if conv in ("user", "system+user"):
        want = theirs.apply_chat_template(calls, tools=tools, chat_template=TOOLS_TEMPLATE,
                                          tokenize=False)
        assert ours.apply_chat_template(calls, add_generation_prompt=False, tools=tools,
                                        chat_template=TOOLS_TEMPLATE) == want


@needs_native
@pytest.mark.parametrize("gen", [True, False])
def test_environment_features_equal_transformers(fx: Any, gen: bool) -> None:
    ours, theirs, _ = _both(fx, "llama3")
    messages = [{"role": "user", "content": "<tag> & \"q\" é"}, {"role": "skip", "content": "x"},
                {"role": "assistant", "content": "ok", "extra": None},
                {"role": "stop", "content": "s"}, {"role": "user", "content": "never"}]
    tools = [{"name": "f", "nested": {"z": 1, "a": [True, None, 1.5]}}]
    for kwargs in ({}, {"extra_var": "given"}, {"bos_token": "OVERRIDDEN"}):
        want = theirs.apply_chat_template(messages, tools=tools, chat_template=FEATURES_TEMPLATE,
                                          tokenize=False, add_generation_prompt=gen, **kwargs)
        got = ours.apply_chat_template(messages, add_generation_prompt=gen, tools=tools,
                                       chat_template=FEATURES_TEMPLATE, **kwargs)
        assert got == want


@needs_native
def test_continue_final_message_equals_transformers(fx: Any) -> None:
    ours, theirs, _ = _both(fx, "qwen2")
    messages = [{"role": "user", "content": "Write a haiku"},
                {"role": "assistant", "content": "Silent tokens fall"}]
    want = theirs.apply_chat_template(messages, tokenize=False, continue_final_message=True)
    got = ours.apply_chat_template(messages, add_generation_prompt=False,
                                   continue_final_message=True)
    assert got == want and got.endswith("Silent tokens fall")
    with pytest.raises(ValueError):
        ours.apply_chat_template(messages, add_generation_prompt=True,
                                 continue_final_message=True)


@pytest.mark.parametrize("source,error", [
    ("{{ ''.__class__.__mro__ }}", "SecurityError"),
    ("{{ messages.append(1) }}", "SecurityError"),
    ("{% set ns = namespace() %}{% set ns._x = 1 %}", "SecurityError"),
    ("{{ raise_exception('nope: ' + messages[0].role) }}", "TemplateError"),
    ("{{ dict.__class__ }}", None),
    ("{% for m in messages %}{{ m.content }", "TemplateSyntaxError"),
])
def test_sandbox_and_errors_as_transformers(source: str, error: Any) -> None:
    """Render without a tokenizer (mwt._chat_template) and with transformers' renderer."""
    from transformers.utils.chat_template_utils import render_jinja_template
    messages = [{"role": "user", "content": "hi"}]

    def theirs() -> str:
        return str(render_jinja_template([messages], chat_template=source)[0][0])

    def ours() -> str:
        return render_chat_template(source, messages)

    if error is None:
        assert ours() == theirs()
        return
    with pytest.raises(jinja2.exceptions.TemplateError) as want:
        theirs()
    with pytest.raises(jinja2.exceptions.TemplateError) as got:
        ours()
    assert type(got.value).__name__ == type(want.value).__name__ == error
    if "namespace" not in source:  # that message is each library's own wording
        assert str(got.value) == str(want.value)


def test_render_validates_arguments() -> None:
    with pytest.raises(ValueError, match="empty"):
        render_chat_template("x", [])
    with pytest.raises(TypeError):
        render_chat_template("x", "not a list")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="dicts"):
        render_chat_template("x", [("user", "hi")])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="JSON schemas"):
        render_chat_template("x", [{"role": "user", "content": "hi"}], tools=[len])


@needs_native
def test_no_template_is_an_error(fx: Any) -> None:
    tok = mwt.Tokenizer.from_file(fx["gpt2"].directory)
    assert tok.chat_template is None
    with pytest.raises(ValueError, match="no chat template"):
        tok.apply_chat_template([{"role": "user", "content": "hi"}])
    assert tok.apply_chat_template([{"role": "user", "content": "hi"}],
                                   chat_template="{{ messages[0].content }}!") == "hi!"
