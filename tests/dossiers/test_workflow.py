"""The state table: every move it lists, and only those."""

import ast
import inspect

import pytest

from guichet.dossiers import workflow
from guichet.dossiers.workflow import (
    FINAL,
    TRANSITIONS,
    Action,
    Actor,
    State,
    TransitionRefused,
    available,
    find,
)


def test_the_table_is_pure_python():
    tree = ast.parse(inspect.getsource(workflow))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    assert not any(name and name.startswith("django") for name in imported)


def test_every_state_but_draft_is_reachable_and_nothing_returns_to_draft():
    targets = {t.target for t in TRANSITIONS}
    assert targets == set(State) - {State.DRAFT}


def test_final_states_have_no_way_out():
    for state in FINAL:
        assert all(not available(state, actor) for actor in Actor)


@pytest.mark.parametrize("transition", TRANSITIONS, ids=lambda t: t.action.value)
def test_each_move_is_allowed_only_from_its_states_and_to_its_actor(transition):
    for state in State:
        for actor in Actor:
            allowed = state in transition.sources and actor is transition.actor
            if allowed:
                assert find(transition.action, state, actor) is transition
            else:
                with pytest.raises(TransitionRefused):
                    find(transition.action, state, actor)


def test_refusals_say_why_in_french():
    with pytest.raises(
        TransitionRefused, match="« Déposer » est impossible pour un dossier à l’état « Retiré »"
    ):
        find(Action.SUBMIT, State.WITHDRAWN, Actor.APPLICANT)
    with pytest.raises(TransitionRefused, match="n’est pas une action qui vous revient"):
        find(Action.START_REVIEW, State.SUBMITTED, Actor.APPLICANT)


@pytest.mark.parametrize("state", list(State), ids=lambda s: s.value)
@pytest.mark.parametrize(
    "action", [Action.ACCEPT, Action.REFUSE, Action.POSTPONE, Action.WAIT_LIST],
    ids=lambda a: a.value,
)  # fmt: skip
def test_every_committee_outcome_from_every_state(action, state):
    """The committee decides only dossiers before it: proposed, postponed or on the waiting list;
    nobody else takes these actions."""
    from guichet.dossiers.workflow import BEFORE_COMMITTEE, find

    if state in BEFORE_COMMITTEE:
        assert find(action, state, Actor.COMMITTEE).action is action
    else:
        with pytest.raises(TransitionRefused, match="impossible pour un dossier"):
            find(action, state, Actor.COMMITTEE)
    for other in (Actor.REVIEWER, Actor.APPLICANT):
        with pytest.raises(TransitionRefused, match="n’est pas une action qui vous revient"):
            find(action, state, other)
