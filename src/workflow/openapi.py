"""The OpenAPI 3 document of /api/v1; the application's request schema comes from the deployed model."""

from __future__ import annotations

import enum
from typing import Any

from workflow.files import EXTENSIONS
from workflow.models.base import ItemStatus, MeasureKind, TaskStatus, ZoneStatus
from workflow.modelxml import Element, Field
from workflow.roles import Role

MAX_ID = 2**31 - 1
_TIME = {"type": "string", "format": "date-time"}
_NULL_TIME = {**_TIME, "nullable": True}
_NULL_STR = {"type": "string", "nullable": True}
_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _enum(cls: type[enum.Enum]) -> dict[str, Any]:
    """A string schema listing exactly the values of one of our enums."""
    return {"type": "string", "enum": [member.value for member in cls]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict[str, Any], required: list[str] | None = None, extra: bool = False) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties) if required is None else required,
            "additionalProperties": extra}


def _field_schema(f: Field) -> dict[str, Any]:
    if f.type == "enum":
        one = {"type": "string", "enum": [o.id for o in f.options]}
        if f.multiple:
            return {"type": "array", "items": one, "uniqueItems": True, "minItems": 1 if f.required else 0}
        return one if f.required else {**one, "nullable": True}
    if f.type == "long":
        return {"type": "integer", "nullable": True}
    if f.type == "boolean":
        return {"type": "boolean"}
    if f.type == "date":
        return {"type": "string", "format": "date", "nullable": True}
    if f.type == "file":
        return {**_ID, "nullable": not f.required,
                "description": "id of a file attached to the zone (POST /zones/{zone_id}/attachments)"}
    schema: dict[str, Any] = {"type": "string", "nullable": not f.required}
    if f.required:
        schema["minLength"] = 1
    if f.constraint("maxlength"):
        schema["maxLength"] = int(float(f.constraint("maxlength")))
    if f.constraint("pattern"):
        schema["pattern"] = f.constraint("pattern")
    return schema


def _application(element: Element | None) -> dict[str, Any]:
    if element is None:
        return {"type": "object"}
    schema = _obj({f.id: _field_schema(f) for f in element.form}, [f.id for f in element.form if f.required])
    schema["description"] = "The fields of the model's application form (camunda:formData of its first task)."
    return schema


def _errors(*codes: int) -> dict[str, Any]:
    names = {400: "Malformed JSON, or invalid fields (per-field messages in `fields`)",
             401: "No valid bearer token", 403: "Visible, but the user may not do this",
             404: "No such object, or the user may not see it",
             409: "The task is already done or claimed by another; a saved filter of that name exists; or "
                  "(`error`: `model_failure`) the process model failed and its owner was notified",
             405: "Method not allowed", 413: "Request body too large", 415: "Body is not application/json",
             429: "Logins of this name from this address are slowed down, or too frequent; see Retry-After"}
    return {str(c): {"description": names[c], "content": {"application/json": {"schema": _ref("Error")}}}
            for c in codes}


def _ok(status: int, schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {str(status): {"description": description, "content": {"application/json": {"schema": schema}}}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


_PAGE = [
    {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
    {"name": "offset", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 0,
                                                                    "maximum": 10**9}},
]


_PAGE_INBOX = [
    {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
    {"name": "offset", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 0,
                                                                    "maximum": 10**6}},
]


def _choice(name: str, values: list[str], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description + " (empty: any)",
            "schema": {"type": "string", "enum": ["", *values]}}


_INBOX_FILTERS = [
    _choice("tab", ["mine", "groups", "all"], "mine: claimed by or assigned to me; groups: offered to my roles; "
                                              "all (default): every task I may act on"),
    _choice("sort", ["due", "created", "zone"], "due (default: camunda:priority, then due date), created "
                                                "(newest first), zone (name)"),
    _choice("due", ["soon", "overdue"], "due within 3 days, or past due"),
    _choice("overdue", ["true", "false"], "true: the same as due=overdue"),
    _choice("claimed", ["me", "none"], "claimed by me, or by nobody"),
    _choice("stage", [s.value for s in ZoneStatus], "the zone's status while the task is open"),
    {"name": "zone", "in": "query", "required": False, "schema": _ID, "description": "a zone I may see (else 404)"},
    {"name": "province", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "a province of the application form; one I may not see is a 403"},
    {"name": "type", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "the BPMN id of a user task of a deployed model"},
    {"name": "q", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 100},
     "description": "text in the zone's name"},
]


_SAVED_FILTER = {"name": "filter", "in": "query", "required": False, "schema": _ID,
                 "description": "one of my saved filters (GET /filters; else 404): its parameters apply, those "
                                "given as well win"}


def _path_id(name: str) -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True, "schema": _ID}]


