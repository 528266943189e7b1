"""Faults the deploy tool's tests inject into the App Runner emulator: a deployment that rolls back,
a slow one, and an image that runs but fails its health check (``devtools/apprunner/faults.py``)."""

from __future__ import annotations

import copy
import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from devtools.apprunner_emulator import ApiError, AppRunnerEmulator
from tests.devtools.test_apprunner_emulator import PUBLIC_IMAGE, service_body
from tests.devtools.test_apprunner_faults import Api, image_of

NEW_IMAGE = "public.ecr.aws/aws-containers/hello-app-runner:v2"


def new_image_update(service: dict[str, Any]) -> dict[str, Any]:
    source = copy.deepcopy(service["SourceConfiguration"])
    source["ImageRepository"]["ImageIdentifier"] = NEW_IMAGE
    return {"ServiceArn": service["ServiceArn"], "SourceConfiguration": source}


def running_service(api: Api) -> dict[str, Any]:
    return api.describe(api.create_running(service_body()))


def test_fail_next_deployment_rolls_the_next_update_back_once() -> None:
    api = Api()
    service = running_service(api)
    api.backend.inject_faults(service["ServiceId"], fail_next_deployment=True)

    api.ok("UpdateService", new_image_update(service))
    api.settle()
    after = api.describe(service["ServiceArn"])
    assert after["Status"] == "RUNNING"
    assert image_of(after) == PUBLIC_IMAGE
    assert api.operations(service["ServiceArn"])[0] == ("UPDATE_SERVICE", "ROLLBACK_SUCCEEDED")

    # The fault is spent: the same update now succeeds.
    api.ok("UpdateService", new_image_update(service))
    api.settle()
    assert image_of(api.describe(service["ServiceArn"])) == NEW_IMAGE
    assert api.operations(service["ServiceArn"])[0] == ("UPDATE_SERVICE", "SUCCEEDED")


def test_next_deployment_seconds_keeps_the_next_update_in_progress_that_long() -> None:
    api = Api()
    service = running_service(api)
    api.backend.inject_faults(service["ServiceId"], next_deployment_seconds=30)
    api.ok("UpdateService", new_image_update(service))
    api.clock.advance(20)  # past ready_delay (1 s), short of 30 s
    assert api.describe(service["ServiceArn"])["Status"] == "OPERATION_IN_PROGRESS"
    refused = api.error("UpdateService", new_image_update(service))
    assert refused.type_name == "InvalidStateException"
    api.clock.advance(11)
    assert api.describe(service["ServiceArn"])["Status"] == "RUNNING"


def test_health_answers_503_while_an_unhealthy_image_runs_and_200_otherwise() -> None:
    api = Api()
    service = running_service(api)
    service_id = service["ServiceId"]
    assert api.backend.health(service_id) == (200, {"status": "ok", "image": PUBLIC_IMAGE})
    api.backend.inject_faults(service_id, unhealthy_image=NEW_IMAGE)

    api.ok("UpdateService", new_image_update(service))
    assert api.backend.health(service_id)[0] == 503  # in progress
    api.settle()
    assert api.describe(service["ServiceArn"])["Status"] == "RUNNING"  # the deployment succeeded
    assert api.backend.health(service_id) == (503, {"status": "unhealthy", "image": NEW_IMAGE})
    assert api.backend.health("0" * 32)[0] == 404


def test_unknown_service_and_bad_values_are_refused() -> None:
    api = Api()
    with pytest.raises(ApiError, match="No service with the ID 'nope'"):
        api.backend.inject_faults("nope", fail_next_deployment=True)
    service = running_service(api)
    with pytest.raises(ApiError, match="must not be negative"):
        api.backend.inject_faults(service["ServiceId"], next_deployment_seconds=-1)
    with pytest.raises(ApiError, match="keys among"):
        api.backend.inject_faults_json(service["ServiceId"], {"fail_next": True})


def _http(url: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    data = None if body is None else json.dumps(body).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_faults_and_health_over_http() -> None:
    with AppRunnerEmulator(ready_delay=0.0) as emulator:
        created = emulator.backend.handle("CreateService", service_body())["Service"]
        service_id = created["ServiceId"]
        assert _http(f"{emulator.url}/_health/{service_id}") == (200, {"status": "ok", "image": PUBLIC_IMAGE})
        assert _http(f"{emulator.url}/_faults/{service_id}", {"unhealthy_image": PUBLIC_IMAGE}) == (200, {})
        assert _http(f"{emulator.url}/_health/{service_id}")[0] == 503
        status, error = _http(f"{emulator.url}/_faults/nope", {"fail_next_deployment": True})
        assert (status, error["__type"]) == (400, "ResourceNotFoundException")
        assert _http(f"{emulator.url}/_faults/{service_id}", {"fail_next_deployment": "yes"})[0] == 400
