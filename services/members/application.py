"""Use cases of the members service: load streams, call the domain, append.

Every use case is ``(store, cmd, ctx, deps)``; ``deps`` carries the key vault and the small
indexes (``services.members.index``). Each reads O(1) streams (a unit check walks at most the
tree's depth).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from functools import partial

from shared.dates import today_vn
from shared.application import Context, Decided, execute
from shared.catalog.members import RECORD_PERSONAL
from shared.contracts import members as c
from shared.errors import invalid
from shared.events import Envelope, stream_name
from shared.eventstore import EventStore
from shared.personal import ShreddedError, Vault, is_sealed
from shared.readahead import read_ahead
from shared.rules import rules_on

from services.members import candidates, domain, lifecycle, rating, search
from services.members import rules as R
from services.members.domain import GRASSROOTS_KINDS
from services.members.index import DisciplineIndex, MembersIndex


@dataclass
class Deps:
    vault: Vault
    index: MembersIndex
    discipline: DisciplineIndex


def org_stream(org_unit_id: str) -> str:
    return stream_name("org_unit", org_unit_id)


def member_stream(member_id: str) -> str:
    return stream_name("member", member_id)


def candidate_stream(candidate_id: str) -> str:
    return stream_name("candidate", candidate_id)


def rating_stream(grassroots_id: str, year: int) -> str:
    return stream_name("rating", grassroots_id, year)


def load_unit(store: EventStore, org_unit_id: str | None, on: dt.date | None = None) -> domain.OrgUnit | None:
    if org_unit_id is None:
        return None
    return domain.fold_org_unit(store.read_stream(org_stream(org_unit_id)), on)


def load_member(store: EventStore, member_id: str) -> domain.Member:
    return domain.fold_member(store.read_stream(member_stream(member_id)))


def ancestors(store: EventStore, org_unit_id: str, on: dt.date | None = None) -> list[domain.OrgUnit]:
    """The unit and its ancestors up to the root, as of ``on`` (depth ≤ 5 stream reads)."""
    out: list[domain.OrgUnit] = []
    uid = org_unit_id
    while uid and len(out) < 10:
        unit = load_unit(store, uid, on)
        if not unit.exists:
            break
        out.append(unit)
        uid = unit.parent_id
    return out


def grassroots_of(store: EventStore, org_unit_id: str, on: dt.date) -> str:
    for unit in ancestors(store, org_unit_id, on):
        if unit.kind in GRASSROOTS_KINDS:
            return unit.org_unit_id
    raise R.NO_GRASSROOTS(org_unit_id=org_unit_id)


# --- personal data ---------------------------------------------------------------------------------

def sealed_fields(deps: Deps, subject: str, cmd, fields) -> dict:
    try:
        return {f: deps.vault.seal(subject, getattr(cmd, f)) for f in fields if getattr(cmd, f, None) is not None}
    except ShreddedError:
        raise R.PERSON_SHREDDED() from None


def opened_member(deps: Deps, events: list[Envelope]) -> domain.Member:
    """The member's state with the sealed values of its standing steps and recorded feedbacks opened:
    a command sent again gives them in clear, and is compared with them so (``lifecycle.repeated``)."""
    member = domain.fold_member(events)

    def opened(content: dict) -> dict:
        return {k: deps.vault.unseal(member.member_id, v) if is_sealed(v) else v for k, v in content.items()}
    return replace(member, standing={step: opened(v) for step, v in member.standing.items()},
                   feedbacks=tuple(opened(f) for f in member.feedbacks))


def card_stream(deps: Deps, number: str) -> str:
    return stream_name("card", deps.vault.keyed_hash(number))


def card_holder(store: EventStore, deps: Deps, number: str | None) -> str | None:
    if not number:
        return None
    events = store.read_stream(card_stream(deps, number))
    return events[0].data["member_id"] if events else None


def with_card(decided: list[Decided], deps: Deps, number: str | None, holder: str | None) -> list[Decided]:
    """Point the card reservation at its keyed stream; none when the member already holds the card."""
    out = []
    for d in decided:
        if d.stream == "card:":
            if holder is None and number:
                out.append(replace(d, stream=card_stream(deps, number)))
            continue
        out.append(d)
    return out


# --- organisation tree -------------------------------------------------------------------------------

def create_org_unit(store, cmd: c.CreateOrgUnit, ctx: Context, deps: Deps | None = None) -> list[Envelope]:
    parent = load_unit(store, cmd.parent_id)
    return execute(store, org_stream(cmd.org_unit_id), domain.fold_org_unit,
                   lambda unit: domain.create_org_unit(unit, parent, cmd), ctx)


def rename_org_unit(store, cmd: c.RenameOrgUnit, ctx: Context, deps: Deps | None = None) -> list[Envelope]:
    return execute(store, org_stream(cmd.org_unit_id), domain.fold_org_unit,
                   lambda unit: domain.rename_org_unit(unit, cmd), ctx)


def move_org_unit(store, cmd: c.MoveOrgUnit, ctx: Context, deps: Deps | None = None) -> list[Envelope]:
    chain = ancestors(store, cmd.parent_id)
    parent = chain[0] if chain else None
    above = [u.org_unit_id for u in chain]
    return execute(store, org_stream(cmd.org_unit_id), domain.fold_org_unit,
                   lambda unit: domain.move_org_unit(unit, parent, above, cmd), ctx)


def merge_org_unit(store, cmd: c.MergeOrgUnit, ctx: Context, deps: Deps) -> list[Envelope]:
    successor = load_unit(store, cmd.into_org_unit_id)
    children = deps.index.children(store, cmd.org_unit_id)
    roster = deps.index.roster(store, cmd.org_unit_id)
    return execute(store, org_stream(cmd.org_unit_id), domain.fold_org_unit,
                   lambda unit: domain.merge_org_unit(unit, successor, children, roster, cmd), ctx)


def dissolve_org_unit(store, cmd: c.DissolveOrgUnit, ctx: Context, deps: Deps) -> list[Envelope]:
    children = deps.index.children(store, cmd.org_unit_id)
    roster = deps.index.roster(store, cmd.org_unit_id)
    return execute(store, org_stream(cmd.org_unit_id), domain.fold_org_unit,
                   lambda unit: domain.dissolve_org_unit(unit, children, roster, cmd), ctx)


def assign_cell_overseer(store, cmd: c.AssignCellOverseer, ctx: Context, deps: Deps | None = None):
    from shared.catalog.members import CellOverseerAssigned
    overseer = load_member(store, cmd.member_id)

    def decide(unit):
        domain.require_member_holding(domain.require_active_unit(unit, cmd.org_unit_id, "org_unit_id"), "org_unit_id")
        domain.require_on_rolls(overseer, cmd)
        return [Decided(CellOverseerAssigned(org_unit_id=cmd.org_unit_id, member_id=cmd.member_id,
                                             attends_meetings=cmd.attends_meetings), cmd.occurred_on, cmd.org_unit_id)]
    return execute(store, org_stream(cmd.org_unit_id), domain.fold_org_unit, decide, ctx)


def hold_dialogue(store, cmd: c.HoldDialogue, ctx: Context, deps: Deps | None = None):
    from shared.catalog.members import DialogueHeld
    met = {member_id: load_member(store, member_id) for member_id in cmd.member_ids}

    def decide(unit):
        domain.require_active_unit(unit, cmd.org_unit_id, "org_unit_id")
        if cmd.occurred_on.year != cmd.year:
            raise R.WRONG_YEAR(year=cmd.year)
        domain.require_listed_members(met, cmd.occurred_on, "member_ids")
        return [Decided(DialogueHeld(org_unit_id=cmd.org_unit_id, year=cmd.year, member_ids=cmd.member_ids),
                        cmd.occurred_on, cmd.org_unit_id)]
    return execute(store, org_stream(cmd.org_unit_id), domain.fold_org_unit, decide, ctx)


# --- candidates ------------------------------------------------------------------------------------

def register_candidate(store, cmd: c.RegisterCandidate, ctx: Context, deps: Deps) -> list[Envelope]:
    unit = load_unit(store, cmd.org_unit_id)
    introducer = load_member(store, cmd.introduced_by_member_id) if cmd.introduced_by_member_id else None
    sealed = sealed_fields(deps, f"candidate:{cmd.candidate_id}", cmd, ("full_name", "birth_date"))
    return execute(store, candidate_stream(cmd.candidate_id), candidates.fold_candidate,
                   lambda cand: candidates.register_candidate(cand, unit, introducer, cmd, sealed["full_name"],
                                                              sealed["birth_date"], rules_on(cmd.occurred_on)), ctx)


def opened_candidate(cand: candidates.Candidate, deps: Deps | None) -> candidates.Candidate:
    """The candidate with its birth date unsealed (a shredded one has none)."""
    if not isinstance(cand.birth_date, str) or deps is None:
        return cand
    clear = deps.vault.unseal(f"candidate:{cand.candidate_id}", cand.birth_date)
    return replace(cand, birth_date=dt.date.fromisoformat(clear) if clear else None)


def _candidate_step(decide):
    def use_case(store, cmd, ctx: Context, deps: Deps | None = None) -> list[Envelope]:
        rules = rules_on(cmd.occurred_on)
        return execute(store, candidate_stream(cmd.candidate_id), candidates.fold_candidate,
                       lambda cand: decide(opened_candidate(cand, deps), cmd, rules), ctx)
    use_case.__name__ = decide.__name__
    return use_case


complete_awareness_class = _candidate_step(lambda cand, cmd, rules: candidates.complete_awareness_class(cand, cmd))
verify_background = _candidate_step(lambda cand, cmd, rules: candidates.verify_background(cand, cmd))
pass_cell_resolution = _candidate_step(candidates.pass_cell_resolution)
decide_admission = _candidate_step(candidates.decide_admission)


# --- members ---------------------------------------------------------------------------------------

def admit_member(store, cmd: c.AdmitMember, ctx: Context, deps: Deps) -> list[Envelope]:
    store = read_ahead(store, [org_stream(cmd.org_unit_id), member_stream(cmd.member_id)]
                       + ([candidate_stream(cmd.candidate_id)] if cmd.candidate_id else []), ctx)
    unit = load_unit(store, cmd.org_unit_id)
    rules = rules_on(cmd.occurred_on)
    resolution_on = special = None
    if cmd.candidate_id:
        cand = candidates.fold_candidate(store.read_stream(candidate_stream(cmd.candidate_id)))
        candidates.check_candidate_for_admission(cand, cmd)
        resolution_on, special = cand.resolution_on, cand.special_age_decision
    holder = card_holder(store, deps, cmd.card_number)
    sealed = sealed_fields(deps, cmd.member_id, cmd, ("full_name", "birth_date") + RECORD_PERSONAL)

    def decide(member):
        out = lifecycle.admit_member(member, unit, cmd, rules, sealed, holder, resolution_on, special)
        return with_card(out, deps, cmd.card_number, holder)
    return execute(store, member_stream(cmd.member_id), domain.fold_member, decide, ctx)


def transfer_in(store, cmd: c.TransferIn, ctx: Context, deps: Deps) -> list[Envelope]:
    store = read_ahead(store, [org_stream(cmd.org_unit_id), member_stream(cmd.member_id)], ctx)
    unit = load_unit(store, cmd.org_unit_id)
    holder = card_holder(store, deps, cmd.card_number)
    sealed = sealed_fields(deps, cmd.member_id, cmd, ("full_name", "birth_date") + RECORD_PERSONAL)
    return execute(store, member_stream(cmd.member_id), domain.fold_member,
                   lambda m: with_card(lifecycle.transfer_in(m, unit, cmd, sealed, holder), deps, cmd.card_number,
                                       holder), ctx)


def update_member_record(store, cmd: c.UpdateMemberRecord, ctx: Context, deps: Deps) -> list[Envelope]:
    holder = card_holder(store, deps, cmd.card_number)
    member = load_member(store, cmd.member_id)
    if member.shredded:
        sealed = {}
    else:
        sealed = sealed_fields(deps, cmd.member_id, cmd, ("full_name",) + RECORD_PERSONAL)
    return execute(store, member_stream(cmd.member_id), domain.fold_member,
                   lambda m: with_card(lifecycle.update_record(m, cmd, sealed, holder), deps, cmd.card_number,
                                       holder), ctx)


def _member_step(decide, needs_rules: bool = False):
    """A command on one member's stream whose decision needs nothing else."""
    def use_case(store, cmd, ctx: Context, deps: Deps | None = None) -> list[Envelope]:
        rules = rules_on(cmd.occurred_on)
        store = read_ahead(store, [member_stream(cmd.member_id)], ctx)
        return execute(store, member_stream(cmd.member_id), domain.fold_member,
                       (lambda m: decide(m, cmd, rules)) if needs_rules else (lambda m: decide(m, cmd)), ctx)
    use_case.__name__ = decide.__name__
    return use_case


