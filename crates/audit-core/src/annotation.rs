//! What auditors type on a workbook row, and the rule that makes it a documented exception.

/// An auditor's annotation of one row: kept in the history, written back on every render, read
/// back from the workbook by sync.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Annotation {
    /// Review Status: `⏳ Needs Review`, `✓ Exception`, or whatever was typed.
    pub review_status: Option<String>,
    /// Why a FAIL/WARN is accepted.
    pub justification: Option<String>,
    /// Free notes.
    pub notes: Option<String>,
    /// When it was last reviewed, as typed.
    pub last_reviewed: Option<String>,
}

impl Annotation {
    /// A documented exception: Review Status says Exception and a justification is given. It
    /// changes how a FAIL/WARN is counted, never its status (SPEC §6).
    pub fn is_documented_exception(&self) -> bool {
        let excepted = self
            .review_status
            .as_deref()
            .is_some_and(|s| s.to_lowercase().contains("exception"));
        let justified = self
            .justification
            .as_deref()
            .is_some_and(|s| !s.trim().is_empty());
        excepted && justified
    }
}

#[cfg(test)]
mod tests {
    use super::Annotation;

    #[test]
    fn an_exception_needs_a_justification() {
        let mut a = Annotation {
            review_status: Some("\u{2713} Exception".into()),
            ..Annotation::default()
        };
        assert!(!a.is_documented_exception());
        a.justification = Some("   ".into());
        assert!(!a.is_documented_exception());
        a.justification = Some("Vendor requirement, ticket 4711".into());
        assert!(a.is_documented_exception());
        a.review_status = Some("\u{23f3} Needs Review".into());
        assert!(!a.is_documented_exception());
    }
}