def _document_schemas() -> dict[str, Any]:
    attachment = _obj({"id": _ID, "zone_id": _ID, "filename": {"type": "string"},
                       "content_type": {"type": "string", "description": "the type told by the file's content"},
                       "size": {"type": "integer", "minimum": 1}, "sha256": {"type": "string"},
                       "task_id": {**_ID, "nullable": True}, "field": _NULL_STR, "uploaded_at": _TIME,
                       "uploaded_by": _NULL_STR})
    comment = _obj({"id": _ID, "zone_id": _ID, "body": {"type": "string"}, "at": _TIME,
                    "author": {"type": "string"}, "task_id": {**_ID, "nullable": True}})
    return {"Attachment": attachment, "Comment": comment}


def _documents() -> dict[str, Any]:
    """The paths of a zone's files and comments."""
    zone, file = _path_id("zone_id"), {"type": "string", "format": "binary"}

    def page(item: str) -> dict[str, Any]:
        return _obj({"items": {"type": "array", "items": _ref(item)}, "total": {"type": "integer", "minimum": 0}})

    upload = {"required": True, "content": {"multipart/form-data": {"schema": _obj({"file": file})}}}
    return {
        "/zones/{zone_id}/attachments": {
            "get": {"summary": "The zone's files", "parameters": zone,
                    "responses": {**_ok(200, page("Attachment")), **_errors(401, 404)}},
            "post": {"summary": "Attach a file to the zone (PDF, PNG, JPEG, Office; told by content; size-limited)",
                     "parameters": zone, "requestBody": upload,
                     "responses": {**_ok(201, _ref("Attachment"), "Attached"),
                                   **_errors(400, 401, 403, 404, 413, 415)}}},
        "/zones/{zone_id}/attachments/{attachment_id}": {"get": {
            "summary": "Download a file of the zone", "parameters": [*zone, *_path_id("attachment_id")],
            "responses": {"200": {"description": "The file, as an attachment",
                                  "content": {kind: {"schema": file} for kind in EXTENSIONS}},
                          **_errors(401, 404)}}},
        "/zones/{zone_id}/comments": {
            "get": {"summary": "The zone's comments", "parameters": zone,
                    "responses": {**_ok(200, page("Comment")), **_errors(401, 404)}},
            "post": {"summary": "Comment on the zone, or on one of its tasks (task_id)", "parameters": zone,
                     "requestBody": _body(_obj({"body": {"type": "string", "minLength": 1, "maxLength": 4000},
                                                "task_id": {**_ID, "nullable": True, "description":
                                                            "a task of this zone the comment is about"}},
                                               ["body"])),
                     "responses": {**_ok(201, _ref("Comment"), "Added"),
                                   **_errors(400, 401, 403, 404, 413, 415)}}},
    }


