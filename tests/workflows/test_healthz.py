"""/healthz reports the database and the task cluster, with a real qcluster process."""

import pytest


@pytest.mark.django_db
def test_healthz_is_503_when_no_task_cluster_is_running(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False
    assert body["database"]["ok"] is True
    assert body["cluster"]["clusters"] == 0


@pytest.mark.cluster
def test_healthz_is_200_with_a_live_qcluster_and_counts_queued_tasks(client, qcluster):
    qcluster.start()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["cluster"]["clusters"] == 1
    assert body["cluster"]["workers"] >= 1
    assert body["cluster"]["failed_last_hour"] == 0
    qcluster.stop()
    qcluster.wait_until(lambda: client.get("/healthz").status_code == 503, timeout=15, what="503")


@pytest.mark.cluster
def test_a_cluster_that_has_stopped_is_not_counted_while_its_last_heartbeat_lasts(client, qcluster):
    from workflows.health import cluster_state

    qcluster.start()
    qcluster.stop()  # SIGTERM to the main process: a clean shutdown writes a last "Stopped" heartbeat
    state = cluster_state()
    assert state["clusters"] == 0, state
    assert client.get("/healthz").status_code == 503


@pytest.mark.django_db
def test_healthz_rejects_methods_other_than_get(client):
    assert client.post("/healthz").status_code == 405
