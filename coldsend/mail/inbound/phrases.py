"""What mail systems write, in the languages they write it in: the phrase families that tell a final
delivery failure from a delay warning, a post held for moderation or a person's message.

Every pattern is a flat alternation of short phrases (no nested quantifiers), searched case-insensitively
in text already capped in length, so a search costs time linear in that text.
"""

import re


def _phrases(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(alternatives), re.IGNORECASE)


# A delivery failed, said in words (the reply code may be missing).
FAILURE = _phrases(
    # English
    r"(?:could|can)(?:not|n't| not) be (?:delivered|reached|found)",
    r"(?:could|can)(?:not|n't| not) deliver",
    r"(?:was|were)(?: not|n't) (?:delivered|able to be delivered|sent)",
    r"\bnot delivered\b",
    r"undeliverable",
    r"unable to deliver",
    r"failed to deliver",
    r"delivery (?:has |to the following recipients? )?failed",
    r"delivery failure",
    r"(?:did|does) not reach",
    r"address(?:\(es\)|es)? failed",
    r"following recipients? did not receive",
    r"(?:was|has been|is) (?:automatically )?(?:rejected|refused|discarded)",
    r"rejected (?:your|the) message",
    r"returned to sender|returning message to sender",
    r"not (?:allowed|authori[sz]ed|permitted) to (?:post|send|write)",
    r"only (?:subscribers|members) (?:may|can) post",
    r"non-?members? (?:are not allowed|submission)",
    r"not a member of",
    r"may not exist",
    r"do(?:es)?(?: not|n't) exist",
    r"non-?existent",
    r"no such (?:user|mailbox|address|recipient|domain|list|account)",
    r"user unknown|unknown (?:user|recipient|address|mailbox)",
    r"(?:address|domain|recipient|user) not found",
    r"(?:wasn't|was not|isn't|is not) found",
    r"unroute?able",
    r"not listed in",
    r"not accepting (?:mail|messages)",
    r"mailbox (?:is )?(?:full|unavailable|disabled)",
    r"over quota|quota exceeded",
    r"account (?:is |has been )?(?:disabled|deactivated|closed|suspended)",
    r"not a valid (?:notes mail file|recipient|address)",
    r"(?:mail|message) (?:has|have|was|were) (?:been )?returned|returning to sender",
    r"(?:has|have)(?: not|n't) been delivered|(?:was|were)(?: not|n't) accepted",
    r"failed (?:address|recipient)s?",
    r"(?:unknown|invalid|unresolvable) (?:host|domain)|host unknown",
    r"no valid recipients?|no longer valid|not our customer|address rejected",
    r"(?:user|recipient|address|addressee) (?:not known|unknown)",
    r"invalid (?:final delivery )?(?:recipient|mailbox|address|user)",
    r"bad (?:address|destination)",
    r"(?:was|has been) aborted|could not find a (?:gateway|route|host|mail exchanger)",
    r"(?:encountered|had|has|have) delivery problems?|error occurred while trying to deliver",
    r"error (?:while |in )?delivering",
    r"non-?deliver(?:ed|y|able)",
    # German
    r"nicht (?:zugestellt|zustellbar|erreicht|berechtigt)",
    r"unzustellbar",
    r"zustellung (?:ist )?fehlgeschlagen|sind fehlgeschlagen",
    r"existiert nicht|nicht existiert|gibt es nicht",
    r"empfänger unbekannt|unbekannte[rs]? empfänger|ist unbekannt",
    r"keine berechtigung|abgelehnt",
    r"postfach (?:ist )?voll",
    # French
    r"n'a pas pu (?:être|etre) (?:remis|délivré|delivre|distribué|distribue|livré|livre|acheminé|achemine)",
    r"non (?:remis|distribué|distribue|délivré|delivre)",
    r"(?:échec|echec) de (?:la )?(?:remise|livraison|distribution)",
    r"(?:adresse|destinataire|utilisateur) inconnu",
    r"n'existe (?:pas|peut-être pas|peut-etre pas)",
    r"(?:pas|plus) autorisé|a été rejeté|a ete rejete|ont échoué|ont echoue",
    r"(?:boîte|boite) (?:aux lettres )?pleine",
    # Spanish
    r"no (?:se )?(?:ha )?(?:podido|pudo|puede) (?:ser )?entrega",
    r"no (?:fue|ha sido) entregado|no entregado",
    r"usuario desconocido|no existe|no exista",
    r"(?:no tienes?|no tenga|no tengas) permiso|no está autorizado|no esta autorizado|rechazad[oa]",
    r"buz[óo]n (?:de correo )?lleno",
    # Italian
    r"non (?:è|e'|e) stato (?:possibile )?recapitat[oa]",
    r"non (?:recapitabile|recapitato)|impossibile recapitare",
    r"utente sconosciuto|non esiste|inesistente",
    r"respint[oa]|rifiutat[oa]|non sei (?:autorizzato|iscritto)",
    r"casella (?:di posta )?piena",
    # Dutch
    r"(?:kon|kan) niet (?:worden )?(?:afgeleverd|bezorgd)",
    r"niet (?:afgeleverd|bezorgd)|onbestelbaar",
    r"bestaat niet|onbekende? (?:ontvanger|gebruiker|adres)",
    r"geweigerd|niet toegestaan|mailbox (?:is )?vol",
    # Portuguese
    r"n(?:ão|ao) foi poss[íi]vel entregar",
    r"n(?:ão|ao) (?:pôde|pode) ser entregue",
    r"n(?:ão|ao) (?:foi )?entregue",
    r"(?:usuário|usuario|utilizador) desconhecido|n(?:ão|ao) existe",
    r"rejeitad[oa]|n(?:ão|ao) tem permiss(?:ão|ao)",
    r"caixa (?:de correio )?(?:cheia|lotada)",
    # Russian
    r"не (?:может быть|могло быть|было|удалось|смогли) (?:\w+ )?достав",
    r"не доставлен|недоставленн|не существует|несуществующ|не найден|отклонен|переполнен",
    # Japanese, Chinese
    r"(?:配信|送信|お届け)(?:でき|出来)ませんでした|届きませんでした|届けられませんでした",
    r"宛先不明|存在しません|存在しない|権限がない|権限がありません|受信拒否|配信不能|見つかりません",
    r"无法(?:传递|投递|送达)|投递失败|退信|不存在|找不到",
)

