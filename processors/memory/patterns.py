"""Offline extraction: a few plain sentence shapes a child uses to tell about themselves.

Only clear, first-person statements count ("my dog is called Rex", "I have a cat named Tom",
"my best friend is Mia", "I love dinosaurs", "I'm scared of the dark", "tomorrow is my
birthday"); questions, negations and anything :mod:`processors.memory.privacy` refuses are
skipped. Missing a fact costs little; keeping a wrong or unsafe one costs more.
"""

from __future__ import annotations

import datetime as dt
import re

from processors.memory.privacy import refusal
from processors.results import ProfileFact

_NAME = r"([A-Za-z][a-z'-]{1,20})"
_PETS = (
    r"(dog|puppy|cat|kitten|rabbit|bunny|hamster|guinea pig|fish|goldfish|tortoise|turtle|"
    r"horse|pony|budgie|parrot|bird|lizard|snake|mouse|rat|chicken|gerbil)"
)
_FAMILY = r"(sister|brother|baby sister|baby brother|cousin|grandma|grandpa|granny|nana)"
_CALLED = r"(?:is called|is named|'s called|'s named|'s name is|name is|called|named)"
_THING = r"([a-z][a-z' -]{1,40}?)"
_END = r"(?=\s*(?:[.,!?;]|$|\band\b|\bbut\b|\bbecause\b|\bcos\b|\bso\b|\btoo\b|\bvery\b))"
_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WHEN = r"(today|tomorrow|on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))"
#: words that are never a name or a liked thing on their own
_NOT_A_NAME = {
    "a", "an", "the", "very", "so", "not", "really", "just", "my", "your", "his", "her", "and",
    "big", "little", "called", "named", "is", "it", "that", "this", "you", "me", "him", "them",
    "what", "who", "sad", "happy", "scared", "sleeping", "hungry", "funny", "silly", "naughty",
}  # fmt: skip
_NOT_A_LIKE = {"you", "it", "that", "this", "them", "him", "her", "me", "teddy", "us", "so"}

_I_AM = r"\b(?:i am|i'm|im)"
_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("name", re.compile(rf"\bmy name is {_NAME}\b|{_I_AM} called {_NAME}\b", re.I)),
    ("age", re.compile(rf"{_I_AM} (\d{{1,2}}|[a-z]+)(?: years? old\b|(?=\s*[.!,]|\s*$))", re.I)),
    ("pet", re.compile(rf"\bmy {_PETS} {_CALLED} {_NAME}\b", re.I)),
    (
        "pet",
        re.compile(
            rf"\bi(?: have got| have|'ve got| got) an? (?:new )?{_PETS} {_CALLED} {_NAME}\b", re.I
        ),
    ),
    ("family", re.compile(rf"\bmy {_FAMILY} {_CALLED} {_NAME}\b", re.I)),
    ("friend", re.compile(rf"\bmy (best friend|friend)(?: is| 's|'s) (?:called )?{_NAME}\b", re.I)),
    (
        "likes",
        re.compile(rf"\bmy (?:favourite|favorite) ([a-z]{{3,12}}) is {_THING}{_END}", re.I),
    ),
    ("likes", re.compile(rf"\bi (?:really )?(?:love|like|adore) {_THING}{_END}", re.I)),
    (
        "fear",
        re.compile(
            rf"(?:{_I_AM}|i get|i feel) (?:really |very |a bit )?"
            rf"(?:scared|afraid|frightened) of {_THING}{_END}",
            re.I,
        ),
    ),
    ("event", re.compile(rf"\b{_WHEN} is my ([a-z]+(?: [a-z]+)?)\b", re.I)),
    ("event", re.compile(rf"\bmy ([a-z]+(?: [a-z]+)?) is {_WHEN}\b", re.I)),
    ("event", re.compile(rf"\b{_WHEN},? (?:i am|i'm|we are|we're) going to {_THING}{_END}", re.I)),
    ("event", re.compile(rf"\b(?:i am|i'm|we are|we're) going to {_THING} {_WHEN}\b", re.I)),
]
_NEGATED = re.compile(r"\b(don't|do not|doesn't|not|never|no longer|isn't|wasn't)\b", re.I)


def _clauses(text: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<=[.!?;])\s+|\s*\n\s*", text) if c.strip()]


def _date(when: str, today: dt.date) -> str:
    word = when.lower().removeprefix("on ").strip()
    if word == "today":
        return today.isoformat()
    if word == "tomorrow":
        return (today + dt.timedelta(days=1)).isoformat()
    ahead = (_WEEKDAYS.index(word) - today.weekday()) % 7 or 7
    return (today + dt.timedelta(days=ahead)).isoformat()


def _tidy(value: str) -> str:
    value = re.sub(r"^(to |the |a |an |my |playing with )", "", value.strip(), flags=re.I)
    return " ".join(value.split())


def _fact(kind: str, groups: tuple[str | None, ...], today: dt.date) -> ProfileFact | None:
    got = [g for g in groups if g]
    if kind == "name":
        name = got[0]
        return None if name.lower() in _NOT_A_NAME else ProfileFact("name", "", name.title())
    if kind == "age":
        word = got[0].lower()
        years = int(word) if word.isdigit() else _NUMBERS.get(word)
        return None if years is None else ProfileFact("age", "", str(years))
    if kind in ("pet", "family", "friend"):
        subject, name = got[0].lower(), got[1]
        if name.lower() in _NOT_A_NAME:
            return None
        return ProfileFact(kind, subject, name.title())
    if kind == "likes":
        subject, thing = (got[0].lower(), got[1]) if len(got) == 2 else ("", got[0])
        thing = _tidy(thing)
        words = thing.lower().split()
        if not words or words[0] in _NOT_A_LIKE or len(words) > 4:
            return None
        return ProfileFact("likes", subject, thing.lower())
    if kind == "fear":
        thing = _tidy(got[0])
        return ProfileFact("fear", "", thing.lower()) if thing else None
    # event: (when, what) or (what, when)
    first, second = got[0], got[1]
    when, what = (first, second) if re.match(_WHEN, first, re.I) else (second, first)
    what = _tidy(what).lower()
    if what in _NOT_A_LIKE or len(what.split()) > 4:
        return None
    return ProfileFact("event", _date(when, today), what)


def extract(text: str, today: dt.date) -> tuple[list[ProfileFact], list[str]]:
    """(facts, refusal reasons) found in what the child said on ``today``."""
    facts: list[ProfileFact] = []
    refused: list[str] = []
    for clause in _clauses(text):
        if clause.rstrip().endswith("?"):
            continue  # a question tells nothing about the child
        for kind, pattern in _RULES:
            for match in pattern.finditer(clause):
                before = clause[: match.start()] + match.group(0)
                if _NEGATED.search(before):
                    continue
                fact = _fact(kind, match.groups(), today)
                if fact is None:
                    continue
                why = refusal(fact.kind, fact.subject, fact.value, clause)
                if why is not None:
                    refused.append(f"{fact.kind}: {why}")
                elif fact not in facts:
                    facts.append(fact)
    return facts, refused
