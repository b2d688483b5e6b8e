"""How titles are searched (app/storage/text_index.py): folding, words, spaceless scripts, the
search text and what a query needs of it, and the terms of the word entries."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.storage import text_index


def finds(query: str, title: str) -> bool:
    return text_index.matches(text_index.search_text(title), text_index.needles(query))


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("réu", "Weekly Reunion"),
        ("REU", "weekly réunion"),
        ("strasse", "Straße sperren"),
        ("STRAẞE", "strasse"),
        ("equipe", "Réunion d'équipe"),
        ("mail", "E-mail the list"),
        ("case", "snake_case names"),
        ("123", "Ticket #123"),
        ("abc", "\uff21\uff22\uff23 full width"),
        ("ガイド", "\uff76\uff9e\uff72\uff84\uff9e"),  # half-width kana
        ("会議", "定例会議の議事録"),
        ("議事", "定例会議の議事録"),
        ("abc", "ABC会議"),
        ("会議", "ABC会議"),
        ("ελληνικα", "Ελληνικά"),
        ("елка", "Москва ёлка"),
        ("محمد", "مُحَمَّد"),
        ("회의", "한국어 회의"),
        ("हिन्", "हिन्दी पाठ"),
        ("ทีม", "ประชุมทีม"),
        ("istanbul", "İstanbul"),
        ("weekly reunion", "Reunion, weekly"),
    ],
)
def test_a_query_finds_word_starts_ignoring_case_accents_and_forms(query, title):
    assert finds(query, title)


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("eu", "Weekly Reunion"),  # inside a word
        ("union", "Reunion"),
        ("reunion tokyo", "Weekly Reunion"),  # every word must be there
        ("カイド", "ガイド"),  # a voicing mark spells, it is no accent
        ("会議", "会 議"),  # a separator between the characters
        ("hindi", "हिन्दी"),
        ("bc", "ABC会議"),
    ],
)
def test_a_query_does_not_find_what_is_not_a_word_start(query, title):
    assert not finds(query, title)


def test_a_query_without_words_asks_for_nothing():
    assert text_index.needles("!?  🙂 --") == []
    assert finds("!?", "anything")


def test_the_search_text_is_each_token_after_a_space():
    assert text_index.search_text("Weekly réunion: 定例会議!") == " weekly reunion 定例会議"
    assert text_index.tokens("l'été à Paris") == ["l", "ete", "a", "paris"]


def test_search_terms_are_words_and_every_start_of_a_spaceless_run():
    assert text_index.search_terms("Plan the plan, then PLAN") == ["plan", "the", "then"]
    assert text_index.search_terms("定例会議") == ["定例会議", "例会議", "会議", "議"]
    long_word = "x" * 40
    assert text_index.search_terms(long_word) == ["x" * text_index.TERM_CHARS]
    # In a spaceless run a query may start anywhere, even at a mark (a Thai tone mark).
    assert finds("\u0e48", "ที่ประชุม")
    assert any(t.startswith("\u0e48") for t in text_index.search_terms("ที่ประชุม"))


@given(st.text(max_size=200))
def test_every_query_word_is_found_through_the_entries_of_its_title(title):
    """What the word entries promise: a title that a query matches has an entry under the
    query's every lookup term (so reading a word's entries never misses a match)."""
    terms = text_index.search_terms(title)
    for token in text_index.tokens(title):
        # In a spaceless run every character starts a word.
        starts = range(len(token)) if text_index.is_spaceless(token) else [0]
        for start in starts:
            for end in range(start + 1, len(token) + 1):
                query = token[start:end]
                for needle in text_index.needles(query):
                    if not text_index.matches(text_index.search_text(title), [needle]):
                        continue
                    lookup = text_index.lookup_term(needle)
                    assert any(term.startswith(lookup) for term in terms), (title, query)