# The failure is final, said in so many words.
PERMANENT = _phrases(
    r"permanent (?:delivery )?(?:error|failure)",
    r"permanent(?:ly)? fatal",
    r"failed permanently",
    r"will not (?:try|attempt) to (?:re)?deliver",
    r"(?:dauerhafter|permanenter) fehler",
    r"erreur permanente|error permanente|errore permanente|permanente fout|erro permanente",
    r"постоянная ошибка",
)
# The mail system retried and stopped: the failure is final even when it quotes a temporary (4xx) reply.
RETRIES_EXHAUSTED = _phrases(
    r"(?:given|gave|giving) up",
    r"not going to try again",
    r"too long in (?:the )?queue|in the queue too long|queue period",
    r"retry timeout exceeded",
    r"(?:deleted|removed) from (?:the )?(?:mail )?queue",
    r"in the time limit specified",
    r"(?:delivery time|message) (?:has )?expired|queue\.expired",
    r"after \d+ (?:delivery )?attempt|maximum (?:delivery )?attempts|delivery attempts exceeded",
    r"aborted after|not delivered within \d|not been collected",
)


def gave_up(text: str) -> bool:
    return PERMANENT.search(text) is not None or RETRIES_EXHAUSTED.search(text) is not None


# Still being tried: a warning, not a failure.
DELAY = _phrases(
    r"\bdelay(?:ed)?\b",
    r"warning (?:message )?only",
    r"not yet been delivered",
    r"(?:hasn't|has not|have not|haven't) been delivered yet",
    r"delivery incomplete",
    r"(?:still being|will be) retried",
    r"will (?:retry|continue|keep trying)",
    r"(?:keep|still) trying",
    r"(?:do not|don't|no) need to resend",
    r"no action is required",
    r"temporary problem",
    r"still undelivered|postponed",
    r"verz(?:ö|oe)gert|noch nicht zugestellt|weitere zustellversuche",
    r"retardé|retarde|différé|pas encore (?:été|ete) (?:remis|distribué)",
    r"retrasad[oa]|demorad[oa]|todav[íi]a no",
    r"ritardat[oa]|non ancora",
    r"vertraagd|nog niet (?:afgeleverd|bezorgd)",
    r"atrasad[oa]|ainda n(?:ão|ao)",
    r"задерж",
    r"遅延|延迟",
)