def document(application: Element | None = None) -> dict[str, Any]:
    """The whole document; ``application`` is the deployed model's application task."""
    task_props = {"id": _ID, "zone_id": _ID, "zone_name": {"type": "string"}, "province": {"type": "string"},
                  "stage": {"type": "string", "description": "the zone's status while the task is open"},
                  "bpmn_id": {"type": "string"},
                  "name": {"type": "string", "description": "with the year of its period for periodic tasks"},
                  "status": _enum(TaskStatus), "created_at": _TIME, "due_at": _NULL_TIME,
                  "priority": {"type": "integer", "description": "camunda:priority (0 without one)"},
                  "period_year": {"type": "integer", "nullable": True},
                  "shared": {"type": "boolean", "description": "offered to several HQ units; any may take it"},
                  "claimed_by": _NULL_STR, "mine": {"type": "boolean", "description": "claimed by me"},
                  "delegated_by": {**_NULL_STR, "description": "who delegated it to its holder"}}
    task = _obj(task_props)
    field = _obj({"id": {"type": "string"}, "label": {"type": "string"}, "type": {"type": "string"},
                  "required": {"type": "boolean"}, "multiple": {"type": "boolean"},
                  "options": {"type": "array", "items": _obj({"id": {"type": "string"},
                                                               "label": {"type": "string"}})}})
    task_detail = _obj({**task_props, "form": _obj({"fields": {"type": "array", "items": field}})})
    zone_props = {"id": _ID, "name": {"type": "string"}, "province": {"type": "string"},
                 "status": _enum(ZoneStatus),
                 "stage": {"type": "string", "description": "BPMN ids of where the zone is now, comma-separated"},
                 "applicant": {"type": "string", "description": "organisation code"},
                 "process_version": {"type": "string", "description": "process_id:version"},
                 "created_at": _TIME, "updated_at": _TIME, "approved_at": _NULL_TIME,
                 "approval_number": _NULL_STR}
    zone = _obj(zone_props)
    history = _obj({"at": _TIME, "actor": {"type": "string", "description": "username"},
                    "role": {"type": "string"}, "organisation": {"type": "string"}, "bpmn_id": _NULL_STR,
                    "action": {"type": "string",
                               "description": "task_completed, task_claimed, task_unclaimed, automatic"},
                    "decision": _NULL_STR, "comment": {"type": "string"}})
    record = _obj({"id": _ID, "kind": {"type": "string", "description": "report, risk, evaluation, commendation, ..."},
                   "bpmn_id": {"type": "string"}, "name": {"type": "string"},
                   "period_no": {"type": "integer", "nullable": True}, "at": _TIME, "actor": {"type": "string"},
                   "data": {"type": "object"}})
    record_detail = _obj({
        "id": _ID, "zone_id": _ID, "kind": {"type": "string"}, "bpmn_id": {"type": "string"},
        "name": {"type": "string"}, "period_no": {"type": "integer", "nullable": True}, "at": _TIME,
        "actor": {"type": "string", "description": "username; empty for a step the engine took"},
        "task_id": {"type": "integer", "nullable": True, "description": "the task it came from"},
        "fields": {"type": "array", "description": "the fields the caller may read (visible_to), labelled",
                   "items": _obj({"id": {"type": "string"}, "label": {"type": "string"}, "value": {}})}})
    measure = _obj({"id": _ID, "title": {"type": "string"},
                    "kind": _enum(MeasureKind),
                    "departs": {"type": "boolean"}, "unit_concerned": _NULL_STR,
                    "status": _enum(ItemStatus),
                    "filed_at": _TIME})
    zone_detail = _obj({**zone_props, "application": {"type": "object"},
                        "records": {"type": "array", "items": record},
                        "measures": {"type": "array", "items": measure},
                        "current_process": {"type": "string", "description": "process_id:version shown as stage"},
                        "open_tasks": {"type": "array", "items": _ref("Task")},
                        "history": {"type": "array", "items": _ref("History")}})
    trace = _obj({"instance": _ID, "process_version": {"type": "string", "description": "process_id:version"},
                  "xml": {"type": "string", "description": "BPMN 2.0 XML of the model version the instance runs"},
                  "completed": {"type": "array", "items": {"type": "string"},
                                "description": "BPMN ids of the elements the instance completed"},
                  "active": {"type": "array", "items": {"type": "string"},
                             "description": "BPMN ids of its open tasks and the events it waits for"},
                  "overdue": {"type": "array", "items": {"type": "string"},
                              "description": "BPMN ids of its open tasks past their due date"},
                  "flows": {"type": "array", "items": {"type": "string"},
                            "description": "ids of the sequence flows the instance has taken"}})
    version = _obj({"id": _ID, "process_id": {"type": "string"}, "version": {"type": "integer"},
                    "name": {"type": "string"}, "filename": {"type": "string"},
                    "content_hash": {"type": "string", "description": "SHA-256 of the BPMN and its DMN tables"},
                    "deployed_at": _TIME, "deployed_by": _NULL_STR, "comment": {"type": "string"},
                    "running_instances": {"type": "integer", "minimum": 0},
                    "current": {"type": "boolean", "description": "the version new instances start on"}})

    def page(item: str) -> dict[str, Any]:
        return _obj({"items": {"type": "array", "items": _ref(item)}, "total": {"type": "integer", "minimum": 0}})

    count = {"type": "integer", "minimum": 0}
    inbox = _obj({"items": {"type": "array", "items": _ref("Task")}, "total": count,
                  "counts": _obj({"mine": count, "groups": count, "all": count}),
                  "limit": {"type": "integer"}, "offset": {"type": "integer"}})
    substitute = _obj({"id": _ID, "absentee": {"type": "string"}, "substitute": {"type": "string"},
                       "starts_on": {"type": "string", "format": "date"},
                       "ends_on": {"type": "string", "format": "date"}})

    paths = {
        "/token": {"post": {
            "summary": "Exchange a username and password for a bearer token", "security": [],
            "requestBody": _body(_obj({"username": {"type": "string", "minLength": 1},
                                       "password": {"type": "string", "minLength": 1}})),
            "responses": {**_ok(201, _obj({"token": {"type": "string"}, "expires_at": _TIME}), "Token issued"),
                          **_errors(400, 401, 413, 415, 429)}},
            "delete": {"summary": "Revoke the bearer token of this request (log out of the API)",
                       "responses": {"204": {"description": "Revoked; the token no longer works"},
                                     **_errors(401)}}},
        "/tasks": {"get": {"summary": "My inbox: open tasks I may act on, filtered, sorted and paged, with the "
                                      "count of each tab; an unknown parameter or value is a 400",
                           "parameters": [*_PAGE_INBOX, *_INBOX_FILTERS, _SAVED_FILTER],
                           "responses": {**_ok(200, inbox), **_errors(400, 401, 403, 404)}}},
        "/tasks/{task_id}/delegate": {"post": {
            "summary": "Delegate a task to a colleague of my organisation who may act on it",
            "parameters": _path_id("task_id"), "requestBody": _body(_obj({"to": {"type": "string"}})),
            "responses": {**_ok(200, _ref("Task")), **_errors(400, 401, 403, 404, 409, 413, 415)}}},
        "/tasks/{task_id}/resolve": {"post": {
            "summary": "Give a task delegated to me back to the official who delegated it",
            "parameters": _path_id("task_id"),
            "requestBody": _body(_obj({"comment": {"type": "string", "maxLength": 500}}, [])),
            "responses": {**_ok(200, _ref("Task")), **_errors(400, 401, 403, 404, 409, 413, 415)}}},
        "/tasks/{task_id}/reassign": {"post": {
            "summary": "Reassign a task of my organisation to one of its people, with a reason (bureau head)",
            "parameters": _path_id("task_id"),
            "requestBody": _body(_obj({"to": {"type": "string"}, "reason": {"type": "string", "maxLength": 500}})),
            "responses": {**_ok(200, _ref("Task")), **_errors(400, 401, 403, 404, 409, 413, 415)}}},
        "/substitutes": {
            "get": {"summary": "Leave arrangements I am part of",
                    "responses": {**_ok(200, page("Substitute")), **_errors(401)}},
            "post": {"summary": "A colleague stands in for me (or, for a bureau head, for one of the organisation) "
                                "during a leave",
                     "requestBody": _body(_obj({"absentee": {"type": "string"}, "substitute": {"type": "string"},
                                                "starts_on": {"type": "string", "format": "date"},
                                                "ends_on": {"type": "string", "format": "date"}},
                                               ["substitute", "starts_on", "ends_on"])),
                     "responses": {**_ok(201, _ref("Substitute"), "Arranged"),
                                   **_errors(400, 401, 403, 413, 415)}}},
        "/tasks/{task_id}": {"get": {"summary": "One task with its form", "parameters": _path_id("task_id"),
                                     "responses": {**_ok(200, _ref("TaskDetail")), **_errors(401, 403, 404, 409)}}},
        "/tasks/{task_id}/complete": {"post": {
            "summary": "Complete a task with form data", "parameters": _path_id("task_id"),
            "requestBody": _body(_obj({"data": {"type": "object"}})),
            "responses": {**_ok(200, _ref("Task")), **_errors(400, 401, 403, 404, 409, 413, 415)}}},
        "/tasks/{task_id}/claim": {"post": {
            "summary": "Claim a task (colleagues then leave it to you)", "parameters": _path_id("task_id"),
            "responses": {**_ok(200, _ref("Task")), **_errors(401, 403, 404, 409)}}},
        "/tasks/{task_id}/unclaim": {"post": {
            "summary": "Give a claimed task back", "parameters": _path_id("task_id"),
            "responses": {**_ok(200, _ref("Task")), **_errors(401, 403, 404, 409)}}},
        "/zones": {
            "get": {"summary": "Zones I may see", "parameters": _PAGE,
                    "responses": {**_ok(200, page("Zone")), **_errors(400, 401)}},
            "post": {"summary": "File an application (local governments)", "requestBody": _body(_ref("Application")),
                     "responses": {**_ok(201, _ref("ZoneDetail"), "Filed"),
                                   **_errors(400, 401, 403, 404, 409, 413, 415)}}},
        "/zones/{zone_id}": {"get": {"summary": "A zone: status, where it is, open tasks, every step",
                                     "parameters": _path_id("zone_id"),
                                     "responses": {**_ok(200, _ref("ZoneDetail")), **_errors(401, 404)}}},
        "/zones/{zone_id}/records/{record_id}": {"get": {
            "summary": "One record of the zone (report, rating, rectification ...) with every field, who, when",
            "parameters": [*_path_id("zone_id"), *_path_id("record_id")],
            "responses": {**_ok(200, _ref("Record")), **_errors(401, 404)}}},
        "/zones/{zone_id}/trace": {"get": {
            "summary": "A process instance of the zone on its diagram: the model's XML, completed and active "
                       "elements, the sequence flows taken (default: where the zone is now)",
            "parameters": [*_path_id("zone_id"), {"name": "instance", "in": "query", "required": False,
                                                  "schema": _ID, "description": "a process instance of this zone"}],
            "responses": {**_ok(200, _ref("Trace")), **_errors(400, 401, 404)}}},
        "/zones/{zone_id}/log": {"get": {
            "summary": "The zone's event log, one case per process instance: XES (IEEE 1849) or CSV",
            "parameters": [*_path_id("zone_id"), {"name": "format", "in": "query", "required": False,
                                                  "schema": {"type": "string", "enum": ["xes", "csv"],
                                                             "default": "xes"}}],
            "responses": {"200": {"description": "The log", "content": {
                "application/xml": {"schema": {"type": "string"}}, "text/csv": {"schema": {"type": "string"}}}},
                **_errors(400, 401, 404)}}},
        **_documents(),
        **_inbox_paths(),
        **_version_paths(page("ProcessDefinition")),
        "/openapi.json": {"get": {"summary": "This document", "security": [],
                                  "responses": {"200": {"description": "OpenAPI 3 document",
                                                        "content": {"application/json": {"schema": {
                                                            "type": "object"}}}}}}},
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "国检试验区业务系统 API", "version": "1.0.0",
                 "description": "Zones of the National Inspection Pilot Zone programme and their tasks. "
                                "Roles: " + ", ".join(r.value for r in Role) + ". Messages follow Accept-Language "
                                "(zh default, en)."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": _obj({"error": {"type": "string"}, "message": {"type": "string"},
                               "fields": {"type": "object", "additionalProperties": {"type": "string"}}}),
                "Task": task, "TaskDetail": task_detail, "Zone": zone, "ZoneDetail": zone_detail,
                "History": history, "ProcessDefinition": version, "Trace": trace, "Record": record_detail,
                "Substitute": substitute, **_version_schemas(), "Application": _application(application),
                **_document_schemas(), **_inbox_schemas(),
            },
        },
    }


