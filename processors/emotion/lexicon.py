"""The cue tables of the emotion rules: child phrasings, single words, negators, intensifiers.

Hand-written for how young children talk (not the research-only NRC lexicon). Kept apart from the
matching logic in processors.emotion.rules so the tables can grow without touching the code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

_S = r"(?:my|our|the|his|her|a)"
_PEOPLE = r"(?:mommy|mummy|mom|mum|mama|daddy|dad|papa|grandma|granny|grandpa|nana|parents)"
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"

# fmt: off
#: (rule name, pattern, class, weight) — child phrasings, checked before single words.
PHRASES: Final[tuple[tuple[str, str, str, float], ...]] = (
    ("miss_someone", r"\bi (?:really |so )?miss(?:ed)? (?!the bus\b)\w+", "sadness", 2.0),
    ("wish_back", r"\bi wish \w+(?: \w+)? (?:was|were|could be) (?:still )?(?:here|back|alive)",
     "sadness", 1.5),
    ("left_out", r"\b(?:nobody|no one|no-one)\b(?: \w+)? "
     r"(?:wants?|wanted|likes?|liked|plays?|played|came|loves?|cares?)", "sadness", 1.8),
    ("all_alone", r"\ball (?:by myself|alone)\b", "sadness", 1.2),
    ("lost_thing", rf"\b(?:i )?lost {_S} \w+", "sadness", 1.5),
    ("moving_away", r"\b(?:is|are) moving (?:away|to another)", "sadness", 1.5),
    ("got_lost", rf"\b(?:got lost|i'?m lost|(?:couldn'?t|can'?t) find (?:{_S} )?{_PEOPLE})",
     "fear", 2.0),
    ("what_if", r"\bwhat if\b", "fear", 1.5),
    ("wont_come_back",
     r"\b(?:doesn'?t|don'?t|won'?t|isn'?t|aren'?t) (?:\w+ )?(?:come|coming) back\b",
     "fear", 1.5),
    ("never_came_back", r"\b(?:never|didn'?t) (?:came|come) back\b", "sadness", 1.5),
    ("laughed_at_me", r"\b(?:laughed at|made fun of|teased|picked on|ignored|left) me\b"
     r"|\bcalled me names\b|\bmade fun of (?:me|my)\b", "sadness", 1.8),
    ("feel_down", r"\b(?:feel|feeling|felt|am|i'?m) (?:\w+ )?(?:down|blue|bad|awful|terrible)\b",
     "sadness", 1.5),
    ("goodbye", r"\b(?:say|said) (?:goodbye|bye)\b|\bhad to leave\b", "sadness", 1.2),
    ("stay_with_me", r"\b(?:stay|sleep) with me\b|\bdon'?t (?:leave|go)\b", "fear", 1.2),
    ("bad_dream", r"\bbad dreams?\b", "fear", 2.0),
    ("hear_noises", r"\bhear (?:noises|something|sounds)\b", "fear", 1.2),
    ("too_dark", r"\b(?:too|so|very|really) dark\b|\bin the dark\b|\bturn off the lights?\b",
     "fear", 1.5),
    ("going_to_get_me", r"\b(?:going to|gonna|will) (?:get|eat|hurt) me\b", "fear", 1.8),
    ("not_fair", r"\b(?:not|isn'?t|wasn'?t|ain'?t) fair\b|\bunfair\b", "anger", 2.2),
    ("on_purpose", r"\bon purpose\b", "anger", 1.2),
    ("broke_my", r"\b(?:broke|ripped|wrecked|ruined|smashed|stole|took|tore|threw|knocked down|"
     rf"messed up) {_S}\b", "anger", 1.3),
    ("hurt_me", r"\b(?:hit|pushed|kicked|bit|punched|scratched|pinched|shoved) me\b", "anger", 1.5),
    ("called_me", r"\b(?:said|called) (?:i was|i'?m|me) (?:stupid|dumb|a baby|ugly)\b",
     "anger", 1.3),
    ("no_sorry", r"\b(?:didn'?t|won'?t) (?:even )?say sorry\b", "anger", 1.2),
    ("always_first", r"\bwhy do i always\b|\b(?:she|he) always gets\b", "anger", 1.0),
    ("cant_wait", r"\bcan'?t wait\b|\bcannot wait\b", "anticipation", 2.2),
    ("counting_down", r"\bhow many (?:more )?(?:sleeps|days)\b|\bcounting the days\b"
     r"|\bdays until\b",
     "anticipation", 2.0),
    ("almost_here", r"\b(?:is|are) (?:she|he|it|they|we) (?:almost|nearly) (?:here|there)\b"
     r"|\bwhen is \w+ coming\b|\bare we there yet\b", "anticipation", 1.8),
    ("i_hope", r"\bi hope\b", "anticipation", 1.4),
    ("future_plan", rf"\b(?:tomorrow|tonight|next (?:week|weekend|month|year)|on {_WEEKDAY}"
     r"|this weekend)\b", "anticipation", 1.0),
    ("going_to_place", r"\b(?:we'?re|we are|i'?m|i am) going (?:to|on|camping)\b",
     "anticipation", 0.9),
    ("guess_what", r"\bguess what\b", "surprise", 1.8),
    ("cant_believe", r"\bcan'?t believe\b|\bno way\b|\boh my (?:gosh|god|goodness)\b",
     "surprise", 1.8),
    ("didnt_know", r"\bi (?:didn'?t|never) know\b|\bi never knew\b", "surprise", 1.4),
    ("all_of_a_sudden", r"\ball along\b|\bby itself\b|\ball of a sudden\b"
     r"|\bjust (?:disappeared|vanished|popped|appeared)\b", "surprise", 1.5),
    ("did_you_see", r"\bdid you see that\b|\blook at that\b", "surprise", 1.0),
    ("you_can_what", r"^(?:really|what)\?", "surprise", 1.2),
    ("best_friend", r"\b(?:you'?re|you are|be) my (?:best )?(?:friend|buddy|pal)\b", "trust", 2.0),
    ("trust_you", r"\bi (?:trust|believe) (?:you|her|him)\b", "trust", 2.0),
    ("feel_safe", r"\b(?:feel|am|i'?m) safe\b", "trust", 2.0),
    ("keeps_promises", r"\bkeeps? (?:\w+ )?promises?\b", "trust", 2.0),
    ("tell_you_secrets", r"\btell you (?:my )?(?:secrets?|everything|anything)\b"
     r"|\byou never tell\b",
     "trust", 2.0),
    ("will_help_me", r"\byou'?(?:ll| will) (?:help|protect|look after) me\b"
     r"|\balways (?:listens|helps|there)\b", "trust", 1.8),
    ("here_with_me", r"\byou'?re (?:here|there) (?:with|for) me\b", "trust", 1.5),
    ("hold_paw", r"\bhold your (?:paw|hand)\b", "trust", 1.2),
    ("picked_nose", r"\bpicked (?:his|her|my) nose\b|\bthrew up\b", "disgust", 1.8),
    ("smells_like", r"\bsmells? like\b|\btastes? (?:horrible|awful|bad|yucky|disgusting)\b",
     "disgust", 1.5),
    ("treat", r"\bice ?creams?\b|\bgold stars?\b|\bbouncy castle\b", "joy", 0.8),
    ("dont_want_to_eat", r"\bdon'?t want to eat\b", "disgust", 1.2),
    # Last: a friend talked about (not "you're my friend") is no trust in the listener, so mask
    # it with weight 0 before the single words are read.
    ("friend_referent", r"\b(?:my|his|her|our) (?:best )?friends?\b", "neutral", 0.0),
)

#: single-word cues (a trailing * matches any ending)
WORDS: Final[Mapping[str, tuple[str, float]]] = {
    # Only words that name the feeling. Measured precision on the labelled sentences we may
    # use (processors.emotion.training.TRAIN_SETS + emotion_eval) dropped the topic nouns
    # (party 1/5, cake 1/3, beach, park, puppy, zoo...: a party can be missed or awaited) and
    # "glad" 0/2, "laughed" 0/2 (at me), "alone" 0/2 (it was fear); the classifier learns topics.
    **dict.fromkeys(("happy", "fun", "yay", "hooray", "yippee", "awesome", "great",
                     "love", "loved", "best", "favourite", "favorite", "wonderful", "fantastic",
                     "proud", "laughing", "smile", "won", "finally", "cute"),
                    ("joy", 1.0)),
    **dict.fromkeys(("cry", "cried", "crying", "sobbing"), ("sadness", 1.5)),
    **dict.fromkeys(("sad", "unhappy", "tears", "lonely", "miss",
                     "missed", "died", "dead", "upset", "heartbroken", "gone",
                     "sorry"), ("sadness", 1.0)),
    **dict.fromkeys(("scared", "afraid", "frightened", "terrified", "scary", "monster*",
                     "ghost*", "nightmare*", "thunder", "nervous", "worried", "worry", "creepy",
                     "spooky", "spider*", "dark", "shaking", "hide"), ("fear", 1.0)),
    **dict.fromkeys(("mad", "angry", "hate", "stupid", "mean", "furious", "annoying",
                     "annoyed", "grr", "cross", "cheated", "cheater", "unfair"), ("anger", 1.0)),
    **dict.fromkeys(("wow", "whoa", "woah", "surprise", "surprised", "unbelievable",
                     "suddenly", "omg", "amazing", "disappeared", "wait"), ("surprise", 1.0)),
    **dict.fromkeys(("eww", "ew", "yuck", "yucky", "gross", "disgusting", "stinky", "smelly",
                     "stinks", "slimy", "icky", "bleh", "blech", "nasty", "dirty", "rotten",
                     "mouldy", "moldy", "vomit", "puke", "horrible"), ("disgust", 1.0)),
    **dict.fromkeys(("trust", "safe", "promise", "promises", "protect", "friend", "kind",
                     "listens"), ("trust", 1.0)),
    **dict.fromkeys(("tomorrow", "soon", "hope", "excited", "ready", "until",
                     "countdown"), ("anticipation", 0.7)),
}

NEGATORS: Final = frozenset(
    ("not", "no", "never", "don't", "dont", "doesn't", "didn't", "isn't", "wasn't", "aren't",
     "ain't", "can't", "won't", "nobody", "nothing", "without", "hardly")
)
INTENSIFIERS: Final[Mapping[str, float]] = {
    "so": 1.5, "really": 1.5, "very": 1.5, "super": 1.6, "too": 1.3, "extremely": 1.8,
    "totally": 1.5, "much": 1.3, "sooo": 1.8, "soooo": 1.8, "real": 1.3, "mega": 1.6,
}
#: what a negated cue becomes ("not happy" -> sadness); None drops it ("not scared" is no fear)
NEGATED_TO: Final[Mapping[str, tuple[str | None, float]]] = {
    "joy": ("sadness", 0.9),
    "trust": ("fear", 0.6),
    "fear": (None, 0.0),
    "sadness": (None, 0.0),
    "anger": (None, 0.0),
    "surprise": (None, 0.0),
    "disgust": (None, 0.0),
    "anticipation": (None, 0.0),
}
# fmt: on
