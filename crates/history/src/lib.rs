//! The SQLite history (`audit_history.db`): audits, runs, findings, annotations and the action
//! log, behind versioned migrations.
//!
//! The boundary is set now so that no other crate issues SQL against the history; the
//! implementation arrives with the workbook and history (step 5).
