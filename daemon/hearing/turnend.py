"""Semantic end-of-turn: is the speculative transcript at a pause a finished utterance?

At a short pause (``vad.pause_ms``) hearing already decodes the audio so far. Rules over that text
say whether the child has clearly finished (the endpointer may then close the turn after
``vad.early_silence_ms`` instead of ``vad.silence_ms``), clearly has not (it waits
``vad.unfinished_silence_ms``: children pause mid-thought), or cannot tell (the normal wait).

Deterministic and cheap: word lists and Whisper's punctuation, no model. Erring towards "unsure"
costs only the usual 400 ms; erring towards "complete" cuts a child off, so "complete" needs
positive evidence: terminal punctuation, no word that demands a continuation, enough words for
the audio's length.
"""

from __future__ import annotations

import enum
import re


class Turn(enum.Enum):
    COMPLETE = "complete"  # a finished statement or question: end the turn early
    UNFINISHED = "unfinished"  # ends on a word that needs more: wait longer
    UNSURE = "unsure"  # the normal wait


# Words after which a statement cannot stop: it needs what comes next. Words that also end
# sentences ("I like that", "I think so", "come in", "not yet") are left out on purpose.
ARTICLES = frozenset("a an the".split())
DETERMINERS = frozenset("my your our their its every each another".split())
# before an adjective that ends the text ("a big ...", "her little ...")
NOUN_OPENERS = ARTICLES | DETERMINERS | frozenset("his her some this that".split())
PREPOSITIONS = frozenset(
    "of to at with for from about into onto under upon without towards toward than until "
    "till between across among".split()
)  # a wh-question may end on one ("who is it from?")
CONJUNCTIONS = frozenset(
    "and but or because cause cuz if while unless although whether nor".split()
)
FILLERS = frozenset("um umm uh uhh er erm hmm mm mmm ah ehm".split())
# Verbs and auxiliaries that, at the very end of a statement, often leave it hanging ("I want
# ...", "can I have ...", "my colour is ..."). A question mark overrides them ("what did you
# see?"), and they make a statement unsure, never unfinished ("yes I can.").
HANGING = frozenset(
    "want wanna gonna gotta need needs like likes love loves have has had got get give gave "
    "make made tell told show showed put bring brought take took see saw find found call "
    "called is are was were am be been being can could will would should shall must may "
    "might do does did let's lets let very really quite".split()
)
WH_WORDS = frozenset("what who whom whose where when why how which".split())
# tiny.en's int8 kernels decode a "the" cut off by a pause as "that." on some CPUs (AVX2, AMX;
# not AVX-512): "We played with the" came back "We played with that." After a preposition a
# closing demonstrative is therefore only unsure: the normal wait, not an early end.
DEMONSTRATIVES = frozenset("that this these those".split())
# Adjectives that rarely end a sentence right after a determiner ("I saw a big ...").
ADJECTIVES = frozenset(
    "big little small tiny huge giant red blue green yellow pink purple orange black white "
    "brown grey gray new old nice good bad best favourite favorite funny silly scary happy "
    "sad long tall short pretty cute fluffy soft baby other same whole first last next "
    "special magic secret real".split()
)
# One-word turns that are complete on their own.
ONE_WORD = frozenset(
    "yes yeah yep no nope okay ok hello hi hey bye goodbye goodnight thanks please sorry "
    "why what how really cool wow stop again more".split()
)
# Openers that only announce what comes ("and then ...", "so ...", "well ...").
OPENERS = frozenset("and then but so well because also".split())

MIN_WORDS_PER_S = 0.8  # fewer words than this for the speech's length: the decode lost some
_WORD = re.compile(r"[a-z0-9']+")
_TRAILING = re.compile(r"(\.\.\.|…|,|;|:|-|—)\s*$")
_TERMINAL = re.compile(r"[.?!]\s*$")


def judge(text: str, speech_s: float | None = None) -> Turn:
    """The verdict on a transcript of ``speech_s`` seconds of speech (None: length unknown)."""
    stripped = text.strip()
    words = _WORD.findall(stripped.lower().replace("\u2019", "'"))
    if not words:
        return Turn.UNSURE  # noise, or nothing decoded yet: no evidence either way
    last = words[-1]
    question = stripped.endswith("?")
    if _TRAILING.search(stripped) or last in FILLERS:
        return Turn.UNFINISHED
    if all(w in OPENERS or w in FILLERS for w in words):
        return Turn.UNFINISHED  # a lone "and then" / "so" / "well"
    if last in ARTICLES or last in DETERMINERS or last in CONJUNCTIONS:
        return Turn.UNFINISHED
    wh_question = question and any(w in WH_WORDS for w in words)
    if last in PREPOSITIONS and not wh_question:
        return Turn.UNFINISHED  # "who is it from?" is whole, "can you tell me about?" is not
    if len(words) >= 2 and words[-2] in NOUN_OPENERS and last in ADJECTIVES:
        return Turn.UNFINISHED
    if not _TERMINAL.search(stripped):
        return Turn.UNSURE
    if len(words) >= 2 and words[-2] in PREPOSITIONS and last in DEMONSTRATIVES:
        return Turn.UNSURE  # "with that." is also how a cut-off "with the" decodes (above)
    if last in HANGING and not wh_question:
        return Turn.UNSURE  # "what did you see?" has its object; "can I have?" has not
    if len(words) == 1 and last not in ONE_WORD:
        return Turn.UNSURE
    if speech_s is not None and len(words) < MIN_WORDS_PER_S * speech_s:
        return Turn.UNSURE
    return Turn.COMPLETE


class TurnWait:
    """How long the current silence must last before the endpointer ends the turn.

    ``silence_s`` without a verdict. While a verdict on this pause's transcript is expected
    (:meth:`expect`), the turn is held open up to ``unfinished_s``: on slow hardware the decode
    outlasts ``silence_s``, and ending first would cut off a child who paused mid-sentence
    before anyone knew. Then complete → ``early_s`` (0: ``silence_s``), unfinished →
    ``unfinished_s``, unsure → ``silence_s``. Holding costs no latency: the transcript the
    reply needs is ready no sooner than the verdict.
    """

    def __init__(self, silence_s: float, early_s: float, unfinished_s: float) -> None:
        self.silence_s = silence_s
        self.early_s = min(early_s, silence_s) if early_s > 0 else silence_s
        self.unfinished_s = max(unfinished_s, silence_s)
        self.verdict: Turn | None = None
        self.pending = False

    @property
    def needed_s(self) -> float:
        if self.verdict is Turn.COMPLETE:
            return self.early_s
        if self.verdict is Turn.UNFINISHED or (self.pending and self.verdict is None):
            return self.unfinished_s
        return self.silence_s

    def is_early(self, silent_s: float) -> bool:
        """Whether ending after ``silent_s`` of silence is the early end of a complete turn."""
        return self.verdict is Turn.COMPLETE and self.early_s <= silent_s < self.silence_s

    def expect(self) -> None:
        self.pending = True

    def decide(self, turn: Turn) -> None:
        self.verdict, self.pending = turn, False

    def clear(self) -> None:
        """Speech resumed or the turn ended: the next pause starts afresh."""
        self.verdict, self.pending = None, False