def _version_schemas() -> dict[str, Any]:
    problem = _obj({"file": {"type": "string"}, "element": {"type": "string"}, "message": {"type": "string"}})
    change = _obj({"id": {"type": "string"}, "kind": {"type": "string"}, "name": {"type": "string"},
                   "status": {"type": "string", "enum": ["added", "removed", "changed"]},
                   "aspects": {"type": "array", "items": {"type": "string"},
                               "description": "name, kind, properties, form: <field ids>, condition, candidates, "
                                              "due, timer, targets, route, ..."}})
    return {
        "ModelProblems": _obj({"error": {"type": "string", "enum": ["invalid_model"]}, "message": {"type": "string"},
                               "fields": {"type": "object"}, "problems": {"type": "array", "items": problem}}),
        "MigrationItem": _obj({"instance": _ID, "zone_id": _ID,
                               "process_version": {"type": "string", "description": "process_id:version it was on"},
                               "can_move": {"type": "boolean"}, "moved": {"type": "boolean"},
                               "reasons": {"type": "array", "items": {"type": "string"}, "description":
                                           "why it cannot move: completed, same_version, other_process, "
                                           "unreadable, changed:<element>, removed:<element>, "
                                           "subprocess_removed:<id>, failed:<element>"}}),
        "Startable": _obj({"process_id": {"type": "string"}, "version": {"type": "integer"},
                           "name": {"type": "string"}, "task": {"type": "string", "description": "its first task"},
                           "fields": {"type": "array", "items": {"type": "object"},
                                      "description": "the form of its first task, as in TaskDetail"}}),
        "Instance": _obj({"id": _ID, "zone_id": _ID, "process_version": {"type": "string"},
                          "active": {"type": "array", "items": {"type": "string"}}, "completed": {"type": "boolean"},
                          "end_event": _NULL_STR}),
        "ProcessDiff": _obj({"process_id": {"type": "string"}, "old": _ref("ProcessDefinition"),
                             "new": _ref("ProcessDefinition"), "changes": {"type": "array", "items": change}}),
    }


