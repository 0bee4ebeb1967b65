"""What each sample of the parser corpus is (tests/mail/corpus/<family>/<name>.eml): the kind `parse` must
find and, for a bounce, its severity, failed recipient and status code; for a complaint, who complained.

The samples are written in the shapes real MTAs and providers send, bytes as on the wire (CRLF, but for the
crlf/ family), with addresses at example.com, .org and .net. Each directory is one family of issue 15.
"""

from dataclasses import dataclass

from coldsend.mail.failures import Severity
from coldsend.mail.inbound import InboundKind

HARD, SOFT = Severity.HARD, Severity.SOFT


@dataclass(frozen=True, slots=True)
class Expected:
    kind: InboundKind
    severity: Severity | None = None  # bounces only
    recipient: str | None = None  # the failed address of a bounce, the complainant of a complaint
    status: str | None = None  # the enhanced status code a bounce reports, if any
    feedback_type: str | None = None  # complaints only


def bounce(severity: Severity, recipient: str | None, status: str | None) -> Expected:
    return Expected(InboundKind.BOUNCE, severity, recipient, status)


def complaint(recipient: str | None, feedback_type: str = "abuse") -> Expected:
    return Expected(InboundKind.COMPLAINT, recipient=recipient, feedback_type=feedback_type)


AUTO_REPLY = Expected(InboundKind.AUTO_REPLY)
DELAY_WARNING = Expected(InboundKind.DELAY_WARNING)
OTHER = Expected(InboundKind.OTHER)
REPLY = Expected(InboundKind.REPLY)

