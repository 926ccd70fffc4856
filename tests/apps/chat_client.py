"""Whole chatbot conversations against a deployment, as the page holds them, run inside a test's
network namespace: `python chat_client.py URL WISHES_JSON`. Each turn carries its turn_no and is
re-sent (bounded) after a connection error or a 5xx; prints one JSON result per conversation."""

import json
import sys
import threading
import time
import uuid

import httpx

url, wishes = sys.argv[1], json.loads(sys.argv[2])
results: list = [None] * len(wishes)


def turn(http: httpx.Client, sid: str, text: str, turn_no: int) -> dict:
    for attempt in range(8):
        try:
            resp = http.post(url + "/agent", json={"UUID": sid, "chatText": text, "mode": "false", "turn_no": turn_no})
            if resp.status_code < 500:
                return resp.json()
        except httpx.TransportError:
            pass
        time.sleep(0.05 * 2 ** attempt)
    return {"error": f"turn {turn_no} failed 8 times"}


def conversation(i: int) -> None:
    genre, actor, rating = wishes[i]
    sid, texts = uuid.uuid4().hex, ["", genre, actor, "no preference", rating, "no", "yes"]
    with httpx.Client(timeout=60) as http:
        replies = [turn(http, sid, text, n) for n, text in enumerate(texts, start=1)]
        polls = [http.post(url + "/listener", data={"UUID": sid, "mode": "true"}).json()]
        while polls[-1].get("passiveLen"):
            polls.append(http.post(url + "/listener", data={"UUID": sid, "mode": "true"}).json())
    results[i] = {"sid": sid, "texts": texts, "replies": replies, "polls": polls}


threads = [threading.Thread(target=conversation, args=(i,)) for i in range(len(wishes))]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps(results))