def _version_paths(listing: dict[str, Any]) -> dict[str, Any]:
    warning = _obj({"file": {"type": "string"}, "element": {"type": "string"}, "message": {"type": "string"}})
    deployed = _obj({"items": {"type": "array", "items": {"allOf": [_ref("ProcessDefinition"), {
        "type": "object", "properties": {"created": {"type": "boolean"}, "warnings": {
            "type": "array", "items": warning, "description": "what lint says that does not stop the model"}}}]}}})
    upload = {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {"file": {"type": "array", "items": {"type": "string", "format": "binary"},
                                "description": ".bpmn files and the .dmn tables they use; all deploy or none does"},
                       "comment": {"type": "string", "maxLength": 2000}}}}}}
    problems = {"400": {"description": "Not deployed: every problem by file and element",
                        "content": {"application/json": {"schema": _ref("ModelProblems")}}}}
    return {
        "/process-definitions": {
            "get": {"summary": "Deployed process versions: who, when, why, how many instances run on each",
                    "responses": {**_ok(200, listing), **_errors(401)}},
            "post": {"summary": "Deploy new versions (process owners only; administrators without the role get 403)",
                     "requestBody": upload,
                     "responses": {**_ok(201, deployed, "Deployed (created: false for an unchanged file)"),
                                   **problems, **_errors(401, 403, 413, 415)}}},
        "/process-definitions/{version_id}/source.bpmn": {"get": {
            "summary": "The deployed file exactly as uploaded (process owners, administrators)",
            "parameters": _path_id("version_id"),
            "responses": {"200": {"description": "BPMN XML", "content": {"application/xml": {
                "schema": {"type": "string"}}}}, **_errors(401, 403, 404)}}},
        "/zones/{zone_id}/processes": {
            "get": {"summary": "Processes I may start for the zone now: deployed with the process property "
                               "startable (zone statuses, or any) and I am a candidate of the first task",
                    "parameters": _path_id("zone_id"),
                    "responses": {**_ok(200, _obj({"items": {"type": "array", "items": _ref("Startable")},
                                                   "total": {"type": "integer", "minimum": 0}})),
                                  **_errors(401, 404)}},
            "post": {"summary": "Start one for the zone, completing its first task with data",
                     "parameters": _path_id("zone_id"),
                     "requestBody": _body(_obj({"process_id": {"type": "string"}, "data": {"type": "object"}},
                                               ["process_id"])),
                     "responses": {**_ok(201, _ref("Instance"), "Started"),
                                   **_errors(400, 401, 403, 404, 409, 413, 415)}}},
        "/migrations": {"post": {
            "summary": "Move running instances to another version of their process (process owners): the chosen "
                       "instances, or every running one on from_version; dry_run only reports",
            "requestBody": _body(_obj({"target_version": _ID, "from_version": _ID,
                                       "instances": {"type": "array", "items": _ID, "maxItems": 10000},
                                       "dry_run": {"type": "boolean"}}, ["target_version"])),
            "responses": {**_ok(200, _obj({"target": _ref("ProcessDefinition"), "dry_run": {"type": "boolean"},
                                           "items": {"type": "array", "items": _ref("MigrationItem")}})),
                          **_errors(400, 401, 403, 404, 409, 413, 415)}}},
        "/instances/{instance_id}/rollback": {"post": {
            "summary": "Move a migrated instance back to the version it came from (if it has not moved on since)",
            "parameters": _path_id("instance_id"),
            "responses": {**_ok(200, _obj({"instance": _ID, "process_version": {"type": "string"}})),
                          **_errors(401, 403, 404, 409)}}},
        "/process-definitions/{old_id}/diff/{new_id}": {"get": {
            "summary": "What changed between two versions of one process",
            "parameters": [*_path_id("old_id"), *_path_id("new_id")],
            "responses": {**_ok(200, _ref("ProcessDiff")), **_errors(400, 401, 404)}}},
    }


