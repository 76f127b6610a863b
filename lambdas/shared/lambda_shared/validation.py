"""Request models and the cheap input rules this API enforces before anything else runs.

Record and dataset ids: a string of 1 to 32 ASCII digits. The records are numbered (the
seeded ids are "1500".."2068", the datasets "1914", "1918", "1939"); refusing anything else
here means quotes, spaces, SQL, paths or Unicode look-alike digits never reach the service,
the job table or a task's environment. Ids stay strings (``"0042"`` is not ``"42"``), and a
JSON number is refused rather than coerced, as the contract says strings.

Links: ``s3://bucket/key``, ``http://`` or ``https://`` only, at most 2048 characters, no
whitespace or control characters, no credentials in the URL (the shape, checked first, no I/O).
Then where an http(s) link points: ``ml_common.links.check_link``, the image task's own rules
(shipped in the same layer, not copied): the host is resolved and a private, loopback,
link-local, shared or metadata address is refused unless ``LINK_ALLOWLIST`` allows it
(metadata never). So a refused link is answered 400 before any job or task exists; the task
still checks again when it fetches, as DNS may answer differently by then.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic import ValidationError as PydanticValidationError

from lambda_shared import settings
from lambda_shared.errors import InvalidLink, ValidationFailed
from lambda_shared.request_body import Repeated
from ml_common.errors import LinkError

ID_MAX_CHARS = 32
ID_RULE = f"a string of 1 to {ID_MAX_CHARS} digits (0-9)"
ID_PATTERN = rf"^[0-9]{{1,{ID_MAX_CHARS}}}$"
_ID = re.compile(rf"[0-9]{{1,{ID_MAX_CHARS}}}")
MAX_DATASET_IDS = 20
MAX_LINK_CHARS = 2048
MAX_S3_KEY_BYTES = 1024
LINK_SCHEMES = ("s3", "http", "https")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f\s]")

RecordId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]


def is_valid_id(value: object) -> bool:
    return isinstance(value, str) and _ID.fullmatch(value) is not None


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class PredictRequest(_Request):
    id: RecordId


class ImageJobRequest(_Request):
    link: Annotated[str, StringConstraints(min_length=1)]  # the rest is check_link's (400)


class ActiveLearningRequest(_Request):
    ids: Annotated[list[RecordId], Field(min_length=1, max_length=MAX_DATASET_IDS)]


class LoginRequest(_Request):
    username: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


#: what an upload may be: the image types the image task reads (PIL), nothing else
UPLOAD_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp")


class UploadRequest(_Request):
    """``POST /uploads``: the file the browser is about to send."""

    filename: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    content_type: Literal["image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"]


class UploadTarget(BaseModel):
    """``POST /uploads`` answer: a presigned POST form for S3 and the link to submit after."""

    url: str
    fields: dict[str, str]
    link: str
    key: str
    max_bytes: int
    expires_in: int


class JobListRequest(_Request):
    """``GET /jobs?limit=&next=``: one page of the caller's jobs, newest first. Other query
    parameters (a cache buster, a tracking tag) are ignored, as API Gateway passes them on."""

    model_config = ConfigDict(extra="ignore")

    limit: Annotated[int, Field(ge=1, le=100)] = 20
    next: Annotated[str, StringConstraints(min_length=1, max_length=2048)] | None = None


class JobList(BaseModel):
    """``GET /jobs`` answer: ``jobs`` (public views) and ``next`` (a cursor, or null)."""

    jobs: list[dict[str, Any]]
    next: str | None


M = TypeVar("M", bound=_Request)

_PROBLEMS = {
    "missing": "is required",
    "extra_forbidden": "is not an accepted field",
    "string_type": "must be a string",
    "list_type": "must be an array",
    "string_pattern_mismatch": f"must be {ID_RULE}",
    "string_too_short": "must not be empty",
    "too_short": "must not be empty",
    "literal_error": "must be one of " + ", ".join(UPLOAD_TYPES),
}


def _problem(error: Any) -> dict[str, str]:
    loc = ".".join(str(part) for part in error.get("loc", ())) or "body"
    kind = error.get("type", "")
    problem = _PROBLEMS.get(kind) or str(error.get("msg", "is invalid")).lower()
    return {"field": loc, "problem": problem}


def parse(model: type[M], data: dict[str, Any]) -> M:
    """``data`` as ``model``, or 422 listing every field problem (never echoing the input)."""
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        problems = [_problem(e) for e in exc.errors(include_input=False, include_url=False)]
        first = problems[0]
        raise ValidationFailed(f"{first['field']} {first['problem']}", errors=problems) from exc


def active_learning_ids(body: dict[str, Any]) -> dict[str, Any]:
    """``{"ids": [...]}``, or the documented ``{"id": "1914", "id": "1918"}`` form turned into
    it; ids are then validated by ``ActiveLearningRequest`` and de-duplicated in order."""
    if "id" in body and "ids" in body:
        raise ValidationFailed(
            'give either "ids" (an array) or repeated "id" keys, not both',
            errors=[{"field": "id", "problem": 'cannot be combined with "ids"'}],
        )
    if "id" in body:
        value = body["id"]
        ids = list(value) if isinstance(value, Repeated) else [value]
        body = {**{k: v for k, v in body.items() if k != "id"}, "ids": ids}
    request = parse(ActiveLearningRequest, body)
    return {"ids": list(dict.fromkeys(request.ids))}


def check_link(link: str) -> str:
    """``link`` if the API accepts it, else 400 ``invalid_link`` saying why: its shape, then
    (resolving the host) the address rules of ``ml_common.links`` with ``LINK_ALLOWLIST``."""
    # imported here: ml_common.links brings boto3, which the functions that never check a
    # link (structured_data) would otherwise load in every cold start (~110 ms)
    from ml_common.links import check_link as check_link_target

    check_link_shape(link)
    try:
        check_link_target(link, settings.link_settings().link_allowlist)
    except LinkError as exc:
        raise InvalidLink(str(exc)) from exc
    return link


def check_link_shape(link: str) -> str:
    """``link`` if its shape is acceptable (no I/O), else 400 ``invalid_link`` saying why."""
    if len(link) > MAX_LINK_CHARS:
        raise InvalidLink(f"the link is longer than {MAX_LINK_CHARS} characters")
    if _CONTROL.search(link):
        raise InvalidLink("the link contains whitespace or control characters")
    scheme, sep, rest = link.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in LINK_SCHEMES:
        shown = scheme[:16] if sep else "none"
        raise InvalidLink(
            f"unsupported link scheme {shown!r}: use s3://bucket/key, http:// or https://"
        )
    if scheme == "s3":
        _check_s3(rest)
    else:
        _check_http(link)
    return link


def _check_s3(rest: str) -> None:
    bucket, _, key = rest.partition("/")
    if not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise InvalidLink("the s3:// link does not name a valid bucket")
    if not key or len(key.encode("utf-8")) > MAX_S3_KEY_BYTES:
        raise InvalidLink(f"the s3:// link needs an object key of 1 to {MAX_S3_KEY_BYTES} bytes")


def _check_http(link: str) -> None:
    try:
        parts = urlsplit(link)
        port = parts.port  # raises ValueError when out of range or not a number
    except ValueError as exc:
        raise InvalidLink("the link is not a valid URL") from exc
    if parts.username is not None or parts.password is not None:
        raise InvalidLink("links with credentials (user:password@) are not accepted")
    if not parts.hostname:
        raise InvalidLink("the link has no host")
    if port == 0:
        raise InvalidLink("the link's port is not valid")
