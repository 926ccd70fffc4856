"""Load for the multi-host test, run inside the core's namespace: conversations of five turns,
bounded in time; prints a JSON summary of which hosts answered and what failed.

Envoy retries a turn whose instance refused or reset it, but not one whose answer was already
half sent when its host died; like the chat page, the client then re-sends that (idempotent)
turn once. A conversation is lost only if a turn fails twice."""

import json
import sys
import threading
import time

import httpx

url, seconds, clients = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
nodes: dict[str, int] = {}
failures: list[str] = []
retried: list[str] = []
completed = 0
lock = threading.Lock()
deadline = time.monotonic() + seconds


def session(k: int) -> None:
    global completed
    with httpx.Client(timeout=10) as http:
        while time.monotonic() < deadline:
            for turn in range(5):  # a "conversation" of five turns
                for attempt in range(2):
                    try:
                        r = http.post(url + "/where", json={"session": f"{k}-{turn}"})
                        r.raise_for_status()
                        node = r.json()["node"]
                        with lock:
                            nodes[node] = nodes.get(node, 0) + 1
                        break
                    except (httpx.HTTPError, ValueError, KeyError) as exc:
                        with lock:
                            (failures if attempt else retried).append(f"{type(exc).__name__}: {exc}")
            with lock:
                completed += 1


threads = [threading.Thread(target=session, args=(k,)) for k in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"nodes": nodes, "failures": failures[:20], "failed": len(failures), "retried": retried[:20],
                  "conversations": completed}))
