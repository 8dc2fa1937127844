//! What a simulated instance is: its version, its logins and role memberships, its databases.
//! (The file format for fixtures, covering the whole catalog, arrives with the built-in
//! fixtures; this model is what the engine loads its catalog tables from.)

/// A SQL login of the simulated instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// Login name.
    pub name: String,
    /// Its password, kept in clear so that the simulator can verify logins and PWDCOMPARE.
    pub password: String,
    /// Disabled logins cannot connect (error 18470).
    pub enabled: bool,
    /// Fixed server roles it belongs to (`sysadmin`, `securityadmin`, …).
    pub server_roles: Vec<String>,
    /// CHECK_POLICY.
    pub policy_checked: bool,
}

impl Login {
    /// An enabled login with CHECK_POLICY on and no server role.
    pub fn new(name: &str, password: &str) -> Login {
        Login {
            name: name.to_owned(),
            password: password.to_owned(),
            enabled: true,
            server_roles: Vec::new(),
            policy_checked: true,
        }
    }

    /// The same login in `role` too.
    pub fn in_role(mut self, role: &str) -> Login {
        self.server_roles.push(role.to_owned());
        self
    }
}

/// A database of the simulated instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Database {
    /// Name.
    pub name: String,
    /// TRUSTWORTHY.
    pub trustworthy: bool,
}

/// One simulated SQL Server instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// `@@SERVERNAME`, e.g. `SQLSIM01\SQL2019`.
    pub server_name: String,
    /// Product version: major, minor, build, revision (15.0.2000.5 for 2019 RTM).
    pub version: (u8, u8, u16, u16),
    /// Edition, as `SERVERPROPERTY('Edition')` reports it.
    pub edition: String,
    /// SQL logins (besides `sa`, which every instance has).
    pub logins: Vec<Login>,
    /// The `sa` login's password and state.
    pub sa: Login,
    /// User databases (the system databases are always there).
    pub databases: Vec<Database>,
}

impl Instance {
    /// The SQL login `name`, `sa` included (compared case-insensitively, as under the default
    /// collation).
    pub fn login(&self, name: &str) -> Option<&Login> {
        std::iter::once(&self.sa)
            .chain(&self.logins)
            .find(|l| l.name.eq_ignore_ascii_case(name))
    }

    /// `major.minor.build.revision`.
    pub fn product_version(&self) -> String {
        let (a, b, c, d) = self.version;
        format!("{a}.{b}.{c}.{d}")
    }
}
