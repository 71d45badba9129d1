"""Which language a prompt is in: its script, or for Latin script marker words.

Good enough to tell English from the common European languages and other
scripts, so that prompts the English embedding model reads poorly are not
served semantically.
"""

from __future__ import annotations

import re

from appliance.semantic.lexicon import words

NON_LATIN = re.compile(r"[^\x00-\u024f\u2000-\u20ff]")
LATIN_WORD = re.compile(r"[a-zà-ÿ'\u2019]+")
ACCENTED = re.compile(r"[à-öø-ÿ¿¡ß]")
LATIN = re.compile(r"[A-Za-zÀ-ɏ]")
SCRIPTS = (
    ("cyrillic", re.compile(r"[Ѐ-ӿ]")),
    ("greek", re.compile(r"[Ͱ-Ͽ]")),
    ("arabic", re.compile(r"[؀-ۿ]")),
    ("hebrew", re.compile(r"[֐-׿]")),
    ("devanagari", re.compile(r"[ऀ-ॿ]")),
    ("thai", re.compile(r"[฀-๿]")),
    ("japanese", re.compile(r"[぀-ヿ]")),
    ("korean", re.compile(r"[가-힯]")),
    ("chinese", re.compile(r"[一-鿿]")),
)
MARKERS = {
    "fr": words(
        "le la les des est une et je tu il nous vous ils pour pas que qui dans "
        "sur avec comment quelle quel quels pourquoi où c'est du au aux ce "
        "cette mon ma mes suis sont faire bonjour merci"
    ),
    "de": words(
        "der die das und ist nicht ich du wir ihr sie ein eine mit für auf "
        "wie was warum wo ist sind zu den dem des im vom zum bitte danke "
        "kann können mein meine hallo"
    ),
    "es": words(
        "el la los las es y de que en un una por para con no cómo como qué "
        "cuál cuáles dónde por qué porque es son está están mi mis hola "
        "gracias puedo hacer del al"
    ),
    "it": words(
        "il lo la gli le è e di che un una per con non come cosa qual quale "
        "perché dove sono della del nel mio mia ciao grazie posso fare"
    ),
    "pt": words(
        "o a os as é e de que em um uma por para com não como qual quais "
        "onde porque são está do da no na meu minha olá obrigado posso fazer"
    ),
    "nl": words(
        "de het een en is niet ik jij wij zij met voor op hoe wat waarom "
        "waar zijn van te dat dit mijn hallo bedankt kan"
    ),
}
ENGLISH = words(
    "the is are and of to in what how why which who can do does i you it "
    "for with my on this that be was were have has please tell me an a"
)


def language(prose: str) -> str:
    """The script, or for Latin script the language with the most marker words."""
    if NON_LATIN.search(prose):
        for name, pattern in SCRIPTS:
            if len(pattern.findall(prose)) >= 2:
                return name
    lowered = prose.lower()
    tokens = LATIN_WORD.findall(lowered)
    english = sum(1 for t in tokens if t in ENGLISH)
    scores = {
        code: sum(1 for t in tokens if t in markers and t not in ENGLISH)
        for code, markers in MARKERS.items()
    }
    best, score = max(scores.items(), key=lambda item: item[1])
    accents = len(ACCENTED.findall(lowered))
    if score + accents >= 2 and score + accents > english:
        return best
    if english or not LATIN.search(prose):
        return "en" if english else "unknown"
    return "unknown"
