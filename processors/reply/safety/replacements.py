"""What the bear says instead of a blocked sentence: a line that fits where the reply is.

A fixed line ("let's talk about something else") after a kind first sentence sounds like a bear
that stopped listening. So the replacement depends on the category (it names the safe way to do
the same thing: "a grown-up can help with that"), on whether the bear already said something in
this reply (then it bridges: "Actually, ..."), and varies between lines of the same category,
chosen by a stable hash of the blocked sentence so a replay gives the same reply.
"""

from __future__ import annotations

import zlib

#: the rule file's older category names -> the classifier's categories
RULE_CATEGORIES = {
    "fire": "fire_heat",
    "danger": "dangerous_challenges",
    "drugs": "medicine_drugs",
    "personal_info": "personal_data",
    "secrets": "secrecy",
    "scary": "scary_content",
}

LINES: dict[str, tuple[str, ...]] = {
    "weapons": (
        "that's a grown-up tool, so let's ask a grown-up to help with it.",
        "sharp and dangerous things stay with grown-ups. Shall we find a safe game instead?",
    ),
    "fire_heat": (
        "hot things and flames are for grown-ups, so let's ask one to help.",
        "fire can hurt, so a grown-up does that part. Want to make a pretend campfire?",
    ),
    "electricity": (
        "plugs and wires are for grown-ups to handle, so let's ask one.",
        "electricity can hurt, so we leave that to a grown-up.",
    ),
    "water": (
        "water play is the most fun with a grown-up watching, so let's ask one to come along.",
        "let's make sure a grown-up is right there with you near the water.",
    ),
    "medicine_drugs": (
        "medicine only comes from a grown-up, so let's ask them.",
        "pills and medicine can look like sweets, so a grown-up always decides.",
    ),
    "alcohol_smoking": (
        "that's only for grown-ups. How about a yummy glass of juice or milk?",
        "that isn't for children. Shall we think of a tasty drink for you instead?",
    ),
    "sexual": (
        "that's not something for us to talk about. Your body belongs to you, and you can always "
        "tell a grown-up you trust.",
        "let's talk about something else. Would you like to hear about my favourite animal?",
    ),
    "self_harm": (
        "you matter so much. When feelings get big, please tell a grown-up you trust.",
        "big feelings are okay, and a grown-up you love can help. Shall we take a slow breath "
        "together?",
    ),
    "violence": (
        "hurting is never okay, even when we're cross. We can use our words and ask a grown-up.",
        "let's use gentle hands. When we feel angry, a big breath helps.",
    ),
    "bullying": (
        "let's be kind, everyone wants to be included.",
        "kind words make everyone feel good. Who could you invite to play?",
    ),
    "secrecy": (
        "you can always tell your grown-ups about anything we talk about.",
        "no secrets from your grown-ups, they love hearing about your day.",
    ),
    "strangers": (
        "always stay with your grown-ups and check with them first.",
        "we only go places with grown-ups we know, and we ask them first.",
    ),
    "personal_data": (
        "your address and phone number stay with your family, okay?",
        "let's keep that private. Your grown-ups can help with that.",
    ),
    "manipulation_isolation": (
        "your friends and family are the best, and I'm happy when you play with them.",
        "go and have fun with your friends and family, I'll be here later.",
    ),
    "dangerous_challenges": (
        "that could hurt you, so let's ask a grown-up first. How about a safe game instead?",
        "let's do a safe challenge instead: who can hop on one foot the longest?",
    ),
    "scary_content": (
        "let's think about something cosy, like a warm blanket and a bedtime story.",
        "you're safe and snug. Shall I tell you a happy story instead?",
    ),
    "medical_misinformation": (
        "when something hurts or you feel poorly, tell a grown-up so they can help.",
        "doctors, nurses and your grown-ups know how to help you feel better.",
    ),
    "food_choking_poison": (
        "let's check with a grown-up before anything goes in your mouth.",
        "only eat what a grown-up gives you. What's your favourite snack?",
    ),
    "hate_insults": (
        "everybody is different, and every kind of person deserves kindness.",
        "let's say something kind instead. What do you like about your friends?",
    ),
    "risky_climbing_heights": (
        "high places are for climbing with a grown-up holding on, so let's ask one first.",
        "let's keep our feet safe on the ground. Want to build a tall tower of blocks instead?",
    ),
    "vehicles_roads": (
        "roads and cars need a grown-up's hand to hold, so let's wait for one.",
        "we stop, look and listen with a grown-up by the road. Shall we play traffic lights?",
    ),
    "default": (
        "let's talk about something else. What's your favourite game?",
        "let's ask a grown-up about that. What else would you like to do?",
    ),
}


def category_of(category: str) -> str:
    """The replacement category for a hit's category (rule names are mapped)."""
    name = RULE_CATEGORIES.get(category, category)
    return name if name in LINES else "default"


def replacement(category: str, blocked: str, already_spoke: bool) -> str:
    """A line for ``category``; bridging ("Actually, ...") when the reply already began."""
    lines = LINES[category_of(category)]
    line = lines[zlib.crc32(blocked.encode("utf-8")) % len(lines)]
    opener = "Actually, " if already_spoke else "Hmm, "
    return opener + line
