//! Documented exceptions: which rows are excepted (the annotation rule is
//! [`audit_core::Annotation::is_documented_exception`]), which findings that covers, and the
//! exception state of each row as the action log last recorded it.

use std::collections::HashMap;

use audit_core::changes::Change;
use audit_core::{Annotation, CheckId};
use history::{AuditRecord, History};
use report::{Layout, RowId};

use crate::Error;

/// The justification of every finding placed on a documented exception's row, by (check,
/// entity key): what remediation leaves alone.
pub fn by_finding(
    layout: &Layout,
    annotations: &HashMap<RowId, Annotation>,
) -> HashMap<(CheckId, String), String> {
    let mut exceptions = HashMap::new();
    for sheet in &layout.sheets {
        for row in &sheet.rows {
            let Some(a) = annotations.get(&(sheet.spec.name.to_owned(), row.key.clone())) else {
                continue;
            };
            if a.is_documented_exception() {
                for (check, _, key) in &row.findings {
                    exceptions.insert(
                        (*check, key.clone()),
                        a.justification.clone().unwrap_or_default(),
                    );
                }
            }
        }
    }
    exceptions
}

/// The exception state of each row (sheet, key) as the audit's action log knows it: its
/// latest exception entry (documented, removed, no longer needed).
pub fn logged_states(
    history: &History,
    audit: &AuditRecord,
) -> Result<HashMap<RowId, Change>, Error> {
    let mut latest = HashMap::new();
    for a in history.actions(audit.id)? {
        if let (Some(sheet), Some(key)) = (a.sheet, a.entity_key)
            && let Some(state) =
                Change::from_name(&a.change_type).filter(|c| c.is_exception_state())
        {
            latest.insert((sheet, key), state);
        }
    }
    Ok(latest)
}
