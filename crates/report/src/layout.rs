//! Laying a run out as sheets: every target's rows, sorted, each row's status decided by the
//! findings it is the place for.
//!
//! Placement is the contract between checks and workbook: every finding that needs a person
//! (FAIL, WARN, REVIEW, UNKNOWN) lands on exactly one row where it can be annotated; instance-level
//! findings with no better place land on the target's Instances row. [`Layout::unplaced`] lists any
//! that found no row — a test keeps it empty for every built-in server.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use audit_core::checks::instance_key;
use audit_core::{CheckId, Finding, Status, entity_key};

use crate::model::TargetResult;
use crate::sheets::{self, Ctx, Row, SheetSpec, Value};

/// A row ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct LaidRow {
    /// The target it belongs to (shared by the target's rows: a large run has many).
    pub target_id: Arc<str>,
    /// Server as configured.
    pub server: Arc<str>,
    /// Instance name or `(Default)`.
    pub instance: Arc<str>,
    /// `target:<id>/<entity key>`: with the sheet name, the row's identity across runs.
    pub key: String,
    /// Its stable `_UUID`, given by the history ([`Layout::set_uuids`]); empty until then.
    pub uuid: String,
    /// The sheet's own cells.
    pub cells: Vec<Value>,
    /// The worst status of the findings placed on this row; none for information rows.
    pub status: Option<Status>,
    /// The checks whose findings are placed here (`R05, X03`).
    pub checks: String,
    /// The benchmark items of those checks, `; `-separated
    /// (`CIS SQL Server 2019/2022 4.2; …; STIG SQLI-22-007900; VA1046`).
    pub references: String,
    /// Each finding placed here: its check, status and entity key (what the dashboard counts,
    /// and how remediation finds the row, and so the exception, of a finding).
    pub findings: Vec<(CheckId, Status, String)>,
    /// What the worst findings say.
    pub finding: String,
}

/// Rows with a FAIL, WARN, REVIEW or UNKNOWN, by what covers them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActionCounts {
    /// Nothing covers them: they need a person (`⏳`).
    pub open: usize,
    /// Documented exceptions.
    pub excepted: usize,
    /// Every finding matches its approved baseline.
    pub baselined: usize,
}

/// One data sheet's rows.
#[derive(Debug)]
pub struct SheetRows {
    /// The sheet.
    pub spec: &'static SheetSpec,
    /// Its rows, sorted by server, instance and the sheet's natural key.
    pub rows: Vec<LaidRow>,
}

/// A finding that found no row.
#[derive(Debug, Clone, PartialEq)]
pub struct Unplaced {
    /// Its target.
    pub target_id: String,
    /// Its check.
    pub check_id: CheckId,
    /// Its entity key.
    pub entity_key: String,
    /// Its status.
    pub status: Status,
}

impl SheetRows {
    /// `row`'s natural-key cells as shown (a login's name, a database's name …): how people
    /// name the row in messages, and half of its fallback identity when a `_UUID` is lost.
    pub fn key_cells(&self, row: &LaidRow) -> Vec<String> {
        row.cells[..self.spec.key_columns]
            .iter()
            .map(|c| c.display())
            .collect()
    }
}

/// The whole run as sheets.
#[derive(Debug)]
pub struct Layout {
    /// The 20 data sheets in workbook order.
    pub sheets: Vec<SheetRows>,
    /// Findings needing a person that no row took (should be none).
    pub unplaced: Vec<Unplaced>,
    /// Targets in the run.
    pub targets: usize,
    /// Targets that could not be audited.
    pub unreached: usize,
    /// Findings per check and status (the Cover's per-check summary).
    pub counts: BTreeMap<CheckId, BTreeMap<Status, usize>>,
}

impl Layout {
    /// Every row's identity (sheet name, key), in order, for the history to give them UUIDs.
    pub fn row_ids(&self) -> Vec<(&'static str, &str)> {
        self.sheets
            .iter()
            .flat_map(|s| s.rows.iter().map(|r| (s.spec.name, r.key.as_str())))
            .collect()
    }

    /// Rows needing a person (`⏳`) that are not documented exceptions, and those that are: what
    /// the Cover and the commands' summaries report.
    pub fn action_counts(&self, state: &crate::RowState) -> ActionCounts {
        let mut counts = ActionCounts::default();
        for sheet in &self.sheets {
            for row in sheet
                .rows
                .iter()
                .filter(|r| crate::xlsx::needs_action(r.status))
            {
                let id = (sheet.spec.name.to_owned(), row.key.clone());
                if state.is_excepted(&id) {
                    counts.excepted += 1;
                } else if state.is_baselined(&id) {
                    counts.baselined += 1;
                } else {
                    counts.open += 1;
                }
            }
        }
        counts
    }

