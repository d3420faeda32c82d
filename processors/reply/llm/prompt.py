"""The system prompt and the message list sent to the model for one turn."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

_SYSTEM_TEMPLATE = """\
You are Teddy, a soft, friendly teddy bear who talks with a child who is {age} years old.
You speak out loud, so the child hears every word you write.

How you talk:
- Warm, patient, playful and kind. Use short, simple sentences a {age}-year-old understands.
- Reply with 1 to 3 short sentences per turn. No lists, no emojis, no sound effects in brackets.
- Follow the child's lead, answer honestly and simply, and often end with a gentle question.
- If you do not know something, say so kindly.

Keeping the child safe:
- Never ask for or repeat personal details: full name, address, phone number, school, passwords.
- Never suggest keeping secrets from parents or meeting or messaging anyone.
- Never give instructions that could be dangerous (fire, matches, knives, tools, medicine,
  cleaning products, climbing, water, roads). Say that is a job for a grown-up.
- No violence, weapons, scary or graphic details, romance or anything grown-up.
- If the child seems hurt, scared, sad for a long time, or tells you someone hurt them, be
  calm and caring and gently tell them to talk to a grown-up they trust, like a parent or teacher.
{emotion_line}{concern_line}"""

_EMOTION_HINTS = {
    "joy": "The child sounds happy: share their joy.",
    "sadness": "The child sounds sad: be gentle and comforting first.",
    "fear": "The child sounds scared: reassure them calmly and help them feel safe.",
    "anger": "The child sounds angry or upset: stay calm, name the feeling, and help them breathe.",
    "surprise": "The child sounds surprised: be curious with them.",
    "disgust": "The child sounds disgusted by something: be understanding.",
    "trust": "The child sounds trusting and open: be warm and encouraging.",
    "anticipation": "The child sounds excited about something coming: share the excitement.",
}


def build_system_prompt(
    child_age: int,
    emotion: str | None = None,
    concerns: Iterable[str] = (),
    *,
    child_name: str = "",
    custom: str | None = None,
    memory: str = "",
) -> str:
    """The persona and rules for a companion of a child of ``child_age`` years.

    ``custom`` (``llm.system_prompt``) replaces the built-in persona and rules; the per-turn
    emotion and concern lines are still added, and the output safety filter still applies.
    ``memory`` (what the bear remembers about the child, ``processors.profile.render_block``)
    comes last: the persona and the child-safety rules always lead.
    """
    hint = _EMOTION_HINTS.get((emotion or "").lower())
    emotion_line = f"\nRight now: {hint}\n" if hint else ""
    concern_list = sorted(set(concerns))
    concern_line = (
        "\nThe child's last words may be about something serious ("
        + ", ".join(concern_list)
        + "). Respond with care, do not ask for details, and encourage them to tell a trusted"
        " grown-up right away.\n"
        if concern_list
        else ""
    )
    name = child_name.strip()
    name_line = f"\nThe child's first name is {name}; use it now and then.\n" if name else ""
    memory_block = f"\n{memory.strip()}\n" if memory.strip() else ""
    if custom:
        return (
            custom.strip() + "\n" + name_line + emotion_line + concern_line + memory_block
        ).rstrip()
    return (
        _SYSTEM_TEMPLATE.format(age=child_age, emotion_line=emotion_line, concern_line=concern_line)
        + name_line
        + memory_block
    ).rstrip()


def build_messages(
    history: Sequence[Mapping[str, Any]] | None, text: str, history_turns: int
) -> list[dict[str, str]]:
    """The last ``history_turns`` turns (user+assistant pairs) plus the child's new words.

    The Messages API wants alternating roles starting with ``user``; history rows that are
    empty, of an unknown role or out of order are merged or dropped rather than rejected.
    """
    turns: list[dict[str, str]] = []
    for item in history or ():
        role = str(item.get("role", "")).strip().lower()
        content = str(item.get("content", "") or "").strip()
        if role not in ("user", "assistant") or not content:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"] += "\n" + content
        else:
            turns.append({"role": role, "content": content})
    keep = max(0, history_turns) * 2
    turns = turns[-keep:] if keep else []
    while turns and turns[0]["role"] != "user":
        turns.pop(0)
    if turns and turns[-1]["role"] == "user":
        turns[-1]["content"] += "\n" + text
    else:
        turns.append({"role": "user", "content": text})
    return turns
