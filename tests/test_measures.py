"""Innovation measures and replication: reporting for approval, the catalogue, adoption both ways."""

import pytest
from sqlalchemy import func, select

from tests.conftest import MEASURE, START, act, application, operating_zone, user
from workflow import store
from workflow.errors import Conflict, InvalidForm, NotFound, PermissionDenied
from workflow.models import Adoption, Experience, ItemStatus, Measure
from workflow.services import experiences, measures, tasks, zones


def test_a_measure_within_the_rules_is_recorded_directly(session):
    zone = operating_zone(session)
    measure = measures.file(session, user(session, "henan.gov"), zone.id, MEASURE)
    assert measure.status == ItemStatus.IN_EFFECT and not measure.departs


def test_a_measure_departing_from_the_rules_needs_the_unit_concerned(session):
    zone = operating_zone(session)
    raw = {**MEASURE, "departs_from_rules": True, "rules_departed": "检验检疫法实施条例第十六条",
           "unit_concerned": "hq_cnca"}
    measure = measures.file(session, user(session, "henan.bureau"), zone.id, raw)
    assert measure.status == ItemStatus.PENDING
    assert [t.bpmn_id for t in tasks.inbox(session, user(session, "hq.cnca"))] == ["approve_measure"]
    assert tasks.inbox(session, user(session, "hq.food")) == []
    act(session, "hq.cnca", "approve_measure", START, decision="approve", comment="同意试点")
    session.refresh(measure)
    assert measure.status == ItemStatus.IN_EFFECT


def test_departing_needs_the_rules_and_the_unit_named(session):
    zone = operating_zone(session)
    with pytest.raises(InvalidForm) as err:
        measures.file(session, user(session, "henan.gov"), zone.id, {**MEASURE, "departs_from_rules": True})
    assert set(err.value.fields) == {"rules_departed", "unit_concerned"}


def test_no_measure_for_a_zone_that_is_not_operating(session):
    zone = zones.file_application(session, user(session, "henan.gov"), application(), now=START)
    with pytest.raises(Conflict):
        measures.file(session, user(session, "henan.gov"), zone.id, MEASURE)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Measure)) == 0


def test_only_the_zones_own_officials_file_measures(session):
    zone = operating_zone(session)
    with pytest.raises(NotFound):
        measures.file(session, user(session, "jiangxi.bureau"), zone.id, MEASURE)
    with pytest.raises(PermissionDenied):
        measures.file(session, user(session, "hq.clearance"), zone.id, MEASURE)


def test_replication_review_publication_and_adoption_both_ways(session):
    henan = operating_zone(session)
    jiangxi = operating_zone(session, "jiangxi.gov", "赣州国检试验区", "jiangxi", "jiangxi.bureau")
    measure = measures.file(session, user(session, "henan.gov"), henan.id, MEASURE)
    proposal = {"title": "第三方检验结果采信", "kind": "measure", "summary": "做法", "results": "通关时间缩短"}
    experience = experiences.propose(session, user(session, "henan.bureau"), henan.id, proposal, measure.id)
    assert experience.status == ItemStatus.PENDING and experiences.catalogue(session) == []
    act(session, "hq.clearance", "review_replication", START, decision="accept", comment="推广")
    session.refresh(experience)
    assert experience.status == ItemStatus.PUBLISHED and experiences.catalogue(session) == [experience]
    adoption = experiences.adopt(session, user(session, "jiangxi.bureau"), experience.id, jiangxi.id, "借鉴")
    assert adoption.zone_id == jiangxi.id and experience.adoptions == [adoption]
    assert store.adoptions(session, jiangxi.id) == [adoption]
    with pytest.raises(Conflict):
        experiences.adopt(session, user(session, "jiangxi.gov"), experience.id, jiangxi.id)
    with pytest.raises(InvalidForm):
        experiences.adopt(session, user(session, "henan.bureau"), experience.id, henan.id)
    with pytest.raises(NotFound):
        experiences.adopt(session, user(session, "henan.bureau"), experience.id, jiangxi.id)


def test_a_proposal_for_another_provinces_measure_is_refused(session):
    henan = operating_zone(session)
    jiangxi = operating_zone(session, "jiangxi.gov", "赣州国检试验区", "jiangxi", "jiangxi.bureau")
    foreign = measures.file(session, user(session, "jiangxi.gov"), jiangxi.id, MEASURE)
    proposal = {"title": "x", "kind": "measure", "summary": "x", "results": "x"}
    with pytest.raises(InvalidForm) as err:
        experiences.propose(session, user(session, "henan.bureau"), henan.id, proposal, foreign.id)
    assert set(err.value.fields) == {"measure"}
    with pytest.raises(NotFound):
        experiences.propose(session, user(session, "henan.bureau"), jiangxi.id, proposal, foreign.id)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Experience)) == 0
    assert session.scalar(select(func.count()).select_from(Adoption)) == 0