EXPECTED: dict[str, Expected] = {
    # dsn/: RFC 3464 / 6533 reports: Postfix, Sendmail, Exchange, Office 365, Gmail, Courier, Exim, Domino
    "dsn/courier.eml": bounce(HARD, "hana.ito@example.net", "5.0.0"),
    "dsn/domino-not-listed.eml": bounce(HARD, "karl.lund@example.com", "5.0.0"),
    "dsn/exchange2010-recip-not-found.eml": bounce(HARD, "adam.birch@example.org", "5.1.1"),
    "dsn/exim-with-dsn.eml": bounce(HARD, "ivan.jones@example.org", "5.0.0"),
    "dsn/global-dsn-utf8.eml": bounce(HARD, "josé.álvarez@example.org", "5.1.1"),
    "dsn/gmail-account-disabled.eml": bounce(HARD, "fay.gomez@example.com", "5.2.1"),
    "dsn/gmail-address-not-found.eml": bounce(HARD, "dana.ellis@example.com", "5.1.1"),
    "dsn/gmail-dmarc-reject.eml": bounce(SOFT, "gus.hill@example.com", "5.7.26"),
    "dsn/gmail-over-quota.eml": bounce(SOFT, "eli.fox@example.com", "5.2.2"),
    "dsn/office365-access-denied.eml": bounce(HARD, "bella.cruz@example.com", "5.4.1"),
    "dsn/office365-mailbox-full.eml": bounce(SOFT, "carl.diaz@example.net", "5.2.2"),
    "dsn/postfix-address-moved.eml": bounce(HARD, "ursula.kent@example.org", "5.1.6"),
    "dsn/postfix-amavis-spam.eml": bounce(SOFT, "xavier.boyd@example.org", "5.7.0"),
    "dsn/postfix-gave-up-deferred.eml": bounce(SOFT, "rita.okafor@example.net", "4.4.1"),
    "dsn/postfix-greylisted-gave-up.eml": bounce(SOFT, "sven.lind@example.org", "4.7.1"),
    "dsn/postfix-host-not-found.eml": bounce(HARD, "paula.reyes@example.org", "5.4.4"),
    "dsn/postfix-mailbox-full.eml": bounce(SOFT, "oliver.price@example.net", "5.2.2"),
    "dsn/postfix-message-too-large.eml": bounce(SOFT, "quentin.hale@example.com", "5.3.4"),
    "dsn/postfix-null-mx.eml": bounce(HARD, "victor.nash@example.net", "5.1.10"),
    "dsn/postfix-spamhaus-block.eml": bounce(SOFT, "wendy.ross@example.com", "5.7.1"),
    "dsn/postfix-user-unknown.eml": bounce(HARD, "nora.quinn@example.org", "5.1.1"),
    "dsn/sendmail-transcript.eml": bounce(HARD, "zoe.hart@example.org", "5.1.1"),
    "dsn/two-recipients-one-failed.eml": bounce(HARD, "jade.kim@example.net", "5.1.1"),
    "dsn/yandex-no-such-user.eml": bounce(HARD, "yulia.petrova@example.net", "5.7.1"),
    "dsn/zimbra-relay-denied.eml": bounce(HARD, "tara.moss@example.com", "5.7.1"),
    # plain/: plain-text reports that quote the SMTP reply: qmail, Exim, Sendmail, Yahoo, AOL, Exchange,
    # MDaemon, ...
    "plain/aol-fatal-errors.eml": bounce(HARD, "victor.wolfe@example.net", None),
    "plain/courier-plain.eml": bounce(HARD, "gil.harper@example.org", "5.1.1"),
    "plain/exchange2007-plain.eml": bounce(HARD, "xena.young@example.com", "5.1.1"),
    "plain/exim-mailbox-full-552.eml": bounce(SOFT, "peter.quinn@example.com", "5.2.2"),
    "plain/exim-message-too-big.eml": bounce(SOFT, "rosa.silva@example.net", "5.3.4"),
    "plain/exim-spam-rejected.eml": bounce(SOFT, "tomas.ulrich@example.com", "5.7.1"),
    "plain/exim-user-unknown.eml": bounce(HARD, "olga.park@example.org", "5.1.1"),
    "plain/gmx-550-mailbox-unavailable.eml": bounce(HARD, "sami.tahir@example.org", None),
    "plain/hmailserver.eml": bounce(HARD, "zack.abbott@example.org", "5.1.1"),
    "plain/icewarp.eml": bounce(HARD, "ines.jara@example.net", "5.1.0"),
    "plain/interscan-user-unknown.eml": bounce(HARD, "chen.li@example.org", "5.1.1"),
    "plain/kerio.eml": bounce(HARD, "emil.frost@example.net", "5.1.1"),
    "plain/mailru-invalid-mailbox.eml": bounce(HARD, "alina.borisova@example.net", None),
    "plain/mdaemon-permanent.eml": bounce(HARD, "bruno.costa@example.com", "5.1.1"),
    "plain/office365-html-only.eml": bounce(HARD, "yara.zane@example.net", "5.1.10"),
    "plain/postfix-legacy.eml": bounce(HARD, "dora.evans@example.com", "5.1.1"),
    "plain/qmail-no-host.eml": bounce(HARD, "noah.ortiz@example.com", "5.1.2"),
    "plain/qmail-no-mailbox-here.eml": bounce(HARD, "maya.nolan@example.net", "5.1.1"),
    "plain/qmail-user-unknown.eml": bounce(HARD, "liam.moore@example.org", "5.1.1"),
    "plain/sendmail-fatal-errors.eml": bounce(HARD, "uma.vance@example.net", "5.1.1"),
    "plain/yahoo-mailbox-disabled.eml": bounce(HARD, "farah.ghani@example.com", None),
    "plain/yahoo-no-account.eml": bounce(HARD, "wanda.xu@example.org", None),
    # words/: family 1: failures said in words only (Exim local reasons, Exchange 2003, Domino, iMail,
    # InterScan, GroupWise, Kerio, Gmail, Office 365; German, Russian, French, Spanish, Italian, Dutch,
    # Portuguese)
    "words/aol-not-accepting.eml": bounce(HARD, "abby.baker@example.net", None),
    "words/domino-no-mail-file.eml": bounce(HARD, "tim.ueda@example.net", None),
    "words/domino-plain.eml": bounce(HARD, "sara.toivonen@example.com", None),
    "words/dutch-bestaat-niet.eml": bounce(HARD, "niels.oost@example.com", None),
    "words/exchange2003-account-missing.eml": bounce(HARD, "nina.olsen@example.org", "5.1.1"),
    "words/exchange2003-mailbox-full.eml": bounce(SOFT, "pia.quist@example.com", "5.2.2"),
    "words/exchange2003-time-limit.eml": bounce(SOFT, "omar.patel@example.net", "4.4.7"),
    "words/exchange2003-unindented.eml": bounce(HARD, "rolf.stein@example.org", None),
    "words/exim-local-delivery-failed.eml": bounce(SOFT, "mark.nyberg@example.org", None),
    "words/exim-mx-non-existent.eml": bounce(HARD, "lena.marsh@example.com", None),
    "words/exim-no-such-user-here.eml": bounce(HARD, "kurt.lange@example.net", None),
    "words/exim-unrouteable.eml": bounce(HARD, "jana.kovac@example.org", None),
    "words/french-exim-boite-pleine.eml": bounce(SOFT, "gaelle.henry@example.org", None),
    "words/french-non-remis.eml": bounce(HARD, "fabien.girard@example.net", None),
    "words/gmail-domain-not-found.eml": bounce(HARD, "yusuf.zaman@typo.example.net", None),
    "words/gmx-german.eml": bounce(HARD, "bernd.claussen@example.org", None),
    "words/groupwise-undeliverable.eml": bounce(HARD, "will.xiong@example.net", None),
    "words/hotmail-style-over-disk-quota.eml": bounce(SOFT, "ed.fisher@example.org", None),
    "words/imail-unknown-user.eml": bounce(HARD, "ute.vogel@example.org", None),
    "words/interscan-invalid.eml": bounce(HARD, "vera.walsh@example.com", None),
    "words/italian-casella-piena.eml": bounce(SOFT, "marta.neri@example.net", None),
    "words/italian-utente-sconosciuto.eml": bounce(HARD, "luca.marino@example.org", None),
    "words/kerio-user-unknown.eml": bounce(HARD, "xavi.yanez@example.org", None),
    "words/lsmtp-error-for.eml": bounce(HARD, "bo.berg@example.org", None),
    "words/mailenable-not-reached.eml": bounce(HARD, "ada.lind@example.net", None),
    "words/mailru-russian.eml": bounce(HARD, "dmitry.egorov@example.net", None),
    "words/office365-html-no-code.eml": bounce(HARD, "zora.adler@example.com", None),
    "words/portuguese-caixa-cheia.eml": bounce(SOFT, "rita.santos@example.net", None),
    "words/portuguese-desconhecido.eml": bounce(HARD, "paulo.queiroz@example.com", None),
    "words/smail-failed-addresses.eml": bounce(HARD, "cy.dalton@example.com", None),
    "words/smtp32-invalid-userid.eml": bounce(HARD, "di.engel@example.net", None),
    "words/spanish-buzon-lleno.eml": bounce(SOFT, "irene.jimenez@example.net", None),
    "words/spanish-no-existe.eml": bounce(HARD, "hugo.iglesias@example.com", None),
    "words/webde-unzustellbar.eml": bounce(HARD, "clara.dorn@example.net", None),
    "words/yandex-russian-koi8.eml": bounce(HARD, "elena.frolova@example.org", None),
    # lists/: family 1: mailing-list and group rejections (Mailman 2 and 3, Google Groups in four languages,
    # LISTSERV, Sympa, ezmlm, Majordomo); a post held for moderation is no failure
    "lists/ezmlm-subscribers-only.eml": bounce(HARD, "news@lists.example.com", "5.7.2"),
    "lists/google-groups-de.eml": bounce(HARD, "vertrieb@example.net", None),
    "lists/google-groups-en.eml": bounce(HARD, "growth@example.org", None),
    "lists/google-groups-es.eml": bounce(HARD, "ventas@example.net", None),
    "lists/google-groups-fr.eml": bounce(HARD, "ventes@example.com", None),
    "lists/listserv-not-authorized.eml": bounce(HARD, "sales-l@lists.example.org", None),
    "lists/mailman-held-for-approval.eml": OTHER,
    "lists/mailman-italian.eml": bounce(HARD, "vendite@example.org", None),
    "lists/mailman2-auto-reject.eml": bounce(HARD, "sales@example.org", None),
    "lists/mailman2-moderator-refused.eml": bounce(HARD, "team@example.net", None),
    "lists/mailman3-rejected.eml": bounce(HARD, "partners@example.com", None),
    "lists/majordomo-nonmember.eml": bounce(HARD, "board@example.net", None),
    "lists/sympa-french.eml": bounce(HARD, "ventes@listes.example.net", None),
    # giveup/: family 2: final give-ups quoting only a temporary failure (qmail, Exim retry timeout, Sendmail,
    # Office 365, MDaemon, too long in queue)
    "giveup/exim-over-quota-retry.eml": bounce(SOFT, "yves.zeller@example.com", "4.2.2"),
    "giveup/exim-retry-timeout.eml": bounce(SOFT, "wilma.xander@example.net", None),
    "giveup/mdaemon-timed-out.eml": bounce(SOFT, "dirk.eck@example.org", None),
    "giveup/office365-expired.eml": bounce(SOFT, "boris.cerny@example.net", "4.4.7"),
    "giveup/qmail-4xx-mailbox-full.eml": bounce(SOFT, "sofia.torres@example.org", "4.2.2"),
    "giveup/qmail-4xx-user-unknown.eml": bounce(HARD, "ulla.varga@example.com", "4.1.1"),
    "giveup/qmail-greylisted.eml": bounce(SOFT, "viktor.weiss@example.org", "4.7.1"),
    "giveup/qmail-queue-too-long.eml": bounce(SOFT, "theo.underwood@example.net", "4.4.1"),
    "giveup/sendmail-five-days.eml": bounce(SOFT, "anya.berg@example.org", "4.3.0"),
    "giveup/too-long-in-queue.eml": bounce(SOFT, "cora.dunn@example.com", "4.4.2"),
    # senders/: family 3: reports a sender check misses: postmaster with Re: and In-Reply-To, Japanese
    # carriers (ISO-2022-JP), Amazon SES JSON, list admin, unknown senders with non-English subjects
    "senders/au-refused.eml": bounce(HARD, "taro.suzuki@ezweb.example.net", None),
    "senders/docomo-unknown.eml": bounce(HARD, "hanako.yamada@docomo.example.net", None),
    "senders/dutch-auto-submitted.eml": bounce(HARD, "pim.rutten@example.net", None),
    "senders/exchange-chinese.eml": bounce(HARD, "wang.fang@example.org", "5.1.10"),
    "senders/french-noreply-notice.eml": bounce(HARD, "noe.perrin@example.com", None),
    "senders/gateway-give-up-after-attempts.eml": bounce(SOFT, "hal.ivers@example.net", "4.4.4"),
    "senders/gateway-re-subject-unthreaded.eml": bounce(HARD, "fay.gold@example.com", None),
    "senders/interscan-virus-wall-no-recipient.eml": bounce(SOFT, "ola.kern@example.org", None),
    "senders/japanese-subject-postfix-text.eml": bounce(HARD, "kenji.sato@example.net", "5.1.1"),
    "senders/mail-administrator-re-subject.eml": bounce(HARD, "ivo.jahn@example.com", None),
    "senders/mailer-daemon-re-german.eml": bounce(HARD, "felix.graf@example.net", None),
    "senders/mailman-no-such-list.eml": bounce(HARD, "events@lists.example.net", None),
    "senders/postmaster-re-subject.eml": bounce(HARD, "elin.fagerlund@example.org", None),
    "senders/postmaster-re-with-code.eml": bounce(HARD, "greta.holm@example.com", "5.1.1"),
    "senders/ses-bounce-permanent.eml": bounce(HARD, "ivy.jensen@example.org", "5.1.1"),
    "senders/ses-bounce-sns-envelope.eml": bounce(HARD, "kai.lindqvist@example.com", "5.1.1"),
    "senders/ses-bounce-suppressed.eml": bounce(HARD, "lara.moreno@example.org", "5.1.1"),
    "senders/ses-bounce-transient-mailbox-full.eml": bounce(SOFT, "jon.kaur@example.net", "5.2.2"),
    "senders/ses-delivery.eml": OTHER,
    "senders/sieve-reject-mdn.eml": bounce(SOFT, "gus.holm@example.org", None),
    "senders/softbank-mailbox-full.eml": bounce(SOFT, "yuki.tanaka@softbank.example.net", None),
    # cutshort/: family 4: header-looking lines inside the explanation
    "cutshort/from-rcpt-line.eml": bounce(HARD, "quinn.roth@example.org", "5.1.1"),
    "cutshort/message-id-restated.eml": bounce(SOFT, "vida.wang@example.com", "5.2.2"),
    "cutshort/restated-header-block.eml": bounce(HARD, "saul.tran@example.com", None),
    "cutshort/restated-subject-to.eml": bounce(HARD, "ruth.sandoval@example.net", "5.1.1"),
    "cutshort/sender-recipient-lines.eml": bounce(HARD, "tess.ulloa@example.org", "5.1.1"),
    "cutshort/to-line-then-reason.eml": bounce(HARD, "umar.vidal@example.net", "5.2.1"),
    # brokenmime/: family 5: a boundary that never appears, Action: expired without Status, mislabelled parts
    "brokenmime/boundary-never-appears-delayed.eml": DELAY_WARNING,
    "brokenmime/boundary-never-appears.eml": bounce(HARD, "walt.young@example.org", "5.1.1"),
    "brokenmime/delivery-status-as-text-plain.eml": bounce(HARD, "bea.dahl@example.com", "5.1.1"),
    "brokenmime/expired-no-status-diagnostic.eml": bounce(SOFT, "zelda.brandt@example.org", "4.4.2"),
    "brokenmime/expired-no-status.eml": bounce(SOFT, "yannick.abel@example.com", None),
    "brokenmime/no-boundaries-at-all.eml": bounce(HARD, "xenia.zorn@example.net", "5.2.1"),
    "brokenmime/truncated-report.eml": bounce(HARD, "cai.edwards@example.org", "5.1.1"),
    "brokenmime/uppercase-fields.eml": bounce(HARD, "arne.carlsen@example.net", "5.1.1"),
    # recipients/: family 6: decorated Final-Recipient / Original-Recipient, sendmail transcripts, returned
    # headers
    "recipients/exchange-imceasmtp-final-recipient.eml": bounce(HARD, "rune.moe@example.org", "5.1.1"),
    "recipients/exchange-x500-final-recipient.eml": bounce(HARD, "pia.lund@example.org", "5.1.1"),
    "recipients/final-recipient-comment.eml": bounce(HARD, "raul.soto@example.net", "5.1.1"),
    "recipients/final-recipient-empty-uses-headers.eml": bounce(HARD, "ulrike.vos@example.org", "5.1.1"),
    "recipients/final-recipient-local-type.eml": bounce(HARD, "tobias.ueberall@example.net", "5.1.1"),
    "recipients/final-recipient-pipe-program.eml": bounce(HARD, "petra.quast@example.org", "5.1.1"),
    "recipients/final-recipient-quoted-pipe.eml": bounce(HARD, "nadia|sales@example.org", "5.1.1"),
    "recipients/final-recipient-source-route.eml": bounce(HARD, "oskar.lind@example.org", "5.1.1"),
    "recipients/only-in-returned-headers.eml": bounce(HARD, "yoko.abe@example.net", "5.1.1"),
    "recipients/original-recipient-only.eml": bounce(HARD, "sana.tariq@example.com", "5.1.1"),
    "recipients/sendmail-address-after-5xx-mail-from.eml": bounce(HARD, "wren.xu@example.com", "5.1.1"),
    "recipients/sendmail-address-after-5xx.eml": bounce(HARD, "vance.webb@example.org", "5.1.1"),
    # crlf/: family 7: CR-only line endings
    "crlf/arf-cr-only.eml": complaint("finn.gale@example.org"),
    "crlf/delay-cr-only.eml": DELAY_WARNING,
    "crlf/exim-words-cr-only.eml": bounce(HARD, "dean.elm@example.net", None),
    "crlf/postfix-dsn-cr-only.eml": bounce(SOFT, "erin.fox@example.com", "5.2.2"),
    "crlf/qmail-cr-only.eml": bounce(HARD, "cora.dale@example.org", "5.1.1"),
    "crlf/reply-cr-only.eml": REPLY,
    "crlf/vacation-cr-only.eml": AUTO_REPLY,
    # complaints/: family 8: ARF (RFC 5965 examples, Yahoo, AOL, Outlook JMRP, Comcast), not-spam, Amazon SES
    "complaints/aol-redacted.eml": complaint(None),
    "complaints/comcast-headers-only.eml": complaint("eamon.ford@example.com"),
    "complaints/fraud.eml": complaint("gemma.hart@example.net", "fraud"),
    "complaints/mixed-case-display-name.eml": complaint("hal.irwin@example.com"),
    "complaints/not-spam.eml": OTHER,
    "complaints/outlook-jmrp.eml": complaint("dara.ennis@example.net"),
    "complaints/report-labelled-text-plain.eml": complaint("iris.jansen@example.org"),
    "complaints/rfc5965-extended.eml": complaint("ben.carver@example.org"),
    "complaints/rfc5965-minimal.eml": complaint("ada.byrne@example.net"),
    "complaints/ses-complaint-sns-envelope.eml": complaint("kira.lowe@example.com"),
    "complaints/ses-complaint.eml": complaint("jack.keller@example.net"),
    "complaints/yahoo-fbl.eml": complaint("cleo.dawson@example.com"),
    # vacation/: negatives: out-of-office replies in several languages, with and without Auto-Submitted
    "vacation/closed-mailbox-names-itself.eml": AUTO_REPLY,
    "vacation/dutch-automatisch-antwoord.eml": AUTO_REPLY,
    "vacation/french-reponse-automatique.eml": AUTO_REPLY,
    "vacation/german-abwesenheit.eml": AUTO_REPLY,
    "vacation/german-abwesenheitsnotiz-null-path.eml": AUTO_REPLY,
    "vacation/gmail-vacation-auto-submitted.eml": AUTO_REPLY,
    "vacation/helpdesk-ticket.eml": AUTO_REPLY,
    "vacation/italian-risposta-automatica.eml": AUTO_REPLY,
    "vacation/japanese-auto-submitted.eml": AUTO_REPLY,
    "vacation/left-the-company.eml": AUTO_REPLY,
    "vacation/null-path-zimbra.eml": AUTO_REPLY,
    "vacation/out-of-office-subject-only.eml": AUTO_REPLY,
    "vacation/outlook-automatic-reply.eml": AUTO_REPLY,
    "vacation/portuguese-resposta-automatica.eml": AUTO_REPLY,
    "vacation/russian-avtootvet.eml": AUTO_REPLY,
    "vacation/spanish-respuesta-automatica.eml": AUTO_REPLY,
    "vacation/x-autoreply-header.eml": AUTO_REPLY,
    # delays/: negatives: delay warnings, with and without a DSN part
    "delays/advisory-mailbox-full-postponed.eml": DELAY_WARNING,
    "delays/antivirus-gateway-will-continue.eml": DELAY_WARNING,
    "delays/courier-delayed.eml": DELAY_WARNING,
    "delays/exchange-delay-plain.eml": DELAY_WARNING,
    "delays/exchange-delivery-delayed-dsn.eml": DELAY_WARNING,
    "delays/exim-warning.eml": DELAY_WARNING,
    "delays/german-verzoegert.eml": DELAY_WARNING,
    "delays/gmail-delay-dsn.eml": DELAY_WARNING,
    "delays/gmail-delivery-incomplete.eml": DELAY_WARNING,
    "delays/postfix-dsn-delayed.eml": DELAY_WARNING,
    "delays/postfix-plain-warning.eml": DELAY_WARNING,
    "delays/sendmail-warning.eml": DELAY_WARNING,
    # receipts/: negatives: delivery receipts (delivered, relayed, expanded) and read receipts
    "receipts/exchange-delivered-plain.eml": OTHER,
    "receipts/exchange-relayed.eml": OTHER,
    "receipts/gmail-success.eml": OTHER,
    "receipts/list-expanded.eml": OTHER,
    "receipts/mdn-deleted-unread.eml": OTHER,
    "receipts/mdn-read.eml": OTHER,
    "receipts/mdn-thunderbird.eml": OTHER,
    "receipts/not-read-restating-undeliverable.eml": OTHER,
    "receipts/postfix-delivered.eml": OTHER,
    # replies/: negatives: people who quote a bounce, mention one, forward one, or are named Postmaster
    "replies/delivery-failure-subject-reply.eml": REPLY,
    "replies/forward-with-undeliverable-subject.eml": REPLY,
    "replies/forwarded-bounce-unquoted.eml": REPLY,
    "replies/forwards-a-bounce.eml": OTHER,
    "replies/german-unzustellbar.eml": REPLY,
    "replies/it-admin-explains-rejection.eml": REPLY,
    "replies/mentions-undeliverable.eml": REPLY,
    "replies/pasted-smtp-error.eml": REPLY,
    "replies/person-named-postmaster.eml": REPLY,
    "replies/quotes-a-bounce.eml": REPLY,
    "replies/spanish-ya-no-existe.eml": REPLY,
    # digests/: negatives: list digests that talk about failed deliveries
    "digests/google-groups-digest.eml": OTHER,
    "digests/listserv-digest.eml": OTHER,
    "digests/mailman-digest.eml": OTHER,
    "digests/mime-digest.eml": OTHER,
}