    /// Documented exceptions on rows that no longer need a person (their findings now pass):
    /// the exception is no longer needed, and sync says so. Rows of unreached targets are
    /// UNKNOWN, not passing, so an outage never makes an exception look obsolete.
    pub fn unneeded_exceptions<'a>(
        &'a self,
        state: &crate::RowState,
    ) -> Vec<(&'a SheetRows, &'a LaidRow)> {
        let mut out = Vec::new();
        for sheet in &self.sheets {
            for row in sheet
                .rows
                .iter()
                .filter(|r| !crate::xlsx::needs_action(r.status))
            {
                let id = (sheet.spec.name.to_owned(), row.key.clone());
                if state
                    .annotations
                    .get(&id)
                    .is_some_and(|a| a.is_documented_exception())
                {
                    out.push((sheet, row));
                }
            }
        }
        out
    }

    /// Sets every row's `_UUID`, in [`Layout::row_ids`] order.
    pub fn set_uuids(&mut self, uuids: Vec<String>) {
        let rows = self.sheets.iter_mut().flat_map(|s| s.rows.iter_mut());
        for (row, uuid) in rows.zip(uuids) {
            row.uuid = uuid;
        }
    }
}

/// The prefix that makes an entity key unique across targets (the same as `findings.json`'s).
pub fn target_prefix(target_id: &str) -> String {
    entity_key("target", &[target_id])
}

/// The order targets appear in: by server, instance (case-insensitive), then target id.
pub fn target_order(
    server: &str,
    instance: Option<&str>,
    target_id: &str,
) -> (String, String, String) {
    (
        server.to_lowercase(),
        instance.unwrap_or("").to_lowercase(),
        target_id.to_owned(),
    )
}

/// Lays out every target, sorted by [`target_order`].
pub fn lay_out(targets: &[TargetResult]) -> Layout {
    let mut order: Vec<&TargetResult> = targets.iter().collect();
    order.sort_by_cached_key(|t| target_order(&t.server, t.instance.as_deref(), &t.target_id));
    let mut builder = LayoutBuilder::new();
    for target in order {
        builder.add(target);
    }
    builder.finish()
}

/// Lays out targets one at a time, so that a large run never holds every snapshot at once.
/// Add them in [`target_order`].
pub struct LayoutBuilder {
    layout: Layout,
}

impl Default for LayoutBuilder {
    fn default() -> Self {
        LayoutBuilder::new()
    }
}

impl LayoutBuilder {
    /// An empty layout with every sheet.
    pub fn new() -> LayoutBuilder {
        LayoutBuilder {
            layout: Layout {
                sheets: sheets::data_sheets()
                    .iter()
                    .map(|spec| SheetRows {
                        spec,
                        rows: Vec::new(),
                    })
                    .collect(),
                unplaced: Vec::new(),
                targets: 0,
                unreached: 0,
                counts: BTreeMap::new(),
            },
        }
    }

    /// Adds one target's rows after those already added.
    pub fn add(&mut self, target: &TargetResult) {
        let layout = &mut self.layout;
        lay_out_target(target, &mut layout.sheets, &mut layout.unplaced);
        for f in &target.findings {
            *layout
                .counts
                .entry(f.check_id)
                .or_default()
                .entry(f.status)
                .or_default() += 1;
        }
        layout.targets += 1;
        layout.unreached += usize::from(target.snapshot.is_none());
    }

    /// The layout.
    pub fn finish(self) -> Layout {
        self.layout
    }
}

/// Ranks statuses for "worst": the domain's one order ([`Status::rank`]).
fn rank(status: Status) -> u8 {
    status.rank()
}

/// Whether a finding needs a person (and so a row).
fn needs_a_row(status: Status) -> bool {
    matches!(
        status,
        Status::Fail | Status::Warn | Status::Review | Status::Unknown
    )
}

