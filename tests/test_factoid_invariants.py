"""The invariants of a shown factoid answer, over generated sentences, documents and
questions (hypothesis); pure code, no model.

1. The shown phrase lies in its cited span, folding only case and whitespace.
2. A question naming what the corpus never mentions is declined; one naming only
   what it mentions — however spelled (case, possessive, hyphen, "U.S." for
   "United States") — is not.
3. A phrase of the wrong kind (no date for "when", no quantity for "how many")
   is never shown.
4. Of several entities a sentence gives roles to, the one whose role the question
   names is shown.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from evals.metrics import phrase_in_quote as raw_check
from evals.metrics import short_answer
from index.names import NameVocabulary, absent_names, fold
from rag.decide import NAME_NOT_IN_DOCUMENTS, WORDS_NOT_IN_DOCUMENTS, name_signals, off_corpus
from rag.roles import resolve
from rag.types import Passage
from rag.verify import answer_with_citation, answers_the_type, asked_type, locate_answer
from tests.conftest import examples

pytestmark = pytest.mark.fuzz

# Made-up words, so no rule can have been written for one of them.
_SYL = st.sampled_from(["ka", "lo", "mi", "ven", "tar", "su", "rin", "dok", "pe", "zal", "or",
                        "bri", "um", "net", "sha"])
WORD = st.lists(_SYL, min_size=2, max_size=4).map("".join)
NAME = st.lists(WORD, min_size=1, max_size=3).map(lambda ws: " ".join(w.title() for w in ws))
NUMBER = st.integers(min_value=2, max_value=999_999)
PLAIN = st.sampled_from(["met", "agreed", "opened", "the talks", "near the border", "a road",
                         "was built", "officials said", "in the north", "a bridge"])


def _spell(n: int) -> str:
    return f"{n:,}" if n >= 1000 else str(n)


@st.composite
def sentences(draw: st.DrawFn) -> tuple[str, list[str], list[int]]:
    """A sentence with its names and numbers."""
    names = draw(st.lists(NAME, min_size=1, max_size=3, unique=True))
    numbers = draw(st.lists(NUMBER, min_size=0, max_size=2, unique=True))
    parts = [draw(PLAIN) for _ in range(draw(st.integers(1, 4)))]
    pieces = [*names, *(_spell(n) for n in numbers), *parts]
    order = draw(st.permutations(pieces))
    text = "The " + " ".join(order) + "."
    return text, names, numbers


def _passage(text: str) -> Passage:
    return Passage("p1", "doc.txt", 0, len(text), text)


# --- 1. the shown phrase lies in its cited span -------------------------------------


@st.composite
def answers_for(draw: st.DrawFn, text: str, numbers: list[int]) -> str:
    """What a small model may answer: a piece of the text (recased, respaced), a number
    in another spelling than the text's, or made-up words."""
    kind = draw(st.sampled_from(["piece", "recased", "number", "invented", "sentence"]))
    if kind in ("piece", "recased"):
        a = draw(st.integers(0, len(text) - 1))
        b = draw(st.integers(a + 1, len(text)))
        piece = text[a:b].strip(" .")
        return piece.upper() if kind == "recased" else "  ".join(piece.split())
    if kind == "number" and numbers:
        n = draw(st.sampled_from(numbers))
        return draw(st.sampled_from([str(n * 2), f"{n:,}".replace(",", " "), f"about {n}k",
                                     str(n) + "0"]))
    if kind == "sentence":
        return text.replace("The ", "A ", 1)
    return draw(st.lists(WORD, min_size=1, max_size=3).map(" ".join))


@settings(max_examples=examples(300))
@given(st.data(), sentences(), st.sampled_from(["What happened?", "How many were there?",
                                                "Who met?", "When did it open?"]))
