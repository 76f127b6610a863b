"""The cheap input rules (ids, links) and the body reader, as properties where it helps."""

from __future__ import annotations

import json
import string
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lambda_testkit import FAKE_DNS

from lambda_shared.errors import InvalidJson, InvalidLink, PayloadTooLarge, ValidationFailed
from lambda_shared.request_body import MAX_BODY_BYTES, header, json_object
from lambda_shared.validation import (
    ActiveLearningRequest,
    PredictRequest,
    active_learning_ids,
    check_link,
    check_link_shape,
    is_valid_id,
    parse,
)

DIGIT_IDS = st.text(alphabet="0123456789", min_size=1, max_size=32)


def event(body: str | None) -> dict[str, object]:
    return {"body": body, "isBase64Encoded": False}


# ---- ids ------------------------------------------------------------------------------------


@given(DIGIT_IDS)
def test_every_digit_string_up_to_32_is_an_id(value: str) -> None:
    assert is_valid_id(value)
    assert parse(PredictRequest, {"id": value}).id == value


@given(
    st.text(max_size=40).filter(lambda s: not (s and len(s) <= 32 and s.isascii() and s.isdigit()))
)
def test_anything_else_is_refused(value: str) -> None:
    assert not is_valid_id(value)
    with pytest.raises(ValidationFailed) as err:
        parse(PredictRequest, {"id": value})
    assert err.value.body()["errors"][0]["field"] == "id"


@pytest.mark.parametrize(
    "value",
    [
        "1789' OR '1'='1",
        "1789; DROP TABLE features;--",
        "1 UNION SELECT password_hash FROM users",
        "1789\n",
        " 1789",
        "٣٤",  # Arabic-Indic digits: str.isdigit() says yes, the rule says no
        "\uff11\uff17\uff18\uff19",  # fullwidth digits
        "1" * 33,
        "",
        "../../etc/passwd",
        "-1",
        "1e3",
    ],
)
def test_injection_and_lookalike_ids_are_refused(value: str) -> None:
    assert not is_valid_id(value)
    with pytest.raises(ValidationFailed) as err:
        parse(PredictRequest, {"id": value})
    body = err.value.body()
    assert body["errors"][0]["problem"] in (
        "must be a string of 1 to 32 digits (0-9)",
        "must not be empty",
    )
    assert all(set(e) == {"field", "problem"} for e in body["errors"])  # the input is not echoed
    assert "DROP" not in json.dumps(body) and "UNION" not in json.dumps(body)


@pytest.mark.parametrize(
    ("body", "field", "problem"),
    [
        ({}, "id", "is required"),
        ({"id": 1789}, "id", "must be a string"),
        ({"id": None}, "id", "must be a string"),
        ({"id": ["1789"]}, "id", "must be a string"),
        ({"id": "1789", "extra": 1}, "extra", "is not an accepted field"),
    ],
)
def test_missing_wrong_typed_and_extra_fields(
    body: dict[str, object], field: str, problem: str
) -> None:
    with pytest.raises(ValidationFailed) as err:
        parse(PredictRequest, body)
    assert {"field": field, "problem": problem} in err.value.body()["errors"]
    assert err.value.status == 422


@given(st.lists(DIGIT_IDS, min_size=1, max_size=20))
def test_active_learning_ids_keep_order_and_drop_repeats(ids: list[str]) -> None:
    assert active_learning_ids({"ids": ids}) == {"ids": list(dict.fromkeys(ids))}


def test_active_learning_repeated_id_keys_are_the_documented_form() -> None:
    body = json_object(event('{"id": "1914", "id": "1918", "id": "1939"}'), repeatable={"id"})
    assert active_learning_ids(body) == {"ids": ["1914", "1918", "1939"]}
    single = json_object(event('{"id": "1914"}'), repeatable={"id"})
    assert active_learning_ids(single) == {"ids": ["1914"]}


@pytest.mark.parametrize(
    "body",
    [
        {"ids": []},
        {"ids": "1914"},
        {"ids": ["1914", 1918]},
        {"ids": ["1914"], "id": "1918"},
        {"ids": ["1914"], "limit": 3},
        {"ids": [str(i) for i in range(21)]},
        {"ids": ["1914'--"]},
        {},
    ],
)
def test_active_learning_bad_bodies(body: dict[str, object]) -> None:
    with pytest.raises(ValidationFailed):
        active_learning_ids(body)
    with pytest.raises(ValidationFailed):
        parse(ActiveLearningRequest, body)


# ---- links ----------------------------------------------------------------------------------

BUCKETS = st.from_regex(r"[a-z0-9][a-z0-9-]{1,40}[a-z0-9]", fullmatch=True)
KEYS = st.text(alphabet=string.ascii_letters + string.digits + "/._-", min_size=1, max_size=200)
# names resolve through lambda_testkit.FAKE_DNS (conftest): any other name is a public host
HOSTS = st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9-]{0,20}){0,3}", fullmatch=True).filter(
    lambda host: host not in FAKE_DNS
)


@given(BUCKETS, KEYS)
def test_s3_links_with_bucket_and_key_are_accepted(bucket: str, key: str) -> None:
    link = f"s3://{bucket}/{key}"
    assert check_link(link) == link


@given(st.sampled_from(["http", "https"]), HOSTS, KEYS)
def test_http_links_are_accepted(scheme: str, host: str, path: str) -> None:
    link = f"{scheme}://{host}/{path}"
    assert check_link(link) == link


