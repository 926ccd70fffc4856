"""Sentiment of an utterance with VADER (lexicon bundled with ``vaderSentiment``; no download).

A component with JSON in and out, so the PUMA port can put it behind ``/sentiment``::

    Sentiment()("that sounds awful")
    # {'neg': 0.6, 'neu': 0.4, 'pos': 0.0, 'compound': -0.4588}
"""

from __future__ import annotations

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from chatbot.text import clean_input

NEUTRAL = {"neg": 0.0, "neu": 1.0, "pos": 0.0, "compound": 0.0}


class Sentiment:
    """Callable: ``text -> {"neg", "neu", "pos", "compound"}`` (compound in [-1, 1])."""

    def __init__(self) -> None:
        self._analyzer = SentimentIntensityAnalyzer()

    def __call__(self, text: str) -> dict[str, float]:
        cleaned, _ = clean_input(text)
        if not cleaned:
            return dict(NEUTRAL)
        scores = self._analyzer.polarity_scores(cleaned)
        return {key: float(scores[key]) for key in ("neg", "neu", "pos", "compound")}
