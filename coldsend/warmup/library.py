"""The built-in library warmup mail is written from: plain-text openers and replies that read like short
notes between colleagues, put together from parts so that no two messages need be alike. No links, no
images, no tracking: only text.

`opener(rng, ...)` and `reply(rng, ...)` take a `random.Random` seeded by the caller (per message), so a
message's text is fixed once it is planned.
"""

import random
from dataclasses import dataclass

SUBJECTS = (
    "Quick question about next week",
    "Notes from our call",
    "Following up on the schedule",
    "Thoughts on the draft",
    "Lunch on Thursday?",
    "Small change to the plan",
    "Agenda for Monday",
    "Checking in",
    "The numbers you asked for",
    "Idea for the workshop",
    "Can we move our meeting?",
    "Feedback on the proposal",
    "Travel dates",
    "A book you might like",
    "Update on the office move",
    "Coffee sometime this week?",
    "Question about the invoice",
    "Recap of today",
    "Planning the team offsite",
    "One more thing",
)
GREETINGS = ("Hi {name},", "Hello {name},", "Hey {name},", "Good morning {name},", "{name},", "Hi there,")
OPENINGS = (
    "I hope your week is going well.",
    "Thanks again for the help yesterday.",
    "It was good to catch up last time.",
    "Sorry for the slow reply on my side.",
    "I was just thinking about what you said.",
    "Hope the trip went smoothly.",
    "I finally had a moment to look at this.",
    "Quick one before I forget.",
)
TOPICS = (
    "I went through the draft again and the second section reads much better now.",
    "Would Tuesday afternoon work for a short call, or is Wednesday better for you?",
    "I put the figures together in a spreadsheet, and the trend looks steadier than we thought.",
    "The venue can take twenty people, so we have room if a few more want to join.",
    "I spoke with the team and everyone seems happy with the new timeline.",
    "There is a small typo on the last page, otherwise I think it is ready to go.",
    "I found a nice place near the station that does good soup, if you fancy it.",
    "The supplier came back to me and they can deliver by the end of the month.",
    "I moved our meeting to half past two so we do not clash with the review.",
    "I read the article you sent and I agree with most of it, especially the part on planning.",
    "We could split the work so that you take the research and I write it up.",
    "The printer on the third floor is fixed, in case you were still waiting on it.",
    "I would like to get your view before I send it to the others.",
    "I booked the small meeting room for Friday morning, from ten until eleven.",
)
QUESTIONS = (
    "Does that work for you?",
    "What do you think?",
    "Let me know if anything needs changing.",
    "Any thoughts before I go ahead?",
    "Would that suit you?",
    "Happy to talk it through if that is easier.",
    "",
)
SIGN_OFFS = ("Thanks,", "Best,", "Cheers,", "Talk soon,", "Kind regards,", "All the best,", "Many thanks,")
REPLY_OPENINGS = (
    "Thanks for the note.",
    "Thanks, that is helpful.",
    "Good to hear from you.",
    "Thanks for sending this over.",
    "Appreciate the update.",
    "Thanks for thinking of me.",
)
REPLY_BODIES = (
    "That works for me, let us go with it.",
    "Sounds good. I will keep the afternoon free.",
    "I had a look and I am happy with it as it is.",
    "Good idea. I will mention it to the others as well.",
    "Yes, that suits me. I will bring the notes.",
    "I agree. Let us pick it up again next week.",
    "Perfect, thanks for sorting that out.",
    "Makes sense to me. I will send my part by Friday.",
    "Great, I will put it in the calendar.",
    "Thanks, I had not seen that yet. Very useful.",
)


@dataclass(frozen=True, slots=True)
class Text:
    subject: str
    body: str


def _first_name(name: str) -> str:
    return name.strip().split(" ")[0] if name.strip() else ""


def _greeting(rng: random.Random, name: str) -> str:
    first = _first_name(name)
    choices = GREETINGS if first else ("Hi there,", "Hello,", "Hi,")
    return rng.choice(choices).format(name=first)


def _sign_off(rng: random.Random, sender_name: str) -> str:
    first = _first_name(sender_name)
    return f"{rng.choice(SIGN_OFFS)}\n{first}" if first else rng.choice(SIGN_OFFS)


def _with_tag(body: str, tag: str | None) -> str:
    return f"{body}\n\n{tag}" if tag else body


def opener(rng: random.Random, *, sender_name: str, recipient_name: str, tag: str | None = None) -> Text:
    """A short first message: greeting, one or two sentences, maybe a question, a sign-off."""
    topics = rng.sample(TOPICS, k=rng.choice((1, 1, 2)))
    middle = " ".join([rng.choice(OPENINGS), *topics])
    question = rng.choice(QUESTIONS)
    paragraphs = [_greeting(rng, recipient_name), f"{middle} {question}".strip(), _sign_off(rng, sender_name)]
    return Text(subject=rng.choice(SUBJECTS), body=_with_tag("\n\n".join(paragraphs), tag))


def reply(
    rng: random.Random, *, subject: str, sender_name: str, recipient_name: str, tag: str | None = None
) -> Text:
    """An answer to `subject`: `Re: subject`, a line or two back."""
    middle = f"{rng.choice(REPLY_OPENINGS)} {rng.choice(REPLY_BODIES)}"
    paragraphs = [_greeting(rng, recipient_name), middle, _sign_off(rng, sender_name)]
    shown = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    return Text(subject=shown, body=_with_tag("\n\n".join(paragraphs), tag))
