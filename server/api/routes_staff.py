"""Departments and staff accounts (admin; a supervisor may read their hall's)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..domain.model import Department, DepartmentKind, Role, User
from . import schemas_admin as m
from .http import Endpoint, ok
from .state import signed_in, state


def dept_out(d: Department) -> m.DepartmentConfig:
    return m.DepartmentConfig(id=d.id, name=d.name, name_en=d.name_en, kind=d.kind.value,
                              halls=list(d.halls))  # fmt: skip


def user_out(u: User) -> m.UserOut:
    return m.UserOut(id=u.id, username=u.username, display_name=u.display_name,
                     role=u.role.value, hall=u.hall_id, department=u.department_id,
                     enabled=u.enabled, must_change_password=u.must_change_password,
                     created_at=u.created_at)  # fmt: skip


def _dept_fields(body: m.DepartmentIn | m.DepartmentPatch) -> dict[str, Any]:
    fields = m.given(body, "id")
    if "kind" in fields:
        fields["kind"] = DepartmentKind(fields["kind"])
    if "halls" in fields:
        fields["halls"] = tuple(sorted(set(fields["halls"])))
    return fields


async def list_departments(request: Request, _: Any) -> Response:
    found = await state(request).staff.departments(signed_in(request))
    return ok(m.DepartmentList(departments=[dept_out(d) for d in found]))


async def create_department(request: Request, body: m.DepartmentIn) -> Response:
    d = await state(request).staff.save_department(
        signed_in(request), body.id, _dept_fields(body), create=True
    )
    return ok(dept_out(d), 201)


async def update_department(request: Request, body: m.DepartmentPatch) -> Response:
    d = await state(request).staff.save_department(
        signed_in(request), request.path_params["dept"], _dept_fields(body), create=False
    )
    return ok(dept_out(d))


async def delete_department(request: Request, _: Any) -> Response:
    await state(request).staff.delete_department(signed_in(request), request.path_params["dept"])
    return Response(status_code=204)


async def list_users(request: Request, _: Any) -> Response:
    hall = request.query_params.get("hall") or None
    found = await state(request).staff.users(signed_in(request), hall)
    return ok(m.UserList(users=[user_out(u) for u in found]))


async def create_user(request: Request, body: m.UserIn) -> Response:
    draft = User("", body.username, body.display_name, Role(body.role), body.hall, "",
                 department_id=body.department)  # fmt: skip
    u = await state(request).staff.create_user(signed_in(request), draft, body.password)
    return ok(user_out(u), 201)


async def update_user(request: Request, body: m.UserPatch) -> Response:
    fields = m.given(body, "id", nullable=("hall", "department"))
    renamed = {"hall": "hall_id", "department": "department_id"}
    fields = {renamed.get(k, k): v for k, v in fields.items()}
    if "role" in fields:
        fields["role"] = Role(fields["role"])
    u = await state(request).staff.update_user(signed_in(request), request.path_params["user"], fields)
    return ok(user_out(u))


async def reset_password(request: Request, body: m.PasswordReset) -> Response:
    u = await state(request).staff.reset_password(
        signed_in(request), request.path_params["user"], body.password
    )
    return ok(user_out(u))


ENDPOINTS = (
    Endpoint("GET", "/api/admin/departments", list_departments, "Departments (admin; a supervisor sees their hall's)", m.DepartmentList, auth=True, tag="admin"),
    Endpoint("POST", "/api/admin/departments", create_department, "Add a department (admin)", m.DepartmentConfig, m.DepartmentIn, status=201, auth=True, tag="admin"),
    Endpoint("PATCH", "/api/admin/departments/{dept}", update_department, "Change a department (admin)", m.DepartmentConfig, m.DepartmentPatch, auth=True, tag="admin"),
    Endpoint("DELETE", "/api/admin/departments/{dept}", delete_department, "Remove a department nobody belongs to (admin)", None, status=204, auth=True, tag="admin"),
    Endpoint("GET", "/api/admin/users", list_users, "Staff accounts (admin; a supervisor sees their hall's)", m.UserList, auth=True, tag="admin",
             query=(("hall", "only this hall's staff", False),)),
    Endpoint("POST", "/api/admin/users", create_user, "Add a staff account; the password must be changed at first sign-in (admin)", m.UserOut, m.UserIn, status=201, auth=True, tag="admin"),
    Endpoint("PATCH", "/api/admin/users/{user}", update_user, "Change a staff account; a change of rights ends its sessions (admin)", m.UserOut, m.UserPatch, auth=True, tag="admin"),
    Endpoint("POST", "/api/admin/users/{user}/password", reset_password, "Reset a password; it must be changed at next sign-in (admin)", m.UserOut, m.PasswordReset, auth=True, tag="admin"),
)  # fmt: skip
