//! What only sync does around its re-audit ([`crate::audit::run`] with
//! [`Mode::Sync`](crate::audit::Mode::Sync)): import what auditors typed in the working workbook
//! into the history, classify what changed since each target was last audited (fixed,
//! regressed, new, not verified) and the exceptions documented, withdrawn or no longer needed,
//! as action-log entries recorded with the run.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use audit_core::changes::{Change, classify};
use audit_core::{Annotation, CheckId, Finding};
use history::{AuditRecord, History, NewAction, RunStatus};

use crate::render::{self, Prepared, Rendered};
use crate::{Error, exceptions, workspace};

/// The audit a sync continues: the latest, which must have a completed run to compare with
/// and must not be finalized.
pub(crate) fn baseline_audit(history: &History) -> Result<AuditRecord, Error> {
    let audit = workspace::latest_audit(history)?;
    if audit.status == history::AuditStatus::Finalized {
        return Err(Error::usage(format!(
            "audit `{}` is finalized; its results can no longer change",
            audit.name
        ))
        .hint(
            "`autodbaudit definalize` reopens it; `autodbaudit audit --new NAME` starts the next audit",
        ));
    }
    workspace::latest_completed_run(history, &audit)?;
    Ok(audit)
}

/// What the import found.
#[derive(Debug, Default)]
pub struct Imported {
    /// Rows whose annotation changed in the history.
    pub changed: usize,
    /// Rows with an annotation that matched no row of the previous run, whose `_UUID` names
    /// another row than the one shown, that sit on a sheet missing a key column (nothing to
    /// check the `_UUID` against), or copies that disagree (kept out, reported): the first
    /// [`UNMATCHED_NAMED`], then one line counting the rest.
    pub unmatched: Vec<String>,
    /// Sheets or columns that could not be read.
    pub problems: Vec<String>,
    /// Annotated rows of the history absent from the workbook (their annotations are kept).
    pub absent: usize,
    /// Rows whose documented-exception state changed.
    pub exception_changes: Vec<ExceptionChange>,
    /// Action-log entries whose notes or date auditors changed in the Actions sheet.
    pub actions_updated: usize,
    /// Rows auditors added to the Actions sheet (now in the action log).
    pub actions_added: usize,
}

/// A row whose documented-exception state the import changed.
#[derive(Debug)]
pub struct ExceptionChange {
    /// The sheet.
    pub sheet: &'static str,
    /// The row's key.
    pub key: String,
    /// Its target.
    pub target_id: String,
    /// The row as people name it (its key cells).
    pub label: String,
    /// Now a documented exception (else: no longer).
    pub excepted: bool,
}

/// Unmatched rows named one by one in what the import reports; the rest are counted.
pub const UNMATCHED_NAMED: usize = 20;

