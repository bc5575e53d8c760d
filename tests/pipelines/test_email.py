"""Email delivery: from the invitation to a sent message, by a real RQ worker when Redis is configured."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from email import message_from_bytes

import pytest
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import EmailStatus, OutgoingEmail
from ismartsync.services.email import queue_email
from jobs.email import deliver_email
from tests.markup import link_path, text, text_of


def _email_to(address: str) -> OutgoingEmail:
    db.session.expire_all()
    return db.session.scalars(select(OutgoingEmail).where(OutgoingEmail.to_address == address)).one()


@pytest.fixture
def invited(browser, owner, roles, branch, run_jobs) -> OutgoingEmail:
    """An invitation sent from the Staff screen, after the worker ran."""
    browser.sign_in(owner)
    data = {"full_name": "Zara Malik", "email": "zara@example.pk", "role_id": roles["Cashier"].id}
    response = browser.post("/staff/invite", {**data, "branch_ids": [str(branch.id)]})
    assert response.status_code == 303
    run_jobs("email")
    return _email_to("zara@example.pk")


def test_invitation_email_is_delivered(invited):
    assert invited.status == EmailStatus.SENT
    assert invited.attempts == 1 and invited.sent_at is not None
    assert invited.subject.startswith("You are invited to")
    assert "the link works for 72 hours and only once" in invited.body_text


def test_link_in_the_invitation_signs_the_new_member_in(invited, make_browser):
    newcomer = make_browser()
    path = link_path(invited.body_text, "/invite/")
    assert newcomer.post(path, {"password": "zaras-own-password", "pin": "4826"}).status_code == 303
    assert "Hello, Zara" in text(newcomer.get("/").get_data(as_text=True))
    assert make_browser().get(path).status_code == 410


def test_dev_outbox_shows_the_email(invited, client):
    page = client.get("/dev/outbox").get_data(as_text=True)
    card = text_of(page, f"email-{invited.id}")
    assert "To zara@example.pk" in card and "sent" in card
    assert invited.subject in card
    assert link_path(invited.body_text, "/invite/") in page


def test_delivering_again_does_not_send_twice(invited):
    deliver_email(invited.id)
    again = _email_to("zara@example.pk")
    assert again.attempts == 1 and again.sent_at == invited.sent_at


def test_delivery_of_a_vanished_email_does_nothing():
    deliver_email(987654321)  # a job for a row whose transaction rolled back


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _queued(owner) -> OutgoingEmail:
    # Flushed, never committed: the test delivers it by hand, as the worker would.
    return queue_email(db.session, "zara@example.pk", "Hello", "reset", owner.merchant_id, user=owner, link="x")


def test_failed_delivery_is_recorded_and_raised_for_a_retry(app, monkeypatch, owner):
    monkeypatch.setitem(app.config, "SMTP_URL", f"smtp://127.0.0.1:{_closed_port()}")
    email = _queued(owner)
    with pytest.raises(ConnectionRefusedError):
        deliver_email(email.id)
    failed = _email_to("zara@example.pk")
    assert failed.status == EmailStatus.FAILED and failed.attempts == 1
    assert failed.last_error.startswith("ConnectionRefusedError")


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP to accept one message, kept on the server for the test to read."""

    def handle(self) -> None:
        self.wfile.write(b"220 localhost ready\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"DATA":
                self.wfile.write(b"354 go ahead\r\n")
                lines = []
                while (data := self.rfile.readline()) != b".\r\n":
                    lines.append(data)
                self.server.messages.append(message_from_bytes(b"".join(lines)))  # type: ignore[attr-defined]
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_server() -> Iterator[socketserver.TCPServer]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.messages = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_delivery_through_smtp_sends_the_stored_message(app, monkeypatch, owner, smtp_server):
    monkeypatch.setitem(app.config, "SMTP_URL", f"smtp://127.0.0.1:{smtp_server.server_address[1]}")
    email = _queued(owner)
    deliver_email(email.id)
    [message] = smtp_server.messages
    assert message["To"] == "zara@example.pk"
    assert message["Subject"] == "Hello"
    assert message["From"] == app.config["MAIL_FROM"]
    assert "Choose a new one here" in message.get_payload(decode=True).decode()
    assert _email_to("zara@example.pk").status == EmailStatus.SENT