def _inbox_schemas() -> dict[str, Any]:
    notification = _obj({"id": _ID, "kind": {"type": "string", "enum": ["new_task", "due_soon", "overdue",
                                                                        "escalation", "reassigned", "delegated"]},
                         "task_id": {**_ID, "nullable": True}, "task_name": _NULL_STR,
                         "zone_id": {**_ID, "nullable": True}, "zone_name": _NULL_STR, "note": {"type": "string"},
                         "created_at": _TIME, "read_at": {**_NULL_TIME, "description": "null while unread"}})
    saved = _obj({"id": _ID, "name": {"type": "string"},
                  "query": {"type": "string", "description": "the inbox parameters it keeps, as a query string"},
                  "created_at": _TIME})
    return {"Notification": notification, "SavedFilter": saved}


def _inbox_paths() -> dict[str, Any]:
    """The paths of my notifications and my saved inbox filters."""
    count = {"type": "integer", "minimum": 0}
    marked = _obj({"changed": {**count, "description": "how many were unread and are read now"},
                   "unread": {**count, "description": "my unread notifications now"}})
    listing = _obj({"items": {"type": "array", "items": _ref("Notification")}, "total": count, "unread": count,
                    "limit": {"type": "integer"}, "offset": {"type": "integer"}})
    unread = {"name": "unread", "in": "query", "required": False, "description": "true: only unread ones",
              "schema": {"type": "string", "enum": ["true", "false"]}}
    filters = _obj({"items": {"type": "array", "items": _ref("SavedFilter")}, "total": count})
    new_filter = _obj({"name": {"type": "string", "minLength": 1, "maxLength": 100},
                       "query": {"type": "string", "maxLength": 1000, "description":
                                 "inbox parameters as a query string (tab=mine&due=overdue); checked as GET /tasks "
                                 "checks them"}}, ["name"])
    return {
        "/notifications": {"get": {
            "summary": "My notifications, newest first, with the count of unread ones; an unknown parameter or "
                       "value is a 400", "parameters": [unread, *_PAGE_INBOX],
            "responses": {**_ok(200, listing), **_errors(400, 401)}}},
        "/notifications/{notification_id}/read": {"post": {
            "summary": "Mark one of my notifications read (someone else's is a 404)",
            "parameters": _path_id("notification_id"),
            "responses": {**_ok(200, marked), **_errors(401, 404)}}},
        "/notifications/read": {"post": {
            "summary": "Mark all my notifications read",
            "responses": {**_ok(200, marked), **_errors(401)}}},
        "/filters": {
            "get": {"summary": "My saved inbox filters, by name",
                    "responses": {**_ok(200, filters), **_errors(401)}},
            "post": {"summary": "Save inbox filters under a name (use them with GET /tasks?filter=<id>)",
                     "requestBody": _body(new_filter),
                     "responses": {**_ok(201, _ref("SavedFilter"), "Saved"),
                                   **_errors(400, 401, 403, 404, 409, 413, 415)}}},
        "/filters/{filter_id}": {"delete": {
            "summary": "Delete one of my saved filters (someone else's is a 404)",
            "parameters": _path_id("filter_id"),
            "responses": {"204": {"description": "Deleted"}, **_errors(401, 404)}}},
    }
