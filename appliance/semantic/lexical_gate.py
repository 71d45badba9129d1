"""The lexical gate: a prompt sharing too few content words with every row of
its scope cannot be a semantic hit there, so it is not embedded at all.

Prompts close enough in meaning for a semantic hit share most of their content
words: numbers, and words lower-cased, stemmed, synonym-folded and cut to six
letters, function words left out. Each mirrored scope keeps its rows' word sets
and an inverted index from word to row positions; the gate counts shared words
through the postings of the prompt's words only.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable

import numpy as np

from appliance.semantic import lexicon as lx
from appliance.semantic.features import stem

# Calibrated on tests/data/semantic_pairs.jsonl at similarity 0.88: see
# bench/semantic_eval.py, which prints recall with and without the gate.
DEFAULT_WORD_OVERLAP = 0.4
MEMO_WORDS = 50_000
PREFIX = 6
WORD = re.compile(r"[a-z][a-z']*[+#]*|\d[\d,]*(?:\.\d+)?")


class Vocabulary:
    """Content words of prompts, with a bounded memo of each token's stem.

    Shared by the event loop and the index's worker threads: a race on the memo
    only computes a stem twice, since every value written is the same.
    """

    def __init__(self, memo_words: int = MEMO_WORDS) -> None:
        self._stems: dict[str, str | None] = {}
        self._memo_words = memo_words

    def words(self, text: str) -> frozenset[str]:
        """The prompt's content words: its numbers and its words that are not
        function words."""
        found = set()
        for token in WORD.findall(text.lower().replace("\u2019", "'")):
            word = self._stems.get(token, "")
            if word == "":
                word = self._remember(token)
            if word is not None:
                found.add(word)
        return frozenset(found)

    def _remember(self, token: str) -> str | None:
        bare = token.removesuffix("'s").strip("'")
        word: str | None = None
        if bare[0].isdigit():
            word = bare.replace(",", "")
        elif len(bare) > 1 and bare not in lx.FUNCTION_WORDS:
            word = stem(bare)
            word = None if word in lx.FUNCTION_WORDS else word[:PREFIX]
        if len(self._stems) >= self._memo_words:
            self._stems.clear()
        self._stems[token] = word
        return word


class ScopeWords:
    """One scope's rows as word sets, in row order, with postings per word."""

    def __init__(self) -> None:
        self.sets: list[frozenset[str]] = []
        self._sizes = array("i")
        self._postings: dict[str, array[int]] = {}

    def __len__(self) -> int:
        return len(self.sets)

    def extend(self, sets: Iterable[frozenset[str]]) -> None:
        for words in sets:
            position = len(self.sets)
            self.sets.append(words)
            self._sizes.append(len(words))
            for word in words:
                self._postings.setdefault(word, array("i")).append(position)

    def keep(self, kept: np.ndarray) -> None:
        """Keep only the rows where `kept` is true, renumbering the postings."""
        sets = [words for words, keep in zip(self.sets, kept, strict=True) if keep]
        self.sets = []
        self._sizes = array("i")
        self._postings = {}
        self.extend(sets)

    def may_match(
        self, words: frozenset[str], overlap: float, live: np.ndarray
    ) -> bool:
        """Whether a live row's words and `words` have a Jaccard index of at
        least `overlap`: shared words over all the distinct words of the two."""
        return self.matching(words, overlap, live).size > 0

    def matching(
        self, words: frozenset[str], overlap: float, live: np.ndarray
    ) -> np.ndarray:
        """The positions of the live rows that pass the gate for `words`."""
        postings = [self._postings[word] for word in words if word in self._postings]
        if not postings:
            return np.zeros(0, dtype=np.intp)
        shared = np.zeros(len(self.sets), dtype=np.intc)
        for rows in postings:
            shared[np.frombuffer(rows, dtype=np.intc)] += 1
        sizes = np.frombuffer(self._sizes, dtype=np.intc)
        # shared / (|words| + size - shared) >= overlap, without dividing
        enough = shared * (1 + overlap) >= overlap * (len(words) + sizes) - 1e-9
        return np.flatnonzero(enough & (shared > 0) & live)


def may_match_text(
    vocabulary: Vocabulary, query: str, stored: str, overlap: float
) -> bool:
    """The gate's verdict for one stored prompt, as a scope of one row sees it."""
    words = vocabulary.words(query)
    if overlap <= 0 or not words:
        return True
    scope = ScopeWords()
    scope.extend([vocabulary.words(stored)])
    return scope.may_match(words, overlap, np.ones(1, dtype=bool))
