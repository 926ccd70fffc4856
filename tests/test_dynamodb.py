"""Figure 4's `dynamodb`: boto3 through Envoy to a local DynamoDB-compatible (moto) server."""

from __future__ import annotations

import pytest

import puma
from tests.apps import basic


@pytest.fixture(scope="module")
def mesh():
    app = puma.App()
    app.configure({"dynamodb": {"region": "eu-west-1"}, "puma_services": {"echo": "/echo"}})
    app.add_services({"echo": basic.echo})
    with app.start(listener={"port": 0}) as deployment:
        yield deployment


def test_dynamodb_client_goes_through_envoy_to_local_endpoint(mesh):
    ddb = puma.dynamodb()
    assert ddb.meta.endpoint_url == mesh.internal_url  # the loopback listener services call through
    ddb.create_table(TableName="sessions", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    ddb.put_item(TableName="sessions", Item={"id": {"S": "abc"}, "turn": {"N": "3"}})
    item = ddb.get_item(TableName="sessions", Key={"id": {"S": "abc"}})["Item"]
    assert item["turn"] == {"N": "3"}
    stats = mesh.envoy.admin.get("/stats?filter=^cluster.dynamodb.upstream_rq_total$")
    assert int(stats.split(":")[1]) >= 3


def test_dynamodb_route_leaves_service_routes_alone(mesh):
    import httpx

    assert httpx.post(mesh.url + "/echo", json={"a": 1}).json()["data"] == {"a": 1}


def test_dynamodb_is_not_reachable_from_the_public_listener(mesh):
    """The store is an internal API: a client of the deployment's public address gets 404."""
    import httpx

    call = {"x-amz-target": "DynamoDB_20120810.ListTables", "content-type": "application/x-amz-json-1.0"}
    assert httpx.post(mesh.url + "/", content=b"{}", headers=call).status_code in (404, 405)
    assert httpx.post(mesh.internal_url + "/", content=b"{}", headers=call).status_code != 404


def test_dynamodb_config_needs_endpoint_or_local():
    with pytest.raises(puma.PumaConfigError, match="give an 'endpoint'"):
        puma.parse_config({"dynamodb": {"local": False}})
    with pytest.raises(puma.PumaConfigError, match="must start with http"):
        puma.parse_config({"dynamodb": {"endpoint": "dynamodb.amazonaws.com"}})
