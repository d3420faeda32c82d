"""What the bear must never keep about a child, and the shape a kept fact must have.

Extraction is conservative on purpose: a fact is short, plain words, of a known kind; anything
that looks like personal data (addresses, phone numbers, e-mails, passwords, schools) or like a
disclosure that is not the bear's to repeat (someone hurting the child, secrets) is refused.
"""

from __future__ import annotations

import re

#: the kinds of facts the bear keeps, in the order they matter for a reply
KINDS = ("name", "age", "pet", "family", "friend", "event", "likes", "fear")
MAX_VALUE_CHARS = 40
MAX_SUBJECT_CHARS = 24

_PERSONAL = re.compile(
    r"\b(address|street|road|avenue|lane|drive|postcode|zip|live[sd]? (at|on|in)|"
    r"phone|number|mobile|e-?mail|password|passcode|pin|secret|school|teacher'?s? name|"
    r"credit card|bank)\b|@|https?:|www\.",
    re.I,
)
_DIGITS = re.compile(r"\d")
# Disclosures are for a trusted grown-up (the parent alert does that), not for the bear's memory.
_HARM = re.compile(
    r"\b(hit|hits|hurt|hurts|hurting|touch|touches|touched|kill|die|dead|blood|knife|gun|"
    r"smack|smacks|punch|kick|kicks|abuse|drunk|police|naked|sex)\b",
    re.I,
)
_PEOPLE = re.compile(
    r"\b(dad|daddy|mum|mummy|mom|mommy|mother|father|uncle|aunt|auntie|grandpa|grandma|"
    r"granny|brother|sister|teacher|man|men|woman|lady|stranger|someone|somebody|he|she|they|"
    r"him|her|them|people|person|babysitter|nanny)\b",
    re.I,
)
_PLAIN = re.compile(r"^[A-Za-z][A-Za-z' -]*$")


def refusal(kind: str, subject: str, value: str, said: str = "") -> str | None:
    """Why this fact must not be kept (one short reason), or None if it may."""
    if kind not in KINDS:
        return f"unknown kind {kind!r}"
    text = f"{subject} {value}"
    if not value.strip():
        return "empty value"
    if len(value) > MAX_VALUE_CHARS or len(subject) > MAX_SUBJECT_CHARS:
        return "too long"
    if _PERSONAL.search(text) or _PERSONAL.search(said):
        return "personal data"
    if _HARM.search(text) or _HARM.search(said):
        return "a disclosure for a grown-up"
    if kind == "age":
        return None if value.isdigit() and 1 <= int(value) <= 17 else "not an age"
    if kind == "event":
        if _DIGITS.sub("", subject) != "--" and subject:  # the subject is an ISO date or empty
            return "not a date"
        return None if _PLAIN.match(value) else "not plain words"
    if kind == "fear" and _PEOPLE.search(value):
        return "a fear of a person"  # may be a disclosure; the bear must not repeat it
    if _DIGITS.search(text):
        return "contains a number"
    if not _PLAIN.match(value) or (subject and not _PLAIN.match(subject)):
        return "not plain words"
    return None
