//! A simulated SQL Server: speaks TDS over TCP and runs catalog queries against fixtures, so
//! that the demo and every test exercise the real protocol path without a real server.
//!
//! The boundary is set now; the implementation arrives with the simulator (step 3).
