"""``DynamoSessionStore``: the ``SessionStore`` on DynamoDB (through PUMA's Envoy, or any endpoint).

One table (default ``chatbot``) with a string partition key ``pk`` and sort key ``sk``; the
prefix of ``pk`` says what an item is::

    pk                   sk                        attributes
    session#<id>         session                   state (JSON text), version, updated_at
    transcript#<userid>  <time ns>#<random>        u, c (lists of text), at
    survey#<userid>      survey                    liked, engagement, chatbot_before, comments

One table rather than three: one ``CreateTable`` (and one ``ACTIVE`` wait) per deployment, and
the session write and its transcript turn can share a transaction either way.

Conflicts (same semantics as ``SqlSessionStore``): ``create`` is a put conditioned on
``attribute_not_exists(pk)``; ``put`` is an update conditioned on ``version = :expected``. When a
transcript turn comes with the write, both go in one ``TransactWriteItems``, so a writer that
loses the race leaves nothing behind. A failed condition raises ``SessionConflict`` ("is at
version N, not M") or ``UnknownSession`` (no such session), exactly as the SQL store does, and
``Chatbot`` re-reads and retries. Reads are strongly consistent.

Item size (DynamoDB refuses items over 400 KB): every transcript turn is its own small item, so
a transcript never outgrows the limit however long the conversation; one turn is trimmed to
``MAX_ENTRY_BYTES`` (64 KB; the longest texts are halved, marked with "…", until it fits, and at
most ``MAX_ENTRY_TEXTS`` texts per side are kept). Session state is not trimmed — the dialog
would lose its memory — so a state over ``MAX_STATE_BYTES`` (350 KB) raises ``ItemTooLarge`` and
nothing is written; the chatbot's state is a few KB (ids of shown films and the last reply).

Example::

    store = DynamoSessionStore()                       # inside a PUMA deployment: puma.dynamodb()
    store = DynamoSessionStore(endpoint_url="http://127.0.0.1:5000")   # any endpoint
    version = store.create("abc", {"stage": "genre"})
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from chatbot.errors import ChatbotError, SessionConflict, UnknownSession
from chatbot.sessions import Entry, SessionStore, validate_survey
from chatbot.text import storable

log = logging.getLogger(__name__)

MAX_STATE_BYTES = 350_000
MAX_ENTRY_BYTES = 64 * 1024
MAX_ENTRY_TEXTS = 100
_SESSION_SK = "session"
_SURVEY_SK = "survey"
_SERIALIZER, _DESERIALIZER = TypeSerializer(), TypeDeserializer()


class ItemTooLarge(ChatbotError, ValueError):
    """A session state too large for one DynamoDB item (nothing was written). Map to HTTP 413:
    the conversation, not the request, outgrew what the store holds; a new one starts afresh."""

    status_code = 413


class DynamoSessionStore(SessionStore):
    """Sessions, transcripts and surveys in the DynamoDB table ``table`` (created if missing).

    ``client``: a boto3 DynamoDB client; without one, a client for ``endpoint_url`` (loopback
    endpoints get placeholder credentials if none are configured), else ``puma.dynamodb()``
    (inside a PUMA deployment with the ``dynamodb`` config key: traffic goes through Envoy).
    """

    def __init__(self, client: Any = None, *, endpoint_url: str | None = None,
                 region: str = "us-east-1", table: str = "chatbot",
                 create_table: bool = True) -> None:
        self.table = table
        self._db = client if client is not None else _make_client(endpoint_url, region)
        if create_table:
            ensure_table(self._db, table)

    def get(self, session_id: str) -> tuple[dict[str, Any], int]:
        item = self._get_session(session_id)
        if item is None:
            raise UnknownSession(session_id)
        return json.loads(item["state"]["S"]), int(item["version"]["N"])

    def create(self, session_id: str, state: Mapping[str, Any], *,
               transcript_entry: Entry | None = None) -> int:
        write = {"TableName": self.table, "ConditionExpression": "attribute_not_exists(pk)",
                 "Item": _session_item(session_id, state, 1)}
        try:
            self._write("Put", write, session_id, transcript_entry)
        except _ConditionFailed:
            raise SessionConflict(f"session {session_id!r} already exists") from None
        return 1

    def put(self, session_id: str, state: Mapping[str, Any], expected_version: int, *,
            transcript_entry: Entry | None = None) -> int:
        item = _session_item(session_id, state, expected_version + 1)
        write = {
            "TableName": self.table, "Key": _key(item["pk"]["S"], _SESSION_SK),
            "UpdateExpression": "SET #state = :state, version = :new, updated_at = :now",
            "ConditionExpression": "version = :expected",
            "ExpressionAttributeNames": {"#state": "state"},
            "ExpressionAttributeValues": {":state": item["state"], ":new": item["version"],
                                          ":now": item["updated_at"],
                                          ":expected": {"N": str(expected_version)}},
        }
        try:
            self._write("Update", write, session_id, transcript_entry)
        except _ConditionFailed as failed:
            raise self._lost(session_id, expected_version, failed.item) from None
        return expected_version + 1

    def delete(self, session_id: str) -> None:
        self._db.delete_item(TableName=self.table, Key=_key(f"session#{session_id}", _SESSION_SK))

    def append_transcript(self, userid: str, entry: Entry) -> None:
        self._db.put_item(TableName=self.table, Item=_transcript_item(userid, entry))

    def transcript(self, userid: str) -> dict[str, Any] | None:
        items = list(self._query(f"transcript#{userid}"))
        if not items:
            return None
        history = [_history_entry(item) for item in items]
        return {"userid": userid, "timestamp": items[-1]["at"], "history": history}

    def save_survey(self, userid: str, answers: Mapping[str, Any]) -> None:
        checked = validate_survey(answers)
        # One item per conversation: a survey sent again replaces the earlier answers.
        item = {"pk": f"survey#{userid}", "sk": _SURVEY_SK, "userid": userid, "created_at": _now(), **checked}
        self._db.put_item(TableName=self.table, Item=_serialize(item))

    def surveys(self, userid: str) -> list[dict[str, Any]]:
        """The survey ``userid`` saved, as a list (empty or one): ``[{"liked": 4, ..., "created_at"}]``."""
        found = []
        for item in self._query(f"survey#{userid}"):
            found.append({k: int(v) if k in ("liked", "engagement") and v is not None else v
                          for k, v in item.items() if k not in ("pk", "sk")})
        return found

    def _get_session(self, session_id: str) -> dict[str, Any] | None:
        key = _key(f"session#{session_id}", _SESSION_SK)
        return self._db.get_item(TableName=self.table, Key=key, ConsistentRead=True).get("Item")

    def _write(self, kind: str, request: dict[str, Any], userid: str, entry: Entry | None) -> None:
        """The session write (``Put`` or ``Update``), and the transcript turn in the same
        transaction if there is one."""
        try:
            if entry is None:
                getattr(self._db, "put_item" if kind == "Put" else "update_item")(
                    **request, ReturnValuesOnConditionCheckFailure="ALL_OLD")
                return
            turn = {"TableName": self.table, "Item": _transcript_item(userid, entry)}
            self._db.transact_write_items(TransactItems=[
                {kind: {**request, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
                {"Put": turn}])
        except ClientError as error:
            raise _classify(error, userid) from None

    def _lost(self, session_id: str, expected: int, item: dict[str, Any] | None) -> ChatbotError:
        item = item or self._get_session(session_id)  # endpoints that return no old item
        if item is None:
            return UnknownSession(session_id)
        return SessionConflict(f"session {session_id!r} is at version {item['version']['N']}, "
                               f"not {expected}: re-read and retry")

    def _query(self, pk: str) -> Iterator[dict[str, Any]]:
        pages = self._db.get_paginator("query").paginate(
            TableName=self.table, KeyConditionExpression="pk = :pk", ConsistentRead=True,
            ExpressionAttributeValues={":pk": {"S": pk}})
        for page in pages:
            for item in page["Items"]:
                yield _deserialize(item)


class _ConditionFailed(Exception):
    def __init__(self, item: dict[str, Any] | None) -> None:
        super().__init__("condition failed")
        self.item = item


def _classify(error: ClientError, session_id: str) -> Exception:
    """A lost condition (or a concurrent transaction) as ``_ConditionFailed``/``SessionConflict``."""
    code = error.response.get("Error", {}).get("Code", "")
    if code == "ConditionalCheckFailedException":
        return _ConditionFailed(error.response.get("Item"))
    if code == "TransactionCanceledException":
        first = (error.response.get("CancellationReasons") or [{}])[0]
        if first.get("Code") == "ConditionalCheckFailed":
            return _ConditionFailed(first.get("Item"))
        if first.get("Code") == "TransactionConflict":
            return SessionConflict(f"session {session_id!r} is being written by another "
                                   "transaction: re-read and retry")
    if code == "TransactionConflictException":
        return SessionConflict(f"session {session_id!r} is being written by another "
                               "transaction: re-read and retry")
    return error


def ensure_table(db: Any, table: str) -> None:
    """Create ``table`` (on-demand billing, ``pk``/``sk`` string keys) unless it exists; wait
    until it is ``ACTIVE``. Safe when several instances start at once."""
    try:
        described = db.describe_table(TableName=table)["Table"]
    except db.exceptions.ResourceNotFoundException:
        described = _create_table(db, table)
    keys = {k["AttributeName"]: k["KeyType"] for k in described["KeySchema"]}
    if keys != {"pk": "HASH", "sk": "RANGE"}:
        raise ValueError(f"DynamoDB table {table!r} has keys {keys}, not pk (HASH) and sk "
                         "(RANGE): give DynamoSessionStore another table name")
    if described.get("TableStatus") != "ACTIVE":
        db.get_waiter("table_exists").wait(TableName=table,
                                           WaiterConfig={"Delay": 1, "MaxAttempts": 120})


def _create_table(db: Any, table: str) -> dict[str, Any]:
    try:
        created = db.create_table(
            TableName=table, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                       {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "S"}])
        log.info("created DynamoDB table %s", table)
        return created["TableDescription"]
    except db.exceptions.ResourceInUseException:  # another instance created it first
        return db.describe_table(TableName=table)["Table"]


def fit_entry(entry: Mapping[str, Any], max_bytes: int = MAX_ENTRY_BYTES) -> Entry:
    """One transcript turn cut down to at most ``max_bytes`` of JSON.

    At most ``MAX_ENTRY_TEXTS`` texts per side; then the longest text is halved (and ends with
    "…") until the turn fits. Example: ``fit_entry({"u": ["x" * 10**6], "c": []})["u"][0][-1]``
    is ``"…"``.
    """
    fitted = {side: [_valid_text(t) for t in entry.get(side, [])][:MAX_ENTRY_TEXTS]
              for side in ("c", "u")}
    places = [(side, i) for side in fitted for i in range(len(fitted[side]))]
    size = _json_bytes(fitted)
    while size > max_bytes and places:
        side, i = max(places, key=lambda at: len(fitted[at[0]][at[1]]))
        text = fitted[side][i]
        if len(text) < 2:
            break
        shorter = text[: len(text) // 2] + "…"
        size += _json_bytes(shorter) - _json_bytes(text)
        fitted[side][i] = shorter
    return fitted


def _valid_text(text: object) -> str:
    return storable(str(text))


def _json_bytes(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode())


def _session_item(session_id: str, state: Mapping[str, Any], version: int) -> dict[str, Any]:
    text = json.dumps(state)
    if len(text) > MAX_STATE_BYTES:  # ensure_ascii: characters are bytes
        raise ItemTooLarge(f"session {session_id!r}: state is {len(text):,} bytes, over the "
                           f"{MAX_STATE_BYTES:,} a DynamoDB item can hold here; start a new conversation")
    return _serialize({"pk": f"session#{session_id}", "sk": _SESSION_SK, "state": text,
                       "version": version, "updated_at": _now()})


def _transcript_item(userid: str, entry: Entry) -> dict[str, Any]:
    fitted: dict[str, Any] = dict(fit_entry(entry))
    if isinstance(entry.get("film"), Mapping):  # as JSON text: DynamoDB numbers refuse floats
        fitted["film"] = json.dumps(entry["film"], ensure_ascii=False)[:MAX_ENTRY_BYTES]
    sk = f"{time.time_ns():020d}#{uuid.uuid4().hex[:8]}"  # order of writing
    return _serialize({"pk": f"transcript#{userid}", "sk": sk, "at": entry.get("at") or _now(), **fitted})


def _history_entry(item: Mapping[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"c": list(item["c"]), "u": list(item["u"]), "at": item.get("at")}
    with contextlib.suppress(TypeError, ValueError):
        film = json.loads(item["film"]) if "film" in item else None
        if isinstance(film, dict):
            entry["film"] = film
    return entry


def _make_client(endpoint_url: str | None, region: str) -> Any:
    if endpoint_url is None:
        import puma

        return puma.dynamodb()
    import boto3

    options: dict[str, Any] = {"region_name": region, "endpoint_url": endpoint_url}
    host = urlsplit(endpoint_url).hostname or ""
    if (host == "localhost" or host.startswith("127.")) and boto3.Session().get_credentials() is None:
        options.update(aws_access_key_id="local", aws_secret_access_key="local")  # an emulator
    return boto3.client("dynamodb", **options)


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    """Every item written passes the store boundary's rule for text (``storable``)."""
    return {k: _SERIALIZER.serialize(v) for k, v in storable(dict(item)).items()}


def _deserialize(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _DESERIALIZER.deserialize(v) for k, v in item.items()}


def _now() -> str:
    return datetime.now(UTC).isoformat()
