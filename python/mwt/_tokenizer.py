"""``mwt.Tokenizer``: the tokenizer of a model, read from the model's own files (a GGUF's
``tokenizer.ggml.*`` keys, ``tokenizer.json`` + ``tokenizer_config.json`` +
``special_tokens_map.json`` in a directory or a Hugging Face cache snapshot, a SentencePiece
``.model``) and run by the native library; ids equal Hugging Face ``tokenizers``'
(docs/tokenizers.md).
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    List,
    Literal,
    Mapping,
    Optional,
    Sequence,
    Union,
    overload,
)

import numpy as np

from . import _hub, _native
from ._chat_template import Message, render_chat_template
from ._errors import BadEncodingError, _raise

if TYPE_CHECKING:
    from ._file import WeightFile

__all__ = ["Tokenizer"]

PathLike = Union[str, "os.PathLike[str]"]
Text = Union[str, bytes, bytearray, memoryview]

# The named special tokens, in transformers' order (its special_tokens_map keys).
_NAMED = ("bos", "eos", "unk", "sep", "pad", "cls", "mask")


def _hub_snapshot(name: str) -> Path:
    """The cached snapshot directory of hub model ``org/name[@revision]`` (the tokenizer files
    sit at its top level), without network access (docs/hub-cache.md)."""
    m = _hub._REPO_ID.match(name)
    if m is None:
        _raise("ARGUMENT", f"{name!r} is not a Hugging Face model name (org/name[@revision])")
    plain = f"{m.group('org')}/{m.group('name')}"
    repo_dir = _hub.cache_dir() / f"models--{m.group('org')}--{m.group('name')}"
    if not repo_dir.is_dir():
        _raise("IO", f"{plain} is neither a file or directory nor a model in the Hugging Face "
               f"cache {_hub.cache_dir()} (set HF_HUB_CACHE or HF_HOME to use another cache)")
    commit = _hub._commit_of(repo_dir, plain, m.group("rev") or "main")
    return repo_dir / "snapshots" / commit


def _resolve(path: PathLike) -> str:
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if os.path.lexists(text) or not _hub.is_repo_id(text):
        return text
    return str(_hub_snapshot(text))


def _lone_surrogate(text: str) -> Optional[int]:
    for i, ch in enumerate(text):
        if 0xD800 <= ord(ch) <= 0xDFFF:
            return i
    return None


def _replaced(text: Union[str, bytes]) -> Union[str, bytes]:
    """Bytes that are not UTF-8 as the str Python reads them as (U+FFFD for invalid parts)."""
    if isinstance(text, bytes):
        try:
            text.decode("utf-8")
        except UnicodeDecodeError:
            return text.decode("utf-8", "replace")
    return text


def _not_text(text: str, what: str = "text") -> TypeError:
    at = _lone_surrogate(text)
    where = f" at index {at} (U+{ord(text[at]):04X})" if at is not None else ""
    return TypeError(f"{what} holds a lone surrogate{where}, which is not Unicode text (HF "
                     "tokenizers refuses it too); decode the source bytes with errors='replace' "
                     "or pass the raw bytes, whose invalid sequences become U+FFFD")


class Tokenizer:
    """A model's tokenizer: :meth:`encode` text to ids, :meth:`decode` ids to text, render chat
    templates. Immutable and safe to share between threads.

    Open one with :meth:`from_file` (a GGUF or other weight file, a directory holding
    ``tokenizer.json``, a ``tokenizer.json``, a SentencePiece ``.model``, or a Hugging Face cache
    name ``org/name[@revision]``), :meth:`from_json` (the files' contents) or
    :meth:`from_weight_file` (``mwt.open(path).tokenizer()``).

    Ids equal those of Hugging Face ``tokenizers`` for the same ``tokenizer.json``
    (``Tokenizer.from_file(...).encode(text, add_special_tokens=...).ids``), and those llama.cpp
    gives for a GGUF; what the tests show is listed in docs/tokenizers.md.
    """

    __slots__ = ("_native", "_info", "_origin")

    def __init__(self, native: Any, origin: Optional[Dict[str, Any]] = None) -> None:
        """Wraps a ``mwt._native.Tokenizer``; use the ``from_*`` constructors instead."""
        self._native = native
        self._info: Dict[str, Any] = json.loads(native.info_json())
        # Where the tokenizer came from, for to_gguf_metadata: {"path": ...} or {"json": ...}.
        self._origin: Dict[str, Any] = dict(origin or {})

    # ---- construction

    @classmethod
    def from_file(cls, path: PathLike) -> Tokenizer:
        """Opens the tokenizer of `path`: a GGUF (its ``tokenizer.ggml.*`` keys), a directory with
        ``tokenizer.json`` (and ``tokenizer_config.json`` / ``special_tokens_map.json`` beside it,
        as a model directory or a hub snapshot has them), a ``tokenizer.json`` file, a
        SentencePiece ``.model``, or a Hugging Face cache name (``org/name[@revision]``, read
        offline). A safetensors file is read through its directory's tokenizer files.

        Raises :class:`mwt.IoError` when nothing is there and the format's error class (e.g.
        :class:`mwt.UnsupportedFeatureError` for a tokenizer model mwt does not run) otherwise.
        """
        p = _resolve(path)
        if os.path.isfile(p) and p.endswith((".safetensors", ".safetensors.index.json")):
            p = os.path.dirname(os.path.abspath(p))
        return cls(_native.Tokenizer.open(p), {"path": p})

    @classmethod
    def from_json(cls, tokenizer_json: str, config_json: str = "",
                  special_tokens_map_json: str = "") -> Tokenizer:
        """A tokenizer from the text of ``tokenizer.json`` (and optionally of
        ``tokenizer_config.json`` and ``special_tokens_map.json``)."""
        for name, value in (("tokenizer_json", tokenizer_json), ("config_json", config_json),
                            ("special_tokens_map_json", special_tokens_map_json)):
            if not isinstance(value, str):
                raise TypeError(f"{name} must be str (the file's text), not "
                                f"{type(value).__name__}")
        native = _native.Tokenizer.from_json(tokenizer_json, config_json, special_tokens_map_json)
        return cls(native, {"json": tokenizer_json})

    @classmethod
    def from_weight_file(cls, wf: WeightFile) -> Tokenizer:
        """The tokenizer stored in an open weight file (a GGUF's ``tokenizer.ggml.*`` keys); for
        a safetensors file or checkpoint, the tokenizer files of its directory."""
        if str(wf.format).startswith("safetensors"):
            return cls.from_file(os.path.dirname(os.path.abspath(os.fspath(wf.path))))
        return cls(_native.Tokenizer.from_weight_file(wf._require_open()),
                   {"path": os.fspath(wf.path)})

    # ---- encoding

    def encode(self, text: Text, add_special_tokens: bool = True) -> List[int]:
        """The ids of `text` (a str, or UTF-8 bytes whose invalid sequences are read as U+FFFD,
        as ``bytes.decode(errors="replace")`` reads them). `add_special_tokens` adds what the
        tokenizer's post-processor (or a GGUF's add_bos / add_eos) adds: BOS, EOS, [CLS] ...
        A str holding a lone surrogate raises TypeError, as HF tokenizers does."""
        if isinstance(text, (bytearray, memoryview)):
            text = bytes(text)
        if not isinstance(text, (str, bytes)):
            raise TypeError(f"text must be str or bytes, not {type(text).__name__}")
        try:
            ids = self._native.encode(text, bool(add_special_tokens))
        except BadEncodingError:
            if not isinstance(text, bytes):
                raise
            # The library takes UTF-8 only; invalid bytes are read as Python (and so HF, given
            # the decoded str) reads them.
            ids = self._native.encode(text.decode("utf-8", "replace"), bool(add_special_tokens))
        except (TypeError, UnicodeEncodeError):
            if isinstance(text, str) and _lone_surrogate(text) is not None:
                raise _not_text(text) from None
            raise
        return list(ids.tolist())

    def encode_batch(self, texts: Sequence[Union[str, bytes]], add_special_tokens: bool = True,
                     threads: Optional[int] = None) -> List[List[int]]:
        """:meth:`encode` of each text (str or UTF-8 bytes), on `threads` threads (default:
        ``MWT_NUM_THREADS`` or the CPU count) with the GIL released; the result does not depend
        on the thread count."""
        if isinstance(texts, (str, bytes)):
            raise TypeError("encode_batch takes a sequence of texts; use encode for one text")
        if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int)
                                    or threads < 1):
            raise ValueError(f"threads must be a positive int or None, got {threads!r}")
        items = list(texts)
        for i, t in enumerate(items):
            if not isinstance(t, (str, bytes)):
                raise TypeError(f"texts[{i}] is {type(t).__name__}, not str or bytes")
        try:
            out = self._native.encode_batch(items, bool(add_special_tokens), threads or 0)
        except BadEncodingError:
            fixed = [_replaced(t) for t in items]
            if fixed == items:
                raise
            out = self._native.encode_batch(fixed, bool(add_special_tokens), threads or 0)
        except (TypeError, UnicodeEncodeError):
            for i, t in enumerate(items):
                if isinstance(t, str) and _lone_surrogate(t) is not None:
                    raise _not_text(t, f"texts[{i}]") from None
            raise
        return [a.tolist() for a in out]

    def decode(self, ids: Union[Sequence[int], np.ndarray], skip_special_tokens: bool = False
               ) -> str:
        """The text of `ids` (the decoder's joining rules, as HF ``decode``); byte tokens that do
        not form valid UTF-8 become U+FFFD. `skip_special_tokens` leaves out special tokens."""
        if isinstance(ids, (str, bytes)):
            raise TypeError("decode takes a sequence of token ids, not text")
        arr = np.asarray(ids)
        if arr.size == 0:
            arr = arr.astype(np.int64).reshape(0)
        if arr.ndim != 1 or arr.dtype.kind not in "iu":
            raise TypeError(f"ids must be a 1-D sequence of ints, got {arr.dtype} with shape "
                            f"{arr.shape}")
        if arr.size and (int(arr.min()) < 0 or int(arr.max()) > 0x7FFFFFFF):
            # HF raises OverflowError for ids its u32 cannot hold; ids past the vocabulary are
            # skipped, as HF skips them.
            raise OverflowError(f"token ids must be in [0, 2^31), got {int(arr.min())} .. "
                                f"{int(arr.max())}")
        return str(self._native.decode(arr.astype(np.int32), bool(skip_special_tokens)))

    # ---- vocabulary

    def token_to_id(self, token: str) -> Optional[int]:
        """The id of a vocabulary or added token spelled exactly `token`, else None."""
        found = self._native.token_to_id(token)
        return None if found is None else int(found)

    def id_to_token(self, id: int) -> Optional[str]:  # noqa: A002 - HF's name for it
        """The token string of `id` as the vocabulary spells it (byte-level tokens in their
        printable alphabet, SentencePiece pieces with U+2581), None outside the vocabulary."""
        found = self._native.id_to_token(int(id))
        return None if found is None else str(found)

    @property
    def vocab_size(self) -> int:
        """The number of ids: the model's vocabulary plus added tokens beyond it (HF's
        ``get_vocab_size(with_added_tokens=True)``)."""
        return int(self._native.vocab_size)

    def __len__(self) -> int:
        return self.vocab_size

    @property
    def info(self) -> Dict[str, Any]:
        """What the source says about the tokenizer: ``source``, ``model_type``, ``gguf_model``,
        ``gguf_pre``, ``special_ids``, ``add_bos`` / ``add_eos``, ``added_tokens``, ...
        (a copy; schema in docs/tokenizers.md)."""
        return json.loads(json.dumps(self._info))

    @property
    def model_type(self) -> str:
        """The tokenization model: "BPE", "Unigram", "WordPiece" or "WordLevel"."""
        return str(self._info.get("model_type", ""))

    @property
    def special_ids(self) -> Dict[str, Any]:
        """Ids of the named special tokens the source states ("bos", "eos", "unk", "pad", "sep",
        "cls", "mask"; "eot": a list of end-of-turn ids); absent names are left out."""
        raw = self._info.get("special_ids") or {}
        out: Dict[str, Any] = {}
        for name in _NAMED:
            v = raw.get(name)
            if isinstance(v, int) and v >= 0:
                out[name] = v
        eot = [int(v) for v in raw.get("eot") or [] if isinstance(v, int) and v >= 0]
        if eot:
            out["eot"] = eot
        return out

    @property
    def special_tokens(self) -> Dict[str, str]:
        """The named special tokens as strings, keyed as transformers' ``special_tokens_map``
        (``bos_token``, ``eos_token``, ``unk_token``, ``sep_token``, ``pad_token``,
        ``cls_token``, ``mask_token``): the chat template sees these variables."""
        ids = self.special_ids
        out: Dict[str, str] = {}
        for name in _NAMED:
            text = self._info.get(f"{name}_token")
            if not text and name in ids:
                text = self.id_to_token(ids[name])
            if text:
                out[f"{name}_token"] = str(text)
        return out

    @property
    def added_tokens(self) -> List[Dict[str, Any]]:
        """The added tokens (tokenizer.json ``added_tokens``, GGUF control / user-defined
        tokens): ``id``, ``content``, ``special``, ``single_word``, ``lstrip``, ``rstrip``,
        ``normalized``."""
        return [dict(t) for t in self._info.get("added_tokens") or []]

    @property
    def all_special_ids(self) -> List[int]:
        """Ids of every special added token, ascending (what skip_special_tokens leaves out)."""
        return sorted(int(t["id"]) for t in self.added_tokens if t.get("special"))

    # ---- chat templates

    @property
    def chat_template(self) -> Optional[str]:
        """The model's Jinja chat template (tokenizer_config.json ``chat_template``, a GGUF's
        ``tokenizer.chat_template``), None when it has none."""
        t = self._info.get("chat_template")
        return str(t) if t else None

    @overload
    def apply_chat_template(self, messages: Sequence[Message], add_generation_prompt: bool = ...,
                            tools: Optional[Sequence[Mapping[str, Any]]] = ..., *,
                            tokenize: Literal[False] = ..., chat_template: Optional[str] = ...,
                            documents: Optional[Sequence[Mapping[str, Any]]] = ...,
                            continue_final_message: Union[bool, str] = ...,
                            **kwargs: Any) -> str: ...

    @overload
    def apply_chat_template(self, messages: Sequence[Message], add_generation_prompt: bool = ...,
                            tools: Optional[Sequence[Mapping[str, Any]]] = ..., *,
                            tokenize: Literal[True], chat_template: Optional[str] = ...,
                            documents: Optional[Sequence[Mapping[str, Any]]] = ...,
                            continue_final_message: Union[bool, str] = ...,
                            **kwargs: Any) -> List[int]: ...

    def apply_chat_template(self, messages: Sequence[Message], add_generation_prompt: bool = True,
                            tools: Optional[Sequence[Mapping[str, Any]]] = None, *,
                            tokenize: bool = False, chat_template: Optional[str] = None,
                            documents: Optional[Sequence[Mapping[str, Any]]] = None,
                            continue_final_message: Union[bool, str] = False,
                            **kwargs: Any) -> Any:
        """Renders `messages` (``[{"role": ..., "content": ...}, ...]``) with the chat template
        exactly as transformers' ``apply_chat_template(..., tokenize=False)`` does: same jinja2
        environment, the special tokens as variables, `kwargs` as extra variables.

        Unlike transformers, `add_generation_prompt` defaults to True (the usual case: the
        model answers next). ``tokenize=True`` returns the ids of the text, encoded without
        adding special tokens (the template writes them), as transformers does.
        `chat_template` overrides the model's. Raises ValueError when there is no template.
        """
        source = chat_template if chat_template is not None else self.chat_template
        if not source:
            raise ValueError("this tokenizer has no chat template (tokenizer_config.json "
                             "chat_template / GGUF tokenizer.chat_template); pass "
                             "chat_template=...")
        text = render_chat_template(source, messages, add_generation_prompt=add_generation_prompt,
                                    tools=tools, documents=documents,
                                    continue_final_message=continue_final_message,
                                    special_tokens=self.special_tokens, **kwargs)
        return self.encode(text, add_special_tokens=False) if tokenize else text

    # ---- GGUF

    def to_gguf_metadata(self) -> Dict[str, Any]:
        """The GGUF ``tokenizer.ggml.*`` keys (and ``tokenizer.chat_template``) for this
        tokenizer, as llama.cpp's converter writes them: plain Python values (str, bool, int,
        float, lists); their GGUF types are :meth:`gguf_metadata_types`. Written into a GGUF
        (``mwt.save_gguf(p, tensors, md, metadata_types=tok.gguf_metadata_types())`` or gguf-py)
        and read back, the tokenizer encodes the same ids. Raises
        :class:`mwt.UnsupportedFeatureError` for a pre-tokenizer llama.cpp has no name for."""
        from ._tokenizer_gguf import gguf_metadata
        return gguf_metadata(self)[0]

    def gguf_metadata_types(self) -> Dict[str, str]:
        """The GGUF type of each :meth:`to_gguf_metadata` key ("STRING", "UINT32", "BOOL",
        "ARRAY[STRING]", "ARRAY[INT32]", "ARRAY[FLOAT32]", "ARRAY[UINT8]")."""
        from ._tokenizer_gguf import gguf_metadata
        return gguf_metadata(self)[1]

    # ---- display

    def _summary(self) -> Dict[str, str]:
        i = self._info
        rows = {"model": self.model_type or "?", "vocab size": f"{self.vocab_size:,}",
                "source": str(i.get("source") or "?")}
        if i.get("gguf_model"):
            rows["gguf model"] = str(i["gguf_model"]) + (
                f" (pre {i['gguf_pre']})" if i.get("gguf_pre") else "")
        specials = ", ".join(f"{k[:-6]}={v!r}" for k, v in self.special_tokens.items())
        if specials:
            rows["special tokens"] = specials
        rows["added tokens"] = str(len(self.added_tokens))
        rows["chat template"] = "yes" if self.chat_template else "no"
        return rows

    def __repr__(self) -> str:
        s = self._summary()
        parts = [s["model"], f"vocab={self.vocab_size}", f"source={s['source']}"]
        if "gguf model" in s:
            parts.append(f"gguf={s['gguf model']}")
        if "special tokens" in s:
            parts.append(s["special tokens"])
        if self.chat_template:
            parts.append("chat_template")
        return f"<mwt.Tokenizer {' '.join(parts)}>"

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
                       f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
                       for k, v in self._summary().items())
        return f"<b>mwt.Tokenizer</b><table>{rows}</table>"
