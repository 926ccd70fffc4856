"""The stemmer the understanding matches genre words with: NLTK's English Snowball stems."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from chatbot.stemming import SnowballStemmer

# Recorded from NLTK 3.9's SnowballStemmer("english"), which the understanding used before.
NLTK_STEMS = {
    "comedies": "comedi", "comedy": "comedi", "thrillers": "thriller", "horrors": "horror",
    "animated": "anim", "animation": "anim", "musicals": "music", "musical": "music",
    "romantic": "romant", "romance": "romanc", "documentaries": "documentari",
    "westerns": "western", "scary": "scari", "frightening": "frighten", "funny": "funni",
    "hilarious": "hilari", "criminals": "crimin", "fantasies": "fantasi", "historical": "histor",
    "sporting": "sport", "adventures": "adventur", "mysteries": "mysteri", "dramatic": "dramat",
    "dramas": "drama", "kids": "kid", "families": "famili",
    # Snowball's exception lists, where newer Snowball releases changed the English stems.
    "evening": "even", "generously": "generous", "dying": "die", "lying": "lie", "skies": "sky",
    "news": "news", "atlantic": "atlant", "cosmos": "cosmos", "ugly": "ugli", "early": "earli",
    "only": "onli", "singly": "singl", "howe": "howe", "proceed": "proceed", "exceed": "exceed",
    "succeeding": "succeed", "gently": "gentl",
}


def test_stemmer_gives_nltks_stems() -> None:
    stemmer = SnowballStemmer("english")
    assert {w: stemmer.stem(w) for w in NLTK_STEMS} == NLTK_STEMS


def test_stemmer_is_safe_to_share_between_threads() -> None:
    # Snowball's stemmer object keeps the word being stemmed in itself; an instance's request
    # threads share one understander, so one stemmer.
    stemmer = SnowballStemmer("english")
    words = list(NLTK_STEMS) * 200
    with ThreadPoolExecutor(8) as pool:
        stems = list(pool.map(stemmer.stem, words))
    assert stems == [NLTK_STEMS[w] for w in words]


def test_stemmer_rejects_other_languages_by_name() -> None:
    with pytest.raises(ValueError, match="'french' is not supported"):
        SnowballStemmer("french")


def test_understanding_does_not_import_nltk() -> None:
    # NLTK's package import takes ~2 s, on the agent's start-up path.
    code = "import sys, chatbot.nlu; print('nltk' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
