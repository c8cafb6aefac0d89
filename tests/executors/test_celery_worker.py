"""Tasks run by a real Celery worker process on a real Redis, against the test database."""

from __future__ import annotations

import hashlib

import pytest
import redis

from executors.tasks import design_import_task, design_render_task, ping_task
from topology.render.freebsd import render_design
from topology.selectors import design_snapshot
from topology.services.designs import design_import_document

TASK_TIMEOUT = 30

DESIGN = """\
format: jailnet-design/1
name: worker-render
hosts:
  - name: jailhost
    tools: [iocage, vm-bhyve, dnsmasq]
    interfaces:
      - name: em0
        address: 192.168.0.2/24
    switches:
      - name: services
        kind: vm-switch
        address: 10.1.1.1/24
    jails:
      - name: vnetcage
        type: vnet
        default_router: 10.1.1.1
        nics:
          - name: vnet0
            switch: services
            address: 10.1.1.10/24
"""


def test_redis_answers(redis_url):
    assert redis.Redis.from_url(redis_url).ping()


def test_worker_consumes_its_queue_and_returns_results(celery_worker):
    result = ping_task.delay()
    assert result.get(timeout=TASK_TIMEOUT) == "pong", celery_worker.log()
    assert result.successful()
    # The task went through the worker process (not eager execution in this process).
    assert f"Task executors.tasks.ping_task[{result.id}] received" in celery_worker.log()


@pytest.mark.django_db(transaction=True)
def test_worker_renders_a_design_committed_to_the_test_database(celery_worker):
    design, _ = design_import_document(document_text=DESIGN)
    expected = {
        host: hashlib.sha256(config.script.encode()).hexdigest()
        for host, config in render_design(design_snapshot(design=design)).items()
    }

    rendered = design_render_task.delay(design.id).get(timeout=TASK_TIMEOUT)

    assert rendered == expected, celery_worker.log()
    assert set(rendered) == {"jailhost"}


@pytest.mark.django_db(transaction=True)
def test_task_for_a_missing_design_fails_in_the_worker(celery_worker):
    result = design_render_task.delay(987654321)
    with pytest.raises(Exception, match="does not exist"):
        result.get(timeout=TASK_TIMEOUT)
    assert result.failed()


@pytest.mark.django_db(transaction=True)
def test_changes_made_by_a_task_are_audited_with_the_user_it_runs_for(celery_worker, make_user):
    from core.models import AuditEntry

    olga = make_user("olga", "designer")
    result = design_import_task.delay(DESIGN.replace("worker-render", "worker-import"), user_id=olga.pk)
    outcome = result.get(timeout=TASK_TIMEOUT)
    assert outcome["changed"] is True, celery_worker.log()
    entries = AuditEntry.objects.filter(design_id=outcome["design_id"])
    assert entries.count() == 6  # design, host, interface, switch, jail, NIC
    assert set(entries.values_list("user_name", "source")) == {("olga", "import")}
    # the task id is the request id that ties the entries together
    assert {str(e.request_id) for e in entries} == {result.id}