# A list post held for a moderator: not delivered yet, not failed either.
PENDING = _phrases(
    r"awaits? (?:the )?moderat",
    r"awaiting (?:the )?moderat",
    r"moderator(?:'s)? approval",
    r"(?:is being|been) held",
    r"held for (?:moderation|approval)",
    r"pending (?:moderation|approval)",
    r"wartet auf (?:die )?(?:freigabe|moderation)",
    r"en attente de (?:modération|moderation|validation)",
    r"pendiente de (?:moderación|moderacion|aprobación|aprobacion)",
    r"in attesa di (?:moderazione|approvazione)",
)

# Subjects mail systems give their reports (found anywhere in a subject that is no reply or forward).
REPORT_SUBJECT = _phrases(
    r"undeliver|non-?deliver|returned mail|returned to sender|returning message|returning to sender",
    r"mail failed|failed mail|error during delivery",
    r"delivery (?:status|failure|failed|notification|problem|report|has failed|delayed)",
    r"mail delivery|failure notice|mail failure|mail system error|not delivered|could not be delivered",
    r"message status|delivery status|rejected|non-?member|non-?existent|no such list|^bounce\b",
    r"delayed mail|message delayed|warning: could not send",
    r"unzustellbar|nicht zugestellt|zustellung|fehlgeschlagen|abgelehnt|verz(?:ö|oe)gert",
    r"non remis|non distribu|non délivr|(?:échec|echec) de|rejet",
    r"no se puede entregar|no entregado|rechazad|notificación del estado",
    r"non recapit|respint|rifiutat",
    r"onbestelbaar|niet afgeleverd|niet bezorgd",
    r"n(?:ão|ao) entregue|n(?:ão|ao) é possível entregar|rejeitad",
    r"недостав|не доставлен|не удалось доставить",
    r"エラー|未配信|配信|返送|无法投递|退信|未送达",
)
# Subjects that say a delivery failed: evidence of their own, from a mail system whose text says nothing.
FAILURE_SUBJECT = _phrases(
    r"undeliver|non-?deliver|returned mail|returned to sender|returning (?:message )?to sender",
    r"delivery fail|failure notice|mail failure|failed mail|mail failed|mail system error",
    r"not delivered|could not be delivered|rejected|error during delivery",
    r"unzustellbar|nicht zugestellt|fehlgeschlagen|non remis|non distribu|non délivr",
    r"no se puede entregar|no entregado|non recapit|onbestelbaar|niet afgeleverd|n(?:ão|ao) entregue",
    r"недостав|不能|エラー|退信|无法投递",
)
# A subject that answers or forwards another message: what follows is the other message's subject.
# Receipts prefix the subject they are about in the same way ("Read: ...", "Delivered: ...").
REPLY_PREFIX = re.compile(
    r"^\s*(?:re|fw|fwd|aw|wg|tr|rv|sv|vs|antw|odp|r|i|ynt|回复|转发|返信|転送"
    r"|read|not read|delivered|relayed|gelesen|nicht gelesen|lu|non lu|le[íi]do|no le[íi]do|letto|non letto"
    r"|gelezen|niet gelezen|lido|n(?:ão|ao) lido)\s*(?:\[\d+\])?\s*[:：]",
    re.IGNORECASE,
)
# A person forwarding a message, a report included.
FORWARD_PREFIX = re.compile(r"^\s*(?:fw|fwd|wg|tr|rv|i|doorst|転送|转发)\s*[:：]", re.IGNORECASE)

