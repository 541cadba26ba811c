"""Read the knowledge-base files into a :class:`KnowledgeBase`, gathering every problem.

A knowledge base that has any problem does not load: :func:`load_kb` raises
:class:`~babyskin.errors.KnowledgeBaseError` listing all of them as ``path:record:field: problem``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from babyskin.errors import KnowledgeBaseError
from babyskin.kb.schema import Claim, Comparison, Condition, FindingDef, RedFlag, Reference, Topic

T = TypeVar("T", bound=BaseModel)


def default_kb_dir() -> Path:
    """The knowledge base shipped inside the package."""
    return Path(str(resources.files("babyskin.kb") / "data"))


@dataclass(frozen=True)
class KnowledgeBase:
    root: Path
    references: dict[str, Reference]
    findings: dict[str, FindingDef]
    red_flags: dict[str, RedFlag]
    conditions: dict[str, Condition]
    claims: dict[str, Claim]
    version: str
    condition_files: dict[str, Path] = field(default_factory=dict)
    comparisons: dict[str, Comparison] = field(default_factory=dict)  # keyed by schema.pair_key
    topics: dict[str, Topic] = field(default_factory=dict)

    def condition(self, condition_id: str) -> Condition:
        from babyskin.errors import NotFound
        from babyskin.text import nearest

        try:
            return self.conditions[condition_id]
        except KeyError:
            hint = nearest(condition_id, self.conditions)
            raise NotFound(
                f"unknown condition '{condition_id}'"
                + (f"; did you mean: {', '.join(hint)}?" if hint else "")
                + " (see `babyskin conditions` for the list)"
            ) from None

    @cached_property
    def finding_ids(self) -> frozenset[str]:
        return frozenset(self.findings)


def _read_yaml(path: Path, problems: list[str]) -> Any:
    import yaml  # only when the files are read, not on a start from the compiled cache

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except FileNotFoundError:
        problems.append(f"{path}: file is missing")
    except yaml.YAMLError as exc:
        problems.append(f"{path}: not valid YAML ({exc})".replace("\n", " "))
    return None


def _validate(model: type[T], raw: Any, path: Path, label: str, problems: list[str]) -> T | None:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(record)"
            got = err.get("input")
            shown = "" if isinstance(got, dict | list) else f"; got {got!r}"
            problems.append(f"{path}:{label}:{where}: {err['msg']}{shown}")
    return None


def _load_list(model: type[T], path: Path, problems: list[str], *, key: str = "id",
               label_of: Callable[[Any, int], str] | None = None, key_of: Callable[[T], str] | None = None,
               duplicate: str = "") -> dict[str, T]:
    """The records of a YAML list file, keyed by ``key`` (or ``key_of``); every problem is gathered.
    ``label_of`` names a raw record in messages; ``duplicate`` is the message for a repeated key."""
    raw = _read_yaml(path, problems)
    if raw is None:
        return {}
    if not isinstance(raw, list):
        problems.append(f"{path}: expected a list of records, got {type(raw).__name__}")
        return {}
    out: dict[str, T] = {}
    for index, item in enumerate(raw):
        if label_of is not None:
            label = label_of(item, index)
        else:
            label = str(item.get(key, f"#{index}")) if isinstance(item, dict) else f"#{index}"
        record = _validate(model, item, path, label, problems)
        if record is None:
            continue
        record_id = key_of(record) if key_of is not None else getattr(record, key)
        if record_id in out:
            problems.append(f"{path}:{record_id}:{duplicate or f'{key}: duplicate id'}")
        out[record_id] = record
    return out


COMPARISONS_FILE = "comparisons.yaml"


def load_comparisons(path: Path, problems: list[str]) -> dict[str, Comparison]:
    """The curated 'how to tell them apart' records of ``path`` (a missing file is none), keyed by pair."""
    if not path.exists():
        return {}
    return _load_list(Comparison, path, problems, label_of=_pair_label, key_of=lambda record: record.key,
                      duplicate="ids: this pair is already compared")


def _pair_label(item: Any, index: int) -> str:
    ids = item.get("ids") if isinstance(item, dict) else None
    return " vs ".join(map(str, ids)) if isinstance(ids, list) else f"#{index}"


def kb_digest(root: Path) -> str:
    """A hash of every knowledge-base file's name and bytes: the knowledge base's version."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.yaml")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _cache_file(digest: str) -> Path | None:
    """Where the compiled copy of this knowledge base lives: named by the data's hash and by the code
    that reads it (a change to the record types makes an old copy unusable)."""
    if os.environ.get("BABYSKIN_KB_CACHE", "1") == "0":
        return None
    from platformdirs import user_cache_dir

    folder = os.environ.get("BABYSKIN_CACHE_DIR") or user_cache_dir("babyskin", appauthor=False)
    code = hashlib.sha256(digest.encode())
    here = Path(__file__).resolve().parent
    for module in (here / "schema.py", here / "loader.py", here / "checks.py", here.parent / "models.py"):
        code.update(module.read_bytes())
    return Path(folder) / f"kb-{code.hexdigest()[:24]}.pickle"


CACHE_MAGIC = b"babyskin-kb-hmac-sha256:"


