//! The audit's results in the formats other tools read. Each format is one module with one
//! `write` function from a [`Report`] (a recorded run with its annotations, exceptions and
//! baselines, built by `audit-lifecycle` from the history) to bytes; nothing here touches the
//! network, the history or the file system, so every format is tested on plain data and
//! checked by an independent reader.
//!
//! | format | module | read by |
//! |---|---|---|
//! | DISA STIG Viewer 2 checklist (`.ckl`, XML) | [`ckl`] | STIG Viewer 2, eMASS |
//! | DISA STIG Viewer 3 checklist (`.cklb`, JSON) | [`cklb`] | STIG Viewer 3 |
//! | SARIF 2.1.0 | [`sarif`] | code-scanning dashboards |
//! | JUnit XML | [`junit`] | CI pipelines |
//! | HTML | [`html`] | a browser, offline; prints |
//! | CSV | [`csv`] | spreadsheets |

mod checklist;
pub mod ckl;
pub mod cklb;
pub mod csv;
pub mod html;
pub mod junit;
mod model;
pub mod sarif;
mod verdict;

pub use model::{Format, Instance, Note, Report, ResultRow, fingerprint};
