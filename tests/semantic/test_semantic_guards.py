"""Match guards: near matches that would give a wrong answer are refused."""

import timeit

import pytest

from appliance.semantic.guards import check


def refused(query: str, candidate: str) -> str:
    verdict = check(query, candidate)
    assert not verdict.ok, f"served {candidate!r} for {query!r}"
    assert verdict.reason
    return verdict.reason


def test_semantic_hit_allowed_for_a_plain_paraphrase():
    verdict = check(
        "What is the capital of France?", "Which city is the capital of France?"
    )

    assert verdict.ok
    assert verdict.reason is None


def test_semantic_hit_refused_when_numbers_differ():
    assert refused("What is 15% of 80?", "What is 15% of 90?") == "numbers differ"


def test_semantic_hit_refused_when_the_same_numbers_swap_places():
    assert refused("What is 2 to the power of 10?", "What is 10 to the power of 2?")


def test_semantic_hit_refused_when_units_swap_roles():
    reason = refused("Convert 10 miles to km", "Convert 10 km to miles")

    assert reason == "quantities differ"


def test_semantic_hit_allowed_when_a_conversion_is_reworded():
    assert check("Convert 10 miles to km", "How many km is 10 miles?").ok
    assert check(
        "What is 100 degrees Fahrenheit in Celsius?", "Convert 100°F to Celsius."
    ).ok


def test_amounts_written_differently_still_match():
    assert check("What's $5 million in euros?", "What is $5,000,000 in euros?").ok
    assert check("What is 15% of 80?", "Calculate 15 percent of 80.").ok


def test_semantic_hit_refused_when_dates_differ():
    assert refused("What happened on 2024-03-05?", "What happened on 2024-03-06?")
    assert refused("Set an alarm for 6:30 am", "Set an alarm for 7:30 am")
    assert refused("Is the market open on Saturday?", "Is the market open on Sunday?")
    assert refused("What holidays are in December?", "What holidays are in November?")


def test_may_the_verb_is_not_read_as_a_month():
    assert check("May I ask what a monad is?", "Can I ask what a monad is?").ok


def test_semantic_hit_refused_when_places_differ_even_in_lower_case():
    assert refused("What is the capital of France?", "What is the capital of Germany?")
    assert refused(
        "how cold does it get in canada in winter",
        "how cold does it get in norway in winter",
    )


def test_semantic_hit_refused_when_capitalised_names_differ():
    assert refused("When was Albert Einstein born?", "When was Isaac Newton born?")
    assert refused("Who founded Tesla?", "Who founded Netflix?")


def test_semantic_hit_refused_when_quoted_text_differs():
    reason = refused(
        "Translate 'good night' to Spanish", "Translate 'good morning' to Spanish"
    )

    assert reason == "quoted differ"


def test_semantic_hit_refused_when_inline_code_differs():
    assert (
        refused("Explain `git reset --hard`", "Explain `git reset --soft`")
        == "code differ"
    )


def test_semantic_hit_refused_when_fenced_code_differs():
    query = "Why does this fail?\n```python\nprint(x[3])\n```"
    candidate = "Why does this fail?\n```python\nprint(x[2])\n```"

    assert refused(query, candidate) == "code differ"


def test_semantic_hit_refused_when_identifiers_differ():
    assert refused("What does getUserById return?", "What does getUserByEmail return?")
    assert refused("Read config/settings.yaml", "Read config/secrets.yaml")
    assert refused("What is IPv4?", "What is IPv6?")


def test_semantic_hit_refused_when_negation_differs():
    assert refused("Why is my code working?", "Why isn't my code working?") == (
        "negation differs"
    )
    assert refused("Make a cake with eggs", "Make a cake without eggs")


@pytest.mark.parametrize(
    ("query", "candidate"),
    [
        ("How do I enable dark mode?", "How do I disable dark mode?"),
        ("How do I add a user to a group?", "How do I remove a user from a group?"),
        ("What should I eat before a run?", "What should I eat after a run?"),
        ("How do I increase the font size?", "How do I decrease the font size?"),
        ("What is the max value of an int?", "What is the min value of an int?"),
        ("How do I turn on Bluetooth?", "How do I turn off Bluetooth?"),
        ("Arguments for a four-day week", "Arguments against a four-day week"),
    ],
)
def test_semantic_hit_refused_when_opposites_differ(query, candidate):
    assert refused(query, candidate).startswith("opposites differ")


