"""The lexical gate's parts: content words, and one scope's postings."""

import numpy as np

from appliance.semantic.lexical_gate import ScopeWords, Vocabulary, may_match_text


def live(count: int) -> np.ndarray:
    return np.ones(count, dtype=bool)


def scope_of(vocabulary: Vocabulary, *texts: str) -> ScopeWords:
    scope = ScopeWords()
    scope.extend(vocabulary.words(text) for text in texts)
    return scope


def test_content_words_leave_out_function_words_case_and_plural_endings():
    vocabulary = Vocabulary()

    asked = vocabulary.words("How do I reverse the lists in Python?")

    assert len(asked) == 3
    assert asked == vocabulary.words("reverse list PYTHON")
    assert vocabulary.words("What is it and how does it work?") == frozenset()


def test_content_words_fold_apostrophes_and_known_synonyms():
    vocabulary = Vocabulary()

    assert vocabulary.words("Python\u2019s dict") == vocabulary.words(
        "python dictionary"
    )
    assert vocabulary.words("repair my laptop") == vocabulary.words("fix computer")


def test_stem_memo_is_bounded_and_gives_the_same_words_once_cleared():
    vocabulary = Vocabulary(memo_words=2)

    first = vocabulary.words("reverse the sorted lists in Python")
    again = vocabulary.words("reverse the sorted lists in Python")

    assert first == again
    assert len(vocabulary._stems) <= 2


def test_content_words_keep_numbers_and_cut_long_words_to_six_letters():
    vocabulary = Vocabulary()

    assert vocabulary.words("Tip on 1,000 dollars?") == vocabulary.words(
        "tip 1000 dollar"
    )
    assert vocabulary.words("dehydration") == vocabulary.words("dehydrated")
    assert vocabulary.words("Tip on 45 dollars") != vocabulary.words("tip 54 dollar")


def test_row_whose_words_overlap_enough_with_the_prompt_may_match():
    vocabulary = Vocabulary()
    scope = scope_of(
        vocabulary,
        "How do I bake sourdough bread at home?",
        "What is the boiling point of water?",
    )
    asked = vocabulary.words("Boiling point of water at sea level?")

    assert scope.may_match(asked, 0.5, live(2))
    assert not scope.may_match(asked, 0.9, live(2))
    assert not scope.may_match(vocabulary.words("Tallest mountain?"), 0.5, live(2))


def test_expired_rows_do_not_let_a_prompt_through():
    vocabulary = Vocabulary()
    scope = scope_of(vocabulary, "What is the boiling point of water?")
    asked = vocabulary.words("Boiling point of water?")

    assert scope.may_match(asked, 0.5, np.array([True]))
    assert not scope.may_match(asked, 0.5, np.array([False]))


def test_overlap_is_shared_words_over_all_distinct_words_of_both():
    vocabulary = Vocabulary()
    scope = scope_of(vocabulary, "red green blue yellow")

    assert scope.may_match(vocabulary.words("red green purple"), 0.4, live(1))
    assert not scope.may_match(vocabulary.words("red green purple"), 0.41, live(1))


def test_row_without_content_words_never_matches_a_prompt_with_some():
    vocabulary = Vocabulary()
    scope = scope_of(vocabulary, "Why?", "What is 3 + 5?")

    assert not scope.may_match(vocabulary.words("Tallest mountain?"), 0.4, live(2))


def test_keep_renumbers_the_postings_of_the_remaining_rows():
    vocabulary = Vocabulary()
    scope = scope_of(
        vocabulary,
        "How do I bake sourdough bread?",
        "What is the boiling point of water?",
        "Who painted the Mona Lisa?",
    )

    scope.keep(np.array([True, False, True]))

    assert len(scope) == 2
    assert not scope.may_match(vocabulary.words("boiling water"), 0.5, live(2))
    assert scope.may_match(vocabulary.words("Mona Lisa painter"), 0.5, live(2))
    assert not scope.may_match(
        vocabulary.words("Mona Lisa painter"), 0.5, np.array([True, False])
    )


def test_one_row_verdict_lets_through_prompts_without_content_words():
    vocabulary = Vocabulary()

    assert may_match_text(vocabulary, "Why?", "Who painted the Mona Lisa?", 0.5)
    assert may_match_text(vocabulary, "Tallest mountain?", "Mona Lisa?", 0.0)
    assert not may_match_text(vocabulary, "Tallest mountain?", "Mona Lisa?", 0.5)
