"""The Gmail API's own: the mailbox history (users.history) and filters (users.settings.filters).

Mixed into `GmailClient`, whose executor, user id and resources these use; the IMAP backend has
neither (the tools needing them declare `Feature.HISTORY` and `Feature.FILTERS`).
"""

from __future__ import annotations

from typing import Any

from gmail_mcp.gmail import convert
from gmail_mcp.gmail.executor import Executor, Target
from gmail_mcp.gmail.resources import GmailResources
from gmail_mcp.models import FilterAction, FilterCriteria, HistoryPage, MailFilter

MAX_PAGE = 500  # Gmail's cap on maxResults
JSON = dict[str, Any]


class HistoryAndFilters:
    """users.history.list and users.settings.filters, for `GmailClient`."""

    _exec: Executor
    _user: str
    _api: GmailResources

    def list_history(self, start_history_id: str, *, page_token: str | None = None) -> HistoryPage:
        """One page (up to 500 records) of the changes after `start_history_id`, oldest first.

        Raises:
            NotFoundError: Gmail no longer has the history from that start (it keeps about a week).
        """
        answer = self._exec.call(
            lambda: self._api.history.list(
                userId=self._user,
                startHistoryId=start_history_id,
                pageToken=page_token or None,
                maxResults=MAX_PAGE,
            ),
            Target.of("History", start_history_id=start_history_id),
        )
        return convert.history_from_json(answer)

    def list_filters(self) -> list[MailFilter]:
        answer = self._exec.call(lambda: self._api.filters.list(userId=self._user), Target.of("Filters"))
        return [convert.filter_from_json(f) for f in answer.get("filter", [])]

    def create_filter(self, criteria: FilterCriteria, action: FilterAction) -> MailFilter:
        """A new filter, at most once: after an ambiguous failure an equal filter is looked for
        (Gmail refuses a second one, so a blind retry would fail after the first succeeded)."""
        body = convert.filter_to_json(criteria, action)

        def find() -> JSON | None:
            for found in self.list_filters():
                if found.criteria == criteria and found.action == action:
                    return {"id": found.id, **convert.filter_to_json(found.criteria, found.action)}
            return None

        answer = self._exec.call(
            lambda: self._api.filters.create(userId=self._user, body=body),
            Target.of("Filter"),
            idempotent=False,
            reconcile=find,
        )
        return convert.filter_from_json(answer)

    def delete_filter(self, filter_id: str) -> None:
        self._exec.call(
            lambda: self._api.filters.delete(userId=self._user, id=filter_id),
            Target.of("Filter", filter_id=filter_id),
            missing_ok=True,
        )
