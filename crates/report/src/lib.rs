//! Writing the audit workbook (rust_xlsxwriter) and the JSON findings file, and reading the
//! auditors' annotations back from an edited workbook (calamine).
//!
//! The boundary is set now so that no other crate writes or parses xlsx; the implementation
//! arrives with the workbook (step 5).
