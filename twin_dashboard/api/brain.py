"""社区大脑 under /api/v1/brain: people found by their tags, counted per area or listed; the
policy gaps; an admin's change of a person's tags.

Counts answer every signed-in caller within their scope; the list only roles that may see
residents at all (names and phones in full or masked as :meth:`Viewer.personal_for` says), and
every list is audited with who asked what. Unknown tags, a bad ``by`` → 422 naming them.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from twin_dashboard.api.models import comma_list
from twin_dashboard.api.problems import Problem
from twin_dashboard.api.scope import scope_from_query
from twin_dashboard.auth.context import ViewerDep, caller_ip
from twin_dashboard.domain import brain
from twin_dashboard.domain.access import Viewer
from twin_dashboard.services import Services, ServicesDep
from twin_dashboard.store.base import Scope

router = APIRouter(prefix="/api/v1", tags=["brain"])
MAX_PEOPLE = 2000
TAGS_DOC = "comma-separated tags, e.g. 独居老人,高龄; known: " + ", ".join(brain.KNOWN_TAGS)
TAGS = comma_list(brain.KNOWN_TAGS, separators=",，")  # ASCII or full-width commas
BOTH = " A tag both included (all, any) and excluded (not) is a 422."
Tag = Literal[brain.KNOWN_TAGS]  # type: ignore[valid-type]
REFUSALS = {403: {"model": Problem, "description": "outside the caller's scope or role"},
            422: {"model": Problem, "description": "a tag both included and excluded"}}


class AreaCount(BaseModel):
    id: str
    name: str
    count: int


class Counts(BaseModel):
    by: str
    query: dict[str, list[str]] = Field(description="the checked query: all, any, not")
    total: int = Field(description="everyone matching in the scope (outside areas too)")
    areas: list[AreaCount] = Field(description="every area in the scope, zeros included")


class PersonOut(BaseModel):
    id: str
    name: str | None
    phone: str | None
    role: str | None
    subdistrict_id: str | None
    neighborhood_id: str | None
    tags: list[str]
    masked: bool = Field(description="name and phone masked for this caller")


class People(BaseModel):
    query: dict[str, list[str]]
    total: int
    people: list[PersonOut] = Field(description=f"at most limit (≤ {MAX_PEOPLE})")


class Gap(BaseModel):
    key: str
    zh: str
    en: str
    query: dict[str, list[str]]


class TagsIn(BaseModel):
    tags: list[Tag] = Field(max_length=len(brain.KNOWN_TAGS) * 2,
                            description="the person's new tags, all of them; known: "
                                        + ", ".join(brain.KNOWN_TAGS))


class TagsChanged(BaseModel):
    id: str
    old: list[str]
    new: list[str]


def _query(all_: str | None, any_: str | None, not_: str | None) -> brain.BrainQuery:
    try:
        return brain.brain_query(brain.split_tags(all_), brain.split_tags(any_),
                                 brain.split_tags(not_))
    except ValueError as err:
        raise HTTPException(422, str(err)) from None


def _scope(services: Services, viewer: Viewer, subdistrict: str | None,
           neighborhood: str | None) -> Scope:
    return scope_from_query(services, viewer, subdistrict, neighborhood)


@router.get("/brain/counts", response_model=Counts, responses=REFUSALS,
            summary="People matching a tag query, counted per area of the caller's scope")
def brain_counts(
    services: ServicesDep, viewer: ViewerDep,
    all: str | None = Query(None, pattern=TAGS,
                            description="tags a person carries all of; " + TAGS_DOC + BOTH),
    any: str | None = Query(None, pattern=TAGS,
                            description="tags a person carries at least one of"),
    not_: str | None = Query(None, alias="not", pattern=TAGS,
                             description="tags a person carries none of"),
    by: Literal["subdistrict", "neighborhood"] = Query("neighborhood",
                                                       description="the areas to count by"),
    subdistrict: str | None = Query(None, description="narrow to a subdistrict in scope"),
    neighborhood: str | None = Query(None, description="narrow to a neighborhood in scope"),
) -> dict[str, Any]:
    query = _query(all, any, not_)
    scope = _scope(services, viewer, subdistrict, neighborhood)
    try:
        return brain.counts(services.store, services.atlas.places(), viewer, scope, query, by)
    except ValueError as err:
        raise HTTPException(422, str(err)) from None


@router.get("/brain/people", response_model=People, responses=REFUSALS,
            summary="The people matching a tag query (roles allowed residents' data; audited)")
def brain_people(
    services: ServicesDep, viewer: ViewerDep,
    all: str | None = Query(None, pattern=TAGS, description=TAGS_DOC + BOTH),
    any: str | None = Query(None, pattern=TAGS),
    not_: str | None = Query(None, alias="not", pattern=TAGS),
    subdistrict: str | None = Query(None), neighborhood: str | None = Query(None),
    limit: int = Query(200, ge=1, le=MAX_PEOPLE),
) -> dict[str, Any]:
    query = _query(all, any, not_)
    scope = _scope(services, viewer, subdistrict, neighborhood)
    try:
        answer = brain.people_answer(services.store, viewer, scope, query, limit,
                                     services.now(), caller_ip())
    except PermissionError as err:
        raise HTTPException(403, str(err)) from None
    # A person of the subdistrict's staff has no neighborhood: NaN in the frame, null here.
    answer["people"] = [{k: None if isinstance(v, float) and math.isnan(v) else v
                         for k, v in person.items()} for person in answer["people"]]
    return answer


@router.get("/brain/gaps", response_model=list[Gap],
            summary="The ready-made policy-gap queries (who qualifies but is not served)")
def brain_gaps(viewer: ViewerDep) -> list[dict[str, Any]]:
    del viewer  # signed in is enough: plain data
    return [{"key": g.key, "zh": g.zh, "en": g.en, "query": g.query.as_dict()}
            for g in brain.POLICY_GAPS]


@router.put("/people/{person_id}/tags", response_model=TagsChanged,
            responses={403: {"model": Problem, "description": "not an admin"},
                       404: {"model": Problem, "description": "no such person"},
                       },
            summary="Replace a person's tags (admins; audited with the old and new tags)")
def put_tags(services: ServicesDep, viewer: ViewerDep, person_id: str,
             body: TagsIn) -> dict[str, Any]:
    if not viewer.spec.admin:
        raise HTTPException(403, f"{viewer.name!r} ({viewer.role}): tags are changed by admins")
    try:
        old, new = brain.set_tags(services.store, person_id, body.tags, viewer.name,
                                  services.now())
    except KeyError:
        raise HTTPException(404, f"no person {person_id!r}") from None
    except ValueError as err:
        raise HTTPException(422, str(err)) from None
    return {"id": person_id, "old": old, "new": new}
