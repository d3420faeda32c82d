"""Facts proposed by Claude through a structured tool call (Anthropic tool use, ``anthropic`` SDK).

The model is forced to call ``remember_facts`` with a list of ``{kind, subject, value}``; every
proposal still passes :func:`processors.memory.privacy.refusal`, so the model cannot make the bear
keep an address or a disclosure. Only the child's words of this turn are sent: nothing from the
stored profile leaves the device here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from processors.memory.privacy import KINDS, MAX_SUBJECT_CHARS, MAX_VALUE_CHARS, refusal
from processors.results import ProfileFact

if TYPE_CHECKING:
    import anthropic

TOOL_NAME = "remember_facts"
MAX_FACTS = 5

TOOL: dict[str, Any] = {
    "name": TOOL_NAME,
    "description": "Record lasting facts a young child just told about themselves. "
    "Only clear, first-person statements; an empty list when there are none.",
    "input_schema": {
        "type": "object",
        "properties": {
            "facts": {
                "type": "array",
                "maxItems": MAX_FACTS,
                "items": {
                    "type": "object",
                    "properties": {
                        "kind": {"type": "string", "enum": list(KINDS)},
                        "subject": {
                            "type": "string",
                            "maxLength": MAX_SUBJECT_CHARS,
                            "description": "pet: the animal (dog); family/friend: the relation "
                            "(sister, best friend); likes: a favourite's category or ''; event: "
                            "its date as YYYY-MM-DD or ''; else ''",
                        },
                        "value": {
                            "type": "string",
                            "maxLength": MAX_VALUE_CHARS,
                            "description": "a first name, an age in years, a liked or feared "
                            "thing, or the event (birthday, going to the zoo)",
                        },
                    },
                    "required": ["kind", "subject", "value"],
                },
            }
        },
        "required": ["facts"],
    },
}

_SYSTEM = """\
You note what a young child tells their teddy bear about themselves, so the bear can remember it
on another day: their first name, age, pets and their names, family members' and friends' first
names, things they like, things they are scared of, and upcoming events (birthday, a trip).
Rules: only what the child clearly says about themselves now; nothing guessed. Never record
addresses, phone numbers, e-mails, passwords, school names, secrets, or anything about someone
hurting the child. Today is {today}. Call the tool once."""


def parse_tool_input(data: object, said: str) -> tuple[list[ProfileFact], list[str]]:
    """The tool call's ``input`` as checked facts, and the reasons for those refused."""
    facts: list[ProfileFact] = []
    refused: list[str] = []
    items = data.get("facts") if isinstance(data, Mapping) else None
    if not isinstance(items, list):
        return [], ["the tool input has no facts list"]
    for item in items[:MAX_FACTS]:
        if not isinstance(item, Mapping):
            continue
        kind = str(item.get("kind", "")).strip().lower()
        subject = " ".join(str(item.get("subject", "") or "").split()).lower()
        value = " ".join(str(item.get("value", "") or "").split())
        if kind in ("name", "pet", "family", "friend"):
            value = value.title()
        elif kind in ("likes", "fear", "event"):
            value = value.lower()
        why = refusal(kind, subject, value, said)
        if why is not None:
            refused.append(f"{kind}: {why}")
            continue
        fact = ProfileFact(kind, subject, value)
        if fact not in facts:
            facts.append(fact)
    return facts, refused


class ToolExtractor:
    """``await extractor.extract(text, today)`` -> (facts, refused); raises the SDK's errors."""

    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        base_url: str | None = None,
        timeout_s: float = 10.0,
        max_retries: int = 1,
    ) -> None:
        self.model = model
        self._settings: dict[str, Any] = {
            "api_key": api_key,
            "base_url": base_url,
            "timeout": timeout_s,
            "max_retries": max_retries,
        }
        self._client: anthropic.AsyncAnthropic | None = None

    def _sdk(self) -> anthropic.AsyncAnthropic:
        if self._client is None:
            import anthropic  # ~1 s to import: on first use, in the stage's own task

            self._client = anthropic.AsyncAnthropic(**self._settings)
        return self._client

    async def extract(self, text: str, today: dt.date) -> tuple[list[ProfileFact], list[str]]:
        message = await self._sdk().messages.create(
            model=self.model,
            max_tokens=400,
            system=_SYSTEM.format(today=today.isoformat()),
            messages=[{"role": "user", "content": text}],
            tools=[cast("anthropic.types.ToolParam", TOOL)],
            tool_choice={"type": "tool", "name": TOOL_NAME},
        )
        for block in message.content:
            if getattr(block, "type", None) == "tool_use" and block.name == TOOL_NAME:  # type: ignore[union-attr]
                return parse_tool_input(block.input, text)  # type: ignore[union-attr]
        return [], ["the model did not call the tool"]

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
