"""The confirmation question's resolver, for clients the in-memory test client cannot imitate."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from mcp.server.mcpserver import AcceptedElicitation
from mcp.types import (
    ClientCapabilities,
    ElicitationCapability,
    FormElicitationCapability,
    UrlElicitationCapability,
)

from gmail_mcp.actions.account import Account
from gmail_mcp.actions.outgoing import Outgoing
from gmail_mcp.config import Paths, Settings
from gmail_mcp.content.envelope import Envelope
from gmail_mcp.surface import confirm
from gmail_mcp.surface.app import App
from gmail_mcp.surface.confirm import NoQuestion

OUTGOING = Outgoing("send-email", b"", None, Envelope(("ana@example.org",), (), (), "Hi"))


def context(tmp_path: Path, elicitation: ElicitationCapability | None) -> Any:
    paths = Paths(config_dir=tmp_path / "c", state_dir=tmp_path / "s", data_dir=tmp_path / "d")
    settings = Settings.create(paths=paths, confirm_send=True)
    app = App(settings=settings, accounts=[Account(settings, lambda: None)], opener=lambda url: None)  # type: ignore[arg-type, return-value]
    return SimpleNamespace(
        mcp_server=SimpleNamespace(app=app), client_capabilities=ClientCapabilities(elicitation=elicitation)
    )


@pytest.mark.parametrize(
    "elicitation",
    [None, ElicitationCapability(url=UrlElicitationCapability())],
    ids=["no-elicitation", "url-only"],
)
def test_a_client_that_cannot_answer_a_form_is_not_asked_and_nothing_is_approved(
    tmp_path: Path, elicitation: ElicitationCapability | None
) -> None:
    asked = confirm.ask(context(tmp_path, elicitation), OUTGOING, "Send this email")

    assert isinstance(asked, NoQuestion) and not asked.approved
    assert confirm.decision(AcceptedElicitation[Any].model_construct(data=asked)).outcome == "unsupported"


def test_a_client_that_answers_forms_is_asked(tmp_path: Path) -> None:
    asked = confirm.ask(
        context(tmp_path, ElicitationCapability(form=FormElicitationCapability())),
        OUTGOING,
        "Send this email",
    )

    assert not isinstance(asked, NoQuestion)
    assert asked.message == "Send this email?\nTo: ana@example.org\nSubject: Hi"


def test_a_failure_while_building_the_question_approves_nothing(tmp_path: Path) -> None:
    broken = SimpleNamespace(mcp_server=None, client_capabilities=None)  # no App to read settings from

    asked = confirm.ask(broken, OUTGOING, "Send this email")

    assert isinstance(asked, NoQuestion) and not asked.approved
