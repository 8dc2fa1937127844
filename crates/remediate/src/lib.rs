//! Remediation: T-SQL fix and rollback scripts generated from embedded templates, and their
//! parallel, logged execution with lockout protection.
//!
//! The boundary is set now; the implementation arrives with remediation (step 7).