/// Reads the working workbook and stores every changed annotation, with its history. Rows are
/// matched to the previous run's rows by `_UUID` — only when the row still shows that row's
/// server, instance and name (a sheet whose key columns are missing applies nothing) — else by
/// their natural key when it is unique; anything else is reported, never guessed. Rows that land on one row of the run are applied once when they
/// agree and not at all when they disagree (a copied row must not silently win). The workbook
/// is read within bounds derived from the rows the run has ([`report::Limits::expecting`]);
/// nothing is written when the file cannot be read or exceeds them.
pub(crate) fn import_annotations(
    history: &mut History,
    audit: &AuditRecord,
    workbook: &Path,
    now: &str,
) -> Result<Imported, Error> {
    let mut imported = Imported::default();
    if !workbook.exists() {
        imported.problems.push(format!(
            "no workbook at {}: nothing to import (the history keeps every annotation)",
            workbook.display()
        ));
        return Ok(imported);
    }
    let previous = history
        .latest_completed_run(audit.id)?
        .ok_or_else(|| Error::internal("no completed run to import against"))?;
    let mut layout = render::load_layout(history, previous.id)?;
    let uuids = history.row_uuids(audit.id, previous.id, &layout.row_ids())?;
    layout.set_uuids(uuids);
    // What the tool wrote bounds what is read back.
    let logged = history.actions(audit.id)?.len();
    let limits = report::Limits::expecting(
        layout
            .sheets
            .iter()
            .map(|s| (s.spec.name, s.rows.len()))
            .chain([(report::sheets::ACTIONS, logged)]),
    );
    let read = report::read_annotations(workbook, &limits).map_err(|e| {
        let fix = e.fix.clone().unwrap_or_else(|| {
            "the working workbook must be the .xlsx AutoDBAudit wrote (edited in Excel or LibreOffice is fine); restore it, or move it away and run `autodbaudit report`".to_owned()
        });
        Error::usage(e.to_string()).hint(format!(
            "{fix}; nothing was changed: nothing was imported and no run was recorded"
        ))
    })?;
    imported.problems = read.problems;
    import_actions(history, audit, &read.actions, now, &mut imported)?;

    // Per sheet: UUID → (key, natural key, label); natural key → key (ambiguous ones left out).
    let mut by_uuid: HashMap<(&str, &str), (&str, String, String)> = HashMap::new();
    let mut by_natural: HashMap<(&str, String), Option<&str>> = HashMap::new();
    for sheet in &layout.sheets {
        for row in &sheet.rows {
            let keys = sheet.key_cells(row);
            let natural = report::natural_key(&row.server, &row.instance, &keys);
            let mut label = vec![row.server.to_string(), row.instance.to_string()];
            label.extend(keys);
            by_uuid.insert(
                (sheet.spec.name, row.uuid.as_str()),
                (row.key.as_str(), natural.clone(), label.join(" / ")),
            );
            by_natural
                .entry((sheet.spec.name, natural))
                .and_modify(|k| *k = None)
                .or_insert(Some(row.key.as_str()));
        }
    }
    let mut unmatched = Unmatched::default();
    // Each row's key in the run, in workbook order; rows that name the same key are grouped.
    let mut groups: Vec<((&str, &str), Vec<&report::ReadAnnotation>)> = Vec::new();
    let mut group_of: HashMap<(&str, &str), usize> = HashMap::new();
    for r in &read.rows {
        let typed = r.annotation != Annotation::default();
        // A sheet without its key columns shows nothing to check a _UUID against (rows sorted
        // without column A would move annotations): reported, never applied.
        if !r.missing_keys.is_empty() {
            if typed {
                unmatched.push(format!(
                    "sheet `{}` row {}: the sheet has no column `{}` (renamed or deleted), so nothing shows which row this is; its annotation was not imported — name the column `{}` again in row 1 (or restore the workbook) and run again",
                    r.sheet,
                    r.row,
                    r.missing_keys.join("`, `"),
                    r.missing_keys.join("`, `")
                ));
            }
            continue;
        }
        let by_id = r
            .uuid
            .as_deref()
            .and_then(|u| by_uuid.get(&(r.sheet, u)).map(|m| (u, m)));
        let key = match by_id {
            // A _UUID that names another row than the one shown (swapped, or sorted without
            // column A): neither row is trusted.
            Some((u, (_, natural, label))) if r.natural_key != *natural => {
                if typed {
                    unmatched.push(format!(
                        "sheet `{}` row {}: its _UUID {u} belongs to `{label}`, but the row shows `{}` (a _UUID swapped, or rows sorted without column A); its annotation was not imported — restore column A or copy the annotation to the right row",
                        r.sheet, r.row, r.label
                    ));
                }
                continue;
            }
            Some((_, (key, _, _))) => Some(*key),
            None => by_natural
                .get(&(r.sheet, r.natural_key.clone()))
                .copied()
                .flatten(),
        };
        let Some(key) = key else {
            if typed {
                unmatched.push(format!(
                    "sheet `{}` row {}: matches no row of run {} (its _UUID is missing or unknown, and server, instance and name do not identify one row); its annotation was not imported — copy it to the right row",
                    r.sheet, r.row, previous.id
                ));
            }
            continue;
        };
        let at = *group_of.entry((r.sheet, key)).or_insert_with(|| {
            groups.push(((r.sheet, key), Vec::new()));
            groups.len() - 1
        });
        groups[at].1.push(r);
    }
    let stored = history.annotations(audit.id)?;
    let mut present: HashSet<(String, String)> = HashSet::new();
    let sheets_read: HashSet<&str> = read.rows.iter().map(|r| r.sheet).collect();
    for ((sheet, key), rows) in &groups {
        let id = ((*sheet).to_owned(), (*key).to_owned());
        present.insert(id.clone());
        let first = &rows[0].annotation;
        if rows.iter().any(|r| r.annotation != *first) {
            // Copies that disagree: none wins; the history keeps what it had.
            let at: Vec<String> = rows.iter().map(|r| r.row.to_string()).collect();
            unmatched.push(format!(
                "sheet `{sheet}` rows {}: the same row (`{}`) appears {} times with different annotations (a copied row?); none was imported and the history keeps the previous one — keep one of them and delete the others",
                at.join(", "),
                rows[0].label,
                rows.len()
            ));
            continue;
        }
        let before = stored.get(&id).cloned().unwrap_or_default();
        if before == *first {
            continue;
        }
        history.set_annotation(audit.id, None, sheet, key, first, now, "workbook")?;
        imported.changed += 1;
    }
    imported.unmatched = unmatched.finish();
    // Exceptions documented or withdrawn: each row's state now against the state the action
    // log last recorded for it. Comparing states, not edits, means a sync killed after this
    // import still logs them next time (the entries are recorded with the run).
    let logged = exceptions::logged_states(history, audit)?;
    let stored = history.annotations(audit.id)?;
    for sheet in &layout.sheets {
        for row in &sheet.rows {
            let id = (sheet.spec.name.to_owned(), row.key.clone());
            let is = stored.get(&id).is_some_and(|a| a.is_documented_exception());
            let was = logged
                .get(&id)
                .is_some_and(|s| *s != Change::ExceptionRemoved);
            if was != is {
                imported.exception_changes.push(ExceptionChange {
                    sheet: sheet.spec.name,
                    key: row.key.clone(),
                    target_id: row.target_id.to_string(),
                    label: sheet.key_cells(row).join(" / "),
                    excepted: is,
                });
            }
        }
    }
    imported.absent = stored
        .keys()
        .filter(|id| sheets_read.contains(id.0.as_str()) && !present.contains(*id))
        .filter(|id| stored[*id] != Annotation::default())
        .count();
    Ok(imported)
}

