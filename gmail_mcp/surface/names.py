"""The name of every tool: the one place each is written (see `registry.py` for the rest)."""

from enum import StrEnum

__all__ = ["Tool"]


class Tool(StrEnum):
    # core
    SEND_EMAIL = "send-email"
    GET_UNREAD_EMAILS = "get-unread-emails"
    READ_EMAIL = "read-email"
    SEARCH_EMAILS = "search-emails"
    TRASH_EMAIL = "trash-email"
    MARK_EMAIL_AS_READ = "mark-email-as-read"
    OPEN_EMAIL = "open-email"
    CREATE_DRAFT = "create-draft"
    LIST_DRAFTS = "list-drafts"
    # enhanced
    LIST_EMAILS = "list-emails"
    READ_THREAD = "read-thread"
    DOWNLOAD_ATTACHMENT = "download-attachment"
    READ_ATTACHMENT = "read-attachment"
    SEND_EMAIL_WITH_ATTACHMENT = "send-email-with-attachment"
    MANAGE_LABELS = "manage-labels"
    LIST_LABELS = "list-labels"
    UPDATE_DRAFT = "update-draft"
    SEND_DRAFT = "send-draft"
    DELETE_DRAFT = "delete-draft"
