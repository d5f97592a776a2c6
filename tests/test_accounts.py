"""People and access, the unit level: roles, scope narrowing, masking, sessions, lock-out, audit,
the account commands and the demo accounts."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from tests._live_fixtures import add_other_neighborhood, load_district
from tests._postgis import raw_connection
from twin_dashboard.cli import main
from twin_dashboard.domain import audit, sessions
from twin_dashboard.domain.access import OutOfScope, Viewer
from twin_dashboard.domain.accounts import (
    Area,
    create_kiosk,
    create_user,
    disable_user,
    issue_api_token,
    token_user,
    viewer_of,
)
from twin_dashboard.domain.masking import mask_address, mask_name, mask_phone
from twin_dashboard.domain.places import MapScope, Places
from twin_dashboard.domain.roles import ROLES, role
from twin_dashboard.store.base import open_store
from twin_dashboard.testing import TEST_PASSWORD, add_user

T0 = pd.Timestamp("2026-03-02T02:00:00Z")
PLACES = Places({"beiwaitan": "北外滩", "ouyanglu": "欧阳路"},
                {"yunfang": "云舫", "other": "别处", "far": "远处"},
                {"yunfang": "beiwaitan", "other": "beiwaitan", "far": "ouyanglu"})


@pytest.fixture
def store(store_url):
    s = open_store(store_url)
    load_district(s)
    add_other_neighborhood(s)
    yield s
    s.close()


# --- roles and scope --------------------------------------------------------------------------

def test_acc001_one_table_of_roles_with_their_areas_and_personal_data():
    assert set(ROLES) == {"commander", "officer", "cadre", "property", "road_chief", "buddy",
                          "kiosk", "admin"}
    assert ROLES["kiosk"].personal == "never" and not ROLES["kiosk"].acts
    assert ROLES["admin"].admin and ROLES["admin"].personal == "never"
    assert ROLES["commander"].personal == "with_reason"
    assert {r.home for r in ROLES.values()} == {"desk", "tablet", "wall"}
    with pytest.raises(ValueError, match="unknown role 'mayor'"):
        role("mayor")


def test_acc002_selectors_only_narrow_inside_the_scope():
    officer = Viewer("o", "officer", None, frozenset(["beiwaitan"]))
    assert officer.narrow(PLACES, None, "yunfang") == MapScope("beiwaitan", "yunfang")
    assert officer.narrow(PLACES, "ouyanglu", None) == MapScope("beiwaitan")  # outside → home
    assert officer.narrow(PLACES, None, "far") == MapScope("beiwaitan")
    assert officer.narrow(PLACES, None, None) == MapScope("beiwaitan")  # district → home
    with pytest.raises(OutOfScope, match="'far'"):
        officer.checked(PLACES, None, "far")
    with pytest.raises(ValueError, match="unknown neighborhood 'nope'"):
        officer.checked(PLACES, None, "nope")
    assert officer.checked(PLACES, None, None).subdistrict_ids == {"beiwaitan"}
    cadre = Viewer("c", "cadre", None, frozenset(["beiwaitan"]), frozenset(["yunfang"]))
    assert cadre.narrow(PLACES, "beiwaitan", None) == MapScope("beiwaitan", "yunfang")
    assert cadre.narrow(PLACES, None, "other") == MapScope("beiwaitan", "yunfang")
    assert list(cadre.areas(PLACES).neighborhoods) == ["yunfang"]
    assert not cadre.areas(PLACES).subdistricts  # not the whole of beiwaitan
    boss = Viewer("b", "commander")
    assert boss.narrow(PLACES, "ouyanglu", None) == MapScope("ouyanglu")
    assert boss.home(PLACES) == MapScope()


def test_acc003_a_viewer_is_built_from_the_account_not_the_browser(store):
    add_user(store, "c1", "cadre", neighborhoods=("yunfang",), person="p-cadre")
    add_user(store, "b1", "buddy", person="p-buddy")
    add_user(store, "k0", "officer", subdistrict="beiwaitan")
    cadre = viewer_of(store, store.accounts.user("c1"))
    assert (cadre.subdistricts, cadre.neighborhoods) == ({"beiwaitan"}, {"yunfang"})
    buddy = viewer_of(store, store.accounts.user("b1"))
    assert buddy.households == {"h1"} and buddy.neighborhoods == {"yunfang"}
    assert buddy.personal_for({"buddy_id": "p-buddy"}) == "full"
    assert buddy.personal_for({"buddy_id": "p-someone"}) == "masked"
    assert viewer_of(store, store.accounts.user("k0")).personal_for({}) == "masked"
    assert Viewer("k", "kiosk").personal_for({"buddy_id": "x"}) == "none"


# --- masking ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name,masked", [("张三丰", "张**"), ("李四", "李*"), ("王", "王*"),
                                         ("", ""), (None, None)])
def test_acc004_mask_name(name, masked):
    assert mask_name(name) == masked


def test_acc005_mask_address_and_phone():
    assert mask_address("虹口区武昌路7弄47号1504室") == "虹口区武昌路7弄**号"
    assert mask_address("虹口区四平路1000号") == "虹口区四平路**号"
    assert mask_address("somewhere") == "**" and mask_address(None) is None
    assert mask_phone("170-0000-8351") == "170-****-**51"


# --- accounts ---------------------------------------------------------------------------------

def test_acc006_unknown_ids_and_wrong_options_are_refused_by_name(store):
    def create(name, role_name, area, person=None):
        create_user(store, name, role_name, area, person_id=person, password=TEST_PASSWORD,
                    now=T0)

    with pytest.raises(ValueError, match="unknown neighborhood 'nowhere'"):
        create("x", "cadre", Area(neighborhoods=("nowhere",)))
    with pytest.raises(ValueError, match="unknown subdistrict 'mars'"):
        create("x", "officer", Area(subdistrict="mars"))
    with pytest.raises(ValueError, match="unknown person 'p-ghost'"):
        create("x", "officer", Area(subdistrict="beiwaitan"), "p-ghost")
    with pytest.raises(ValueError, match="needs --subdistrict"):
        create("x", "officer", Area())
    with pytest.raises(ValueError, match="--zone does not apply"):
        create("x", "cadre", Area(neighborhoods=("yunfang",), zones=("z",)))
    with pytest.raises(ValueError, match="too short"):
        create_user(store, "x", "admin", Area(), password="short", now=T0)
    create("x", "admin", Area())
    with pytest.raises(ValueError, match="already exists"):
        create("x", "admin", Area())
    assert store.accounts.user("x")["password_hash"].startswith("$argon2id$")


def test_acc007_personal_tokens_are_stored_hashed_and_die_with_the_account(store):
    add_user(store, "c1", "cadre", neighborhoods=("yunfang",))
    token = issue_api_token(store, "c1", T0)
    assert token.startswith("twp_") and token_user(store, token) == "c1"
    assert token not in repr(store.accounts.users())
    disable_user(store, "c1", T0)
    assert token_user(store, token) is None


# --- sessions and lock-out (fixed clock) ------------------------------------------------------

def test_acc008_sessions_expire_when_idle_and_absolutely(store):
    add_user(store, "c1", "cadre", neighborhoods=("yunfang",))
    policy = sessions.SessionPolicy()
    opened = sessions.sign_in(store, "c1", TEST_PASSWORD, "10.0.0.1", T0, policy)
    at = T0
    for _ in range(20):  # active every 25 min: the idle clock slides
        at += pd.Timedelta(minutes=25)
        if at - T0 >= policy.absolute:
            break
        assert sessions.resolve(store, opened.session_id, at, policy) is not None, at
    assert sessions.resolve(store, opened.session_id, T0 + policy.absolute, policy) is None
    idle = sessions.sign_in(store, "c1", TEST_PASSWORD, "10.0.0.1", T0, policy)
    assert sessions.resolve(store, idle.session_id, T0 + pd.Timedelta(minutes=29), policy)
    later = T0 + pd.Timedelta(minutes=29) + policy.idle
    assert sessions.resolve(store, idle.session_id, later, policy) is None


def test_acc009_logout_and_disable_end_a_session_at_once(store):
    add_user(store, "c1", "cadre", neighborhoods=("yunfang",))
    one = sessions.sign_in(store, "c1", TEST_PASSWORD, None, T0)
    two = sessions.sign_in(store, "c1", TEST_PASSWORD, None, T0)
    sessions.end(store, one.session_id, T0)
    assert sessions.resolve(store, one.session_id, T0) is None
    assert sessions.resolve(store, two.session_id, T0) is not None
    disable_user(store, "c1", T0)
    assert sessions.resolve(store, two.session_id, T0) is None
    with pytest.raises(sessions.SignInRefused):
        sessions.sign_in(store, "c1", TEST_PASSWORD, None, T0)


def test_acc010_lock_out_after_five_failures_grows_and_is_audited(store):
    add_user(store, "c1", "cadre", neighborhoods=("yunfang",))
    for _ in range(5):
        with pytest.raises(sessions.SignInRefused, match="wrong user name or password"):
            sessions.sign_in(store, "c1", "guess", "10.0.0.9", T0)
    with pytest.raises(sessions.SignInRefused) as locked:
        sessions.sign_in(store, "c1", TEST_PASSWORD, "10.0.0.8", T0)  # right, but locked
    assert locked.value.retry_after == 30
    later = T0 + pd.Timedelta(seconds=31)
    with pytest.raises(sessions.SignInRefused):
        sessions.sign_in(store, "c1", "guess", "10.0.0.8", later)  # sixth: 60 s now
    with pytest.raises(sessions.SignInRefused) as longer:
        sessions.sign_in(store, "c1", TEST_PASSWORD, "10.0.0.8", later)
    assert longer.value.retry_after == 60
    # the address is locked too, whichever name it tries
    with pytest.raises(sessions.SignInRefused) as by_ip:
        sessions.sign_in(store, "someone", "x", "10.0.0.9", T0 + pd.Timedelta(seconds=1))
    assert by_ip.value.retry_after
    opened = sessions.sign_in(store, "c1", TEST_PASSWORD, "10.0.0.7",
                              later + pd.Timedelta(seconds=61))
    assert opened.session_id
    actions = [e["action"] for e in audit.entries(store, actor="c1")]
    assert actions.count("login.failed") == 6 and "login.locked" in actions
    assert actions[-1] == "login"


def test_acc011_a_commanders_reason_holds_for_a_while_and_is_audited(store):
    add_user(store, "boss", "commander")
    opened = sessions.sign_in(store, "boss", TEST_PASSWORD, None, T0)
    live = sessions.resolve(store, opened.session_id, T0)
    assert live.reason is None
    with pytest.raises(ValueError, match="at least 4"):
        sessions.state_reason(store, live.id_hash, "boss", " ab ", T0)
    sessions.state_reason(store, live.id_hash, "boss", "fire at 武昌路7弄", T0)
    assert sessions.resolve(store, opened.session_id, T0).reason == "fire at 武昌路7弄"
    assert sessions.resolve(store, opened.session_id, T0 + pd.Timedelta(minutes=31)) is None \
        or sessions.resolve(store, opened.session_id,
                            T0 + pd.Timedelta(minutes=29)).reason is not None
    entry = audit.entries(store, actor="boss")[-1]
    assert (entry["action"], entry["reason"]) == ("personal.reason", "fire at 武昌路7弄")


# --- audit ------------------------------------------------------------------------------------

def test_acc012_the_audit_is_append_only(store):
    audit.record(store, T0, "c1", "login", "c1", ip="10.0.0.1")
    conn, refused = raw_connection(store)
    with pytest.raises(refused, match="append-only"):
        conn.execute("UPDATE audit SET actor = 'someone else'")
    with pytest.raises(refused, match="append-only"):
        conn.execute("DELETE FROM audit")
    conn.close()
    rows = audit.entries(store)
    assert [(r["actor"], r["action"]) for r in rows] == [("c1", "login")]
    assert audit.as_csv(rows).splitlines()[0].startswith("seq,ts,actor,action")
    assert '"action": "login"' in audit.as_jsonl(rows)


# --- the command line -------------------------------------------------------------------------

def test_acc013_user_and_kiosk_commands(store):
    db = store.url
    run = CliRunner().invoke
    made = run(main, ["user", "create", "yf", "--role", "cadre", "--neighborhood", "yunfang",
                      "--person", "p-cadre", "--password-stdin", "--db", db],
               input="a long enough secret\n")
    assert made.exit_code == 0, made.output
    assert "a long enough secret" not in made.output
    bad = run(main, ["user", "create", "x", "--role", "cadre", "--neighborhood", "nowhere",
                     "--password-stdin", "--db", db], input="a long enough secret\n")
    assert bad.exit_code == 2 and "unknown neighborhood 'nowhere'" in bad.output
    zone = run(main, ["user", "create", "x", "--role", "road_chief", "--zone", "z-9",
                      "--password-stdin", "--db", db], input="a long enough secret\n")
    assert zone.exit_code == 2 and "unknown zone 'z-9'" in zone.output
    role_bad = run(main, ["user", "create", "x", "--role", "mayor", "--db", db])
    assert role_bad.exit_code == 2 and "unknown role 'mayor'" in role_bad.output
    prompted = run(main, ["user", "create", "adm", "--role", "admin", "--db", db],
                   input="another long secret\nanother long secret\n")
    assert prompted.exit_code == 0, prompted.output
    listed = run(main, ["user", "list", "--db", db]).output
    assert "yf" in listed and "cadre" in listed and "$argon2" not in listed
    token = run(main, ["user", "token", "yf", "--db", db]).output.strip()
    assert token_user(store, token) == "yf"
    changed = run(main, ["user", "password", "yf", "--password-stdin", "--db", db],
                  input="a new long secret!\n")
    assert changed.exit_code == 0
    assert run(main, ["user", "disable", "yf", "--db", db]).exit_code == 0
    again = run(main, ["user", "disable", "yf", "--db", db])
    assert again.exit_code == 2 and "already disabled" in again.output
    kiosk = run(main, ["kiosk", "create", "wall1", "--scope", "subdistrict:beiwaitan",
                       "--db", db])
    assert kiosk.exit_code == 0 and "/kiosk/enrol/twk_" in kiosk.output
    nope = run(main, ["kiosk", "create", "wall2", "--scope", "planet:mars", "--db", db])
    assert nope.exit_code == 2 and "bad scope" in nope.output
    fast = run(main, ["kiosk", "create", "wall3", "--scope", "district", "--rotate", "2",
                      "--db", db])
    assert fast.exit_code == 2 and "at least 5 s" in fast.output
    tour = run(main, ["kiosk", "create", "wall4", "--scope", "district", "--rotate", "30",
                      "--db", db])
    assert tour.exit_code == 0 and store.accounts.user("wall4")["rotate_s"] == 30
    assert run(main, ["kiosk", "revoke", "wall1", "--db", db]).exit_code == 0
    trail = run(main, ["audit", "--format", "jsonl", "--db", db]).output
    assert '"action": "user.create"' in trail and '"action": "user.disable"' in trail
    assert run(main, ["audit", "--actor", "nobody", "--format", "csv", "--db", db]).output \
        .strip() == "seq,ts,actor,action,subject,reason,detail,ip"


def test_acc014_kiosk_enrolment_is_once_only(store):
    from twin_dashboard.domain.tokens import hash_token

    token = create_kiosk(store, "w", "neighborhood:yunfang", T0)
    at = int(T0.timestamp())
    assert store.accounts.use_enrolment(hash_token(token), at) == "w"
    assert store.accounts.use_enrolment(hash_token(token), at) is None
    kiosk = viewer_of(store, store.accounts.user("w"))
    assert kiosk.neighborhoods == {"yunfang"} and kiosk.read_only and not kiosk.personal_data


def test_acc015_demo_accounts_one_per_role_random_passwords(demo):
    from twin_dashboard.seed import create_demo_users

    made = create_demo_users(demo.store)
    roles = {a.role for a in made}
    assert roles == set(ROLES), roles
    passwords = [a.secret for a in made if a.role != "kiosk"]
    assert len(set(passwords)) == len(passwords) and all(len(p) >= 16 for p in passwords)
    rows = {r["name"]: r for r in demo.store.accounts.users()}
    assert all(p not in str(rows) for p in passwords)
    assert rows["demo-cadre"]["neighborhood_ids"] == "yunfang"
    assert rows["demo-officer"]["subdistrict_id"] == "beiwaitan"
    buddy = viewer_of(demo.store, rows["demo-buddy"])
    assert buddy.households, "the demo buddy has elders"
    assert create_demo_users(demo.store) == []  # accounts there are left alone