complete_new_member_class = _member_step(lifecycle.complete_new_member_class)
recognize_official = _member_step(lifecycle.recognize_official, needs_rules=True)
end_temporary_transfer = _member_step(lifecycle.end_temporary_transfer)
present_transfer_papers = _member_step(lifecycle.present_papers)


def start_working_away(store, cmd: c.StartWorkingAway, ctx: Context, deps: Deps) -> list[Envelope]:
    """The contact (a phone number, an address) is personal: sealed with the member's key, so it
    is not in clear in the store or the feed, and shredding the member makes it unreadable."""
    contact = sealed_fields(deps, cmd.member_id, cmd, ("contact",)).get("contact")
    store = read_ahead(store, [member_stream(cmd.member_id)], ctx)
    return execute(store, member_stream(cmd.member_id), partial(opened_member, deps),
                   lambda m: lifecycle.start_working_away(m, cmd, contact), ctx)


end_working_away = _member_step(lifecycle.end_working_away)
start_abroad = _member_step(lifecycle.start_abroad, needs_rules=True)
end_abroad = _member_step(lifecycle.end_abroad)
end_exemption = _member_step(lifecycle.end_exemption)
assign_task = _member_step(lifecycle.assign_task)
make_commitment = _member_step(lifecycle.make_commitment)
complete_remediation = _member_step(lifecycle.complete_remediation)
grant_loan = _member_step(lifecycle.grant_loan)
repay_loan = _member_step(lifecycle.repay_loan)


