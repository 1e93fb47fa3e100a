"""The members service (nameko): organisation tree, candidates and member lifecycle. Entry points only.

Every command of ``shared.contracts.members.COMMANDS`` is an ``@rpc @command(Model)`` method of the
same name, written out below; ``tests/unit/members/test_entrypoints.py`` checks the two lists agree.
"""
from __future__ import annotations

import datetime as dt

from nameko.events import event_handler

from shared.dates import today_vn
from shared.application import Context
from shared.bus_batches import batch_event_handler
from shared.contracts import members as c
from shared.contracts.members import GetMember, OrgTree, Overdue, SearchMembers, UnitAncestors, UnitMembers
from shared.importing import progress_of, quotes_stored, reporter, run_import
from shared.keybatch import KeyBatch
from shared.runtime import (EventStoreProvider, ProjectingEntrypoints, ProjectionsProvider, RelayProvider, command,
                            query, rpc)  # rpc: replies transient, without a confirm wait

from services.members import application as app
from services.members import tree
from services.members.dependencies import VaultProvider, projections
from services.members.index import DisciplineIndex, DisciplineOverlay, MembersIndex

SERVICE = "members"



class MembersService(ProjectingEntrypoints):
    name = SERVICE

    store = EventStoreProvider(SERVICE)
    relay = RelayProvider(SERVICE)
    projections = ProjectionsProvider(SERVICE, projections)
    vault = VaultProvider()

    def _refresh_own(self) -> int:
        """Read-your-writes: catch the index up with this service's own store before a check."""
        return sum(r.catch_up(SERVICE) for r in self.projections.runners if SERVICE in r.projection.sources)

    def deps(self, overlay: DisciplineOverlay | None = None, vault=None) -> app.Deps:
        return app.Deps(vault or self.vault, MembersIndex(self.projections.db, self._refresh_own),
                        DisciplineIndex(self.projections.db, overlay))

    def _run(self, use_case, cmd, context):
        return app.run(use_case, self.store, cmd, Context.from_dict(context), self.deps())

    # -- commands: organisation tree ---------------------------------------------------------------
    @rpc
    @command(c.CreateOrgUnit)
    def create_org_unit(self, cmd, context):
        return self._run(app.create_org_unit, cmd, context)

    @rpc
    @command(c.RenameOrgUnit)
    def rename_org_unit(self, cmd, context):
        return self._run(app.rename_org_unit, cmd, context)

    @rpc
    @command(c.MoveOrgUnit)
    def move_org_unit(self, cmd, context):
        return self._run(app.move_org_unit, cmd, context)

    @rpc
    @command(c.MergeOrgUnit)
    def merge_org_unit(self, cmd, context):
        return self._run(app.merge_org_unit, cmd, context)

    @rpc
    @command(c.DissolveOrgUnit)
    def dissolve_org_unit(self, cmd, context):
        return self._run(app.dissolve_org_unit, cmd, context)

    @rpc
    @command(c.AssignCellOverseer)
    def assign_cell_overseer(self, cmd, context):
        return self._run(app.assign_cell_overseer, cmd, context)

    @rpc
    @command(c.HoldDialogue)
    def hold_dialogue(self, cmd, context):
        return self._run(app.hold_dialogue, cmd, context)

    # -- commands: candidates ----------------------------------------------------------------------
    @rpc
    @command(c.RegisterCandidate)
    def register_candidate(self, cmd, context):
        return self._run(app.register_candidate, cmd, context)

    @rpc
    @command(c.CompleteAwarenessClass)
    def complete_awareness_class(self, cmd, context):
        return self._run(app.complete_awareness_class, cmd, context)

    @rpc
    @command(c.VerifyBackground)
    def verify_background(self, cmd, context):
        return self._run(app.verify_background, cmd, context)

    @rpc
    @command(c.PassCellResolution)
    def pass_cell_resolution(self, cmd, context):
        return self._run(app.pass_cell_resolution, cmd, context)

    @rpc
    @command(c.DecideAdmission)
    def decide_admission(self, cmd, context):
        return self._run(app.decide_admission, cmd, context)

    # -- commands: member lifecycle ----------------------------------------------------------------
    @rpc
    @command(c.AdmitMember)
    def admit_member(self, cmd, context):
        return self._run(app.admit_member, cmd, context)

    @rpc
    @command(c.UpdateMemberRecord)
    def update_member_record(self, cmd, context):
        return self._run(app.update_member_record, cmd, context)

    @rpc
    @command(c.CompleteNewMemberClass)
    def complete_new_member_class(self, cmd, context):
        return self._run(app.complete_new_member_class, cmd, context)

    @rpc
    @command(c.RecognizeOfficial)
    def recognize_official(self, cmd, context):
        return self._run(app.recognize_official, cmd, context)

    @rpc
    @command(c.TransferMember)
    def transfer_member(self, cmd, context):
        return self._run(app.transfer_member, cmd, context)

    @rpc
    @command(c.EndTemporaryTransfer)
    def end_temporary_transfer(self, cmd, context):
        return self._run(app.end_temporary_transfer, cmd, context)

    @rpc
    @command(c.PresentTransferPapers)
    def present_transfer_papers(self, cmd, context):
        return self._run(app.present_transfer_papers, cmd, context)

    @rpc
    @command(c.TransferOut)
    def transfer_out(self, cmd, context):
        return self._run(app.transfer_out, cmd, context)

    @rpc
    @command(c.TransferIn)
    def transfer_in(self, cmd, context):
        return self._run(app.transfer_in, cmd, context)

    @rpc
    @command(c.StartWorkingAway)
    def start_working_away(self, cmd, context):
        return self._run(app.start_working_away, cmd, context)

    @rpc
    @command(c.EndWorkingAway)
    def end_working_away(self, cmd, context):
        return self._run(app.end_working_away, cmd, context)

    @rpc
    @command(c.StartAbroad)
    def start_abroad(self, cmd, context):
        return self._run(app.start_abroad, cmd, context)

    @rpc
    @command(c.EndAbroad)
    def end_abroad(self, cmd, context):
        return self._run(app.end_abroad, cmd, context)

    @rpc
    @command(c.ExemptMember)
    def exempt_member(self, cmd, context):
        return self._run(app.exempt_member, cmd, context)

    @rpc
    @command(c.EndExemption)
    def end_exemption(self, cmd, context):
        return self._run(app.end_exemption, cmd, context)

    @rpc
    @command(c.IntroduceLiaison)
    def introduce_liaison(self, cmd, context):
        return self._run(app.introduce_liaison, cmd, context)

    @rpc
    @command(c.RecordLiaisonFeedback)
    def record_liaison_feedback(self, cmd, context):
        return self._run(app.record_liaison_feedback, cmd, context)

    @rpc
    @command(c.AssignTask)
    def assign_task(self, cmd, context):
        return self._run(app.assign_task, cmd, context)

    @rpc
    @command(c.MakeCommitment)
    def make_commitment(self, cmd, context):
        return self._run(app.make_commitment, cmd, context)

    @rpc
    @command(c.PlanRemediation)
    def plan_remediation(self, cmd, context):
        return self._run(app.plan_remediation, cmd, context)

    @rpc
    @command(c.CompleteRemediation)
    def complete_remediation(self, cmd, context):
        return self._run(app.complete_remediation, cmd, context)

    @rpc
    @command(c.GrantLoan)
    def grant_loan(self, cmd, context):
        return self._run(app.grant_loan, cmd, context)

    @rpc
    @command(c.RepayLoan)
    def repay_loan(self, cmd, context):
        return self._run(app.repay_loan, cmd, context)

    @rpc
    @command(c.RateMember)
    def rate_member(self, cmd, context):
        return self._run(app.rate_member, cmd, context)

    @rpc
    @command(c.RemoveMember)
    def remove_member(self, cmd, context):
        return self._run(app.remove_member, cmd, context)

    @rpc
    @command(c.ResignMember)
    def resign_member(self, cmd, context):
        return self._run(app.resign_member, cmd, context)

    @rpc
    @command(c.ExpelMember)
    def expel_member(self, cmd, context):
        return self._run(app.expel_member, cmd, context)

    @rpc
    @command(c.RecordDeath)
    def record_death(self, cmd, context):
        return self._run(app.record_death, cmd, context)

    @rpc
    @command(c.ShredMember)
    def shred_member(self, cmd, context):
        return self._run(app.shred_member, cmd, context)

    # -- reactions -------------------------------------------------------------------------------
    @batch_event_handler(SERVICE, "#", lazy=True)
    def on_own_event(self, messages):
        self.projections.handle_batch(SERVICE, messages)

    @event_handler("discipline", "#")
    def on_discipline_event(self, message):
        """Discipline facts: cap ratings, refuse resignations, expel (unknown types are ignored)."""
        self.projections.handle("discipline", message)
        app.on_discipline_applied(self.store, message, self.deps())

    @rpc
    @query()
    def settle(self, q, context):
        """Reactions due now, applied now (the import job waits on this; see ``settle_reactions``)."""
        return {"written": app.settle_reactions(self.store, self.projections.stores["discipline"], self.deps,
                                                self.projections.catch_up)}

    # -- import ----------------------------------------------------------------------------------
    @rpc
    def import_lines(self, lines, context=None, commit=True):
        overlay = DisciplineOverlay()
        keys = KeyBatch(self.vault)  # new members' keys stored in one transaction, before the events
        keys.prefetch(app.personal_subjects(line for line in lines if line["type"] in app.IMPORTERS))
        return run_import(self.store, app.importers(self.deps(overlay, keys)), lines, Context.from_dict(context),
                          commit=commit, observe=overlay.observe, before_commit=keys.flush,
                          progress=reporter(context), open_sealed=app.sealed_opener(keys),
                          quote_stored=quotes_stored(context))

    @rpc
    def import_progress(self, job):
        """How far this service is with the import job ``job`` (None when it runs none)."""
        return progress_of(job)

    # -- queries ---------------------------------------------------------------------------------
    @rpc
    @query(GetMember)
    def get_member(self, q, context):
        return app.get_member(self.store, q.member_id, self.deps())

    @rpc
    @query(UnitAncestors)
    def unit_ancestors(self, q, context):
        return app.unit_ancestors(self.store, q.org_unit_id, q.on)

    @rpc
    @query(OrgTree)
    def org_tree(self, q, context):
        units = tree.tree_as_of(self.deps().index.unit_history(), q.on or today_vn())
        if q.org_unit_id and q.org_unit_id not in units:
            raise app.domain.unit_not_found(q.org_unit_id, "org_unit_id")
        return tree.nested(units, q.org_unit_id)

    @rpc
    @query(Overdue)
    def overdue(self, q, context):
        on = q.on or today_vn()
        items = self.deps().index.overdue(on)
        if q.org_unit_id:
            items = [i for i in items if q.org_unit_id in _ancestor_ids(self.store, i["org_unit_id"], on)]
        return items

    @rpc
    @query(UnitMembers)
    def unit_members(self, q, context):
        return self.deps().index.members_of(q.org_unit_id)

    @rpc
    @query(SearchMembers)
    def search_members(self, q, context):
        return app.search_members(self.store, q, self.deps())

    @rpc
    @query()
    def locate(self, q, context):
        """Where a member or candidate belongs (``{"kind", "id"}`` → ``{"units": [...]}`` or None):
        ids only, never a personal field; the gateway places calls in the tree with it."""
        on = q.get("on")
        try:
            on = dt.date.fromisoformat(on) if isinstance(on, str) else None
        except ValueError:
            on = None
        return app.locate(self.store, q.get("kind"), q.get("id"), on)


def _ancestor_ids(store, org_unit_id, on):
    return [u.org_unit_id for u in app.ancestors(store, org_unit_id, on)] if org_unit_id else []

