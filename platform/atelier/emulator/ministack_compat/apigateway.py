"""A Lambda authorizer's policy matched against a method ARN as IAM matches it
(MiniStack 1.5.33 ``services.apigateway_v1``).

The method ARN ends with the request path as API Gateway decoded it, so a path parameter can
hold any character, a newline included (``GET /jobs/%0A``). MiniStack's ``_arn_matches`` turns
the policy's ``Resource`` into ``^...$`` with ``*`` as ``.*`` and ``re.match``: ``.`` does not
match a newline, so an authorizer that allows ``arn:...:api/stage/*`` (the usual policy) was
"no match" for such a path, and the request was refused by API Gateway (403) before the Lambda
saw it. IAM's ``*`` matches any run of characters and ``?`` any one, newlines included, and the
whole ARN must match (``$`` also matched before a final newline). :func:`apply` replaces the
matcher with that rule; on AWS the request reaches the Lambda, which answers 400 for a
malformed id, and so it does here.
"""

from __future__ import annotations

import re
from functools import lru_cache

from atelier.emulator.ministack_compat import post_import

REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.services.apigateway_v1": ("_arn_matches",),
}


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.compile(regex, re.DOTALL)


def arn_matches(pattern: str, arn: str) -> bool:
    """Whether the policy ``Resource`` ``pattern`` (``*``/``?`` globs) matches all of ``arn``."""
    return _compiled(str(pattern)).fullmatch(str(arn)) is not None


def apply() -> str:
    from ministack.services import apigateway_v1

    apigateway_v1._arn_matches = arn_matches
    return "authorizer policy resources match any character, as IAM's globs do"


def apply_on_import() -> None:
    """:func:`apply` when MiniStack first imports its API Gateway service (:mod:`.post_import`)."""
    post_import.when_imported("ministack.services.apigateway_v1", "authorizer globs", apply)