def _exit_step(decide):
    """An exit of the rolls: not dated before the member's latest fact, their ratings included —
    those live in the grassroots organisation's streams, the index knows the latest."""
    def use_case(store, cmd, ctx: Context, deps: Deps | None = None) -> list[Envelope]:
        rated_on = deps.index.rated_on(store, cmd.member_id) if deps else None
        store = read_ahead(store, [member_stream(cmd.member_id)], ctx)
        return execute(store, member_stream(cmd.member_id), domain.fold_member,
                       lambda m: decide(m, cmd, rated_on), ctx)
    use_case.__name__ = decide.__name__
    return use_case


transfer_out = _exit_step(lifecycle.transfer_out)
remove_member = _exit_step(lifecycle.remove)
record_death = _exit_step(lifecycle.record_death)


def _sealed_member_step(decide, field: str):
    """A command on one member's stream carrying an appraisal of the person (the residence cell's
    feedback, the shortcomings a remediation plan lists): ``field`` is sealed with the member's key
    like a contact or a health reason, so the store and the feed never hold it in clear and
    shredding the member makes it unreadable; an empty text stays empty."""
    def use_case(store, cmd, ctx: Context, deps: Deps) -> list[Envelope]:
        sealed = sealed_fields(deps, cmd.member_id, cmd, (field,)).get(field) if getattr(cmd, field) else None
        store = read_ahead(store, [member_stream(cmd.member_id)], ctx)
        return execute(store, member_stream(cmd.member_id), partial(opened_member, deps),
                       lambda m: decide(m, cmd, sealed), ctx)
    use_case.__name__ = decide.__name__
    return use_case