/// Unmatched rows as reported: the first [`UNMATCHED_NAMED`] named, the rest counted, so a
/// workbook with a million stray rows prints a summary, not a million lines.
#[derive(Default)]
struct Unmatched {
    named: Vec<String>,
    count: usize,
}

impl Unmatched {
    fn push(&mut self, line: String) {
        if self.named.len() < UNMATCHED_NAMED {
            self.named.push(line);
        }
        self.count += 1;
    }

    fn finish(mut self) -> Vec<String> {
        if self.count > self.named.len() {
            self.named.push(format!(
                "… and {} more row(s) that could not be matched ({} in all); their annotations were not imported",
                self.count - self.named.len(),
                self.count
            ));
        }
        self.named
    }
}

/// Keeps what auditors did in the Actions sheet: notes and corrected dates on existing entries,
/// and the rows they added (which become manual entries and keep their ID from then on).
fn import_actions(
    history: &mut History,
    audit: &AuditRecord,
    rows: &[report::ReadAction],
    now: &str,
    imported: &mut Imported,
) -> Result<(), Error> {
    let stored: HashMap<i64, history::ActionRecord> = history
        .actions(audit.id)?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let text = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    for row in rows {
        if let Some(entry) = row.id.and_then(|id| stored.get(&id)) {
            // The sheet shows the date to the minute: an unchanged cell keeps the stored one.
            let shown = entry.detected_at.get(..16).unwrap_or(&entry.detected_at);
            let detected = if row.detected.is_empty() || row.detected == shown {
                entry.detected_at.clone()
            } else {
                row.detected.clone()
            };
            if history.update_action(entry.id, text(&row.notes).as_deref(), &detected)? {
                imported.actions_updated += 1;
            }
            continue;
        }
        if row.finding.is_empty() && row.description.is_empty() && row.notes.is_empty() {
            continue;
        }
        history.add_action(&NewAction {
            audit_id: audit.id,
            entity: row.finding.clone(),
            // A manual row keeps the text chosen (usually a label); blank, a configuration
            // change as the sheet shows it.
            change_type: if row.change_type.is_empty() {
                Change::ConfigurationChange.label().to_owned()
            } else {
                row.change_type.clone()
            },
            description: row.description.clone(),
            detected_at: text(&row.detected).unwrap_or_else(|| now.to_owned()),
            notes: text(&row.notes),
            manual: true,
            server: text(&row.server),
            instance: text(&row.instance),
            category: text(&row.category),
            risk: text(&row.risk),
            ..NewAction::default()
        })?;
        imported.actions_added += 1;
    }
    Ok(())
}

