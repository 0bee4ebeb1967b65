"""Outgoing messages, parsed back with the email package: headers, threading, unsubscribe, tracking, DKIM."""

import re
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import dkim  # type: ignore[import-untyped,unused-ignore]
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from coldsend.mail.message import (
    DkimError,
    DkimKey,
    OutgoingMessage,
    build_message,
    new_message_id,
    requires_smtputf8,
)

DATE = datetime(2026, 11, 25, 14, 30, 5, tzinfo=UTC)
HTML = (
    '<div>Hi Ada,</div><div>See <a href="https://example.com/offer?a=1&amp;b=2">the offer</a>, '
    "<a href='mailto:bob@sender.example'>mail me</a>, <a href=https://example.com/plain>plain</a> "
    'or <A HREF="https://coldsend.test/t/unsubscribe/x">unsubscribe</A>.</div>'
)
TEXT = "Hi Ada,\nSee the offer (https://example.com/offer?a=1&b=2)"


def outgoing(**fields: Any) -> OutgoingMessage:
    values: dict[str, Any] = {
        "message_id": "<0001.abcd@sender.example>",
        "date": DATE,
        "from_email": "bob@sender.example",
        "from_name": "Bob Sender",
        "to_email": "ada@lovelace.example",
        "subject": "Quick question",
        "html": HTML,
        "text": TEXT,
    }
    values.update(fields)
    return OutgoingMessage(**values)