record_liaison_feedback = _sealed_member_step(lifecycle.record_liaison_feedback, "feedback")
plan_remediation = _sealed_member_step(lifecycle.plan_remediation, "items")


def transfer_member(store, cmd: c.TransferMember, ctx: Context, deps: Deps | None = None) -> list[Envelope]:
    store = read_ahead(store, [org_stream(cmd.to_org_unit_id), member_stream(cmd.member_id)], ctx)
    target = load_unit(store, cmd.to_org_unit_id)
    rules = rules_on(cmd.occurred_on)
    return execute(store, member_stream(cmd.member_id), domain.fold_member,
                   lambda m: lifecycle.transfer(m, target, cmd, rules), ctx)


def introduce_liaison(store, cmd: c.IntroduceLiaison, ctx: Context, deps: Deps | None = None) -> list[Envelope]:
    store = read_ahead(store, [org_stream(cmd.residence_org_unit_id), member_stream(cmd.member_id)], ctx)
    residence = load_unit(store, cmd.residence_org_unit_id)
    return execute(store, member_stream(cmd.member_id), domain.fold_member,
                   lambda m: lifecycle.introduce_liaison(m, residence, cmd), ctx)


def exempt_member(store, cmd: c.ExemptMember, ctx: Context, deps: Deps) -> list[Envelope]:
    rules = rules_on(cmd.occurred_on)
    reason = sealed_fields(deps, cmd.member_id, cmd, ("health_reason",)).get("health_reason")
    return execute(store, member_stream(cmd.member_id), partial(opened_member, deps),
                   lambda m: lifecycle.exempt(m, cmd, rules, reason), ctx)


