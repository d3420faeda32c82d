"""Semantic end-of-turn rules on fixed transcripts, and how long each verdict makes the wait."""

from __future__ import annotations

import pytest

from daemon.hearing.turnend import Turn, TurnWait, judge


@pytest.mark.parametrize(
    "text",
    [
        "Can you tell me a story about a dragon?",
        "I lost my tooth today.",
        "What did you see?",  # a wh-question may end on its verb
        "Who is it from?",  # ... or on a preposition
        "I think so.",
        "I like that.",
        "No.",
        "Good night teddy!",
    ],
)
def test_finished_sentences_are_complete(text: str) -> None:
    assert judge(text) is Turn.COMPLETE


@pytest.mark.parametrize(
    "text",
    [
        "I want a...",  # Whisper's trailing dots
        "We played with the",  # article
        "I don't want to go to",  # preposition
        "Can you tell me about?",  # ... in a yes/no question (Whisper's "?" on a partial)
        "Yesterday I went to the park and",  # conjunction
        "My favourite is your",  # determiner
        "I saw a big.",  # a determiner and an adjective, no noun
        "and then",  # a lone opener
        "So.",
        "Can I have a cookie, um",  # trailing filler
        "My dog is called Biscuit,",  # trailing comma
    ],
)
def test_sentences_that_need_more_are_unfinished(text: str) -> None:
    assert judge(text) is Turn.UNFINISHED


@pytest.mark.parametrize(
    "text",
    [
        "",  # nothing decoded
        "I want.",  # a verb that wants an object, in a statement
        "Can I have?",  # a yes/no question missing its object
        "my colour is",  # no terminal punctuation
        "Dragon.",  # one word that is not a whole answer
        "We played with that.",  # how a cut-off "with the" decodes on some CPUs
    ],
)
def test_sentences_that_may_go_on_are_unsure(text: str) -> None:
    assert judge(text) is Turn.UNSURE


def test_too_few_words_for_the_speech_is_unsure() -> None:
    # 3 words for 1.5 s is plausible, for 6 s of speech the decode lost something
    assert judge("I love you.", speech_s=1.5) is Turn.COMPLETE
    assert judge("I love you.", speech_s=6.0) is Turn.UNSURE


def test_curly_apostrophes_count_as_words() -> None:
    assert judge("Let\u2019s build a rocket ship.") is Turn.COMPLETE


def test_the_wait_follows_the_verdict_and_holds_while_one_is_pending() -> None:
    wait = TurnWait(silence_s=0.4, early_s=0.22, unfinished_s=0.7)
    assert wait.needed_s == 0.4
    wait.expect()
    assert wait.needed_s == 0.7  # a decode is under way: do not cut before it is judged
    wait.decide(Turn.COMPLETE)
    assert wait.needed_s == 0.22 and wait.is_early(0.25) and not wait.is_early(0.4)
    wait.decide(Turn.UNSURE)
    assert wait.needed_s == 0.4
    wait.decide(Turn.UNFINISHED)
    assert wait.needed_s == 0.7
    wait.clear()
    assert wait.needed_s == 0.4


def test_switched_off_the_waits_are_the_plain_silence() -> None:
    wait = TurnWait(silence_s=0.4, early_s=0.0, unfinished_s=0.0)
    wait.expect()
    assert wait.needed_s == 0.4
    wait.decide(Turn.COMPLETE)
    assert wait.needed_s == 0.4 and not wait.is_early(0.3)