def test_synonymous_toggles_are_not_opposites():
    assert check("How do I enable dark mode?", "How can I turn on dark mode?").ok


def test_semantic_hit_refused_for_another_language():
    reason = refused(
        "What is the capital of France?", "Quelle est la capitale de la France ?"
    )

    assert "language" in reason
    assert refused("Как дела?", "How are you?")


def test_semantic_hit_refused_between_two_prompts_in_an_unsupported_language():
    assert refused("Wie koche ich Nudeln?", "Wie backe ich Brot?")


def test_semantic_hit_refused_when_the_question_asks_for_another_kind_of_answer():
    reason = refused(
        "When was the Eiffel Tower built?", "Why was the Eiffel Tower built?"
    )

    assert reason == "asks for a different kind of answer"


def test_semantic_hit_refused_when_subject_and_object_swap():
    assert refused("Is a cat bigger than a dog?", "Is a dog bigger than a cat?")
    assert refused(
        "Can an employee sue their employer?", "Can an employer sue their employee?"
    )


def test_moving_a_phrase_to_the_front_is_not_a_role_swap():
    assert check(
        "What is the difference between let and const in JavaScript?",
        "In JavaScript, what's the difference between let and const?",
    ).ok


def test_semantic_hit_refused_when_one_topic_word_is_swapped():
    assert refused("How do I sort a list in Python?", "How do I sort a dict in Python?")


def test_inflections_and_common_synonyms_are_not_a_swapped_word():
    assert check("Who founded Netflix?", "Who were the founders of Netflix?").ok
    assert check("What is the largest ocean?", "Which is the biggest ocean?").ok


def test_a_guard_check_stays_within_two_milliseconds_on_a_loaded_machine():
    query = "How do I convert 10 miles to kilometers in Python using numpy?"
    candidate = "What's the way to convert 10 miles into km with numpy in Python?"
    runs = 200

    seconds = min(timeit.repeat(lambda: check(query, candidate), number=runs, repeat=7))

    assert seconds / runs < 0.002


def test_semantic_hit_refused_for_prompts_longer_than_the_model_reads_well():
    preamble = "Please review the following paragraph carefully. " * 25

    reason = refused(preamble + "Is it correct?", preamble + "Is it correct at all?")

    assert reason == "too long for a semantic match"


def test_semantic_hit_refused_when_the_text_to_work_on_differs():
    reason = refused(
        "Fix the grammar: I has a apple", "Fix the grammar: I have an apple"
    )

    assert reason == "text to work on differs"
    assert refused("Is this polite?\nSend it now.", "Is this polite?\nPlease send it.")


def test_semantic_hit_refused_when_whose_thing_it_is_differs():
    assert refused(
        "What's a good gift for my wife?", "What's a good gift for your wife?"
    )
    assert refused("How do I tell my boss?", "How do I tell their boss?")


def test_prompts_whose_equal_facts_differ_are_always_refused():
    # The pre-check skips the rules for a candidate whose equal_facts differ
    # from the query's; that is only sound if the rules refuse every such pair.
    import itertools  # noqa: PLC0415
    import json  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    from appliance.semantic.features import features  # noqa: PLC0415
    from appliance.semantic.guards import compare, equal_facts  # noqa: PLC0415

    rows = Path(__file__).parent.parent / "data" / "semantic_pairs.jsonl"
    pairs = [json.loads(line) for line in rows.read_text().splitlines() if line]
    texts = sorted({text for pair in pairs for text in (pair["a"], pair["b"])})
    read = {text: features(text) for text in texts}
    checked = [(pair["a"], pair["b"]) for pair in pairs]
    checked += list(itertools.combinations(texts[::6], 2))
    differing = equal_served = 0
    for a, b in checked:
        verdict = compare(read[a], read[b])
        if equal_facts(read[a]) != equal_facts(read[b]):
            differing += 1
            assert not verdict.ok, (a, b)
        elif verdict.ok:
            equal_served += 1
    assert differing > 10_000
    assert equal_served > 1000