# The opening lines only mail software writes.
MTA_BOILERPLATE = _phrases(
    r"this is the mail system at host",
    r"this is the (?:postfix|qmail-send) program",
    r"created automatically by mail delivery software",
    r"delivery status notification",
    r"the original message was received at",
    r"running the courier mail server",
    r"message from interscan",
    r"permanent fatal delivery errors",
    r"delivery to the following recipients? failed",
    r"vom mailsystem erstellt",
    r"par le logiciel de remise du courrier",
)

# Where an explanation ends and a copy of the returned message begins.
RETURNED_MESSAGE_SEPARATOR = _phrases(
    r"original message|returned message|undelivered message|unsent message|copy of the message|old message",
    r"forwarded message|weitergeleitete nachricht|message transféré|mensaje reenviado|messaggio inoltrato",
    r"below this line|message follows|message headers|original headers|headers of the original",
    r"kopie der nachricht|originalnachricht|ursprüngliche nachricht",
    r"message d'origine|message original|mensaje original|messaggio originale|copia del messaggio",
    r"oorspronkelijk bericht|mensagem original|исходное сообщение|元のメッセージ|原始邮件",
)

# Addresses that belong to mail software or a list's administration, never a failed recipient.
SYSTEM_LOCAL_PART = re.compile(
    r"(?:mailer[-_.]?daemon|mail[-_.]?daemon|postmaster|mdaemon|mailman|listserv|majordomo|sympa|ezmlm"
    r"|abuse|hostmaster|root|microsoftexchange[0-9a-f]{32}|no[-_.]?reply)"
    r"|.+-(?:owner|request|bounces|admin)|owner-.+",
    re.IGNORECASE,
)
# Senders that are mail software: the address's local part, or the whole display name.
SYSTEM_SENDER_LOCAL_PART = re.compile(
    r"(?:mailer[-_.]?daemon|mail[-_.]?daemon|post[-_.]?master|mdaemon|microsoftexchange[0-9a-f]{32}"
    r"|mailer|mail[-_.]?admin|mail[-_.]?delivery|bounces?)(?![a-z])",
    re.IGNORECASE,
)
SYSTEM_SENDER_NAME = re.compile(
    r"(?:the )?(?:e-?mail|mail(?:er)?|smtp|mta|internet mail) ?(?:delivery )?(?:system|subsystem|service"
    r"|server|daemon|administrator|admin|robot|gateway|agent|router)(?: at .*)?|(?:mail )?delivery (?:system"
    r"|subsystem|service)|mailer[-_ ]daemon|postmaster|system administrator|courier mail server at .*",
    re.IGNORECASE,
)
# A mailing list's software or administrators.
LIST_ADMIN_LOCAL_PART = re.compile(
    r"mailman|listserv|majordomo|sympa|ezmlm|.+-(?:owner|request|bounces|admin)|owner-.+", re.IGNORECASE
)

# A field of the original message that a report restates ("Subject: ..."): its words are the sender's.
RESTATED_FIELD = re.compile(
    r"[ \t>*-]*(?:subject|to|from|date|sent|cc|betreff|objet|asunto|oggetto|onderwerp|assunto|тема|件名)"
    r"[ \t]*[:：]",
    re.IGNORECASE,
)
# Lines of an SMTP dialogue, as reports transcribe it: "RCPT TO:<a@b>", ">>> DATA", "<<< 550 ...".
SMTP_DIALOGUE = re.compile(
    r"^[ \t]*(?:(?:>>>|<<<|-->|<--)[ \t]*)?(?:rcpt to|mail from)[ \t]*:"
    r"|^[ \t]*(?:<<<|<--)?[ \t]*5[0-5]\d[ -]",
    re.IGNORECASE | re.MULTILINE,
)