@given(
    st.from_regex(r"[a-z][a-z0-9+.-]{0,10}", fullmatch=True).filter(
        lambda s: s not in ("s3", "http", "https")
    ),
    KEYS,
)
def test_other_schemes_are_refused(scheme: str, rest: str) -> None:
    with pytest.raises(InvalidLink) as err:
        check_link(f"{scheme}://{rest}")
    assert err.value.status == 400


@pytest.mark.parametrize(
    "link",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "ftp://example.com/a.png",
        "gopher://127.0.0.1:6379/_INFO",
        "javascript:alert(1)",
        "data:image/png;base64,iVBORw0KGgo=",
        "//example.com/a.png",
        "example.com/a.png",
        "s3://",
        "s3://bucket",
        "s3://bucket/",
        "s3://Bad_Bucket/key.png",
        "s3://a/key.png",
        "https://",
        "http:///path-only",
        "https://user:pw@example.com/a.png",
        "https://example.com:99999/a.png",
        "https://example.com/a b.png",
        "https://example.com/a.png\r\nX-Injected: 1",
        "https://[::1/a.png",
        "https://example.com/" + "a" * 2048,
    ],
)
def test_refused_links(link: str) -> None:
    with pytest.raises(InvalidLink) as err:
        check_link(link)
    assert err.value.code == "invalid_link"


@pytest.fixture
def no_allowlist(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from lambda_shared import settings

    monkeypatch.delenv("LINK_ALLOWLIST", raising=False)
    settings.reset()
    yield
    settings.reset()


@pytest.mark.parametrize(
    "link",
    [
        "http://127.0.0.1/a.png",
        "http://169.254.169.254/latest",
        "http://10.0.0.1/x",
        "http://localhost/a.png",
        "https://[fd00:ec2::254]/latest",
        "http://100.64.0.1/x",
    ],
)
@pytest.mark.usefixtures("no_allowlist")
def test_private_hosts_have_a_fine_shape_but_are_refused(link: str) -> None:
    """The shape check passes them; ml_common.links' address rules (resolving the host) do not."""
    assert check_link_shape(link) == link
    with pytest.raises(InvalidLink, match=r"link refused: .* resolves to a") as err:
        check_link(link)
    assert err.value.status == 400 and err.value.code == "invalid_link"


@pytest.mark.usefixtures("no_allowlist")
def test_the_allowlist_comes_from_link_allowlist(monkeypatch: pytest.MonkeyPatch) -> None:
    from lambda_shared import settings

    with pytest.raises(InvalidLink):
        check_link("http://127.0.0.1/a.png")
    monkeypatch.setenv("LINK_ALLOWLIST", "127.0.0.0/8")
    settings.reset()
    assert check_link("http://127.0.0.1/a.png") == "http://127.0.0.1/a.png"
    with pytest.raises(InvalidLink):
        check_link("http://10.0.0.1/x")


# ---- body reader ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    ['{"id": "1789"', "{'id': '1789'}", "id=1789", "", "   ", None, '{"id": NaN}', "[" * 5000],
)
def test_unreadable_bodies_are_400(body: str | None) -> None:
    with pytest.raises(InvalidJson) as err:
        json_object(event(body))
    assert err.value.status == 400


@pytest.mark.parametrize("body", ['["1789"]', '"1789"', "1789", "null", "true"])
def test_json_that_is_not_an_object_is_422(body: str) -> None:
    with pytest.raises(ValidationFailed):
        json_object(event(body))


def test_duplicate_keys_are_refused_unless_the_route_allows_them() -> None:
    with pytest.raises(InvalidJson, match="'id' appears more than once"):
        json_object(event('{"id": "1", "id": "2"}'))
    with pytest.raises(InvalidJson, match="'x'"):
        json_object(event('{"id": "1", "nested": {"x": 1, "x": 2}}'), repeatable={"x"})
    assert json_object(event('{"a": {"b": 1}, "c": [{"d": 2}]}')) == {
        "a": {"b": 1},
        "c": [{"d": 2}],
    }


def test_oversized_bodies_are_413_text_and_base64() -> None:
    big = json.dumps({"id": "1" * MAX_BODY_BYTES})
    with pytest.raises(PayloadTooLarge):
        json_object(event(big))
    import base64

    encoded = {"body": base64.b64encode(big.encode()).decode(), "isBase64Encoded": True}
    with pytest.raises(PayloadTooLarge):
        json_object(encoded)
    # multi-byte characters count as bytes: 30k characters of 3 bytes each is too large
    with pytest.raises(PayloadTooLarge):
        json_object(event(json.dumps({"id": "€" * 30_000}, ensure_ascii=False)))
    just_fits = '{"id": "' + "1" * (MAX_BODY_BYTES - 10) + '"}'
    assert len(just_fits.encode()) == MAX_BODY_BYTES
    assert json_object(event(just_fits))["id"].startswith("1")


def test_base64_bodies_are_decoded_and_must_be_utf8() -> None:
    import base64

    good = {"body": base64.b64encode(b'{"id": "1789"}').decode(), "isBase64Encoded": True}
    assert json_object(good) == {"id": "1789"}
    latin1 = {
        "body": base64.b64encode('{"id": "é"}'.encode("latin-1")).decode(),
        "isBase64Encoded": True,
    }
    with pytest.raises(InvalidJson, match="UTF-8"):
        json_object(latin1)
    with pytest.raises(InvalidJson, match="base64"):
        json_object({"body": "!!not base64!!", "isBase64Encoded": True})


def test_headers_are_read_case_insensitively() -> None:
    ev = {"headers": {"idempotency-key": "abc"}}
    assert header(ev, "Idempotency-Key") == "abc"
    assert header({"headers": None}, "Idempotency-Key") is None
