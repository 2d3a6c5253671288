"""The mailbox parses raw MIME as SES receives it."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage

from localcloud.mailbox import MailMessage, parse_mime, render_page

SEEN = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def _invoice_email() -> bytes:
    msg = EmailMessage()
    msg["Subject"] = "Tu factura ñandú"
    msg["From"] = "Facturas <facturas@example.com>"
    msg["To"] = "Ana <ana@example.com>, beto@example.com"
    msg["Date"] = "Tue, 04 Mar 2025 10:00:00 -0600"
    msg.set_content("Hola Ana, adjuntamos tu factura.")
    msg.add_alternative("<p>Hola <b>Ana</b></p>", subtype="html")
    msg.add_attachment(b"%PDF-1.4 x", maintype="application", subtype="pdf", filename="F-1.pdf")
    msg.add_attachment(b"<cfdi/>", maintype="application", subtype="xml", filename="F-1.xml")
    return msg.as_bytes()


def test_raw_mime_yields_subject_addresses_bodies_and_attachments() -> None:
    mail = parse_mime("m1", _invoice_email(), SEEN)
    assert mail.subject == "Tu factura ñandú"
    assert mail.to == ["ana@example.com", "beto@example.com"]
    assert "facturas@example.com" in mail.sender
    assert mail.date == dt.datetime(2025, 3, 4, 16, 0, tzinfo=dt.UTC)
    assert mail.text is not None and mail.text.startswith("Hola Ana")
    assert mail.html == "<p>Hola <b>Ana</b></p>\n"
    assert [(a.filename, a.content_type, a.data) for a in mail.attachments] == [
        ("F-1.pdf", "application/pdf", b"%PDF-1.4 x"),
        ("F-1.xml", "application/xml", b"<cfdi/>"),
    ]
    summary = mail.summary()
    assert summary["attachments"][0] == {
        "filename": "F-1.pdf",
        "content_type": "application/pdf",
        "size": 10,
    }


def test_message_without_date_uses_the_time_it_was_seen() -> None:
    mail = parse_mime("m2", b"Subject: hola\r\nTo: a@b.com\r\n\r\ncuerpo\r\n", SEEN)
    assert mail.date == SEEN and mail.text is not None and mail.text.strip() == "cuerpo"
    assert mail.attachments == []


def test_page_escapes_message_content() -> None:
    mail = MailMessage("m3", "<script>x</script>", ["a@b.com"], "s@b.com", SEEN, text="<b>t</b>")
    page = render_page([mail])
    assert "<script>x</script>" not in page
    assert "&lt;script&gt;" in page and "&lt;b&gt;t&lt;/b&gt;" in page


def test_mailbox_page_makes_links_in_the_text_clickable_and_escapes_the_rest() -> None:
    import datetime as dt

    from localcloud.mailbox import MailMessage, render_page

    msg = MailMessage("1", "Factura", ["a@b.mx"], "f@p.local", dt.datetime.now(dt.UTC))
    msg.text = 'Tu enlace: http://127.0.0.1:3000/facturar/abc_123 <script>x</script> "fin"'
    page = render_page([msg])
    assert '<a href="http://127.0.0.1:3000/facturar/abc_123">' in page
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page