def _seal(payload: bytes) -> bytes:
    """The cache file: a magic line, an HMAC-SHA256 of the payload under this installation's secret
    key (``babyskin.settings.secret_key``), then the payload (issue 17)."""
    from babyskin.settings import secret_key

    mac = hmac.new(secret_key(), payload, hashlib.sha256).hexdigest().encode()
    return CACHE_MAGIC + mac + b"\n" + payload


def _unseal(data: bytes) -> bytes | None:
    """The payload if the file was written by this installation, else ``None``: a planted or changed
    file is never unpickled."""
    from babyskin.settings import secret_key

    if not data.startswith(CACHE_MAGIC):
        return None
    mac, _, payload = data[len(CACHE_MAGIC):].partition(b"\n")
    expected = hmac.new(secret_key(), payload, hashlib.sha256).hexdigest().encode()
    return payload if hmac.compare_digest(mac, expected) else None


def load_kb(root: Path | None = None, *, check: bool = True, full: bool = False) -> KnowledgeBase:
    """Load and validate the knowledge base in ``root`` (default: the bundled one).

    ``full`` adds the check that needs outside data (ICD-10-CM codes); ``kb lint`` and the tests run
    it, the server and the CLI do not.

    A knowledge base that passed its checks is kept, compiled, in the user's cache folder under the hash
    of its files (``BABYSKIN_KB_CACHE=0`` turns this off): the next start reads that instead of parsing
    the YAML again. Any change to any file changes the hash, so a stale copy is never used.
    """
    root = Path(root) if root else default_kb_dir()
    digest = kb_digest(root)
    cache = _cache_file(digest) if check and not full else None
    if cache is not None and cache.is_file():
        try:
            payload = _unseal(cache.read_bytes())
            if payload is None:
                raise ValueError("the cache file is not sealed with this installation's key")
            cached = pickle.loads(payload)  # only after its HMAC matched: our own file, unchanged
            if isinstance(cached, KnowledgeBase) and cached.version == digest[:12]:
                return dataclasses.replace(cached, root=root, condition_files={
                    cid: root / "conditions" / path.name for cid, path in cached.condition_files.items()})
        except Exception:  # a broken cache is only a slower start
            cache.unlink(missing_ok=True)
    kb = _load_and_check(root, digest, check=check, full=full)
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            partial = cache.with_suffix(f".{os.getpid()}.tmp")
            with partial.open("wb") as handle:
                handle.write(_seal(pickle.dumps(kb, protocol=pickle.HIGHEST_PROTOCOL)))
            partial.replace(cache)
        except OSError:
            pass  # read-only home: no cache, same answers
    return kb


def _load_and_check(root: Path, digest: str, *, check: bool, full: bool) -> KnowledgeBase:
    problems: list[str] = []
    references = _load_list(Reference, root / "references.yaml", problems, key="key")
    findings = _load_list(FindingDef, root / "findings.yaml", problems)
    red_flags = _load_list(RedFlag, root / "red_flags.yaml", problems)
    claims_path = root / "claims.yaml"
    claims = _load_list(Claim, claims_path, problems) if claims_path.exists() else {}
    comparisons = load_comparisons(root / COMPARISONS_FILE, problems)
    conditions: dict[str, Condition] = {}
    condition_files: dict[str, Path] = {}
    cond_dir = root / "conditions"
    for path in sorted(cond_dir.glob("*.yaml")) if cond_dir.is_dir() else []:
        raw = _read_yaml(path, problems)
        if raw is None:
            continue
        label = str(raw.get("id", path.stem)) if isinstance(raw, dict) else path.stem
        record = _validate(Condition, raw, path, label, problems)
        if record is None:
            continue
        if record.id != path.stem:
            problems.append(f"{path}:{record.id}:id: must match the file name '{path.stem}'")
        if record.id in conditions:
            problems.append(f"{path}:{record.id}:id: duplicate id (also in {condition_files[record.id]})")
        conditions[record.id] = record
        condition_files[record.id] = path
    topics: dict[str, Topic] = {}
    topic_dir = root / "topics"
    for path in sorted(topic_dir.glob("*.yaml")) if topic_dir.is_dir() else []:
        raw = _read_yaml(path, problems)
        label = str(raw.get("id", path.stem)) if isinstance(raw, dict) else path.stem
        topic = _validate(Topic, raw, path, label, problems) if raw is not None else None
        if topic is not None and topic.id != path.stem:
            problems.append(f"{path}:{topic.id}:id: must match the file name '{path.stem}'")
        elif topic is not None:
            topics[topic.id] = topic
    kb = KnowledgeBase(
        root=root,
        references=references,
        findings=findings,
        red_flags=red_flags,
        conditions=conditions,
        claims=claims,
        version=digest[:12],
        condition_files=condition_files,
        comparisons=comparisons,
        topics=topics,
    )
    if check:
        from babyskin.kb.checks import check_kb

        problems.extend(check_kb(kb, full=full))
    if problems:
        raise KnowledgeBaseError(
            f"the knowledge base in {root} has {len(problems)} problem(s)", problems=problems
        )
    return kb
