"""A scripted IMAP server that answers as Gmail does, built from Google's documented examples.

Dovecot has none of Gmail's extensions, so the Gmail paths (X-GM-RAW, X-GM-LABELS, X-GM-MSGID,
X-GM-THRID, special-use folders, Gmail's login refusals) are tested against this: a small IMAP
server over TLS with a mailbox of plain-text messages. It is test code: it parses the *commands*
a client sends (never a server's responses) and answers in the shapes of
https://developers.google.com/gmail/imap/imap-extensions and Gmail's documented login errors.
Every command is logged, so tests can say what was (and was not) asked.
"""

from __future__ import annotations

import base64
import contextlib
import re
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from imapclient.imap_utf7 import encode

from tests.imap.certs import Certificate

CAPABILITIES = (
    "IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN X-GM-EXT-1 UIDPLUS COMPRESS=DEFLATE "
    "ENABLE MOVE CONDSTORE ESEARCH UTF8=ACCEPT LIST-EXTENDED LIST-STATUS LITERAL- SPECIAL-USE "
    "APPENDLIMIT=35651584 AUTH=XOAUTH2 AUTH=PLAIN AUTH=PLAIN-CLIENTTOKEN AUTH=OAUTHBEARER"
)
FOLDERS = (
    ("\\HasNoChildren", "INBOX"),
    ("\\HasChildren \\Noselect", "[Gmail]"),
    ("\\All \\HasNoChildren", "[Gmail]/All Mail"),
    ("\\Drafts \\HasNoChildren", "[Gmail]/Drafts"),
    ("\\HasNoChildren \\Important", "[Gmail]/Important"),
    ("\\HasNoChildren \\Sent", "[Gmail]/Sent Mail"),
    ("\\HasNoChildren \\Junk", "[Gmail]/Spam"),
    ("\\Flagged \\HasNoChildren", "[Gmail]/Starred"),
    ("\\HasNoChildren \\Trash", "[Gmail]/Trash"),
    ("\\HasNoChildren", "&ANw-berweisungen"),  # "Überweisungen" in modified UTF-7
)
TOO_MANY = "NO [ALERT] Too many simultaneous connections. (Failure)"
BAD_PASSWORD = "NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)"
WEB_LOGIN = "NO [ALERT] Please log in via your web browser: https://support.google.com/mail/accounts/answer/78754 (Failure)"
LITERAL = b"\x00literal\x00"
_TOKEN = re.compile(rb'\(|\)|"(?:[^"\\]|\\.)*"|\{\d+\+?\}|[^\s()"\[]+(?:\[[^\]]*\](?:<[\d.]+>)?)?')


@dataclass
class Mail:
    uid: int
    msgid: int
    thrid: int
    raw: bytes
    labels: set[str]  # X-GM-LABELS: "\\Inbox", "\\Sent", "\\Draft", "\\Important", user names
    flags: set[str]
    date: datetime
    trashed: bool = False

    def header(self) -> bytes:
        return self.raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"

    def body(self) -> bytes:
        return self.raw.split(b"\r\n\r\n", 1)[1]


@dataclass
class Gmail:
    """The scripted account: its mail, what logins it refuses, and the commands it received."""

    user: str
    password: str
    mail: list[Mail] = field(default_factory=list)
    oauth_token: str = "ya29.test-token"
    accept_token: Callable[[str], bool] | None = None  # instead of comparing with oauth_token
    refuse_logins: list[str] = field(default_factory=list)  # answers for the next logins, in order
    commands: list[str] = field(default_factory=list)
    logins: int = 0
    port: int = 0

    def add(
        self, raw: bytes, *, msgid: int, thrid: int, labels: set[str], flags: set[str], date: datetime
    ) -> Mail:
        mail = Mail(len(self.mail) + 1, msgid, thrid, raw, set(labels), set(flags), date)
        self.mail.append(mail)
        return mail

    def in_folder(self, folder: str) -> list[Mail]:
        if folder == "[Gmail]/Trash":
            return [m for m in self.mail if m.trashed]
        live = [m for m in self.mail if not m.trashed]
        wanted = {
            "INBOX": "\\Inbox",
            "[Gmail]/Sent Mail": "\\Sent",
            "[Gmail]/Drafts": "\\Draft",
            "[Gmail]/Important": "\\Important",
        }.get(folder)
        if folder == "[Gmail]/All Mail":
            return live
        if wanted:
            return [m for m in live if wanted in m.labels]
        return [m for m in live if _utf7_name(folder) in m.labels]


