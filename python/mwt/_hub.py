"""Hugging Face cache names: ``mwt.open("HuggingFaceTB/SmolLM2-135M")`` opens the weights of a
model the ``huggingface_hub`` library has already downloaded, without any network access.

The cache layout (docs/hub-cache.md): the cache directory is ``$HF_HUB_CACHE``, else
``$HUGGINGFACE_HUB_CACHE`` (the older name of the same setting), else ``$HF_HOME/hub``, else
``~/.cache/huggingface/hub``. A model ``org/name`` lives in ``models--org--name/``:
``refs/<revision>`` holds the commit hash a branch or tag pointed to when it was downloaded,
``snapshots/<commit>/`` holds the files of that commit (symbolic links into ``blobs/``).

Only strings that are not existing paths are looked up, so a local directory named like a
model always wins. ``org/name@revision`` picks a branch, tag or commit hash (default ``main``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Union

from ._errors import _raise

__all__ = ["cache_dir", "is_repo_id", "resolve", "resolve_path", "HubModel"]

PathLike = Union[str, "os.PathLike[str]"]

# org/name[@revision]. The hub allows letters, digits, "-", "_" and "." in both parts (not
# starting with "." or "-"); a revision is a branch, a tag or a commit hash (branches may hold
# "/", as in refs/pr/1).
_REPO_ID = re.compile(r"^(?P<org>[A-Za-z0-9_][\w.-]*)/(?P<name>[A-Za-z0-9_][\w.-]*)"
                      r"(?:@(?P<rev>[\w.][\w./-]*))?$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")

# Weight files looked for in a snapshot, in this order; then a single *.safetensors.index.json,
# a single *.safetensors, a single *.gguf.
_PREFERRED = ("model.safetensors.index.json", "model.safetensors")


@dataclass(frozen=True)
class HubModel:
    """A resolved cache name: the snapshot directory and the weights chosen in it."""

    repo_id: str          # "org/name"
    revision: str         # as asked ("main" by default)
    commit: str           # the snapshot's commit hash
    snapshot: Path        # <cache>/models--org--name/snapshots/<commit>
    weights: Path         # the weight file (or index) inside the snapshot


def cache_dir() -> Path:
    """The Hugging Face hub cache directory the environment selects (it need not exist)."""
    for var in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        value = os.environ.get(var)
        if value:
            return Path(value).expanduser()
    home = os.environ.get("HF_HOME")
    if home:
        return Path(home).expanduser() / "hub"
    return Path("~/.cache/huggingface/hub").expanduser()


def is_repo_id(text: str) -> bool:
    """Whether ``text`` has the form of a hub model name (``org/name`` or ``org/name@rev``)."""
    return _REPO_ID.match(text) is not None


def _listing(directory: Path) -> List[str]:
    try:
        return sorted(p.name for p in directory.iterdir())
    except OSError:
        return []


def _revisions(repo_dir: Path) -> str:
    """What a user can ask for: the refs and snapshots present, for error messages."""
    refs_dir = repo_dir / "refs"
    refs = sorted(str(p.relative_to(refs_dir)) for p in refs_dir.rglob("*") if p.is_file()) \
        if refs_dir.is_dir() else []
    snaps = _listing(repo_dir / "snapshots")
    parts = []
    if refs:
        parts.append("refs " + ", ".join(refs))
    if snaps:
        parts.append("snapshots " + ", ".join(snaps))
    return "; ".join(parts) if parts else "no refs and no snapshots"


def _commit_of(repo_dir: Path, repo_id: str, revision: str) -> str:
    snapshots = repo_dir / "snapshots"
    if _COMMIT.match(revision) and (snapshots / revision).is_dir():
        return revision
    ref = repo_dir / "refs" / revision
    # A revision naming a path outside refs/ ("../x") is not a revision.
    if ".." in Path(revision).parts or not ref.is_file():
        _raise("IO", f"{repo_id}: revision {revision!r} is not in the Hugging Face cache "
               f"{repo_dir} ({_revisions(repo_dir)}); mwt reads the cache offline, download "
               "it first (huggingface-cli download)")
    try:
        commit = ref.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as e:
        _raise("IO", f"{repo_id}: cannot read {ref}: {e}")
    if not _COMMIT.match(commit):
        _raise("IO", f"{repo_id}: {ref} does not hold a commit hash ({commit[:60]!r})")
    if not (snapshots / commit).is_dir():
        _raise("IO", f"{repo_id}: {ref} points to commit {commit}, which has no snapshot in "
               f"{snapshots} ({_revisions(repo_dir)})")
    return commit


def _pick_weights(snapshot: Path, repo_id: str) -> Path:
    names = _listing(snapshot)
    for name in _PREFERRED:
        if name in names:
            return snapshot / name
    for suffix in (".safetensors.index.json", ".safetensors", ".gguf"):
        found = [n for n in names if n.endswith(suffix)]
        if len(found) == 1:
            return snapshot / found[0]
        if len(found) > 1:
            _raise("UNSUPPORTED_FORMAT",
                   f"{repo_id}: the snapshot {snapshot} holds {len(found)} {suffix} files "
                   f"({', '.join(found)}); open one by its path, e.g. {snapshot / found[0]}")
    _raise("UNSUPPORTED_FORMAT",
           f"{repo_id}: the snapshot {snapshot} holds no weights mwt reads (model.safetensors, "
           f"model.safetensors.index.json or a .gguf file); it has: "
           f"{', '.join(names) if names else 'nothing'}")
    raise AssertionError("unreachable")


def resolve(repo_id: str, cache: Optional[PathLike] = None) -> HubModel:
    """The snapshot of ``org/name[@revision]`` in the cache (``cache_dir()`` by default) and the
    weight file in it. Raises :class:`mwt.IoError` when the model or revision is not cached
    (naming the revisions that are) and :class:`mwt.UnsupportedFormatError` when the snapshot
    holds no weight file, or several with nothing to choose between them."""
    m = _REPO_ID.match(repo_id)
    if m is None:
        _raise("ARGUMENT", f"{repo_id!r} is not a Hugging Face model name (org/name[@revision])")
    org, name, revision = m.group("org"), m.group("name"), m.group("rev") or "main"
    root = Path(cache).expanduser() if cache is not None else cache_dir()
    plain_id = f"{org}/{name}"
    repo_dir = root / f"models--{org}--{name}"
    if not repo_dir.is_dir():
        cached = [n[len("models--"):].replace("--", "/", 1) for n in _listing(root)
                  if n.startswith("models--")]
        have = (f"it holds {len(cached)} model{'s' if len(cached) != 1 else ''}: "
                + ", ".join(cached[:10]) + (", ..." if len(cached) > 10 else "")
                if cached else "it holds no models" if root.is_dir() else "it does not exist")
        _raise("IO", f"{plain_id} is neither a file or directory nor a model in the Hugging "
               f"Face cache {root} ({have}; set HF_HUB_CACHE or HF_HOME to use another cache)")
    commit = _commit_of(repo_dir, plain_id, revision)
    snapshot = repo_dir / "snapshots" / commit
    weights = _pick_weights(snapshot, plain_id)
    if not weights.exists():  # a symbolic link whose blob is gone: an interrupted download
        _raise("IO", f"{plain_id}: {weights} links to a blob that is not in the cache (an "
               "incomplete download?)")
    return HubModel(plain_id, revision, commit, snapshot, weights)


def resolve_path(path: PathLike) -> str:
    """``path`` itself when it exists or does not look like a hub name; else the weight file of
    the cached model it names (see :func:`resolve`)."""
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if os.path.lexists(text) or not is_repo_id(text):
        return text
    return str(resolve(text).weights)
