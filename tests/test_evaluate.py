"""`chatbot eval`: the metrics, the split, and the model beating popularity."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from chatbot.cli import main
from chatbot.evaluate import ndcg_at_k, recall_at_k, temporal_split


def test_evaluate_ndcg_rewards_hits_near_the_top():
    assert ndcg_at_k([1, 2, 3], {1}) == 1.0
    assert ndcg_at_k([3, 1, 2], {1}) == pytest.approx(1 / math.log2(3))
    assert ndcg_at_k([3, 4], {1}) == 0.0
    assert ndcg_at_k([1], set()) == 0.0


def test_evaluate_recall_counts_relevant_films_found():
    assert recall_at_k([1, 2, 3], {1, 3, 9, 10}) == 0.5
    assert recall_at_k([1, 2], {5}, k=1) == 0.0


def test_evaluate_split_holds_out_each_users_latest_ratings():
    ratings = pd.DataFrame(
        [(1, m, 4.0, 100 + m) for m in range(10)] + [(2, m, 3.0, m) for m in range(3)],
        columns=["user_id", "movie_id", "rating", "timestamp"],
    )
    train, test = temporal_split(ratings)
    assert sorted(test["movie_id"]) == [8, 9] and set(test["user_id"]) == {1}
    assert len(train[train["user_id"] == 2]) == 3  # too few ratings to hold any out


def test_evaluate_cli_model_beats_popularity_and_writes_json(
    chatbot_db_url, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("DATABASE_URL", chatbot_db_url)
    out = tmp_path / "eval.json"
    assert main(["eval", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["model"]["ndcg@10"] > result["popularity"]["ndcg@10"]
    assert result["model"]["recall@10"] > result["popularity"]["recall@10"]
    assert {"seed", "git_revision", "split", "params"} <= set(result)
    kinds = result["dialog"]["kinds"]
    assert {"negation", "release_date", "correction", "all"} <= set(kinds)
    assert {"negation_scope", "proposed_questions", "restart", "out_of_matches"} <= set(kinds)
    assert kinds["all"]["total"] >= 80 and 0 <= kinds["all"]["rate"] <= 1
    assert result["dialog"]["turn_latency_ms"]["p50"] > 0
    printed = capsys.readouterr().out
    assert "NDCG@10" in printed and "negation" in printed