def _utf7_name(folder: str) -> str:
    from imapclient.imap_utf7 import decode

    return str(decode(folder.encode()))


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _unquote(token: bytes) -> str:
    text = token.decode("utf-8", "replace")
    if text.startswith('"') and text.endswith('"'):
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


class _Session:
    def __init__(self, gmail: Gmail, sock: ssl.SSLSocket) -> None:
        self.gmail = gmail
        self.sock = sock
        self.file = sock.makefile("rb")
        self.folder: str | None = None

    def send(self, line: str | bytes) -> None:
        self.sock.sendall((line.encode() if isinstance(line, str) else line) + b"\r\n")

    def read_command(self) -> list[bytes] | None:
        """One command's tokens; each literal is answered with a continuation (as LITERAL- asks) and
        stands in the tokens as LITERAL, its bytes kept in order in `self.literals`."""
        data = b""
        while True:
            line = self.file.readline()
            if not line:
                return None
            line = line.rstrip(b"\r\n")
            literal = re.search(rb"\{(\d+)(\+?)\}$", line)
            if not literal:
                data += line
                break
            if not literal.group(2):
                self.send("+ go ahead")
            data += line[: literal.start()] + LITERAL
            self.literals.append(self.file.read(int(literal.group(1))))
        self.line = data.decode("utf-8", "replace").replace(LITERAL.decode(), "{literal}")
        return list(_TOKEN.findall(data))

    literals: list[bytes]
    line: str = ""

    def run(self) -> None:
        self.send("* OK Gimap ready for requests from 127.0.0.1 h17mb")
        while True:
            self.literals = []
            tokens = self.read_command()
            if not tokens:
                return
            tag, command = tokens[0].decode(), tokens[1].decode().upper()
            args = tokens[2:]
            if command == "UID":
                command, args = "UID " + args[0].decode().upper(), args[1:]
            # The command as sent, without its tag (and without the secrets of a login).
            logged = command if command in ("LOGIN", "AUTHENTICATE") else self.line.split(" ", 1)[1]
            self.gmail.commands.append(logged)
            if self.dispatch(tag, command, args) is False:
                return

    def literal_or(self, token: bytes) -> bytes:
        if token == LITERAL and self.literals:
            return self.literals.pop(0)
        return _unquote(token).encode()

    def dispatch(self, tag: str, command: str, args: list[bytes]) -> bool | None:
        gmail = self.gmail
        if command == "CAPABILITY":
            self.send(f"* CAPABILITY {CAPABILITIES}")
        elif command == "LOGIN":
            gmail.logins += 1
            if gmail.refuse_logins:
                self.send(f"{tag} {gmail.refuse_logins.pop(0)}")
                return None
            user, password = _unquote(args[0]), self.literal_or(args[1]).decode()
            if (user, password) != (gmail.user, gmail.password):
                self.send(f"{tag} {BAD_PASSWORD}")
                return None
            self.send(f"{tag} OK {gmail.user} authenticated (Success)")
            return None
        elif command == "AUTHENTICATE":
            gmail.logins += 1
            self.send("+ ")
            answer = base64.b64decode(self.file.readline().strip() or b"").decode("utf-8", "replace")
            prefix, _, token = answer.partition("\x01auth=Bearer ")
            token = token.removesuffix("\x01\x01")
            accepted = gmail.accept_token(token) if gmail.accept_token else token == gmail.oauth_token
            if prefix != f"user={gmail.user}" or not accepted:
                self.send(f"{tag} {BAD_PASSWORD}")
                return None
            self.send(f"{tag} OK {gmail.user} authenticated (Success)")
            return None
        elif command == "LIST":
            for flags, name in FOLDERS:
                self.send(f'* LIST ({flags}) "/" {_quote(name)}')
        elif command in ("SELECT", "EXAMINE"):
            self.folder = _unquote(args[0])
            mails = gmail.in_folder(self.folder)
            self.send("* FLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen $NotPhishing $Phishing)")
            self.send(f"* OK [UIDVALIDITY {1 + [n for _, n in FOLDERS].index(self.folder)}] UIDs valid.")
            self.send(f"* {len(mails)} EXISTS")
            self.send("* 0 RECENT")
            mode = "READ-ONLY" if command == "EXAMINE" else "READ-WRITE"
            self.send(f"{tag} OK [{mode}] {self.folder} selected. (Success)")
            return None
        elif command == "UID SEARCH":
            found = self.search(args)
            self.send("* SEARCH" + "".join(f" {m.uid}" for m in found))
        elif command == "UID FETCH":
            for mail in self.by_uids(args[0]):
                self.fetch(mail, args[1:])
        elif command == "UID STORE":
            self.store(self.by_uids(args[0]), args[1].decode().upper(), args[2:])
        elif command == "UID MOVE":
            target = _unquote(args[1])
            for mail in self.by_uids(args[0]):
                if target == "[Gmail]/Trash":
                    mail.trashed = True
                elif target == "INBOX":
                    mail.trashed = False
                    mail.labels.add("\\Inbox")
        elif command == "APPEND":
            folder = _unquote(args[0])
            raw = self.literals.pop(0)
            flags = {f.decode() for f in args[1:] if f.startswith(b"\\")}
            labels = {"\\Draft"} if folder == "[Gmail]/Drafts" else {"\\Sent"} if "Sent" in folder else set()
            top = max((m.msgid for m in gmail.mail), default=0)
            gmail.add(
                raw,
                msgid=top + 1,
                thrid=top + 1,
                labels=labels,
                flags=flags,
                date=datetime.now().astimezone(),
            )
        elif command in ("UID EXPUNGE", "EXPUNGE"):
            gmail.mail = [m for m in gmail.mail if "\\Deleted" not in m.flags]
        elif command == "STATUS":
            self.send(
                f"* STATUS {_quote(_unquote(args[0]))} (MESSAGES {len(gmail.in_folder(_unquote(args[0])))})"
            )
        elif command == "LOGOUT":
            self.send("* BYE LOGOUT Requested")
            self.send(f"{tag} OK 73 good day (Success)")
            return False
        elif command not in ("NOOP", "CLOSE", "UNSELECT", "ENABLE", "ID"):
            self.send(f"{tag} BAD Unknown command {command}")
            return None
        self.send(f"{tag} OK Success")
        return None

    def by_uids(self, uid_set: bytes) -> list[Mail]:
        wanted = {int(u) for u in uid_set.decode().split(",") if u.isdigit()}
        return [m for m in self.gmail.in_folder(self.folder or "") if m.uid in wanted]

    def search(self, args: list[bytes]) -> list[Mail]:
        if args[:1] == [b"CHARSET"]:
            args = args[2:]
        mails = self.gmail.in_folder(self.folder or "")
        key = args[0].decode().upper()
        if key == "X-GM-RAW":
            query = self.literal_or(args[1]).decode().lower()
            words = [w for w in query.split() if ":" not in w]
            found = [m for m in mails if all(w in m.raw.decode("utf-8", "replace").lower() for w in words)]
            if "is:unread" in query:
                found = [m for m in found if "\\Seen" not in m.flags]
            if "in:inbox" in query:
                found = [m for m in found if "\\Inbox" in m.labels]
            if "in:trash" in query and self.folder != "[Gmail]/Trash":
                found = []  # as in Gmail: All Mail holds no trashed mail
            return found
        if key in ("X-GM-MSGID", "X-GM-THRID"):
            value = int(args[1])
            return [m for m in mails if (m.msgid if key == "X-GM-MSGID" else m.thrid) == value]
        if key == "HEADER":
            value = self.literal_or(args[2])
            return [m for m in mails if value in m.header()]
        return mails

    def fetch(self, mail: Mail, items: list[bytes]) -> None:
        seq = self.gmail.in_folder(self.folder or "").index(mail) + 1
        parts: list[bytes] = [f"UID {mail.uid}".encode()]
        for raw_item in items:
            item = raw_item.decode().strip("()").upper()
            if not item:
                continue
            if item == "X-GM-MSGID":
                parts.append(f"X-GM-MSGID {mail.msgid}".encode())
            elif item == "X-GM-THRID":
                parts.append(f"X-GM-THRID {mail.thrid}".encode())
            elif item == "X-GM-LABELS":
                # In modified UTF-7, as Gmail sends them to a client that has not enabled UTF8=ACCEPT.
                labels = " ".join(_quote(encode(label).decode()) for label in sorted(mail.labels))
                parts.append(f"X-GM-LABELS ({labels})".encode())
            elif item == "FLAGS":
                parts.append(f"FLAGS ({' '.join(sorted(mail.flags))})".encode())
            elif item == "INTERNALDATE":
                parts.append(f'INTERNALDATE "{mail.date.strftime("%d-%b-%Y %H:%M:%S %z")}"'.encode())
            elif item == "RFC822.SIZE":
                parts.append(f"RFC822.SIZE {len(mail.raw)}".encode())
            elif item == "BODYSTRUCTURE":
                body = mail.body()
                lines = body.count(b"\n")
                parts.append(
                    f'BODYSTRUCTURE ("TEXT" "PLAIN" ("CHARSET" "UTF-8") NIL NIL "7BIT" {len(body)} '
                    f"{lines} NIL NIL NIL NIL)".encode()
                )
            elif item.startswith("BODY.PEEK[") or item.startswith("BODY["):
                section = item.split("[", 1)[1].split("]", 1)[0]
                data = mail.raw if section == "" else mail.body() if section == "1" else mail.header()
                partial = re.search(r"<(\d+)\.(\d+)>$", item)
                key = f"BODY[{section}]" + (f"<{partial.group(1)}>" if partial else "")
                if partial:
                    data = data[int(partial.group(1)) : int(partial.group(1)) + int(partial.group(2))]
                parts.append(key.encode() + b" {" + str(len(data)).encode() + b"}\r\n" + data)
            elif item == "UID":
                continue
        self.send(f"* {seq} FETCH (".encode() + b" ".join(parts) + b")")

    def store(self, mails: list[Mail], how: str, values: list[bytes]) -> None:
        names = [self.literal_or(v).decode() for v in values if v not in (b"(", b")")]
        if "X-GM-LABELS" in how:
            names = [_utf7_name(n) for n in names]
        for mail in mails:
            target = mail.labels if "X-GM-LABELS" in how else mail.flags
            if how.startswith("+"):
                target |= set(names)
            else:
                target -= set(names)


@contextlib.contextmanager
def serving(gmail: Gmail, certificate: Certificate) -> Iterator[Gmail]:
    """The scripted Gmail on a free port over TLS, one thread per connection."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(certificate.cert), str(certificate.key))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    gmail.port = listener.getsockname()[1]

    def handle(raw: socket.socket) -> None:
        try:
            with context.wrap_socket(raw, server_side=True) as sock:
                session = _Session(gmail, sock)
                try:
                    session.run()
                finally:
                    session.file.close()
        except (OSError, ValueError):
            raw.close()  # the client went away

    def accept() -> None:
        while True:
            try:
                raw, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(raw,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield gmail
    finally:
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(timeout=5)
