"""Delivering one stored email: its documents rendered now, the message sent over SMTP, the outcome recorded.

A failure is committed on the email before it is raised again, so the job's retry (RQ, with backoff) starts from a
record of what went wrong. Without `SMTP_URL` the email stays readable in the dev outbox, which renders the
documents when they are opened.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy.orm import Session

from ismartsync.models import EmailStatus, OutgoingEmail
from ismartsync.models.base import utcnow
from ismartsync.services.email import Attachment, render_attachments

log = logging.getLogger(__name__)


def deliver_email(session: Session, email_id: int) -> None:
    """Send one queued email, its documents rendered now; an email already sent is not sent again."""
    email = session.get(OutgoingEmail, email_id)
    if email is None or email.status == EmailStatus.SENT:
        return  # already delivered by an earlier try: RQ may run a job twice
    email.attempts += 1
    smtp_url = current_app.config.get("SMTP_URL")
    try:
        if smtp_url:
            message = _message(email, current_app.config["MAIL_FROM"], render_attachments(session, email))
            _send_smtp(smtp_url, message)
    except (OSError, smtplib.SMTPException, LookupError) as exc:
        email.status = EmailStatus.FAILED
        email.last_error = f"{type(exc).__name__}: {exc}"[:1000]
        session.commit()
        raise  # RQ retries with backoff
    email.status = EmailStatus.SENT
    email.sent_at = utcnow()
    session.commit()
    log.info("email %s delivered%s", email.id, "" if smtp_url else " to the dev outbox")


def _message(email: OutgoingEmail, sender: str, attachments: list[Attachment]) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message.set_content(email.body_text)
    for attachment in attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename)
    return message


def _send_smtp(url: str, message: EmailMessage) -> None:
    parts = urlsplit(url)  # smtp://user:pass@host:587 or smtps://...
    smtp_class = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
    with smtp_class(parts.hostname or "localhost", parts.port or 25, timeout=20) as smtp:
        if parts.scheme == "smtp+starttls":
            smtp.starttls()
        if parts.username:
            smtp.login(parts.username, parts.password or "")
        smtp.send_message(message)