def parse(data: bytes) -> EmailMessage:
    message = message_from_bytes(data.replace(b"\r\n", b"\n"), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def part(message: EmailMessage, content_type: str) -> str:
    found = [p for p in message.walk() if p.get_content_type() == content_type]
    assert len(found) == 1, content_type
    content = found[0].get_content()
    assert isinstance(content, str)
    return content


@pytest.fixture(scope="module")
def private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


class TestHeaders:
    def test_basic_headers_and_parts(self) -> None:
        data = build_message(outgoing(reply_to="replies@sender.example", cc=["cc@example.org"]))
        assert b"\r\n" in data
        assert b"\n" not in data.replace(b"\r\n", b"")
        message = parse(data)
        assert message["From"] == "Bob Sender <bob@sender.example>"
        assert message["To"] == "ada@lovelace.example"
        assert message["Cc"] == "cc@example.org"
        assert message["Reply-To"] == "replies@sender.example"
        assert message["Subject"] == "Quick question"
        assert message["Message-ID"] == "<0001.abcd@sender.example>"
        assert message["Date"].datetime == DATE
        assert message["MIME-Version"] == "1.0"
        assert message.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
        assert part(message, "text/plain") == TEXT
        assert part(message, "text/html") == HTML
        for absent in ("In-Reply-To", "References", "List-Unsubscribe", "List-Unsubscribe-Post", "Bcc"):
            assert absent not in message

    def test_bcc_is_never_a_header(self) -> None:
        data = build_message(outgoing(bcc=["secret@example.org"]))
        assert b"secret@example.org" not in data

    def test_non_ascii_names_and_subject_are_encoded(self) -> None:
        data = build_message(outgoing(from_name="Zoë Ñúñez", subject="Café — ça va? 👋"))
        assert data.isascii()
        message = parse(data)
        assert message["Subject"] == "Café — ça va? 👋"
        assert message["From"].addresses[0].display_name == "Zoë Ñúñez"
        assert part(message, "text/plain").rstrip("\n") == TEXT

    def test_non_ascii_body(self) -> None:
        message = parse(build_message(outgoing(html="<p>Grüße, Zoë</p>", text="Grüße, Zoë")))
        assert part(message, "text/plain").rstrip("\n") == "Grüße, Zoë"
        assert part(message, "text/html").rstrip("\n") == "<p>Grüße, Zoë</p>"

    def test_idn_domain_goes_out_in_punycode(self) -> None:
        msg = outgoing(to_email="ada@bücher.example")
        assert not requires_smtputf8(msg)
        message = parse(build_message(msg))
        assert message["To"] == "ada@xn--bcher-kva.example"

    def test_non_ascii_local_part_uses_smtputf8(self) -> None:
        msg = outgoing(to_email="zoë@example.org", subject="Grüße")
        assert requires_smtputf8(msg)
        data = build_message(msg)
        assert b"To: zo\xc3\xab@example.org\r\n" in data
        assert b"Subject: Gr\xc3\xbc\xc3\x9fe\r\n" in data

    def test_header_injection_in_subject_stays_in_subject(self) -> None:
        msg = outgoing(subject="Hi\r\nBcc: victim@example.org", from_name="Bob\nX-Evil: 1")
        message = parse(build_message(msg))
        assert "Bcc" not in message
        assert "X-Evil" not in message
        assert message["Subject"] == "Hi Bcc: victim@example.org"
        assert message["From"].addresses[0].display_name == "Bob X-Evil: 1"

    def test_display_name_with_specials_is_quoted(self) -> None:
        message = parse(build_message(outgoing(from_name='Bob "The Builder", Inc. <sales>')))
        assert message["From"].addresses[0].display_name == 'Bob "The Builder", Inc. <sales>'
        assert message["From"].addresses[0].addr_spec == "bob@sender.example"

    def test_long_headers_fold_and_parse_back(self) -> None:
        refs = [f"<{n:04d}.{'a' * 30}@sender.example>" for n in range(20)]
        subject = " ".join(["word"] * 40)
        cc = [f"person{n}@example.org" for n in range(12)]
        data = build_message(outgoing(references=refs, in_reply_to=refs[-1], subject=subject, cc=cc))
        head = data.split(b"\r\n\r\n", 1)[0]
        assert max(len(line) for line in head.split(b"\r\n")) <= 78
        message = parse(data)
        assert message["References"].split() == refs
        assert message["Subject"] == subject
        assert [address.addr_spec for address in message["Cc"].addresses] == cc

    def test_bodies_round_trip_exactly(self) -> None:
        text = (
            "long line " * 30 + "\ntrailing spaces   \n\tTab = sign =3D and dots\n.\n..leading dots\nGrüße 👋"
        )
        html = "<p>" + "x" * 500 + "</p>\n<p>a=b</p>"
        message = parse(build_message(outgoing(text=text, html=html)))
        assert part(message, "text/plain") == text
        assert part(message, "text/html") == html

    def test_new_message_id(self) -> None:
        first, second = new_message_id("sender.example"), new_message_id("Bücher.example")
        assert re.fullmatch(r"<[0-9a-f]{32}\.[0-9a-f]{8}@sender\.example>", first)
        assert second.endswith("@xn--bcher-kva.example>")
        assert first != new_message_id("sender.example")
        assert parse(build_message(outgoing(message_id=first)))["Message-ID"] == first


class TestThreading:
    def test_follow_up_threads_as_reply(self) -> None:
        refs = ["<0001.abcd@sender.example>", "<0002.abcd@sender.example>"]
        message = parse(build_message(outgoing(in_reply_to=refs[-1], references=refs, subject="Re: Quick")))
        assert message["In-Reply-To"] == "<0002.abcd@sender.example>"
        assert message["References"].split() == refs
        assert message["Subject"] == "Re: Quick"


class TestUnsubscribeHeaders:
    def test_one_click(self) -> None:
        msg = outgoing(
            unsubscribe_url="https://coldsend.test/t/unsubscribe/x",
            unsubscribe_mailto="bob@sender.example",
            one_click_unsubscribe=True,
        )
        message = parse(build_message(msg))
        assert message["List-Unsubscribe"] == (
            "<https://coldsend.test/t/unsubscribe/x>, <mailto:bob@sender.example?subject=unsubscribe>"
        )
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    def test_without_one_click(self) -> None:
        message = parse(build_message(outgoing(unsubscribe_url="https://coldsend.test/t/unsubscribe/x")))
        assert message["List-Unsubscribe"] == "<https://coldsend.test/t/unsubscribe/x>"
        assert "List-Unsubscribe-Post" not in message

    def test_one_click_needs_an_https_target(self) -> None:
        msg = outgoing(unsubscribe_mailto="bob@sender.example", one_click_unsubscribe=True)
        message = parse(build_message(msg))
        assert message["List-Unsubscribe"] == "<mailto:bob@sender.example?subject=unsubscribe>"
        assert "List-Unsubscribe-Post" not in message


class TestTextOnly:
    def test_only_a_plain_part(self) -> None:
        msg = outgoing(text_only=True, open_pixel_url="https://coldsend.test/t/open/x", click_url=str.upper)
        message = parse(build_message(msg))
        assert message.get_content_type() == "text/plain"
        assert not message.is_multipart()
        assert message.get_content().rstrip("\n") == TEXT
        assert b"<" not in build_message(msg).split(b"\r\n\r\n", 1)[1]


class TestTracking:
    def test_links_rewritten_except_mailto_and_unsubscribe(self) -> None:
        clicked: list[str] = []

        def click(url: str) -> str:
            clicked.append(url)
            return f"https://coldsend.test/t/click/tok?url={url}&n={len(clicked)}"

        msg = outgoing(click_url=click, unsubscribe_url="https://coldsend.test/t/unsubscribe/x")
        html = part(parse(build_message(msg)), "text/html")
        assert clicked == ["https://example.com/offer?a=1&b=2", "https://example.com/plain"]
        assert (
            'href="https://coldsend.test/t/click/tok?url=https://example.com/offer?a=1&amp;b=2&amp;n=1"'
            in html
        )
        assert 'href="https://coldsend.test/t/click/tok?url=https://example.com/plain&amp;n=2"' in html
        assert "href='mailto:bob@sender.example'" in html
        assert 'HREF="https://coldsend.test/t/unsubscribe/x"' in html
        assert part(parse(build_message(msg)), "text/plain").rstrip("\n") == TEXT

    def test_only_anchor_hrefs(self) -> None:
        html = (
            '<a data-href="https://a.example" title="x">a</a><link href="https://b.example">'
            '<a\n  class="btn"\n  href = "https://c.example">c</a><abbr href="https://d.example">d</abbr>'
        )
        rewritten = part(
            parse(build_message(outgoing(html=html, click_url=lambda url: "T" + url))), "text/html"
        )
        assert rewritten.rstrip("\n") == html.replace('"https://c.example"', '"Thttps://c.example"')

    def test_open_pixel_appended(self) -> None:
        msg = outgoing(open_pixel_url="https://coldsend.test/t/open/a?x=1&y=2")
        html = part(parse(build_message(msg)), "text/html").rstrip("\n")
        assert html.startswith(HTML)
        assert html.endswith(
            '<img src="https://coldsend.test/t/open/a?x=1&amp;y=2" width="1" height="1" alt="" '
            'style="display:none" />'
        )

    def test_open_pixel_inside_body(self) -> None:
        msg = outgoing(html="<html><body><p>Hi</p></BODY></html>", open_pixel_url="https://t.example/o")
        html = part(parse(build_message(msg)), "text/html")
        assert re.search(r'<p>Hi</p><img src="https://t.example/o"[^>]*></BODY></html>', html)

    def test_no_tracking_leaves_html_alone(self) -> None:
        assert part(parse(build_message(outgoing())), "text/html").rstrip("\n") == HTML


class TestDkim:
    def test_signature_verifies_against_the_published_key(self, private_key_pem: str) -> None:
        key = DkimKey(domain="sender.example", selector="cs1", private_key_pem=private_key_pem)
        msg = outgoing(
            dkim=key,
            from_name="Zoë",
            subject="Grüße",
            in_reply_to="<a@b>",
            references=["<a@b>"],
            unsubscribe_url="https://coldsend.test/t/unsubscribe/x",
            one_click_unsubscribe=True,
            open_pixel_url="https://coldsend.test/t/open/x",
        )
        data = build_message(msg)
        lookups: list[bytes] = []

        def dnsfunc(name: bytes, timeout: int = 5) -> bytes:  # noqa: ARG001
            lookups.append(name)
            return key.dns_txt().encode() if name == b"cs1._domainkey.sender.example." else b""

        assert dkim.verify(data, dnsfunc=dnsfunc)
        assert lookups == [b"cs1._domainkey.sender.example."]
        signature = parse(data)["DKIM-Signature"]
        header_list = re.search(r"\bh=([^;]+)", " ".join(signature.split()))
        assert header_list is not None
        signed = {name.strip() for name in header_list.group(1).split(":")}
        assert {
            "from",
            "to",
            "subject",
            "date",
            "message-id",
            "list-unsubscribe",
            "list-unsubscribe-post",
        } <= signed
        assert "cc" not in signed

        tampered = data.replace(b"Subject: ", b"Subject: FW ")
        assert not dkim.verify(tampered, dnsfunc=dnsfunc)

    def test_wrong_key_in_dns_fails(self, private_key_pem: str) -> None:
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        other_pem = other.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        data = build_message(outgoing(dkim=DkimKey("sender.example", "cs1", private_key_pem)))
        published = DkimKey("sender.example", "cs1", other_pem).dns_txt().encode()
        assert not dkim.verify(data, dnsfunc=lambda *_args, **_kwargs: published)

    def test_unusable_key_is_a_dkim_error(self) -> None:
        for pem in ("not a key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"):
            with pytest.raises(DkimError, match="sender.example"):
                build_message(outgoing(dkim=DkimKey("sender.example", "cs1", pem)))
