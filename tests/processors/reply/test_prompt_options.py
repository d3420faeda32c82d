"""`child.name` and `llm.system_prompt` reach the system prompt."""

from __future__ import annotations

from processors.reply.llm.prompt import build_system_prompt


def test_the_childs_name_is_offered_to_the_model() -> None:
    assert "first name is Mia" in build_system_prompt(5, child_name="Mia")
    assert "first name" not in build_system_prompt(5, child_name="  ")


def test_a_custom_prompt_replaces_the_persona_but_keeps_the_turn_hints() -> None:
    prompt = build_system_prompt(
        6, "fear", ["danger_disclosure"], custom="You are Pip, a calm owl.", child_name="Leo"
    )
    assert prompt.startswith("You are Pip, a calm owl.")
    assert "Teddy" not in prompt
    assert "scared" in prompt and "danger_disclosure" in prompt and "Leo" in prompt