def resign_member(store, cmd: c.ResignMember, ctx: Context, deps: Deps) -> list[Envelope]:
    open_cases = deps.discipline.open_cases(cmd.member_id)
    rated_on = deps.index.rated_on(store, cmd.member_id)
    return execute(store, member_stream(cmd.member_id), domain.fold_member,
                   lambda m: lifecycle.resign(m, open_cases, cmd, rated_on), ctx)


def expel_member(store, cmd: c.ExpelMember, ctx: Context, deps: Deps | None = None,
                 reaction: bool = False) -> list[Envelope]:
    if not reaction:
        lifecycle.check_expulsion_case(cmd, deps.discipline.decision(cmd.case_id))
    rated_on = deps.index.rated_on(store, cmd.member_id) if deps else None
    return execute(store, member_stream(cmd.member_id), domain.fold_member,
                   lambda m: lifecycle.expel(m, cmd, reaction, rated_on), ctx)


def on_discipline_applied(store, message: dict, deps: Deps | None = None) -> list[Envelope]:
    """Reaction: ``discipline.applied`` with form expulsion against a member → ``member.expelled``.

    The command id derives from the discipline event id, so a redelivered event writes nothing."""
    from shared.events import derived_event_id
    d = message.get("data") or {}
    if message.get("type") != "discipline.applied" or d.get("form") != "expulsion" \
            or d.get("subject_kind") != "member":
        return []
    cmd = c.ExpelMember(member_id=d["subject_id"], case_id=d["case_id"],
                        occurred_on=dt.date.fromisoformat(str(message["occurred_on"])))
    ctx = Context(actor="discipline", correlation_id=message.get("correlation_id") or message["event_id"],
                  causation_id=message["event_id"], command_id=derived_event_id("reaction", message["event_id"]))
    return expel_member(store, cmd, ctx, deps, reaction=True)


REACTIONS_CHECKPOINT = "reactions.discipline"


def settle_reactions(store, discipline_store, deps_of, catch_up) -> int:
    """Apply now every reaction due to the discipline store's events up to its head (what the bus
    would deliver a little later), so an import returns with its consequences applied. The bus
    delivery that follows writes nothing twice (reaction command ids derive from the event id).
    Returns the number of events the reactions wrote."""
    head = discipline_store.head_position()
    start = store.get_checkpoint(REACTIONS_CHECKPOINT)
    if start >= head:
        return 0
    catch_up()  # the discipline index first (ratings, resignations read it)
    deps, written = deps_of(), 0
    for env in discipline_store.read_all(start + 1, to_position=head):
        if env.type == "discipline.applied":
            written += len(on_discipline_applied(store, env.to_message(), deps))
    store.set_checkpoint(REACTIONS_CHECKPOINT, head)
    return written