fn lay_out_target(target: &TargetResult, out: &mut [SheetRows], unplaced: &mut Vec<Unplaced>) {
    // Rows per sheet, each sorted by its natural key.
    let mut per_sheet: Vec<Vec<Row>> = Vec::with_capacity(out.len());
    match &target.snapshot {
        Some(snapshot) => {
            let ctx = Ctx { target, snapshot };
            for sheet in out.iter() {
                let mut rows = Vec::new();
                (sheet.spec.rows)(&ctx, &mut rows);
                let n = sheet.spec.key_columns;
                rows.sort_by_cached_key(|r| {
                    r.cells
                        .iter()
                        .take(n)
                        .map(|c| c.display().to_lowercase())
                        .collect::<Vec<_>>()
                });
                per_sheet.push(rows);
            }
        }
        None => {
            for sheet in out.iter() {
                let mut rows = Vec::new();
                if std::ptr::eq(sheet.spec, &sheets::server::INSTANCES) {
                    rows.push(Row::new(
                        instance_key(),
                        sheets::server::instance_cells(target, None),
                    ));
                }
                per_sheet.push(rows);
            }
        }
    }

    // Each finding goes where its check's placement says: the first sheet of the check's list
    // for the finding's entity type that has the row.
    let rows_by_key: Vec<HashMap<&str, usize>> = per_sheet
        .iter()
        .map(|rows| {
            rows.iter()
                .enumerate()
                .map(|(r, row)| (row.key.as_str(), r))
                .collect()
        })
        .collect();
    let mut placed = vec![false; target.findings.len()];
    let mut matched: Vec<Vec<Vec<usize>>> = per_sheet
        .iter()
        .map(|rows| vec![Vec::new(); rows.len()])
        .collect();
    for (i, f) in target.findings.iter().enumerate() {
        let Some(check) = audit_core::checks::check(f.check_id) else {
            continue;
        };
        for p in check
            .placement
            .iter()
            .filter(|p| p.entity_type == f.entity_type)
        {
            let Some(s) = out.iter().position(|sheet| sheet.spec.id == p.sheet) else {
                continue;
            };
            let key = p.row.unwrap_or(f.entity_key.as_str());
            if let Some(&r) = rows_by_key[s].get(key) {
                matched[s][r].push(i);
                placed[i] = true;
                break;
            }
        }
    }
    // What is left and instance-level goes to the Instances row.
    let instance = instance_key();
    let instances = out
        .iter()
        .position(|s| std::ptr::eq(s.spec, &sheets::server::INSTANCES))
        .expect("the Instances sheet exists");
    if let Some(hits) = matched[instances].first_mut() {
        for (i, f) in target.findings.iter().enumerate() {
            if !placed[i] && f.entity_key == instance {
                hits.push(i);
                placed[i] = true;
            }
        }
    }
    // What is left goes to the first row about the same entity (an UNKNOWN the engine added
    // for a database or service that could not be read lands on that database's or service's
    // own row, whichever check it belongs to).
    let mut by_key: HashMap<&str, (usize, usize)> = HashMap::new();
    for (s, rows) in per_sheet.iter().enumerate() {
        for (r, row) in rows.iter().enumerate() {
            by_key.entry(row.key.as_str()).or_insert((s, r));
        }
    }
    for (i, f) in target.findings.iter().enumerate() {
        if !placed[i]
            && needs_a_row(f.status)
            && let Some(&(s, r)) = by_key.get(f.entity_key.as_str())
        {
            matched[s][r].push(i);
            placed[i] = true;
        }
    }
    for (i, f) in target.findings.iter().enumerate() {
        if !placed[i] && needs_a_row(f.status) {
            unplaced.push(Unplaced {
                target_id: target.target_id.clone(),
                check_id: f.check_id,
                entity_key: f.entity_key.clone(),
                status: f.status,
            });
        }
    }

    let prefix = target_prefix(&target.target_id);
    let (target_id, server, instance): (Arc<str>, Arc<str>, Arc<str>) = (
        target.target_id.as_str().into(),
        target.server.as_str().into(),
        target.instance_label().into(),
    );
    for ((sheet, rows), hits) in out.iter_mut().zip(per_sheet).zip(matched) {
        for (row, hits) in rows.into_iter().zip(hits) {
            let findings: Vec<&Finding> = hits.iter().map(|&i| &target.findings[i]).collect();
            let (status, checks, finding) = summarise(&findings);
            let references = references_of(&findings);
            let placed = findings
                .iter()
                .map(|f| (f.check_id, f.status, f.entity_key.clone()))
                .collect();
            sheet.rows.push(LaidRow {
                target_id: Arc::clone(&target_id),
                server: Arc::clone(&server),
                instance: Arc::clone(&instance),
                key: format!("{prefix}/{}", row.key),
                uuid: String::new(),
                cells: row.cells,
                status,
                checks,
                references,
                findings: placed,
                finding,
            });
        }
    }
}

/// The references of the checks of the findings placed on a row, in check order, each once.
fn references_of(findings: &[&Finding]) -> String {
    let mut ids: Vec<CheckId> = findings.iter().map(|f| f.check_id).collect();
    ids.sort();
    ids.dedup();
    let mut labels: Vec<String> = Vec::new();
    for label in ids
        .into_iter()
        .filter_map(audit_core::checks::check)
        .flat_map(|c| c.references.labels())
    {
        if !labels.contains(&label) {
            labels.push(label);
        }
    }
    labels.join("; ")
}

/// A row's status, checks and finding text from the findings placed on it.
fn summarise(findings: &[&Finding]) -> (Option<Status>, String, String) {
    let Some(worst) = findings.iter().map(|f| f.status).max_by_key(|s| rank(*s)) else {
        return (None, String::new(), String::new());
    };
    let mut checks: Vec<String> = findings.iter().map(|f| f.check_id.to_string()).collect();
    checks.sort();
    checks.dedup();
    // What needs a person, worst first.
    let mut needing: Vec<&&Finding> = findings.iter().filter(|f| needs_a_row(f.status)).collect();
    needing.sort_by_key(|f| std::cmp::Reverse(rank(f.status)));
    let mut messages: Vec<&str> = needing.iter().map(|f| f.message.as_str()).collect();
    messages.dedup();
    const SHOWN: usize = 3;
    let mut text = messages
        .iter()
        .take(SHOWN)
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    if messages.len() > SHOWN {
        text.push_str(&format!("\n\u{2026} and {} more", messages.len() - SHOWN));
    }
    (Some(worst), checks.join(", "), text)
}
