"""A generic test mixin for model endpoints, configured by class attributes.

A test class names the ``endpoint`` (``/api/<endpoint>/``), the ``model``, how to make an object
directly (``make``), the body of a create (``create_data``), the fields of an update
(``update_data``) and a bad create (``bad_data`` with the field the 400 must name). The mixin then
checks create, read, update, delete, stale versions, validation errors, roles and query counts.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from core.models import AuditEntry, BaseModel

from .conftest import Env


class CrudTests:
    """Create/read/update/delete tests of one endpoint. Subclasses set the attributes and builders below."""

    endpoint: ClassVar[str]
    model: ClassVar[type[BaseModel]]
    writer_role: ClassVar[str] = "designer"
    update_data: ClassVar[dict[str, Any]]

    def make(self, env: Env, i: int) -> BaseModel:
        """Create the ``i``-th object of the model directly in the database (distinct for each ``i``)."""
        raise NotImplementedError

    def create_data(self, env: Env) -> dict[str, Any]:
        """A valid create request body."""
        raise NotImplementedError

    def bad_data(self, env: Env) -> tuple[dict[str, Any], str]:
        """Changes that make ``create_data`` invalid, and the field the 400 response must name."""
        raise NotImplementedError

    # --- helpers -----------------------------------------------------------------------------------------

    @property
    def list_url(self) -> str:
        return f"/api/{self.endpoint}/"

    def detail_url(self, obj: models.Model) -> str:
        return f"/api/{self.endpoint}/{obj.pk}/"

    def assert_audited(self, pk: int, action: str, user_name: str) -> None:
        """The change was recorded in the audit history, attributed to the user of the request."""
        entry = AuditEntry.objects.filter(
            object_type=ContentType.objects.get_for_model(self.model), object_id=pk, action=action
        ).first()
        assert entry is not None, f"no {action} audit entry for {self.model.__name__} {pk}"
        assert entry.user_name == user_name

    # --- tests ---------------------------------------------------------------------------------------------

    def test_writer_can_create(self, env, client_for):
        before = self.model._default_manager.count()
        response = client_for(self.writer_role).post(self.list_url, self.create_data(env), format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["version"] == 1
        assert {"id", "url", "display", "created", "last_updated"} <= body.keys()
        assert body["url"].endswith(f"/api/{self.endpoint}/{body['id']}/")
        assert self.model._default_manager.count() == before + 1
        self.assert_audited(body["id"], "create", f"{self.writer_role}-user")

    def test_reader_can_list_and_retrieve(self, env, viewer_client):
        obj = self.make(env, 0)
        listed = viewer_client.get(self.list_url)
        assert listed.status_code == 200
        assert obj.pk in {item["id"] for item in listed.json()["results"]}
        detail = viewer_client.get(self.detail_url(obj))
        assert detail.status_code == 200
        assert detail.json()["id"] == obj.pk
        assert detail.json()["version"] == obj.version

    def test_brief_form_shows_only_identity(self, env, viewer_client):
        obj = self.make(env, 0)
        body = viewer_client.get(self.detail_url(obj), {"brief": "1"}).json()
        assert set(body) <= {"id", "url", "display", "name"}
        assert body["id"] == obj.pk

    def test_writer_can_update_and_version_increments(self, env, client_for):
        obj = self.make(env, 0)
        client = client_for(self.writer_role)
        response = client.patch(self.detail_url(obj), {**self.update_data, "version": obj.version}, format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["version"] == obj.version + 1
        obj.refresh_from_db()
        for field, value in self.update_data.items():
            assert getattr(obj, field) == value
        self.assert_audited(obj.pk, "update", f"{self.writer_role}-user")

    def test_update_with_stale_version_is_refused_with_409(self, env, client_for):
        obj = self.make(env, 0)
        stale = obj.version
        client = client_for(self.writer_role)
        assert client.patch(self.detail_url(obj), {"version": stale}, format="json").status_code == 200
        response = client.patch(self.detail_url(obj), {**self.update_data, "version": stale}, format="json")
        assert response.status_code == 409
        body = response.json()
        assert body["current_version"] == stale + 1
        assert body["last_updated"]
        assert "version" in body["detail"]
        obj.refresh_from_db()
        assert obj.version == stale + 1

    def test_writer_can_delete(self, env, client_for):
        obj = self.make(env, 0)
        response = client_for(self.writer_role).delete(self.detail_url(obj) + f"?version={obj.version}")
        assert response.status_code == 204
        assert not self.model._default_manager.filter(pk=obj.pk).exists()
        self.assert_audited(obj.pk, "delete", f"{self.writer_role}-user")

    def test_delete_with_stale_version_is_refused_with_409(self, env, client_for):
        obj = self.make(env, 0)
        response = client_for(self.writer_role).delete(self.detail_url(obj) + f"?version={obj.version + 1}")
        assert response.status_code == 409
        assert response.json()["current_version"] == obj.version
        assert self.model._default_manager.filter(pk=obj.pk).exists()

    def test_bad_data_is_400_naming_the_field(self, env, client_for):
        changes, field = self.bad_data(env)
        before = self.model._default_manager.count()
        response = client_for(self.writer_role).post(self.list_url, {**self.create_data(env), **changes}, format="json")
        assert response.status_code == 400
        assert field in response.json(), response.json()
        assert self.model._default_manager.count() == before

    def test_viewer_cannot_write(self, env, viewer_client):
        obj = self.make(env, 0)
        assert viewer_client.post(self.list_url, self.create_data(env), format="json").status_code == 403
        assert viewer_client.patch(self.detail_url(obj), self.update_data, format="json").status_code == 403
        assert viewer_client.delete(self.detail_url(obj)).status_code == 403
        assert self.model._default_manager.filter(pk=obj.pk).exists()

    def test_anonymous_is_refused(self, env, client_for):
        obj = self.make(env, 0)
        anonymous = client_for("anonymous")
        assert anonymous.get(self.list_url).status_code in (401, 403)
        assert anonymous.get(self.detail_url(obj)).status_code in (401, 403)
        assert anonymous.post(self.list_url, self.create_data(env), format="json").status_code in (401, 403)

    def test_list_runs_a_constant_number_of_queries(self, env, viewer_client, django_assert_max_num_queries):
        for i in range(3):
            self.make(env, i)
        viewer_client.get(self.list_url)  # warm up: the user's roles, content types
        with CaptureQueriesContext(connection) as few:
            assert viewer_client.get(self.list_url).status_code == 200
        for i in range(3, 30):
            self.make(env, i)
        with django_assert_max_num_queries(len(few.captured_queries)):
            response = viewer_client.get(self.list_url)
        assert response.json()["count"] >= 30