def rate_member(store, cmd: c.RateMember, ctx: Context, deps: Deps) -> list[Envelope]:
    rules = rules_on(cmd.occurred_on)
    member = load_member(store, cmd.member_id)
    domain.require_on_rolls(member, cmd)
    grassroots = grassroots_of(store, member.org_unit_id, cmd.occurred_on)
    cases = deps.discipline.cases_in_year(cmd.member_id, cmd.year)
    return execute(store, rating_stream(grassroots, cmd.year), rating.fold_ratings,
                   lambda ratings: rating.rate(member, ratings, cases, cmd, rules, grassroots), ctx)


def shred_member(store, cmd: c.ShredMember, ctx: Context, deps: Deps) -> list[Envelope]:
    """Delete the key first: if the append then fails, the data is already unreadable (the safe
    side for an erasure request) and a retry appends the event."""
    deps.vault.shred(cmd.member_id)
    return execute(store, member_stream(cmd.member_id), domain.fold_member, lambda m: lifecycle.shred(m, cmd), ctx)


# --- queries ---------------------------------------------------------------------------------------

PERSONAL_OUT = ("full_name",) + RECORD_PERSONAL


def search_members(store, q, deps: Deps) -> dict:
    """Members of ``q.org_unit_id``'s subtree by name, code or unit (``services.members.search``)."""
    if not q.q and not q.codes:
        raise invalid("q", "Cần từ khóa tìm kiếm («q», ít nhất 2 ký tự) hoặc mã đảng viên («codes»)",
                      "Give a search text ('q', at least 2 characters) or member codes ('codes')")
    index = deps.index
    parents = index.unit_parents()
    if q.org_unit_id and q.org_unit_id not in parents:
        raise domain.unit_not_found(q.org_unit_id, "org_unit_id")

    def name_of(member_id: str) -> tuple[str | None, str | None]:
        m = domain.fold_member(store.read_stream(member_stream(member_id)))
        return deps.vault.unseal(member_id, m.record.get("full_name")), m.status

    return search.search(index.placed_members(), parents, search.unit_names(index.unit_history()), name_of,
                         q.q, q.codes, q.org_unit_id, q.limit)


def get_member(store, member_id: str, deps: Deps) -> dict:
    events = store.read_stream(member_stream(member_id))
    m = domain.fold_member(events)
    if not m.exists:
        raise domain.member_not_found(member_id)
    rules = rules_on(today_vn())
    record = deps.vault.unseal_fields(member_id, m.record, PERSONAL_OUT)
    if isinstance(m.birth_date, str):  # sealed: open it like the other personal fields
        clear = deps.vault.unseal(member_id, m.birth_date)
        m = replace(m, birth_date=dt.date.fromisoformat(clear) if clear else None)
    categories = []
    if m.demobilised != "none":
        categories.append(f"demobilised_{m.demobilised}")
    if m.working_away:
        categories.append("working_away")
    if m.abroad:
        categories.append("abroad")
    if m.exemption:
        categories.append("exempt")
    if m.host_unit_id:
        categories.append("temporary")
    if m.birth_date and domain.age_in_months(m.birth_date, today_vn()) // 12 <= rules.young_member_max_age:
        categories.append("young")
    return {"member_id": m.member_id, "org_unit_id": m.org_unit_id, "host_org_unit_id": m.host_unit_id,
            "status": m.status, "admitted_on": m.admitted_on, "birth_date": m.birth_date, "sex": m.sex,
            "demobilised": m.demobilised, "categories": categories,
            "exemption": {"ground": m.exemption[0], "until": m.exemption[1]} if m.exemption else None,
            "left_on": m.left_on, "left_how": m.left_how, "personal_data_shredded": m.shredded,
            **{k: record.get(k) for k in PERSONAL_OUT + ("education", "political_theory", "occupation")}}