def test_the_shown_phrase_is_always_in_its_cited_span(data, sentence, question) -> None:  # type: ignore[no-untyped-def]
    text, names, numbers = sentence
    answer = data.draw(answers_for(text, numbers))
    assume(answer.strip())
    shown = answer_with_citation(answer, locate_answer(answer, question, [_passage(text)],
                                                       retrieved=["p1"]))
    if shown.refused:
        return
    quote = shown.citations[0].quote
    assert raw_check(shown.text, [quote]), (answer, shown.text)
    assert text[shown.citations[0].start : shown.citations[0].end] == quote


def test_a_number_the_text_spells_otherwise_is_not_shown_as_the_answer() -> None:
    text = "Close to half a million people have been killed in the war."
    loc = locate_answer("1,000,000", "Roughly how many people have been killed?", [_passage(text)])
    shown = answer_with_citation("1,000,000", loc)
    assert "1,000,000" not in shown.text
    assert shown.refused or short_answer(shown.text).lower() in text.lower()


# --- 2. names the corpus never mentions ------------------------------------------------


@st.composite
def corpora(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """Documents and the multiword and one-word names they mention."""
    names = draw(st.lists(NAME, min_size=1, max_size=5, unique=True))
    docs = []
    for name in names:
        filler = " ".join(draw(st.lists(PLAIN, min_size=1, max_size=3)))
        docs.append(f"Officials said {name} {filler}.")
    return docs, names


def _variants(name: str) -> list[str]:
    """Spellings of one name a question may use."""
    words = name.split()
    out = [name, name.lower(), name.upper() if len(words) == 1 else name, f"{name}'s",
           "-".join(words)]
    if len(words) > 1:
        out += [".".join(w[0].upper() for w in words) + ".", "".join(w[0].upper() for w in words)]
    return out


@settings(max_examples=examples(200))
@given(corpora(), st.data(), st.sampled_from(["Where did {} go?", "What did {} agree?",
                                              "Which road did {} build?",
                                              "In what year did {} open the talks?"]))
def test_names_the_corpus_mentions_are_found_however_spelled(corpus, data, template) -> None:  # type: ignore[no-untyped-def]
    docs, names = corpus
    vocab = NameVocabulary.from_texts(docs)
    spelled = data.draw(st.sampled_from(_variants(data.draw(st.sampled_from(names)))))
    question = template.format(spelled)
    assert absent_names(question, vocab, numbers=True) == []


@settings(max_examples=examples(200))
@given(corpora(), NAME, st.sampled_from(["Where did the {} go?", "What did the envoy of {} agree?",
                                         "Who met {} in the north?"]))
def test_a_name_the_corpus_never_mentions_is_declined(corpus, other, template) -> None:  # type: ignore[no-untyped-def]
    docs, names = corpus
    vocab = NameVocabulary.from_texts(docs)
    # a made-up name whose words are all new to the corpus
    assume(not any(vocab.holds_word(fold(w)) for w in other.split()))
    question = template.format(other)
    got = name_signals(question, vocab, [_passage(d) for d in docs])
    assert got["names_absent_corpus"] >= 1


@settings(max_examples=examples(200))
@given(corpora(), WORD, st.sampled_from(["What", "Which", "How", "Where", "When", "Who", "Name"]))
def test_a_questions_first_word_is_not_taken_for_a_name(corpus, word, first) -> None:  # type: ignore[no-untyped-def]
    docs, names = corpus
    vocab = NameVocabulary.from_texts(docs)
    question = f"{first} {word} did {names[0]} build?"
    assert absent_names(question, vocab) == []


@settings(max_examples=examples(200))
@given(corpora(), st.lists(WORD, min_size=3, max_size=6, unique=True), st.data())
def test_a_question_in_words_no_document_holds_is_declined(corpus, others, data) -> None:  # type: ignore[no-untyped-def]
    docs, _ = corpus
    vocab = NameVocabulary.from_texts(docs)
    new = [w for w in others if not vocab.holds_word(fold(w))]
    assume(len(new) >= 3)
    known = [w for d in docs for w in d.rstrip(".").split()[2:] if w.islower()]
    asked = new + data.draw(st.lists(st.sampled_from(known), max_size=1)) if known else new
    question = "What did the " + " ".join(data.draw(st.permutations(asked))) + " do?"
    assert off_corpus(name_signals(question, vocab, [])) == WORDS_NOT_IN_DOCUMENTS


@settings(max_examples=examples(200))
@given(corpora(), st.data())
def test_a_question_in_the_documents_words_is_not_declined_as_off_corpus(corpus, data) -> None:  # type: ignore[no-untyped-def]
    docs, names = corpus
    vocab = NameVocabulary.from_texts(docs)
    doc = data.draw(st.sampled_from(docs))
    words = data.draw(st.lists(st.sampled_from(doc.rstrip(".").split()), min_size=1, max_size=5))
    question = "What " + " ".join(words) + "?"
    assert off_corpus(name_signals(question, vocab, [])) == ""


def test_a_number_the_corpus_never_mentions_counts_only_when_asked() -> None:
    vocab = NameVocabulary.from_texts(["The bridge opened in 1884."])
    assert absent_names("What opened in 1690?", vocab) == []
    assert absent_names("What opened in 1690?", vocab, numbers=True) == ["1690"]
    assert absent_names("What opened in 1884?", vocab, numbers=True) == []


def test_the_pipeline_declines_a_question_about_what_no_document_mentions(
    seed_corpus: Path, tmp_path: Path
) -> None:
    """Real Pipeline (real Chroma, BM25, verification) with fake models."""
    from tests.fakes import pipeline_with_fakes

    pipe = pipeline_with_fakes(seed_corpus, tmp_path / "store")
    calls = pipe.chat_model.calls
    a = pipe.answer("What is the capital of France?")
    assert a.refused and a.reason == NAME_NOT_IN_DOCUMENTS and not a.citations
    assert pipe.chat_model.calls == calls  # declined without reading
    b = pipe.answer("In which city have the U.S. and Russian envoys been meeting?")
    assert b.reason != NAME_NOT_IN_DOCUMENTS and b.signals["names_absent_corpus"] == 0


# --- 3. the answer's kind --------------------------------------------------------------

QUANTITY_QUESTIONS = ["How many {} were there?", "How far is {} from the border?",
                      "How much did {} cost?", "How old is {}?", "How long did {} last?"]
DATE_QUESTIONS = ["When did {} open?", "On what exact date did {} open?",
                  "In what year did {} open?", "What date did {} open?",
                  "In which year was {} built?"]


@settings(max_examples=examples(300))
@given(NAME, NAME, NUMBER, st.sampled_from(QUANTITY_QUESTIONS + DATE_QUESTIONS),
       st.booleans())
def test_a_phrase_of_the_wrong_kind_is_never_shown(subject, place, n, template, with_number) -> None:  # type: ignore[no-untyped-def]
    question = template.format(subject)
    assert asked_type(question) in ("quantity", "year", "when")
    tail = f" in {n}" if with_number else ""
    text = f"The {subject} opened in {place}{tail}."
    shown = answer_with_citation(place, locate_answer(place, question, [_passage(text)]))
    if not shown.refused:
        assert answers_the_type(question, short_answer(shown.text)), shown.text
        assert raw_check(shown.text, [shown.citations[0].quote])
    else:
        assert not with_number or shown.reason != "wrong_type"


@settings(max_examples=examples(200))
@given(NAME, NUMBER, st.sampled_from(QUANTITY_QUESTIONS + DATE_QUESTIONS))
def test_a_phrase_of_the_right_kind_is_shown(subject, n, template) -> None:  # type: ignore[no-untyped-def]
    question = template.format(subject)
    text = f"The {subject} opened in {n} after long talks."
    shown = answer_with_citation(str(n), locate_answer(str(n), question, [_passage(text)]))
    assert not shown.refused and short_answer(shown.text) == str(n)


# --- 4. the entity whose role the question names -------------------------------------

ROLES = ["Russian", "American", "Turkish", "Iranian", "Jordanian", "Kazakh", "French"]
HEADS = ["envoy", "minister", "delegate", "general"]


@st.composite
def role_sentences(draw: st.DrawFn) -> tuple[str, list[str], list[str], str]:
    """A sentence naming n entities with n roles, in one of the usual shapes."""
    n = draw(st.integers(2, 3))
    names = draw(st.lists(NAME.filter(lambda s: len(s.split()) <= 2), min_size=n, max_size=n,
                          unique=True))
    roles = draw(st.lists(st.sampled_from(ROLES), min_size=n, max_size=n, unique=True))
    head = draw(st.sampled_from(HEADS))
    lead = draw(st.sampled_from(["The talks were led by ", "Yesterday ", ""]))
    shape = draw(st.sampled_from(["respectively", "reversed", "implicit", "appositive",
                                  "prefix"]))

    def listing(items: list[str]) -> str:
        return ", ".join(items[:-1]) + " and " + items[-1]

    if shape == "respectively":
        text = f"{lead}{listing(names)}, the {listing(roles)} {head}s respectively, met."
    elif shape == "reversed":
        text = f"The {listing(roles)} {head}s were {listing(names)}, respectively."
    elif shape == "implicit":
        text = f"The {listing(roles)} {head}s for the region, {listing(names)}, met."
    elif shape == "appositive":
        text = ", ".join(f"{nm}, the {r} {head}" for nm, r in zip(names[:-1], roles[:-1],
                                                                    strict=True))
        text = f"{lead}{text}, and {names[-1]}, the {roles[-1]} {head}, met in the north."
    else:
        text = f"{lead}" + " and ".join(f"{r} {head} {nm}" for nm, r in zip(names, roles,
                                                                          strict=True))
        text += " met in the north."
    return text, names, roles, head


@settings(max_examples=examples(300))
@given(role_sentences(), st.data())
def test_the_entity_of_the_asked_role_is_shown(sentence, data) -> None:  # type: ignore[no-untyped-def]
    text, names, roles, head = sentence
    i = data.draw(st.integers(0, len(names) - 1))
    question = data.draw(st.sampled_from([f"Who is the {roles[i]} {head}?",
                                          f"Who was the {roles[i]} {head} at the talks?"]))
    # the model answers with every entity, or with another one
    answer = data.draw(st.sampled_from([" and ".join(names),
                                        names[(i + 1) % len(names)], names[i]]))
    assert resolve(answer, question, text) == names[i]
    shown = answer_with_citation(answer, locate_answer(answer, question, [_passage(text)]))
    assert not shown.refused and short_answer(shown.text) == names[i]
    assert raw_check(shown.text, [shown.citations[0].quote])


@settings(max_examples=examples(200))
@given(role_sentences(), st.sampled_from(["Who are the {}s?", "Who met the {r} {}?",
                                          "Who are the {r} and {s} {}s?",
                                          "Who spoke with the {r} {} at the talks?"]))
def test_a_question_about_no_single_role_keeps_the_phrase(sentence, template) -> None:  # type: ignore[no-untyped-def]
    text, names, roles, head = sentence
    question = template.format(head, r=roles[0], s=roles[1])
    for answer in (" and ".join(names), names[-1]):
        assert resolve(answer, question, text) == answer


@settings(max_examples=examples(200))
@given(st.lists(NAME, min_size=2, max_size=4, unique=True), PLAIN)
def test_a_list_the_question_asks_for_whole_is_kept(names, verb) -> None:  # type: ignore[no-untyped-def]
    text = ", ".join(names[:-1]) + " and " + names[-1] + f" {verb} the talks."
    answer = ", ".join(names[:-1]) + " and " + names[-1]
    assert resolve(answer, f"Who {verb} the talks?", text) == answer
