"""The offline responder: kind, simple replies when Claude cannot be reached (no key, API down).

It is honest about what it is: it recognises a handful of intents and the child's emotion and
answers with varied, age-appropriate lines; it does not pretend to understand everything. Every
result it feeds is labelled ``offline`` by the response stage.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

_INTENTS: list[tuple[str, re.Pattern[str]]] = [
    (
        "goodbye",
        re.compile(
            r"\b(good ?bye|bye|see you|good ?night|night night|i have to go|gotta go)\b", re.I
        ),
    ),
    ("greeting", re.compile(r"\b(hello|hi|hey|hiya|good morning|good afternoon)\b", re.I)),
    (
        "name",
        re.compile(r"\b(what'?s|what is) your name\b|\bwho are you\b|\bmy name is\b", re.I),
    ),
    (
        "play",
        re.compile(
            r"\b(play|game|games|pretend|hide and seek|story|stories|sing|song|draw)\b", re.I
        ),
    ),
    ("thanks", re.compile(r"\b(thank you|thanks)\b", re.I)),
    (
        "question",
        re.compile(
            r"\?\s*$|^\s*(why|what|how|where|when|who|which|can|could|do|does|is|are|will)\b", re.I
        ),
    ),
]

_LINES: dict[str, Sequence[str]] = {
    "concern": (
        "Thank you for telling me. That sounds really important. "
        "Please tell a grown-up you trust, like your mum, dad or teacher, right now.",
        "I'm so glad you told me. You are not in trouble. "
        "Please go and tell a grown-up you trust about this straight away.",
    ),
    "fear": (
        "It's okay to feel scared. I'm right here with you. Let's take a big slow breath together.",
        "You are brave for telling me you feel scared. "
        "A cuddle with a grown-up you love can help a lot.",
        "Scary feelings can pass, like clouds. Shall we breathe in slowly and out slowly?",
    ),
    "sadness": (
        "I'm sorry you feel sad. I'm here, and I'm listening.",
        "Sad feelings are okay. Would a big teddy hug help a little?",
        "It's alright to feel sad sometimes. Maybe a grown-up you love can give you a cuddle too.",
    ),
    "anger": (
        "It sounds like you feel cross. Let's blow out slowly, like blowing on hot soup.",
        "Being angry is a big feeling. Let's squeeze our hands tight, then let them go floppy.",
    ),
    "goodbye": (
        "Bye bye! I'll be right here when you come back.",
        "Goodbye, my friend! Thank you for talking with me.",
        "See you soon! Have a lovely time.",
    ),
    "greeting": (
        "Hello, friend! It's so nice to hear your voice.",
        "Hi there! I'm happy you came to talk to me.",
        "Hello! How are you feeling today?",
    ),
    "name": (
        "I'm Teddy, your cuddly bear friend!",
        "My name is Teddy. I love hugs and stories!",
    ),
    "play": (
        "I love playing! Shall we pretend we are explorers in a jungle?",
        "Let's play a game! Can you find something in your room that is blue?",
        "How about a story? Once upon a time, a little bear found a shiny red leaf.",
    ),
    "thanks": (
        "You're very welcome!",
        "Thank you for being so kind!",
    ),
    "question": (
        "That's a great question! My thinking cap is resting right now, "
        "so let's ask a grown-up together later.",
        "Ooh, good question! I can't look that up right now. What do you think the answer is?",
        "I love your questions! I'm not sure right now. Maybe a grown-up can help us find out.",
    ),
    "joy": (
        "You sound so happy! That makes me happy too.",
        "Yay! Tell me more about it!",
    ),
    "default": (
        "I'm listening. Tell me more!",
        "That sounds interesting! What happens next?",
        "I love talking with you. What would you like to do now?",
        "Hmm, tell me more about that!",
    ),
}

#: a short line said when a reply broke off part-way through
INTERRUPTED_LINE = "Oops, my thoughts got a little muddled. Can you tell me again?"


#: kinds of line that a remembered name may follow (never a concern, a fear or a goodbye)
_PERSONAL_KINDS = ("default", "joy", "play", "question", "greeting")
_WORDS = re.compile(r"[a-z']+")


def personal_touch(text: str, facts: Sequence[Mapping[str, Any]]) -> str:
    """ "I remember Rex, your dog!" when the child mentions a remembered pet, friend or family
    member (by name or by what they are); "" otherwise."""
    said = set(_WORDS.findall(text.lower()))
    for fact in facts:
        kind = fact.get("kind")
        subject = str(fact.get("subject") or "").lower()
        value = str(fact.get("value") or "")
        if kind not in ("pet", "friend", "family") or not value.isalpha() or not subject:
            continue
        if value.lower() in said or set(_WORDS.findall(subject)) <= said:
            return f"I remember {value}, your {subject}!"
    return ""


def detect_intent(text: str) -> str | None:
    for intent, pattern in _INTENTS:
        if pattern.search(text):
            return intent
    return None


class OfflineResponder:
    """Chooses a reply line from the child's words, emotion and any input-safety concern."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng or random.Random()
        self._last: dict[str, str] = {}

    def reply(
        self,
        text: str,
        emotion: str | None = None,
        concerns: Iterable[str] = (),
        facts: Sequence[Mapping[str, Any]] = (),
    ) -> str:
        """A line for the child; ``facts`` (what the bear remembers, best first) may add a
        personal touch when the child talks of their pet, friend or family."""
        kind = self.kind_of(text, emotion, concerns)
        line = self._pick(kind)
        if kind in _PERSONAL_KINDS:
            touch = personal_touch(text, facts)
            if touch:
                line = f"{line} {touch}"
        return line

    @staticmethod
    def kind_of(text: str, emotion: str | None = None, concerns: Iterable[str] = ()) -> str:
        """Which kind of line fits: a safety concern first, then feelings, then intents."""
        if any(True for _ in concerns):
            return "concern"
        intent = detect_intent(text)
        if intent in ("goodbye", "greeting", "name"):
            return intent
        feeling = (emotion or "").lower()
        if feeling in ("fear", "sadness", "anger"):
            return feeling
        if intent is not None:
            return intent
        return "joy" if feeling == "joy" else "default"

    def _pick(self, kind: str) -> str:
        lines = _LINES[kind]
        # vary: never the same line twice in a row for the same kind
        choices = [line for line in lines if line != self._last.get(kind)] or list(lines)
        line = self._rng.choice(choices)
        self._last[kind] = line
        return line