def locate(store, kind: str | None, ident: str | None, on: dt.date | None = None) -> dict | None:
    """The units a member (home, then host when temporarily elsewhere) or a candidate belongs to;
    for a member with ``on``, also ``unit_on``: its own unit on that business date."""
    if not isinstance(ident, str) or not ident:
        return None
    if kind == "member":
        history = store.read_stream(member_stream(ident))
        m = domain.fold_member(history)
        if not m.exists or not m.org_unit_id:
            return None
        # placed: where its own unit changed, by business date, so a command dated before the member
        # came into a scope is placed where the member stood then (the gateway's access rules)
        found = {"units": [u for u in (m.org_unit_id, m.host_unit_id) if u],
                 "placed": [[day.isoformat(), unit] for day, unit in domain.member_placements(history)]}
        if on is not None:
            found["unit_on"] = domain.member_unit_on(history, on)
        return found
    if kind == "candidate":
        cand = candidates.fold_candidate(store.read_stream(candidate_stream(ident)))
        return {"units": [cand.org_unit_id]} if cand.exists and cand.org_unit_id else None
    if kind == "unit":
        spans = unit_spans(store, ident)
        return {"units": spans[-1]["ancestors"], "spans": spans} if spans else None
    return None


def unit_spans(store, org_unit_id: str) -> list[dict]:
    """Where a unit stood in the tree over time: ``[{"from": "YYYY-MM-DD", "ancestors": [the unit,
    its parent, ... the root]}]`` in date order, one span per change of its chain (its own moves and
    its ancestors' moves, by business date); empty when the unit was never created. The event
    feed shows a unit's facts to the scopes it lay in on their dates (docs/events/README.md)."""
    seen: set[str] = set()
    todo, dates = [org_unit_id], set()
    while todo and len(seen) < 50:  # every unit that ever was an ancestor, and the dates it moved
        uid = todo.pop()
        if uid in seen:
            continue
        seen.add(uid)
        for e in store.read_stream(org_stream(uid)):
            if e.type in ("org_unit.created", "org_unit.moved"):
                dates.add(e.occurred_on)
                if e.data.get("parent_id"):
                    todo.append(e.data["parent_id"])
    spans: list[dict] = []
    for day in sorted(dates):
        chain = [u.org_unit_id for u in ancestors(store, org_unit_id, day)]
        if chain and (not spans or spans[-1]["ancestors"] != chain):
            spans.append({"from": day.isoformat(), "ancestors": chain})
    return spans


def unit_ancestors(store, org_unit_id: str, on: dt.date | None) -> list[str]:
    chain = ancestors(store, org_unit_id, on)
    if not chain:
        raise domain.unit_not_found(org_unit_id, "org_unit_id")
    return [u.org_unit_id for u in chain]


