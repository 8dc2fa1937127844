//! What a simulated instance is: its version and its logins. (The full fixture format, with
//! catalog state, arrives with the query engine.)

/// A SQL login of the simulated instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// Login name.
    pub name: String,
    /// Its password, kept in clear so that the simulator can verify logins and PWDCOMPARE.
    pub password: String,
    /// Disabled logins cannot connect (error 18470).
    pub enabled: bool,
}

/// One simulated SQL Server instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// `@@SERVERNAME`, e.g. `SQLSIM01\SQL2019`.
    pub server_name: String,
    /// Product version: major, minor, build, revision (15.0.2000.5 for 2019 RTM).
    pub version: (u8, u8, u16, u16),
    /// SQL logins.
    pub logins: Vec<Login>,
}

impl Instance {
    /// The SQL login `name` (logins compare case-insensitively, as under the default collation).
    pub fn login(&self, name: &str) -> Option<&Login> {
        self.logins
            .iter()
            .find(|l| l.name.eq_ignore_ascii_case(name))
    }
}
