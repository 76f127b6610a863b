"""The Synthetics API keys canaries by the account MiniStack would key the request to."""

from __future__ import annotations

import importlib

import pytest

from atelier.emulator.ministack_compat import accounts


def test_required_internals_exist() -> None:
    for module, names in accounts.REQUIRED_INTERNALS.items():
        mod = importlib.import_module(module)
        assert [n for n in names if not hasattr(mod, n)] == [], f"update accounts.py: {module}"


def test_a_twelve_digit_key_is_its_account_and_others_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MINISTACK_ACCOUNT_ID", raising=False)
    assert accounts.account_of("222222222222") == "222222222222"
    assert accounts.account_of("test") == "000000000000"