#: import: catalog type -> (command model, use case(store, cmd, ctx, deps))
IMPORTERS = {
    "org_unit.created": (c.CreateOrgUnit, create_org_unit),
    "org_unit.renamed": (c.RenameOrgUnit, rename_org_unit),
    "org_unit.moved": (c.MoveOrgUnit, move_org_unit),
    "org_unit.merged": (c.MergeOrgUnit, merge_org_unit),
    "org_unit.dissolved": (c.DissolveOrgUnit, dissolve_org_unit),
    "org_unit.cell_overseer_assigned": (c.AssignCellOverseer, assign_cell_overseer),
    "org_unit.dialogue_held": (c.HoldDialogue, hold_dialogue),
    "candidate.registered": (c.RegisterCandidate, register_candidate),
    "candidate.awareness_class_completed": (c.CompleteAwarenessClass, complete_awareness_class),
    "candidate.background_verified": (c.VerifyBackground, verify_background),
    "candidate.cell_resolution_passed": (c.PassCellResolution, pass_cell_resolution),
    "candidate.admission_decided": (c.DecideAdmission, decide_admission),
    "member.admitted": (c.AdmitMember, admit_member),
    "member.record_updated": (c.UpdateMemberRecord, update_member_record),
    "member.new_member_class_completed": (c.CompleteNewMemberClass, complete_new_member_class),
    "member.recognized_official": (c.RecognizeOfficial, recognize_official),
    "member.transferred": (c.TransferMember, transfer_member),
    "member.temporary_transfer_ended": (c.EndTemporaryTransfer, end_temporary_transfer),
    "member.transfer_papers_presented": (c.PresentTransferPapers, present_transfer_papers),
    "member.transferred_out": (c.TransferOut, transfer_out),
    "member.transferred_in": (c.TransferIn, transfer_in),
    "member.working_away_started": (c.StartWorkingAway, start_working_away),
    "member.working_away_ended": (c.EndWorkingAway, end_working_away),
    "member.abroad_started": (c.StartAbroad, start_abroad),
    "member.abroad_ended": (c.EndAbroad, end_abroad),
    "member.exempted": (c.ExemptMember, exempt_member),
    "member.exemption_ended": (c.EndExemption, end_exemption),
    "member.liaison_introduced": (c.IntroduceLiaison, introduce_liaison),
    "member.liaison_feedback_recorded": (c.RecordLiaisonFeedback, record_liaison_feedback),
    "member.task_assigned": (c.AssignTask, assign_task),
    "member.commitment_made": (c.MakeCommitment, make_commitment),
    "member.remediation_planned": (c.PlanRemediation, plan_remediation),
    "member.remediation_completed": (c.CompleteRemediation, complete_remediation),
    "member.loan_granted": (c.GrantLoan, grant_loan),
    "member.loan_repaid": (c.RepayLoan, repay_loan),
    "member.rated": (c.RateMember, rate_member),
    "member.removed": (c.RemoveMember, remove_member),
    "member.resigned": (c.ResignMember, resign_member),
    "member.expelled": (c.ExpelMember, expel_member),
    "member.died": (c.RecordDeath, record_death),
}

def run(use_case, store, cmd, ctx: Context, deps: Deps | None = None) -> list[Envelope]:
    """Every command of the service, live or imported: refused when its business date (or the
    decision date it carries) is after today — a removal dated 2099 made the member 'removed in
    2099' and refused every later command about them."""
    domain.not_in_future(cmd.occurred_on, ctx.today)
    decided = getattr(cmd, "decided_on", None) if "decided_on" in _fields(cmd) else None
    if decided is not None:
        domain.not_in_future(decided, ctx.today, "decided_on")
    return use_case(store, cmd, ctx, deps)


def _fields(cmd) -> frozenset | tuple:
    """The names a command's model declares (any name for an object that is not a model): asking
    a model for a field it lacks goes through pydantic's ``__getattr__`` and an exception, ~10 µs
    of each imported line's ~300 when most commands have no ``decided_on``."""
    return getattr(type(cmd), "model_fields", None) or ("decided_on",)


def importers(deps: Deps) -> dict:
    """``IMPORTERS`` bound to the service's dependencies, for ``run_import``."""
    return {t: (model, partial(run, fn, deps=deps)) for t, (model, fn) in IMPORTERS.items()}


def sealed_opener(vault):
    """``run_import``'s ``open_sealed``: a stored event's sealed value opened with the key of the
    person it is about (a candidate's as ``candidate:<id>``, as the use cases seal them)."""
    def open_sealed(env, value):
        data = env.data
        if data.get("candidate_id") and not data.get("member_id"):
            return vault.unseal(f"candidate:{data['candidate_id']}", value)
        return vault.unseal(data["member_id"], value) if data.get("member_id") else None
    return open_sealed


def personal_subjects(lines) -> list[str]:
    """Whose personal data a file's lines may seal (members by id, candidates as ``candidate:<id>``,
    as the use cases name them): the subjects an import asks the key vault about in bulk."""
    out: dict[str, None] = {}
    for line in lines:
        data = line["data"]
        if isinstance(data.get("member_id"), str):
            out[data["member_id"]] = None
        if isinstance(data.get("candidate_id"), str):
            out[f"candidate:{data['candidate_id']}"] = None
    return list(out)
