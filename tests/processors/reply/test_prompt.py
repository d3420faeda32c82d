"""The system prompt and the message list for a turn."""

from __future__ import annotations

from processors.reply.llm.prompt import build_messages, build_system_prompt


def test_system_prompt_names_age_rules_and_emotion() -> None:
    prompt = build_system_prompt(6, "fear")
    assert "6 years old" in prompt
    assert "1 to 3 short sentences" in prompt
    assert "address" in prompt and "grown-up" in prompt
    assert "scared" in prompt


def test_system_prompt_mentions_input_concerns_only_when_present() -> None:
    assert "serious" not in build_system_prompt(5)
    assert "abuse_disclosure" in build_system_prompt(5, None, ["abuse_disclosure"])


def test_messages_keep_the_last_turns_and_end_with_the_child() -> None:
    history = [
        {"role": "user", "content": f"u{i}"}
        if i % 2 == 0
        else {"role": "assistant", "content": f"a{i}"}
        for i in range(10)
    ]
    messages = build_messages(history, "now", history_turns=2)
    assert [m["content"] for m in messages] == ["u6", "a7", "u8", "a9", "now"]
    assert messages[0]["role"] == "user"


def test_messages_tolerate_bad_history_rows() -> None:
    history = [
        {"role": "assistant", "content": "orphan"},
        {"role": "system", "content": "ignored"},
        {"role": "user", "content": ""},
        {"role": "user", "content": "one"},
        {"role": "user", "content": "two"},
    ]
    messages = build_messages(history, "three", history_turns=5)
    assert messages == [{"role": "user", "content": "one\ntwo\nthree"}]


def test_no_history_turns_means_only_the_new_words() -> None:
    history = [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]
    assert build_messages(history, "hi", history_turns=0) == [{"role": "user", "content": "hi"}]
