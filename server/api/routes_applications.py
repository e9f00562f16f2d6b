"""Online application (网上申报): the citizen's side and the intake clerk's pre-review."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from ..domain.application import STATE_ZH
from ..files.sniff import file_too_large
from ..usecases.applications import ApplicationView
from ..usecases.cases import Applicant
from ..usecases.citizens import Citizen
from . import schemas_applications as m
from .http import Endpoint, ok
from .routes_cases import case_out
from .routes_citizen import CITIZEN, citizen_of
from .schemas_cases import CaseOut
from .state import signed_in, state


async def _citizen(request: Request) -> Citizen:
    found = await citizen_of(request, required=True)
    assert found is not None
    return found


async def application_out(request: Request, v: ApplicationView) -> m.ApplicationOut:
    a = v.application
    matter = await state(request).matters.matter(a.hall_id, a.matter, include_disabled=True)
    return m.ApplicationOut(
        id=a.id, reference=a.reference, hall=a.hall_id, matter=a.matter,
        matter_name=v.matter_name, state=a.state.value, state_zh=STATE_ZH[a.state],
        applicant=a.name_masked, id_masked=a.id_masked, phone_masked=a.phone_masked,
        created_at=a.created_at, submitted_at=a.submitted_at, reviewed_at=a.reviewed_at,
        case=a.case_id, note=a.note,
        missing=[m.ApplicationMissingOut(key=k, name=x.name) for k in a.missing
                 if (x := matter.material(k)) is not None],
        files=[m.UploadOut(material=u.material, digest=u.digest, name=u.name, size=u.size,
                           content_type=u.content_type, uploaded_at=u.uploaded_at)
               for u in v.uploads],
    )  # fmt: skip


async def create(request: Request, body: m.ApplicationIn) -> Response:
    a = body.applicant
    v = await state(request).applications.create(
        await _citizen(request), body.hall, body.matter,
        Applicant(name=a.name, id_number=a.id_number, address=a.address))
    return ok(await application_out(request, v), 201)


async def mine(request: Request, _: Any) -> Response:
    found = await state(request).applications.mine(await _citizen(request))
    return ok(m.ApplicationList(applications=[await application_out(request, v) for v in found]))


async def own(request: Request, _: Any) -> Response:
    v = await state(request).applications.own(await _citizen(request), request.path_params["id"])
    return ok(await application_out(request, v))


async def upload(request: Request, _: Any) -> Response:
    st = state(request)
    citizen = await _citizen(request)
    limit = st.settings.upload_max_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise file_too_large(limit)
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise file_too_large(limit)
    u = await st.applications.upload(citizen, request.path_params["id"],
                                     request.path_params["material"],
                                     request.query_params.get("name", "file"), bytes(data))  # fmt: skip
    return ok(m.UploadOut(material=u.material, digest=u.digest, name=u.name, size=u.size,
                          content_type=u.content_type, uploaded_at=u.uploaded_at), 201)  # fmt: skip


async def remove_file(request: Request, _: Any) -> Response:
    p = request.path_params
    await state(request).applications.remove_file(await _citizen(request), p["id"],
                                                  p["material"], p["digest"])  # fmt: skip
    return Response(status_code=204)


async def submit(request: Request, _: Any) -> Response:
    v = await state(request).applications.submit(await _citizen(request), request.path_params["id"])
    return ok(await application_out(request, v))


async def withdraw(request: Request, _: Any) -> Response:
    v = await state(request).applications.withdraw(await _citizen(request),
                                                   request.path_params["id"])  # fmt: skip
    return ok(await application_out(request, v))


async def queue(request: Request, _: Any) -> Response:
    found = await state(request).applications.queue(signed_in(request), request.path_params["hall"])
    return ok(m.ApplicationList(applications=[await application_out(request, v) for v in found]))


async def staff_view(request: Request, _: Any) -> Response:
    v = await state(request).applications.staff_view(signed_in(request), request.path_params["id"])
    return ok(await application_out(request, v))


async def accept(request: Request, body: m.ApplicationAcceptIn) -> Response:
    v = await state(request).applications.accept(signed_in(request), request.path_params["id"],
                                                  body.materials)  # fmt: skip
    return ok(case_out(v), 201)


async def return_(request: Request, body: m.ApplicationReturnIn) -> Response:
    v = await state(request).applications.return_(signed_in(request), request.path_params["id"],
                                                   body.missing, body.note)  # fmt: skip
    return ok(await application_out(request, v))


async def file(request: Request, _: Any) -> Response:
    u, data = await state(request).applications.file(signed_in(request), request.path_params["id"],
                                                     request.path_params["digest"])  # fmt: skip
    return Response(data, media_type=u.content_type, headers={
        "content-disposition": f"inline; filename*=UTF-8''{quote(u.name)}",
        "cache-control": "private, no-store",
        # Shown in its own sandbox: an uploaded PDF cannot script the staff page.
        "content-security-policy": "sandbox; default-src 'none'; img-src 'self'; "
                                   "object-src 'self'; plugin-types application/pdf",
    })  # fmt: skip


# fmt: off
ENDPOINTS = [
    Endpoint("POST", "/api/applications", create, "Start an online application for a matter (signed-in citizen)", m.ApplicationOut, m.ApplicationIn, status=201, tag="applications", reads_token=False, headers=CITIZEN),
    Endpoint("GET", "/api/applications/mine", mine, "My online applications", m.ApplicationList, tag="applications", reads_token=False, headers=CITIZEN),
    Endpoint("GET", "/api/applications/{id}", own, "One of my online applications", m.ApplicationOut, tag="applications", reads_token=False, headers=CITIZEN),
    Endpoint("PUT", "/api/applications/{id}/files/{material}", upload, "Upload a material: the raw file as the body (PDF, JPEG or PNG, checked by content; ?name= the file's name)", m.UploadOut, status=201, tag="applications", reads_token=False, headers=CITIZEN, query=(("name", "the file's name, for people", False),)),
    Endpoint("DELETE", "/api/applications/{id}/files/{material}/{digest}", remove_file, "Remove an uploaded file (draft or returned)", None, status=204, tag="applications", reads_token=False, headers=CITIZEN),
    Endpoint("POST", "/api/applications/{id}/submit", submit, "Submit for pre-review (预审)", m.ApplicationOut, tag="applications", reads_token=False, headers=CITIZEN),
    Endpoint("POST", "/api/applications/{id}/withdraw", withdraw, "Withdraw an application not yet accepted", m.ApplicationOut, tag="applications", reads_token=False, headers=CITIZEN),
    Endpoint("GET", "/api/halls/{hall}/applications", queue, "The pre-review queue: submitted applications, oldest first (hall staff)", m.ApplicationList, auth=True, tag="applications"),
    Endpoint("GET", "/api/halls/{hall}/applications/{id}", staff_view, "An application as the intake clerk reviews it (hall staff)", m.ApplicationOut, auth=True, tag="applications"),
    Endpoint("POST", "/api/applications/{id}/accept", accept, "Pre-review passed: accept it as a case (hall staff)", CaseOut, m.ApplicationAcceptIn, status=201, auth=True, tag="applications"),
    Endpoint("POST", "/api/applications/{id}/return", return_, "Return it with the one-time list of what is missing (hall staff)", m.ApplicationOut, m.ApplicationReturnIn, auth=True, tag="applications"),
    Endpoint("GET", "/api/applications/{id}/files/{digest}", file, "An uploaded file (hall staff; officers of the case made from it; each view audited)", None, auth=True, tag="applications"),
]
# fmt: on