/// What this sync recorded.
#[derive(Debug, Default)]
pub struct Changes {
    /// Changes by kind (still failing included, though not logged).
    pub counts: BTreeMap<Change, usize>,
    /// Exceptions documented and removed.
    pub exceptions: (usize, usize),
    /// Documented exceptions whose row now passes (`sheet: row`), newly logged or not.
    pub unneeded: Vec<String>,
}

/// A target of the run being recorded, as [`plan_changes`] compares it.
pub(crate) struct Current<'a> {
    /// The target.
    pub target_id: &'a str,
    /// Whether it was audited this time.
    pub reached: bool,
    /// Its findings this time (UNKNOWN everywhere when not reached).
    pub findings: &'a [Finding],
    /// The checks this run's selection left out on it: not compared (no result is not a fix).
    pub not_selected: &'a [CheckId],
}

/// Classifies every entity of run `run_id` against the last run that reached its target, and
/// returns one action-log entry per entity and change plus the exception changes the import
/// found, for the run to record in its own transaction. A second sync with nothing changed
/// returns none.
pub(crate) fn plan_changes(
    history: &History,
    audit: &AuditRecord,
    run_id: i64,
    current: &[Current<'_>],
    imported: &Imported,
    now: &str,
) -> Result<(Vec<NewAction>, Changes), Error> {
    let mut changes = Changes::default();
    let mut actions = Vec::new();
    let earlier: Vec<i64> = history
        .runs(audit.id)?
        .into_iter()
        .filter(|r| {
            r.id < run_id
                && matches!(
                    r.status,
                    RunStatus::Completed | RunStatus::CompletedWithErrors
                )
        })
        .map(|r| r.id)
        .rev()
        .collect();
    let mut reached_in: HashMap<i64, HashSet<String>> = HashMap::new();
    // Per earlier run and target, the checks its selection left out.
    let mut left_out: HashMap<(i64, String), Vec<String>> = HashMap::new();
    for &id in &earlier {
        let mut reached = HashSet::new();
        for t in history.run_targets(id)? {
            if !t.not_selected.is_empty() {
                left_out.insert((id, t.target_id.clone()), t.not_selected);
            }
            if t.reached {
                reached.insert(t.target_id);
            }
        }
        reached_in.insert(id, reached);
    }
    for target in current {
        // The last run in which this target was audited: an unreachable run in between must
        // not turn a failing finding into a new one.
        let Some(&previous) = earlier
            .iter()
            .find(|id| reached_in[id].contains(target.target_id))
        else {
            continue;
        };
        // An outage is logged once: when the run just before already missed this target, its
        // findings were marked "not verified" then.
        let still_out = !target.reached
            && earlier
                .first()
                .is_some_and(|last| !reached_in[last].contains(target.target_id));
        // Each check is compared with the last run that reached the target and evaluated it:
        // a run in between that left the check out (another profile) hides no fix or
        // regression. A check this run leaves out has nothing to compare.
        let mut stored: Vec<Finding> = Vec::new();
        let mut settled: HashSet<CheckId> = target.not_selected.iter().copied().collect();
        for &id in earlier
            .iter()
            .skip_while(|&&id| id != previous)
            .filter(|id| reached_in[id].contains(target.target_id))
        {
            let left = left_out.get(&(id, target.target_id.to_owned()));
            let evaluated = |check: &CheckId| !left.is_some_and(|l| l.contains(&check.to_string()));
            stored.extend(
                history
                    .target_findings(id, target.target_id)?
                    .into_iter()
                    .map(|f| f.finding)
                    .filter(|f| !settled.contains(&f.check_id) && evaluated(&f.check_id)),
            );
            settled.extend(
                audit_core::checks::catalogue()
                    .iter()
                    .map(|c| c.id)
                    .filter(|c| evaluated(c)),
            );
            if left.is_none() {
                break;
            }
        }
        // A check no earlier run evaluated is new to the comparison: its findings are not
        // classified until a run that evaluated it exists.
        let kept: Vec<Finding> = target
            .findings
            .iter()
            .filter(|f| settled.contains(&f.check_id) && !target.not_selected.contains(&f.check_id))
            .cloned()
            .collect();
        let before = worst_by_entity(&stored);
        let after = worst_by_entity(&kept);
        let keys: BTreeSet<&(CheckId, &str)> = before.keys().chain(after.keys()).collect();
        for key in keys {
            let (was, is) = (before.get(key), after.get(key));
            let Some(change) =
                classify(was.map(|w| w.status), is.map(|i| i.status), target.reached)
            else {
                continue;
            };
            *changes.counts.entry(change).or_default() += 1;
            if !change.is_logged() || still_out {
                continue;
            }
            let finding = is.or(was).expect("one side exists");
            actions.push(NewAction {
                audit_id: audit.id,
                run_id: Some(run_id),
                target_id: target.target_id.to_owned(),
                sheet: None,
                entity_key: Some(key.1.to_owned()),
                check_id: Some(key.0.to_string()),
                entity: finding.entity.clone(),
                change_type: change.name().to_owned(),
                description: finding.message.clone(),
                detected_at: now.to_owned(),
                notes: None,
                manual: false,
                ..NewAction::default()
            });
        }
    }
    for e in &imported.exception_changes {
        actions.push(NewAction {
            audit_id: audit.id,
            run_id: Some(run_id),
            target_id: e.target_id.clone(),
            sheet: Some(e.sheet.to_owned()),
            entity_key: Some(e.key.clone()),
            check_id: None,
            entity: format!("{}: {}", e.sheet, e.label),
            change_type: if e.excepted {
                Change::ExceptionAdded
            } else {
                Change::ExceptionRemoved
            }
            .name()
            .to_owned(),
            description: if e.excepted {
                "An exception was documented (Review Status and Justification)."
            } else {
                "A documented exception was withdrawn."
            }
            .to_owned(),
            detected_at: now.to_owned(),
            notes: None,
            manual: false,
            ..NewAction::default()
        });
        if e.excepted {
            changes.exceptions.0 += 1;
        } else {
            changes.exceptions.1 += 1;
        }
    }
    Ok((actions, changes))
}

/// Each entity's worst finding, by (check, entity key), in the one status order
/// ([`audit_core::Status::rank`]; the first of equals): an entity with a failing and a passing
/// finding of one check counts as failing.
fn worst_by_entity(findings: &[Finding]) -> BTreeMap<(CheckId, &str), &Finding> {
    let mut out: BTreeMap<(CheckId, &str), &Finding> = BTreeMap::new();
    for f in findings {
        let key = (f.check_id, f.entity_key.as_str());
        let worse = out
            .get(&key)
            .is_none_or(|w| f.status.rank() > w.status.rank());
        if worse {
            out.insert(key, f);
        }
    }
    out
}

/// Records, once per row, that a documented exception is no longer needed because the row now
/// passes; the exception itself stays (auditors withdraw it). Logged again only after the
/// exception is documented anew.
pub(crate) fn log_unneeded_exceptions(
    history: &mut History,
    audit: &AuditRecord,
    run_id: i64,
    prepared: &Prepared,
    now: &str,
    changes: &mut Changes,
) -> Result<(), Error> {
    let unneeded = prepared.layout.unneeded_exceptions(&prepared.state);
    if unneeded.is_empty() {
        return Ok(());
    }
    let latest = exceptions::logged_states(history, audit)?;
    for (sheet, row) in unneeded {
        let label = sheet.key_cells(row).join(" / ");
        changes
            .unneeded
            .push(format!("{} ({}): {label}", sheet.spec.name, row.target_id));
        let id = (sheet.spec.name.to_owned(), row.key.clone());
        if latest.get(&id) == Some(&Change::ExceptionUnneeded) {
            continue;
        }
        history.add_action(&NewAction {
            audit_id: audit.id,
            run_id: Some(run_id),
            target_id: row.target_id.to_string(),
            sheet: Some(sheet.spec.name.to_owned()),
            entity_key: Some(row.key.clone()),
            check_id: None,
            entity: format!("{}: {label}", sheet.spec.name),
            change_type: Change::ExceptionUnneeded.name().to_owned(),
            description: "The row now passes: its documented exception is no longer needed \
                              (withdraw it, or keep it if the state may come back)."
                .to_owned(),
            detected_at: now.to_owned(),
            notes: None,
            manual: false,
            ..NewAction::default()
        })?;
    }
    Ok(())
}

/// What a sync did, for its stats card.
#[derive(Debug)]
pub struct SyncReport {
    /// What the import found.
    pub imported: Imported,
    /// What this sync recorded.
    pub changes: Changes,
    /// The workbook written, when it was.
    pub rendered: Option<Rendered>,
    /// Every change sync detected since the audit's baseline, by kind (from the action log).
    pub since_baseline: BTreeMap<Change, usize>,
}

/// The changes sync detected since the audit's baseline, by kind: the action log's entries
/// counted by stored name (an auditor's rows carry labels and are not counted).
pub(crate) fn since_baseline(
    history: &History,
    audit: &AuditRecord,
) -> Result<BTreeMap<Change, usize>, Error> {
    let mut counts: BTreeMap<Change, usize> = BTreeMap::new();
    for a in history.actions(audit.id)? {
        if let Some(change) = Change::from_name(&a.change_type) {
            *counts.entry(change).or_default() += 1;
        }
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use audit_core::Status;

    fn finding(status: Status, message: &str) -> Finding {
        let check = audit_core::checks::catalogue()[0];
        Finding {
            check_id: check.id,
            status,
            severity: check.severity,
            entity_type: "login".into(),
            entity: "sa".into(),
            entity_key: "login:sa".into(),
            message: message.into(),
            evidence: BTreeMap::new(),
            remediation_category: audit_core::RemediationCategory::None,
            fix: None,
        }
    }

    #[test]
    fn an_entity_is_as_bad_as_its_worst_finding_in_the_one_order() {
        let worst = |findings: &[Finding]| {
            let by_entity = worst_by_entity(findings);
            assert_eq!(by_entity.len(), 1);
            by_entity.into_values().next().unwrap().message.clone()
        };
        use Status::*;
        let cases = [
            (vec![(Pass, "a"), (Fail, "b")], "b"),
            (vec![(Warn, "a"), (Fail, "b")], "b"),
            (vec![(Fail, "a"), (Warn, "b")], "a"),
            (vec![(Pass, "a"), (Unknown, "b")], "b"),
            (vec![(Fail, "a"), (Fail, "b")], "a"),
        ];
        for (statuses, expected) in cases {
            let findings: Vec<Finding> = statuses.iter().map(|(s, m)| finding(*s, m)).collect();
            assert_eq!(worst(&findings), expected, "{statuses:?}");
        }
    }
}
